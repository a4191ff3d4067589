"""DNS record consistency and readiness judgements, from tables of facts (no AWS)."""

from __future__ import annotations

from typing import Any

import pytest

from standby.aws.route53 import Record
from standby.config.schema import Capacity
from standby.drift.dns import RegionEndpoints, record_states
from standby.drift.normalise import Localiser
from standby.drift.readiness import GroupFacts, ReadinessFacts, SnapshotFacts, evaluate

EAST_LB = "webapp-web-1.us-east-1.elb.amazonaws.com"
WEST_LB = "webapp-web-1.us-west-2.elb.amazonaws.com"
PRIMARY = RegionEndpoints("primary", Localiser("us-east-1", "us-west-2"), {EAST_LB: "webapp-web"})
STANDBY = RegionEndpoints("standby", Localiser("us-west-2", "us-east-1"), {WEST_LB: "webapp-web"})


def record(
    failover: str | None, target: str, *, health: str | None = "hc", name: str = "www.example.internal."
) -> Record:
    return Record(name, "A", failover.lower() if failover else None, failover, None, None, (), target + ".", health)


def states(*records: Record) -> tuple[dict[str, Any], dict[str, Any]]:
    return record_states(records, ["www.example.internal"], PRIMARY, STANDBY)


def test_failover_records_of_a_mirror_compare_equal() -> None:
    primary, standby = states(record("PRIMARY", EAST_LB), record("SECONDARY", "dualstack." + WEST_LB))
    assert primary == standby
    assert primary["record:www.example.internal"]["target"] == "load_balancer:webapp-web"
    assert primary["record:www.example.internal"]["routing"] == "failover:as-role"


@pytest.mark.parametrize(
    ("records", "attribute", "expected"),
    [
        # the primary's record sends traffic to the standby's load balancer
        (
            (record("PRIMARY", WEST_LB), record("SECONDARY", WEST_LB)),
            "target",
            ("load_balancer:webapp-web@peer-region", "load_balancer:webapp-web"),
        ),
        # the standby's record lost its health check
        (
            (record("PRIMARY", EAST_LB), record("SECONDARY", WEST_LB, health=None)),
            "health_check",
            ("present", "absent"),
        ),
    ],
)
def test_inconsistent_records_differ(records: tuple[Record, ...], attribute: str, expected: tuple[str, str]) -> None:
    primary, standby = states(*records)
    key = "record:www.example.internal"
    assert (primary[key][attribute], standby[key][attribute]) == expected


def test_a_missing_record_leaves_the_region_without_one() -> None:
    primary, standby = states(record("PRIMARY", EAST_LB))
    assert "record:www.example.internal" in primary and standby == {}


def group(in_service: int, *, primary_desired: int = 4, standby_max: int = 8, vcpus: int | None = 2) -> GroupFacts:
    return GroupFacts(
        primary_desired=primary_desired,
        standby_in_service=in_service,
        standby_desired=in_service,
        standby_max=standby_max,
        expected=Capacity(min_size=1, max_size=8, desired_capacity=1),
        vcpus_per_instance=vcpus,
    )


def facts(**overrides: Any) -> ReadinessFacts:
    values: dict[str, Any] = {
        "standby_region": "us-west-2",
        "lag_bound": 60.0,
        "replica_lags": {"webapp-db": 3.0},
        "groups": {"web": group(1)},
        "vcpu_quota": 32.0,
        "vcpus_in_use": 2,
        "snapshot": SnapshotFacts(previous_age=120.0, refreshed=True),
    }
    values.update(overrides)
    return ReadinessFacts(**values)


def verdicts(found: ReadinessFacts) -> dict[tuple[str, str], str]:
    return {(f.resource, f.attribute): f.status for f in evaluate(found)}


def test_a_ready_standby_has_only_ok_findings() -> None:
    assert verdicts(facts()) == {
        ("database:webapp-db", "replica_lag_seconds"): "ok",
        ("capacity:web", "in_service"): "ok",
        ("capacity:web", "max_size"): "ok",
        ("quota:ec2/L-1216C47A", "vcpu_headroom"): "ok",
        ("capacity_snapshot", "age_seconds"): "ok",
    }


@pytest.mark.parametrize(
    ("overrides", "key", "status"),
    [
        ({"replica_lags": {"webapp-db": 61.0}}, ("database:webapp-db", "replica_lag_seconds"), "drift"),
        ({"replica_lags": {"webapp-db": None}}, ("database:webapp-db", "replica_lag_seconds"), "unknown"),
        ({"replica_lags": {}, "not_replicas": ("webapp-db",)}, ("database:webapp-db", "replication"), "drift"),
        ({"groups": {"web": group(0)}}, ("capacity:web", "in_service"), "drift"),
        ({"groups": {"web": group(1, standby_max=2)}}, ("capacity:web", "max_size"), "drift"),
        # scaling 1 -> 4 instances of 2 vCPUs needs 6; 32 - 28 in use leaves 4
        ({"vcpus_in_use": 28}, ("quota:ec2/L-1216C47A", "vcpu_headroom"), "drift"),
        (
            {"vcpu_quota": None, "vcpu_quota_error": "AccessDeniedException"},
            ("quota:ec2/L-1216C47A", "vcpu_headroom"),
            "unknown",
        ),
        (
            {"snapshot": SnapshotFacts(previous_age=90000.0, refreshed=False, error="AccessDenied")},
            ("capacity_snapshot", "age_seconds"),
            "drift",
        ),
        (
            {"snapshot": SnapshotFacts(previous_age=600.0, refreshed=False, error="AccessDenied")},
            ("capacity_snapshot", "age_seconds"),
            "ok",
        ),
        (
            {"snapshot": SnapshotFacts(previous_age=None, refreshed=False, error="AccessDenied")},
            ("capacity_snapshot", "age_seconds"),
            "drift",
        ),
    ],
)
def test_each_readiness_problem_is_judged(overrides: dict[str, Any], key: tuple[str, str], status: str) -> None:
    assert verdicts(facts(**overrides))[key] == status


def test_lag_beyond_the_rpo_names_the_objective_and_the_measurement() -> None:
    lag = next(f for f in evaluate(facts(replica_lags={"webapp-db": 300.0})) if f.attribute == "replica_lag_seconds")
    assert (lag.actual, lag.expected, lag.rule, lag.region) == (300.0, "<= 60", "objectives.rpo_seconds", "us-west-2")
    assert lag.reason == "replica lag 300s exceeds 60s"


def test_unknown_quota_says_why_and_what_is_needed() -> None:
    quota = next(
        f
        for f in evaluate(facts(vcpu_quota=None, vcpu_quota_error="NoSuchResourceException"))
        if f.resource.startswith("quota")
    )
    assert quota.status == "unknown"
    assert quota.reason == "quota headroom unknown (NoSuchResourceException); scaling out needs 6 more vCPUs"
