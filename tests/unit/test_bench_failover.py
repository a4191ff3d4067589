"""bench.failover and bench.simclock: the latency model, AWS request limits, and the scaled clock's arithmetic."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from bench.failover import LatencyModel, SimulatedAws, over_aws_limit
from bench.simclock import ScaledClock, advance


def test_latency_by_operation_then_service_then_default() -> None:
    model = LatencyModel()
    assert model.latency("autoscaling", "UpdateAutoScalingGroup", {}) == 0.3
    assert model.latency("dynamodb", "PutItem", {}) == 0.02
    assert model.latency("sts", "GetCallerIdentity", {}) == model.default


def test_an_s3_put_also_pays_for_its_size() -> None:
    model = LatencyModel()
    assert model.latency("s3", "PutObject", {"Body": b"x" * 2_000_000}) == pytest.approx(0.05 + 0.1)


@pytest.mark.parametrize(
    ("params", "refused"),
    [
        ({"AutoScalingGroupNames": ["g"] * 50}, False),
        ({"AutoScalingGroupNames": ["g"] * 51}, True),
        ({"AutoScalingGroupNames": ["g"] * 80, "MaxRecords": 100}, False),
        ({"AutoScalingGroupNames": ["g"] * 101, "MaxRecords": 100}, True),
        ({}, False),
    ],
)
def test_describe_groups_names_limit(params: dict, refused: bool) -> None:
    assert (over_aws_limit("autoscaling", "DescribeAutoScalingGroups", params) is not None) is refused


def test_route53_batch_limit() -> None:
    batch = {"ChangeBatch": {"Changes": [{}] * 1001}}
    assert over_aws_limit("route53", "ChangeResourceRecordSets", batch) is not None
    assert over_aws_limit("route53", "ChangeResourceRecordSets", {"ChangeBatch": {"Changes": [{}] * 4}}) is None


def test_idle_time_is_scaled_busy_time_counts_once_frozen_time_not_at_all() -> None:
    assert advance(0.0, 0.01, 0.0, 0.01, frozen=False) == pytest.approx(1.0)
    assert advance(0.0, 0.01, 0.01, 0.01, frozen=False) == pytest.approx(0.01)
    assert advance(0.0, 0.01, 0.004, 0.01, frozen=False) == pytest.approx(0.004 + 0.6)
    assert advance(0.0, 0.01, 0.006, 0.01, frozen=False) == pytest.approx(0.01)  # mostly busy: all of it 1:1
    assert advance(5.0, 0.01, 0.0, 0.01, frozen=True) == 5.0
    assert advance(0.0, 0.01, 0.05, 0.01, frozen=False) == pytest.approx(0.01)  # two cores: at most real time


class _Manual:
    """A real-time source the test moves by hand."""

    def __init__(self) -> None:
        self.value = 0.0

    def __call__(self) -> float:
        return self.value


def test_now_follows_the_real_time_source_and_stands_still_inside_instant() -> None:
    real, cpu = _Manual(), _Manual()
    clock = ScaledClock(0.01, start=100.0, monotonic=real, process_cpu=cpu)
    real.value = 0.5  # idle half a second: 50 simulated seconds
    assert clock.now() == pytest.approx(150.0)
    with clock.instant():
        real.value, cpu.value = 2.5, 2.0  # the emulator computes for 2 s
        assert clock.now() == pytest.approx(150.0)
    assert clock.frozen_real_seconds == pytest.approx(2.0)
    real.value, cpu.value = 2.6, 2.1  # standby's own CPU for 0.1 s
    assert clock.now() == pytest.approx(150.1)


def test_sleep_inside_instant_is_refused() -> None:
    clock = ScaledClock(0.001)
    with clock.instant(), pytest.raises(RuntimeError, match="frozen"):
        clock.sleep(1)


def test_concurrent_sleeps_overlap() -> None:
    clock = ScaledClock(0.005)  # 1 simulated second = 5 ms
    started = clock.now()
    threads = [threading.Thread(target=clock.sleep, args=(20.0,)) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=5)
    elapsed = clock.now() - started
    clock.close()
    assert 20.0 <= elapsed < 190.0  # ten 20 s waits side by side, not 200 s one after the other


class _FakeClient:
    """Just enough of a botocore client for SimulatedAws: meta and _make_api_call."""

    def __init__(self, region: str, service: str, answer) -> None:
        self.meta = SimpleNamespace(region_name=region, service_model=SimpleNamespace(service_name=service))
        self._make_api_call = answer


def _group(*ids: str) -> dict:
    instances = [{"InstanceId": i, "LifecycleState": "InService", "HealthStatus": "Healthy"} for i in ids]
    return {"AutoScalingGroups": [{"AutoScalingGroupName": "web", "Instances": instances}]}


def _simulated() -> tuple[SimulatedAws, _Manual]:
    real = _Manual()
    clock = ScaledClock(0.01, start=0.0, monotonic=real, process_cpu=_Manual())
    model = LatencyModel(seconds={}, default=0.0, instance_bootstrap=120.0, dns_insync=30.0)
    return SimulatedAws(clock, model), real


def test_new_instances_stay_pending_for_the_bootstrap_time_after_a_scale_out() -> None:
    sim, real = _simulated()
    answers = iter([_group("i-1"), {}, _group("i-1", "i-2", "i-3"), _group("i-1", "i-2", "i-3")])
    client = _FakeClient("us-west-2", "autoscaling", lambda op, params: next(answers))
    sim(client)
    client._make_api_call("DescribeAutoScalingGroups", {"AutoScalingGroupNames": ["web"]})
    client._make_api_call("UpdateAutoScalingGroup", {"AutoScalingGroupName": "web", "DesiredCapacity": 3})
    early = client._make_api_call("DescribeAutoScalingGroups", {})
    assert [i["LifecycleState"] for i in early["AutoScalingGroups"][0]["Instances"]] == [
        "InService",
        "Pending",
        "Pending",
    ]
    real.value = 1.21  # 121 simulated seconds later
    late = client._make_api_call("DescribeAutoScalingGroups", {})
    assert {i["LifecycleState"] for i in late["AutoScalingGroups"][0]["Instances"]} == {"InService"}


def test_a_route53_change_is_pending_until_insync_time_and_calls_are_counted_per_phase() -> None:
    sim, real = _simulated()

    def answer(op: str, params: dict) -> dict:
        return {"ChangeInfo": {"Id": "/change/C1", "Status": "INSYNC"}}

    client = _FakeClient("us-east-1", "route53", answer)
    sim(client)
    sim.phase = "execute"
    changed = client._make_api_call("ChangeResourceRecordSets", {"HostedZoneId": "Z1", "ChangeBatch": {"Changes": []}})
    assert changed["ChangeInfo"]["Status"] == "PENDING"
    assert client._make_api_call("GetChange", {"Id": "C1"})["ChangeInfo"]["Status"] == "PENDING"
    real.value = 0.31
    assert client._make_api_call("GetChange", {"Id": "C1"})["ChangeInfo"]["Status"] == "INSYNC"
    assert sim.operations("execute") == {"route53:ChangeResourceRecordSets": 1, "route53:GetChange": 2}
    assert sim.zones_changed == {"execute": {"Z1"}}


def test_a_promoted_replica_is_modifying_then_standalone_on_both_sides() -> None:
    sim, real = _simulated()
    source_arn, replica_arn = "arn:aws:rds:us-east-1:1:db:app", "arn:aws:rds:us-west-2:1:db:app"
    replica = {"DBInstanceIdentifier": "app", "DBInstanceArn": replica_arn, "DBInstanceStatus": "available"}
    replica["ReadReplicaSourceDBInstanceIdentifier"] = source_arn
    source = {"DBInstanceIdentifier": "app", "DBInstanceArn": source_arn, "DBInstanceStatus": "available"}
    source["ReadReplicaDBInstanceIdentifiers"] = [replica_arn]

    def west_answer(op: str, params: dict) -> dict:  # moto: the promotion is done at once, the link kept
        return {"DBInstance": dict(replica)} if op == "PromoteReadReplica" else {"DBInstances": [dict(replica)]}

    west = _FakeClient("us-west-2", "rds", west_answer)
    east = _FakeClient("us-east-1", "rds", lambda op, params: {"DBInstances": [dict(source)]})
    sim(west)
    sim(east)

    def describe(client: _FakeClient) -> dict:
        return client._make_api_call("DescribeDBInstances", {})["DBInstances"][0]

    assert describe(west) == replica
    west._make_api_call("PromoteReadReplica", {"DBInstanceIdentifier": "app"})
    during = describe(west)
    assert (during["DBInstanceStatus"], during["ReadReplicaSourceDBInstanceIdentifier"]) == ("modifying", source_arn)
    assert describe(east)["ReadReplicaDBInstanceIdentifiers"] == [replica_arn]
    real.value = 3.01  # 301 simulated seconds later: the promotion (300 s) has ended
    after = describe(west)
    assert after["DBInstanceStatus"] == "available" and "ReadReplicaSourceDBInstanceIdentifier" not in after
    assert describe(east)["ReadReplicaDBInstanceIdentifiers"] == []
