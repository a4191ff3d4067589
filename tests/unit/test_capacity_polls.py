"""CapacityPolls: the wait-healthy steps of a region share their describes, and each is answered only from AWS
state read after it asked."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from standby.failover.capacity_polls import CapacityPolls
from standby.failover.context import StepContext
from standby.failover.model import WAIT_HEALTHY, WaitHealthy
from standby.failover.steps import run_wait_healthy
from tests.fakes.clock import FakeClock


class _Aws:
    """Groups (name -> in-service count) behind one target group each; every call recorded."""

    def __init__(self, groups: dict[str, int], *, delay: float = 0.0) -> None:
        self.groups = dict(groups)
        self.delay = delay
        self.describes: list[list[str]] = []
        self.target_calls: list[str] = []
        self.fail: Exception | None = None
        self.gate: threading.Event | None = None  # when set to an Event, a describe waits for it
        self.entered = threading.Event()

    def get_paginator(self, operation: str) -> _Aws:
        return self

    def paginate(self, AutoScalingGroupNames: list[str]) -> list[dict[str, Any]]:
        self.describes.append(list(AutoScalingGroupNames))
        seen = dict(self.groups)  # the state as of the call: what changes while it is answered is not in it
        self.entered.set()
        if self.gate is not None:
            self.gate.wait(5)
        time.sleep(self.delay)
        if self.fail is not None:
            raise self.fail
        docs = []
        for name in AutoScalingGroupNames:
            if name not in seen:
                continue
            instances = [
                {"InstanceId": f"{name}-i{k}", "LifecycleState": "InService", "HealthStatus": "Healthy"}
                for k in range(seen[name])
            ]
            docs.append(
                {"AutoScalingGroupName": name, "MinSize": 0, "MaxSize": 8, "DesiredCapacity": 2, "Instances": instances}
            )
        return [{"AutoScalingGroups": docs}]

    def describe_target_health(self, TargetGroupArn: str) -> dict[str, Any]:
        self.target_calls.append(TargetGroupArn)
        name = TargetGroupArn.rsplit("/", 1)[-1]
        docs = [
            {"Target": {"Id": f"{name}-i{k}"}, "TargetHealth": {"State": "healthy"}} for k in range(self.groups[name])
        ]
        return {"TargetHealthDescriptions": docs}


def _tg(name: str) -> str:
    return f"arn:aws:elasticloadbalancing:us-west-2:1:targetgroup/{name}"


def test_concurrent_waits_share_their_rounds() -> None:
    names = [f"g{i:03d}" for i in range(120)]
    aws = _Aws(dict.fromkeys(names, 2), delay=0.05)
    polls = CapacityPolls(aws, aws, FakeClock())
    start = threading.Barrier(len(names))
    results: dict[str, Any] = {}

    def wait(name: str) -> None:
        start.wait()
        results[name] = polls.readiness(name, _tg(name), 2)

    threads = [threading.Thread(target=wait, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert all(results[n].ready for n in names)
    assert all(len(chunk) <= 50 for chunk in aws.describes)
    # 120 waits, and far fewer describes than one each: a first round, then one for all who asked meanwhile.
    assert len(aws.describes) <= 3 * 3
    assert sorted(aws.target_calls) == sorted(_tg(n) for n in names)  # each target group once: all were ready


def test_target_health_is_read_only_for_groups_in_service() -> None:
    aws = _Aws({"up": 2, "booting": 0})
    polls = CapacityPolls(aws, aws, FakeClock())
    assert not polls.readiness("booting", _tg("booting"), 2).ready
    assert aws.target_calls == []
    assert polls.readiness("up", _tg("up"), 2).ready
    assert aws.target_calls == [_tg("up")]


def test_a_reading_is_never_older_than_the_ask() -> None:
    aws = _Aws({"g": 0})
    clock = FakeClock()
    polls = CapacityPolls(aws, aws, clock)
    aws.gate = threading.Event()
    first: list[Any] = []
    leader = threading.Thread(target=lambda: first.append(polls.readiness("g", _tg("g"), 2)))
    leader.start()
    assert aws.entered.wait(5)  # the first round has read the group: not in service
    aws.groups["g"] = 2  # now in service, while that round is still running
    later: list[Any] = []
    follower = threading.Thread(target=lambda: later.append(polls.readiness("g", _tg("g"), 2)))
    follower.start()
    time.sleep(0.1)
    aws.gate.set()
    leader.join(5)
    follower.join(5)
    assert not first[0].ready
    assert later[0].ready  # from a round that started after it asked, not the one in flight
    assert len(aws.describes) == 2
    assert clock.sleeps and clock.sleeps[-1] == pytest.approx(2.0)  # rounds at least the interval apart


def test_a_missing_group_and_an_aws_error_reach_the_wait() -> None:
    aws = _Aws({})
    polls = CapacityPolls(aws, aws, FakeClock())
    assert polls.readiness("gone", None, 1).found is False
    aws.fail = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "DescribeAutoScalingGroups")
    with pytest.raises(ClientError):
        polls.readiness("gone", None, 1)
    aws.fail = None
    assert polls.readiness("gone", None, 1).found is False  # a failed round leaves the next ones working


class _Booting(_Aws):
    """One group whose instances come into service ``boot`` seconds after the clock's start; each describe's time
    recorded."""

    def __init__(self, clock: FakeClock, boot: float) -> None:
        super().__init__({"g": 0})
        self.clock, self.start, self.boot = clock, clock.now(), boot
        self.read_at: list[float] = []

    def paginate(self, AutoScalingGroupNames: list[str]) -> list[dict[str, Any]]:
        self.read_at.append(self.clock.now() - self.start)
        self.groups["g"] = 2 if self.clock.now() - self.start >= self.boot else 0
        return super().paginate(AutoScalingGroupNames)


def _wait_healthy(scaled_out: bool) -> list[float]:
    clock = FakeClock()
    aws = _Booting(clock, boot=120.0)
    config = SimpleNamespace(failover=SimpleNamespace(expected_healthy_seconds=120.0))
    ctx = StepContext(config=config, sessions=None, demote_sessions=None, states=None, clock=clock, run_id="t")  # type: ignore[arg-type]
    ctx._capacity_polls["us-west-2"] = CapacityPolls(aws, aws, clock)
    if scaled_out:
        ctx.note_scaled_out("us-west-2", "g", 2)
    step = WaitHealthy.of(
        WAIT_HEALTHY, "us-west-2", per="g", group="g", autoscaling_group="g", target_group_arn=_tg("g"), desired=2
    )
    assert run_wait_healthy(ctx, step).status == "complete"
    return aws.read_at


def test_a_group_this_run_scaled_out_is_first_read_at_the_schedule_not_at_once() -> None:
    deferred, at_once = _wait_healthy(scaled_out=True), _wait_healthy(scaled_out=False)
    assert at_once[0] < 1.0 and deferred[0] >= 30.0 - 1.0  # the schedule's first point: max_wait
    assert len(deferred) == len(at_once) - 1  # the reading at once saved, none added
    assert deferred[-1] == at_once[-1] and deferred[-1] - 120.0 <= 2.0  # seen as early


def test_a_scale_out_to_another_capacity_does_not_defer_the_wait() -> None:
    ctx = StepContext(config=None, sessions=None, demote_sessions=None, states=None, clock=FakeClock(), run_id="t")  # type: ignore[arg-type]
    ctx.note_scaled_out("us-west-2", "g", 3)
    assert not ctx.scaled_out("us-west-2", "g", 2) and not ctx.scaled_out("us-east-1", "g", 3)
    assert ctx.scaled_out("us-west-2", "g", 3)


class _RealPauses(FakeClock):
    """A clock whose sleeps take real time: the pauses in which steps started one after another join a batch."""

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        time.sleep(seconds)


class _Notes:
    def __init__(self) -> None:
        self.writes: list[dict[str, Any]] = []

    def keep_first(self, kind: str, notes: dict[str, Any]) -> None:
        assert kind == "asg"
        self.writes.append(notes)


def test_scale_outs_started_one_after_another_note_their_prior_capacity_in_one_write() -> None:
    notes = _Notes()
    states = {"us-west-2": SimpleNamespace(notes=lambda: notes)}
    ctx = StepContext(config=None, sessions=None, demote_sessions=None, states=states, clock=_RealPauses(), run_id="t")  # type: ignore[arg-type]
    threads = []
    for i in range(10):  # 0.2 s of steps starting, never a pause apart
        capacity = {"min_size": 0, "max_size": 4, "desired_capacity": i}
        threads.append(threading.Thread(target=ctx.note_prior_capacity, args=("us-west-2", f"g{i}", capacity)))
        threads[-1].start()
        time.sleep(0.02)
    for thread in threads:
        thread.join(10)
    assert len(notes.writes) == 1
    assert notes.writes[0] == {
        f"g{i}": {"prior_capacity": {"min_size": 0, "max_size": 4, "desired_capacity": i}} for i in range(10)
    }
