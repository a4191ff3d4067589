"""Promotion judged from AWS state alone, on the emulator (which promotes as AWS does: modifying, rebooting,
then available with the replica link gone; a non-replica is refused with InvalidDBInstanceState)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from standby import judgements as j
from standby import probes
from standby.aws import rds
from standby.aws.session import SessionFactory
from standby.emulator import emulation_state, set_time_scale
from standby.errors import StepFailed
from standby.failover.controller import Controller
from standby.failover.model import Verify
from standby.failover.steps import StepContext, request_promotion, run_step, run_verify, wait_until_promoted
from standby.failover.waits import JITTER
from standby.state import RegionStates
from tests.conftest import SESSION_TIME_SCALE
from tests.fakes.aws_faults import CallRecorder, combine
from tests.fakes.clock import FakeClock, PacedClock

EAST, WEST = "us-east-1", "us-west-2"
DB = "webapp-db"
AWS_PACE = 1.0  # the emulator's time scale at which a modelled promotion takes as long as on AWS (a minute)


class PromotedJustBefore:
    """Before standby's PromoteReadReplica in ``region`` reaches the emulator, someone else promotes the instance
    and it finishes: standby's call then promotes a non-replica, which AWS refuses."""

    def __init__(self, sessions: SessionFactory, region: str) -> None:
        self.sessions, self.region = sessions, region
        self.fired = 0

    def __call__(self, client: Any) -> None:
        if client.meta.region_name != self.region or client.meta.service_model.service_name != "rds":
            return

        def promote_first(params: dict[str, Any], **_: Any) -> None:
            if self.fired:
                return
            self.fired += 1
            other = self.sessions.client("rds", self.region)
            identifier = params["DBInstanceIdentifier"]
            rds.promote_replica(other, identifier)
            deadline = time.monotonic() + 30
            while j.promotion_state(rds.describe_instances(other, [identifier])[0]) != j.Promotion.PROMOTED:
                assert time.monotonic() < deadline, "the emulator's promotion did not end"
                time.sleep(0.02)

        client.meta.events.register_first("before-parameter-build.rds.PromoteReadReplica", promote_first)


class SpeedUpOnceSeenPromoting:
    """Once armed, the first DescribeDBInstances answer in ``region`` that shows an instance not ``available``
    calls ``speed_up``: a promotion in flight is seen by the code under test before it ends."""

    def __init__(self, region: str, speed_up: Callable[[], None]) -> None:
        self.region, self.speed_up = region, speed_up
        self.armed = False
        self.fired = False

    def __call__(self, client: Any) -> None:
        if client.meta.region_name != self.region or client.meta.service_model.service_name != "rds":
            return

        def seen(parsed: dict[str, Any], **_: Any) -> None:
            if not self.armed or self.fired:
                return
            if any(db.get("DBInstanceStatus") != "available" for db in parsed.get("DBInstances") or []):
                self.fired = True
                self.speed_up()

        client.meta.events.register("after-call.rds.DescribeDBInstances", seen)


@pytest.fixture
def pace(clean_emulator: str) -> Iterator[Callable[[float], None]]:
    """Set the emulator's time scale (real seconds per modelled second) within one test; work in flight goes on
    at the new pace. The previous scale is restored after the test."""
    previous = emulation_state(clean_emulator)["time_scale"]
    yield lambda scale: set_time_scale(clean_emulator, scale)
    set_time_scale(clean_emulator, previous)


def controller(loaded, target, *hooks, clock=None) -> Controller:
    sessions = SessionFactory(target=target, on_client=combine(*hooks) if hooks else None)
    return Controller(loaded, sessions, RegionStates.of(loaded, sessions), clock=clock or FakeClock(time.time()))


def context(ctl: Controller) -> StepContext:
    return StepContext(
        config=ctl.config,
        sessions=ctl.sessions,
        demote_sessions=ctl.fast_sessions,
        states=ctl.states,
        clock=ctl.clock,
        run_id="test",
    )


def state_of(sessions: SessionFactory, region: str) -> j.Promotion:
    return probes.check_promotion(sessions.client("rds", region), DB).state


def test_promoting_a_non_replica_fails_with_aws_answer(world, sessions) -> None:
    with pytest.raises(StepFailed) as caught:
        request_promotion(sessions.client("rds", EAST), EAST, DB)  # the primary: not a read replica
    assert "InvalidDBInstanceState" in caught.value.message
    assert "DB Instance is not a read replica." in caught.value.message
    assert state_of(sessions, EAST) == j.Promotion.PROMOTED  # a standalone primary, untouched


