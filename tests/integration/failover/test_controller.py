"""The failover controller against the emulator: happy path, outage, resume, throttling, lock, dry run."""

from __future__ import annotations

import time

import pytest

from standby import judgements as j
from standby.aws import autoscaling, rds, route53
from standby.aws.session import SessionFactory
from standby.errors import LockHeld, StepFailed
from standby.failover.controller import Controller
from standby.state import RegionStates
from standby.state.lock import RunLock
from tests.fakes.aws_faults import CallRecorder, FailOperation, RegionOutage, ThrottleFirstAttempt, combine
from tests.fakes.clock import FakeClock

EAST, WEST = "us-east-1", "us-west-2"


def controller(loaded, target, *hooks, clock=None) -> tuple[Controller, SessionFactory]:
    sessions = SessionFactory(target=target, on_client=combine(*hooks) if hooks else None)
    return Controller(
        loaded, sessions, RegionStates.of(loaded, sessions), clock=clock or FakeClock(time.time())
    ), sessions


def traffic(sessions: SessionFactory, world) -> dict[str, str | None]:
    records = route53.list_records(sessions.client("route53", WEST), world.zone_id)
    return j.traffic_target(records, world.manifest.dns.record_fqdns, (EAST, WEST))


def group(sessions: SessionFactory, region: str) -> autoscaling.GroupState:
    return autoscaling.describe_groups(sessions.client("autoscaling", region), [f"webapp-web-{region}"])[0]


def test_failover_happy_path(world, loaded, target) -> None:
    ctl, sessions = controller(loaded, target)
    planned = ctl.plan("failover")
    journal = ctl.execute(planned)

    assert journal.status == "complete"
    assert {k: s.status for k, s in journal.steps.items()} == {
        "preflight": "complete",
        "scale-out:web": "complete",
        "wait-healthy:web": "complete",
        "fence-writes": "complete",  # the old primary's database goes behind standby's fence group
        "promote-db:webapp-db": "complete",
        "shift-traffic": "complete",
        "verify": "complete",
        "record": "complete",
        "drain": "complete",
        "fence-primary": "complete",
    }
    standby_group = group(sessions, WEST)
    assert (standby_group.min_size, standby_group.desired_capacity, standby_group.in_service) == (2, 4, 4)
    assert group(sessions, EAST).desired_capacity == 0  # fenced
    assert ctl.states[EAST].notes().get("asg", f"webapp-web-{EAST}")[j.PRIOR_CAPACITY] == {
        "min_size": 2,
        "max_size": 8,
        "desired_capacity": 4,
    }
    (west_db,) = rds.describe_instances(sessions.client("rds", WEST), ["webapp-db"])
    assert (west_db.status, west_db.replica_source) == ("available", None)  # AWS ended the promotion
    (east_db,) = rds.describe_instances(sessions.client("rds", EAST), ["webapp-db"])
    assert west_db.arn not in east_db.replicas
    assert ctl.states[WEST].notes().get("db", "webapp-db") == {}  # nothing of the promote call is recorded
    assert traffic(sessions, world) == {f"{n}.": WEST for n in world.manifest.dns.record_fqdns}
    roles = RegionStates.of(loaded, sessions).role_record()
    assert (roles.primary, roles.standby, roles.generation) == (WEST, EAST, 1)
    assert journal.rto_seconds is not None and journal.rto_seconds > 0
    for record in journal.steps.values():
        assert record.started_at is not None and record.ended_at is not None
    assert ctl.status().failed_over is True


def test_rerun_after_success_changes_nothing(world, loaded, target) -> None:
    clock = FakeClock(time.time())
    ctl, _ = controller(loaded, target, clock=clock)
    ctl.execute(ctl.plan("failover"))
    recorder = CallRecorder()
    again, _ = controller(loaded, target, recorder, clock=clock)
    planned = again.plan("failover")
    # fence-writes is judged when it runs (the old primary's rules are read then); nothing else is left to do
    assert {s.key for s in planned.plan.steps if not s.nochange} == {
        "preflight",
        "wait-healthy:web",
        "fence-writes",
        "verify",
    }
    journal = again.execute(planned)
    assert journal.steps["scale-out:web"].detail == "nochange"
    assert "UpdateAutoScalingGroup" not in recorder.operations()
    assert "PromoteReadReplica" not in recorder.operations()
    assert "ChangeResourceRecordSets" not in recorder.operations()


