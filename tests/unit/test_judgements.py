"""Pure judgements: promotion, capacity readiness, Route53 changes that move traffic."""

from __future__ import annotations

import pytest

from standby import judgements as j
from standby.aws.autoscaling import GroupState
from standby.aws.rds import DbInstance
from standby.aws.route53 import Record
from standby.config.schema import Capacity


def db(status="available", source: str | None = "arn:aws:rds:us-east-1:1:db:app") -> DbInstance:
    return DbInstance("app", "arn:aws:rds:us-west-2:1:db:app", status, "postgres", "15", "db.t3.micro", source, ())


@pytest.mark.parametrize(
    ("status", "source", "expected"),
    [
        # available: the replica link decides
        ("available", None, j.Promotion.PROMOTED),  # link gone: AWS ended the promotion
        ("available", "arn:aws:rds:us-east-1:1:db:app", j.Promotion.REPLICA),  # cross-region link (an ARN)
        ("available", "app-source", j.Promotion.REPLICA),  # same-region link (an identifier)
        # not available: waited on, whatever the link says
        ("modifying", "arn:aws:rds:us-east-1:1:db:app", j.Promotion.PROMOTING),  # a promotion's first phase
        ("rebooting", "arn:aws:rds:us-east-1:1:db:app", j.Promotion.PROMOTING),
        ("modifying", None, j.Promotion.PROMOTING),  # a promotion's last phase: link gone, not yet available
        ("rebooting", None, j.Promotion.PROMOTING),
        ("backing-up", "arn:aws:rds:us-east-1:1:db:app", j.Promotion.PROMOTING),  # another change: waited on too
        ("creating", "arn:aws:rds:us-east-1:1:db:app", j.Promotion.PROMOTING),
        ("", "arn:aws:rds:us-east-1:1:db:app", j.Promotion.PROMOTING),  # no status reported: not available
    ],
)
def test_promotion_state_is_judged_from_the_instance_alone(status, source, expected) -> None:
    assert j.promotion_state(db(status=status, source=source)) == expected


def test_promotion_state_takes_nothing_but_the_instance() -> None:
    """No record of a promote call can make a replica count as promoted: the judgement has no such input."""
    with pytest.raises(TypeError):
        j.promotion_state(db(), 100.0, 1_000_000.0, 0.0)  # type: ignore[call-arg]
    assert not hasattr(j, "PROMOTION_REQUESTED_AT")


def group(desired=4, in_service=4, healthy=4) -> GroupState:
    return GroupState("web", 1, 8, desired, in_service, healthy, in_service)


@pytest.mark.parametrize(
    ("state", "targets", "ready", "reason"),
    [
        (group(), 4, True, "4 in service, 4 healthy"),
        (group(desired=1), None, False, "desired capacity is 1, expected 4"),
        (group(in_service=2), None, False, "2/4 instances in service"),
        (group(healthy=3), None, False, "3/4 instances healthy"),
        (group(), 3, False, "3/4 load balancer targets healthy"),
    ],
)
def test_capacity_ready(state, targets, ready, reason) -> None:
    assert j.capacity_ready(state, 4, targets) == j.Readiness(ready, reason)


def test_scale_to_keeps_max_wide_enough() -> None:
    current = Capacity(min_size=1, max_size=8, desired_capacity=1)
    assert j.scale_to(current, Capacity(min_size=2, max_size=6, desired_capacity=4)) == Capacity(
        min_size=2, max_size=8, desired_capacity=4
    )
    assert j.scale_to(current, Capacity(min_size=2, max_size=10, desired_capacity=10)).max_size == 10


def rec(name, region, failover=None, weight=None) -> Record:
    raw = {"Name": name, "Type": "A", "SetIdentifier": region, "AliasTarget": {"DNSName": f"lb.{region}"}}
    if failover:
        raw["Failover"] = failover
    if weight is not None:
        raw["Weight"] = weight
    return Record(name, "A", region, failover, weight, None, (), f"lb.{region}", None, raw)


REGIONS = ("us-west-2", "us-east-1")


def test_failover_records_swap_primary_and_secondary_in_one_batch() -> None:
    records = [
        rec("www.example.", "us-east-1", failover="PRIMARY"),
        rec("www.example.", "us-west-2", failover="SECONDARY"),
        rec("api.example.", "us-east-1", failover="PRIMARY"),
        rec("api.example.", "us-west-2", failover="SECONDARY"),
        rec("other.example.", "us-east-1", failover="PRIMARY"),
    ]
    changes = j.traffic_changes(records, ["www.example", "api.example."], "us-west-2", REGIONS)
    assert [
        (c["ResourceRecordSet"]["Name"], c["ResourceRecordSet"]["SetIdentifier"], c["ResourceRecordSet"]["Failover"])
        for c in changes
    ] == [
        ("www.example.", "us-east-1", "SECONDARY"),
        ("www.example.", "us-west-2", "PRIMARY"),
        ("api.example.", "us-east-1", "SECONDARY"),
        ("api.example.", "us-west-2", "PRIMARY"),
    ]
    assert all(c["Action"] == "UPSERT" for c in changes)
    assert changes[0]["ResourceRecordSet"]["AliasTarget"] == {"DNSName": "lb.us-east-1"}
    assert records[0].raw["Failover"] == "PRIMARY"  # the observed records are not modified


def test_weighted_records_flip_weights() -> None:
    records = [rec("www.example.", "us-east-1", weight=100), rec("www.example.", "us-west-2", weight=0)]
    changes = j.traffic_changes(records, ["www.example."], "us-west-2", REGIONS)
    assert [(c["ResourceRecordSet"]["SetIdentifier"], c["ResourceRecordSet"]["Weight"]) for c in changes] == [
        ("us-east-1", 0),
        ("us-west-2", 100),
    ]


def test_no_changes_when_traffic_is_already_there() -> None:
    records = [
        rec("www.example.", "us-east-1", failover="SECONDARY"),
        rec("www.example.", "us-west-2", failover="PRIMARY"),
    ]
    assert j.traffic_changes(records, ["www.example."], "us-west-2", REGIONS) == []
    assert j.traffic_target(records, ["www.example."], REGIONS) == {"www.example.": "us-west-2"}


def test_traffic_target_unknown_when_split() -> None:
    records = [rec("www.example.", "us-east-1", weight=50), rec("www.example.", "us-west-2", weight=50)]
    assert j.traffic_target(records, ["www.example."], REGIONS) == {"www.example.": None}