def test_a_refused_promote_fails_the_failover_and_the_journal_shows_why(world, loaded, target, sessions) -> None:
    clock = PacedClock(time.time())
    ctl = controller(loaded, target, PromotedJustBefore(sessions, WEST), clock=clock)
    planned = ctl.plan("failover")
    assert state_of(sessions, WEST) == j.Promotion.REPLICA

    with pytest.raises(StepFailed, match=r"step promote-db:webapp-db failed: .*InvalidDBInstanceState"):
        ctl.execute(planned)
    journal = ctl.journals(WEST).load(planned.plan.run_id)
    promote = journal.steps["promote-db:webapp-db"]
    assert (journal.status, promote.status) == ("failed", "failed")
    assert promote.error is not None
    assert "AWS refused to promote webapp-db in us-west-2: InvalidDBInstanceState" in promote.error
    assert "DB Instance is not a read replica." in promote.error  # AWS's own message
    assert journal.steps["shift-traffic"].status == "not-run"
    assert journal.steps["verify"].status == "not-run"

    # Re-run: AWS now reports it promoted, so the step has nothing left to do.
    recorder = CallRecorder()
    again = controller(loaded, target, recorder, clock=clock)
    replanned, old = again.resume(planned.plan.run_id)
    assert replanned.plan.step("promote-db:webapp-db").nochange
    assert again.execute(replanned, old).status == "complete"
    assert "PromoteReadReplica" not in recorder.operations()


def test_a_promotion_in_progress_is_waited_on_not_repeated(world, loaded, target, sessions, pace) -> None:
    pace(AWS_PACE)  # the promotion is in flight for a minute: planning sees it PROMOTING
    rds.promote_replica(sessions.client("rds", WEST), DB)  # started by someone else, still in flight
    assert state_of(sessions, WEST) == j.Promotion.PROMOTING
    [db] = rds.describe_instances(sessions.client("rds", WEST), [DB])
    assert db.status == "modifying" and db.is_replica  # the link is kept while promoting

    recorder = CallRecorder()
    speed_up = SpeedUpOnceSeenPromoting(WEST, lambda: pace(SESSION_TIME_SCALE))
    ctl = controller(loaded, target, recorder, speed_up, clock=PacedClock(time.time()))
    planned = ctl.plan("failover")
    step = planned.plan.step("promote-db:webapp-db")
    assert not step.nochange and "(promoting)" in step.intent
    speed_up.armed = True
    journal = ctl.execute(planned)
    assert speed_up.fired  # the promote step found it promoting, and only then did the promotion speed up

    assert journal.status == "complete"
    promote = journal.steps["promote-db:webapp-db"]
    assert promote.status == "complete"
    assert promote.before["promotion"] == "promoting"
    assert promote.after == {"status": "available", "replica_source": None, "promotion": "promoted"}
    assert "PromoteReadReplica" not in recorder.operations()  # waited on, not called again
    assert state_of(sessions, WEST) == j.Promotion.PROMOTED


def test_verify_does_not_pass_while_the_database_is_promoting(world, loaded, target, sessions, pace) -> None:
    ctl = controller(loaded, target, clock=PacedClock(time.time()))
    verify = next(s for s in ctl.plan("failover").plan.steps if isinstance(s, Verify))
    assert verify.databases == (DB,)
    ctx = context(ctl)

    with pytest.raises(StepFailed, match=r"database webapp-db is not promoted: still a read replica of arn:aws:rds"):
        run_verify(ctx, verify)
    pace(AWS_PACE)  # the promotion is in flight for a minute
    rds.promote_replica(sessions.client("rds", WEST), DB)
    with pytest.raises(StepFailed, match=r"database webapp-db is not promoted: (modifying|rebooting)"):
        run_verify(ctx, verify)

    pace(SESSION_TIME_SCALE)
    wait_until_promoted(ctx, WEST, DB, 1800)
    with pytest.raises(StepFailed) as caught:  # traffic has not moved: only the database check now passes
        run_verify(ctx, verify)
    assert "webapp-db" not in caught.value.message


def test_a_replica_that_never_starts_promoting_fails_the_wait(world, loaded, target) -> None:
    ctl = controller(loaded, target)
    with pytest.raises(StepFailed) as caught:
        wait_until_promoted(context(ctl), WEST, DB, 300)
    assert caught.value.message.startswith("timed out after 300s waiting for webapp-db promoted")
    assert "webapp-db is still an available read replica of arn:aws:rds:us-east-1:" in caught.value.message


class TimedRdsCalls:
    """Every RDS operation in ``region`` with the clock's time when it was sent."""

    def __init__(self, clock: FakeClock, region: str) -> None:
        self.clock, self.region = clock, region
        self.calls: list[tuple[float, str]] = []

    def __call__(self, client: Any) -> None:
        if client.meta.region_name != self.region or client.meta.service_model.service_name != "rds":
            return
        client.meta.events.register_first(
            "before-call", lambda model, **_: self.calls.append((self.clock.now(), model.name))
        )


def test_after_its_promote_call_the_first_describe_follows_the_schedule(world, loaded, target) -> None:
    clock = PacedClock(time.time())
    timed = TimedRdsCalls(clock, WEST)
    ctl = controller(loaded, target, timed, clock=clock)
    step = ctl.plan("failover").plan.step("promote-db:webapp-db")
    assert run_step(context(ctl), step).status == "complete"
    ops = [op for _, op in timed.calls]
    promoted_at = timed.calls[ops.index("PromoteReadReplica")][0]
    after = [t for t, op in timed.calls[ops.index("PromoteReadReplica") :] if op == "DescribeDBInstances"]
    assert after, "the promotion was never read back"
    assert after[0] - promoted_at >= 5.0 * (1 - JITTER)  # not at once: the first wait of the schedule
    assert state_of(ctl.sessions, WEST) == j.Promotion.PROMOTED