def test_failover_completes_while_the_primary_region_is_down(world, loaded, target) -> None:
    outage = RegionOutage([EAST])
    ctl, _ = controller(loaded, target, outage)
    journal = ctl.execute(ctl.plan("failover"))
    assert journal.status == "complete"
    assert journal.steps["fence-primary"].status == "skipped"
    assert "unreachable" in journal.steps["fence-primary"].detail
    assert outage.refused > 0
    healthy, _ = controller(loaded, target)
    assert group(healthy.sessions, WEST).desired_capacity == 4
    assert traffic(healthy.sessions, world) == {f"{n}.": WEST for n in world.manifest.dns.record_fqdns}
    assert group(healthy.sessions, EAST).desired_capacity == 4  # untouched: it could not be reached


def test_failed_step_then_resume_does_not_repeat_completed_steps(world, loaded, target) -> None:
    fault = FailOperation("ChangeResourceRecordSets", "InvalidChangeBatch", times=1)
    clock = FakeClock(time.time())
    ctl, _ = controller(loaded, target, fault, clock=clock)
    planned = ctl.plan("failover")
    with pytest.raises(StepFailed, match=r"step shift-traffic failed: .*InvalidChangeBatch"):
        ctl.execute(planned)
    journal = ctl.journals(WEST).load(planned.plan.run_id)
    assert journal.status == "failed"
    assert journal.steps["shift-traffic"].status == "failed"
    assert journal.steps["verify"].status == "not-run"

    recorder = CallRecorder()
    resumed, sessions = controller(loaded, target, recorder, clock=clock)
    replanned, old = resumed.resume(planned.plan.run_id)
    finished = resumed.execute(replanned, old)
    assert finished.status == "complete"
    assert finished.steps["promote-db:webapp-db"].attempts == 1
    assert finished.steps["scale-out:web"].attempts == 1
    assert finished.steps["shift-traffic"].attempts == 2
    assert "PromoteReadReplica" not in recorder.operations()
    assert "UpdateAutoScalingGroup" not in recorder.operations(WEST)  # the standby's scale-out is not repeated
    assert recorder.operations(EAST).count("UpdateAutoScalingGroup") == 1  # the old primary, only after the drain
    assert recorder.operations().count("ChangeResourceRecordSets") == 1
    assert len(finished.resumes) == 1
    assert traffic(sessions, world) == {f"{n}.": WEST for n in world.manifest.dns.record_fqdns}


def test_throttling_on_every_api_is_absorbed(world, loaded, target) -> None:
    throttle = ThrottleFirstAttempt()
    ctl, _ = controller(loaded, target, throttle)
    journal = ctl.execute(ctl.plan("failover"))
    assert journal.status == "complete"
    assert throttle.throttled > 20


def test_a_second_concurrent_failover_is_refused(world, loaded, target) -> None:
    ctl, _ = controller(loaded, target)
    other = RunLock(ctl.states[WEST].store, "20261128T000000Z-failover-other", "alice@laptop")
    other.acquire()
    with pytest.raises(LockHeld, match="run 20261128T000000Z-failover-other by alice@laptop since"):
        ctl.execute(ctl.plan("failover"))
    other.release()
    assert ctl.execute(ctl.plan("failover")).status == "complete"


def test_dry_run_plans_with_read_only_calls(world, loaded, target) -> None:
    recorder = CallRecorder()
    ctl, sessions = controller(loaded, target, recorder)
    planned = ctl.plan("failover")
    assert {"record", "drain", "fence-primary"} <= {s.key for s in planned.plan.steps}
    assert recorder.calls, "the plan observed nothing"
    assert recorder.mutating() == []
    assert group(sessions, WEST).desired_capacity == 1


def test_preflight_refusal_touches_nothing(world, loaded, target, sessions) -> None:
    sessions.client("autoscaling", WEST).delete_auto_scaling_group(
        AutoScalingGroupName=f"webapp-web-{WEST}", ForceDelete=True
    )
    recorder = CallRecorder()
    ctl, _ = controller(loaded, target, recorder)
    planned = ctl.plan("failover")
    from standby.errors import PreflightFailed

    with pytest.raises(PreflightFailed, match=r"auto scaling group webapp-web-us-west-2 .* not found"):
        ctl.execute(planned)
    assert [c for c in recorder.mutating() if c[1] != "s3"] == []  # only the journal was written
