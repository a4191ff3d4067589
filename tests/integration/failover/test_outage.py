"""A failover while a region does not answer: the emulator's outage switch holds (HANG) or resets (REFUSE) every
request signed for it, with real timeouts and a real clock.

The demoted region is never waited on beyond ``[failover] demote_budget_seconds`` per step (and for planning),
the role record is written in the activated region first, and its copy is written once the other region answers.
Route53's control plane hanging fails a records-mode failover within the shift step's own timeout, with advice;
health-check mode makes no Route53 call and completes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest

from standby.aws.budget import Budget, BudgetSpent
from standby.aws.session import SessionFactory
from standby.clock import SystemClock
from standby.config.schema import LoadedConfig
from standby.emulator import restore, set_outage
from standby.errors import StandbyError, StepFailed
from standby.failover.controller import Controller
from standby.state import RegionState, RegionStates
from standby.state.store import ControlStore
from standby.traffic_switch import ensure_switches, is_evacuated, switches
from tests.fakes.aws_faults import CallRecorder
from tests.fakes.clock import FakeClock

EAST, WEST = "us-east-1", "us-west-2"
BUDGET = 2.0  # [failover] demote_budget_seconds in these tests: each attempt on the demoted region times out at 0.67 s
SLACK = 4.0  # what a loaded test machine may add to a bounded wait

log = logging.getLogger(__name__)


def configured(loaded: LoadedConfig, **failover: Any) -> LoadedConfig:
    settings = loaded.config.failover.model_copy(update=failover)
    return loaded.model_copy(update={"config": loaded.config.model_copy(update={"failover": settings})})


def controller(loaded: LoadedConfig, target: Any, on_client: Any = None, clock: Any = None) -> Controller:
    """A controller on the real clock: the outage's waits are real."""
    factory = SessionFactory(target=target, on_client=on_client)
    return Controller(loaded, factory, RegionStates.of(loaded, factory), clock=clock or SystemClock())


def role_in(sessions: SessionFactory, loaded: LoadedConfig, region: str):
    return RegionState(ControlStore(sessions, loaded.config.project.name, region), loaded.state_dir).role_record()


@pytest.fixture
def outage(clean_emulator: str) -> Iterator[str]:
    yield clean_emulator
    restore(clean_emulator)


# -- the budget --------------------------------------------------------------------------------------------------


def test_budget_returns_an_answer_in_time_and_gives_up_at_its_deadline() -> None:
    budget = Budget(0.5, "test")
    assert budget.run(lambda: 42) == 42
    started = time.monotonic()
    with pytest.raises(BudgetSpent) as spent:
        budget.run(time.sleep, 5)
    assert 0.3 < time.monotonic() - started < 1.5
    assert isinstance(spent.value, StandbyError) and "0.5s budget" in spent.value.message
    with pytest.raises(BudgetSpent):
        budget.check()
    with pytest.raises(ZeroDivisionError):  # the work's own error reaches the caller
        Budget(5).run(lambda: 1 / 0)


def test_a_spent_budget_stops_the_clients_of_abandoned_work(outage: str, target) -> None:
    """After the deadline, work left behind makes no new attempt (the before-send check refuses it): without
    the check, the read's second attempt would be sent at about 2-3 s and the second read at about 4-5 s."""
    sent: list[str] = []

    def count_attempts(client: Any) -> None:
        client.meta.events.register("before-send", lambda **_: sent.append(client.meta.region_name))

    fast = SessionFactory(target=target, on_client=count_attempts).fast_fail(6)  # attempts time out after 2 s
    client = fast.client("ssm", EAST)
    set_outage(outage, EAST, "all", "hang")
    calls: list[str] = []

    def two_reads() -> None:
        for name in ("a", "b"):
            calls.append(name)
            client.describe_parameters()

    budget = Budget(1.0, "hanging reads")
    with pytest.raises(BudgetSpent):
        budget.run(two_reads)
    assert time.monotonic() - (budget.deadline - 1.0) < 1.0 + SLACK
    time.sleep(5.5)  # the abandoned attempt times out after 2 s; its retry and the second read are refused
    assert calls == ["a"]
    assert sent == [EAST]


# -- a failover with the primary hanging ------------------------------------------------------------------------


def test_failover_with_the_primary_hanging_completes_and_returns_soon_after_traffic_moves(
    world, loaded, target, sessions, outage
) -> None:
    loaded = configured(loaded, traffic_mode="health-check", demote_budget_seconds=BUDGET)
    ensure_switches(sessions, loaded.config)
    set_outage(outage, EAST, "all", "hang")
    ctl = controller(loaded, target)

    started = time.monotonic()
    planned = ctl.plan("failover")
    planning = time.monotonic() - started
    journal = ctl.execute(planned)
    total = time.monotonic() - started
    log.warning("primary hanging: planning %.1fs, failover %.1fs, RTO %.1fs", planning, total, journal.rto_seconds)

    assert journal.status == "complete", {k: (s.status, s.error) for k, s in journal.steps.items()}
    assert not planned.observation.demote.reachable
    assert planning < BUDGET + SLACK
    assert journal.rto_seconds is not None and total < journal.rto_seconds + 30
    assert total < 60
    assert is_evacuated(sessions, switches(loaded.config)[EAST]) is True  # read in us-west-2
    record = role_in(sessions, loaded, WEST)
    assert record is not None and (record.primary, record.standby) == (WEST, EAST)
    assert "copy in us-east-1 not written" in journal.steps["record"].detail
    assert journal.steps["record"].seconds < BUDGET + SLACK
    # The activated region's own switch lives in the hanging region: its reset is left running, not waited for.
    assert "no answer yet, reset in the background" in journal.steps["shift-traffic"].detail
    status_started = time.monotonic()
    status = ctl.status()
    assert (status.primary, status.last_run.run_id) == (WEST, journal.run_id)
    assert time.monotonic() - status_started < 2 * BUDGET + SLACK

    # Once the primary answers again, the next run writes the missing copy, and only that (on a fake clock:
    # the primary now answers, so the plan drains cached DNS answers before fencing it).
    restore(outage)
    assert role_in(sessions, loaded, EAST) is None
    again = controller(loaded, target, clock=FakeClock(time.time()))
    rerun = again.execute(again.plan("failover"))
    assert rerun.steps["record"].detail == f"roles generation 1: primary {WEST}, in {EAST}"
    assert role_in(sessions, loaded, EAST) == record


def test_planning_with_the_primary_hanging_waits_at_most_the_budget(world, loaded, target, outage) -> None:
    """Records mode, the default budget (10 s): a us-east-1 outage also takes Route53's control plane."""
    assert loaded.config.failover.demote_budget_seconds == 10
    set_outage(outage, EAST, "all", "hang")
    recorder = CallRecorder()
    ctl = controller(loaded, target, recorder)
    started = time.monotonic()
    planned = ctl.plan("failover")
    planning = time.monotonic() - started
    log.warning("primary hanging: dry-run planning %.1fs", planning)
    assert planning < 10 + SLACK
    assert not planned.observation.demote.reachable
    assert planned.observation.records is None  # Route53 unread
    assert planned.assignment.primary == EAST  # the home assignment: nothing recorded anywhere that answers
    assert recorder.mutating() == []


def test_failover_with_the_primary_refusing(world, loaded, target, sessions, outage) -> None:
    loaded = configured(loaded, traffic_mode="health-check", demote_budget_seconds=BUDGET)
    ensure_switches(sessions, loaded.config)
    set_outage(outage, EAST, "all", "refuse")
    ctl = controller(loaded, target)
    started = time.monotonic()
    planned = ctl.plan("failover")
    planning = time.monotonic() - started
    journal = ctl.execute(planned)
    total = time.monotonic() - started
    log.warning("primary refusing: planning %.1fs, failover %.1fs, RTO %.1fs", planning, total, journal.rto_seconds)
    assert journal.status == "complete", {k: (s.status, s.error) for k, s in journal.steps.items()}
    assert planning < BUDGET + SLACK and total < journal.rto_seconds + 30
    record = role_in(sessions, loaded, WEST)
    assert record is not None and record.primary == WEST
    assert "copy in us-east-1 not written" in journal.steps["record"].detail


def test_the_activated_regions_record_wins_a_tie(world, loaded, target, sessions) -> None:
    from standby.state.roles import RoleRecord

    states = RegionStates.of(loaded, sessions)
    states[EAST].save_role_record(RoleRecord(generation=3, primary=EAST, standby=WEST, changed_at=1.0))
    states[WEST].save_role_record(RoleRecord(generation=3, primary=WEST, standby=EAST, changed_at=2.0))
    assert states.assignment(prefer=WEST).primary == WEST
    assert states.assignment(prefer=EAST).primary == EAST
    states[EAST].save_role_record(RoleRecord(generation=4, primary=EAST, standby=WEST, changed_at=3.0))
    assert states.assignment(prefer=WEST).primary == EAST  # a higher generation wins wherever it is


def test_the_account_is_never_asked_in_a_region_that_hangs(world, loaded, target, outage) -> None:
    """A store in the hanging region names its bucket with the account learned where STS answers."""
    set_outage(outage, EAST, "all", "hang")
    recorder = CallRecorder()
    factory = SessionFactory(target=target, on_client=recorder)
    states = RegionStates.of(loaded, factory)
    started = time.monotonic()
    assert states[EAST].store.account_id == states[WEST].store.account_id == "123456789012"
    assert time.monotonic() - started < 2.0
    assert states.fast()[EAST].store.account_id == "123456789012"  # shared with the fast-failing copy
    sts_answered = [c for c in recorder.calls if c[1] == "sts"]
    assert (WEST, "sts", "GetCallerIdentity") in sts_answered and len(sts_answered) <= 2


# -- Route53's control plane hanging ----------------------------------------------------------------------------


def test_records_mode_fails_within_the_dns_timeout_when_route53_hangs(world, loaded, target, outage) -> None:
    loaded = configured(loaded, dns_timeout_seconds=5, demote_budget_seconds=BUDGET)
    ctl = controller(loaded, target)
    planned = ctl.plan("failover")  # Route53 answers while planning
    set_outage(outage, EAST, "control", "hang")
    started = time.monotonic()
    with pytest.raises(StepFailed) as failed:
        ctl.execute(planned)
    took = time.monotonic() - started
    log.warning("Route53 hanging, records mode: failed after %.1fs", took)
    assert 'traffic_mode = "health-check"' in failed.value.message
    assert "step shift-traffic failed" in failed.value.message
    journal = ctl.load_journal(planned.plan.run_id)
    shift = journal.steps["shift-traffic"]
    assert shift.status == "failed" and shift.seconds is not None and 4.5 <= shift.seconds < 5 + SLACK
    assert took < 60


def test_health_check_mode_completes_when_route53_hangs(world, loaded, target, sessions, outage) -> None:
    # fence "none": us-east-1 answers, and a scale-in fence would first wait for cached DNS answers to expire.
    loaded = configured(loaded, traffic_mode="health-check", demote_budget_seconds=BUDGET, fence="none")
    ensure_switches(sessions, loaded.config)
    set_outage(outage, EAST, "control", "hang")
    ctl = controller(loaded, target)
    started = time.monotonic()
    journal = ctl.execute(ctl.plan("failover"))
    took = time.monotonic() - started
    log.warning("Route53 hanging, health-check mode: failover %.1fs, RTO %.1fs", took, journal.rto_seconds)
    assert journal.status == "complete", {k: (s.status, s.error) for k, s in journal.steps.items()}
    assert took < journal.rto_seconds + 30
