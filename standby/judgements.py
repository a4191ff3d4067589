"""Pure decisions about observed state, each in one place: is a database promoted, is capacity ready, is the
replica lag within the RPO, does the quota leave room, which Route53 changes move traffic.

No I/O here: ``standby.probes`` pairs each with its one read, and failover, drills and drift readiness all call
the same functions.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from standby.aws.autoscaling import GroupState
from standby.aws.rds import DbInstance
from standby.aws.route53 import Record, normalize_name
from standby.config.schema import Capacity
from standby.state.notes import PRIOR_CAPACITY as PRIOR_CAPACITY
from standby.state.notes import PROMOTION_REQUESTED_AT as PROMOTION_REQUESTED_AT


class Promotion(Enum):
    REPLICA = "replica"
    PROMOTING = "promoting"
    PROMOTED = "promoted"


def promotion_state(db: DbInstance, requested_at: float | None, now: float, settle_seconds: float) -> Promotion:
    """Judge a database's promotion from the API and standby's own record of the promote call.

    The API is authoritative when it says the instance is no longer a replica. Some endpoints (the emulator
    among them) keep reporting the replica link after a promotion: once our promote call is recorded and the
    instance has stayed available for the settle period, the recorded call wins.
    """
    if db.status != "available":
        return Promotion.PROMOTING if requested_at is not None or not db.is_replica else Promotion.REPLICA
    if not db.is_replica:
        return Promotion.PROMOTED
    if requested_at is None:
        return Promotion.REPLICA
    return Promotion.PROMOTED if now - requested_at >= settle_seconds else Promotion.PROMOTING


class Lag(Enum):
    UNKNOWN = "unknown"  # no datapoint: the data a promotion would lose cannot be judged
    WITHIN = "within"
    BREACH = "breach"


def replica_lag(lag: float | None, rpo_seconds: float) -> Lag:
    """Judge a replica's lag against the RPO."""
    if lag is None:
        return Lag.UNKNOWN
    return Lag.BREACH if lag > rpo_seconds else Lag.WITHIN


def quota_allows(needed_vcpus: int, quota: float | None) -> bool | None:
    """Whether ``needed_vcpus`` fit the vCPU quota; None when the quota is unknown."""
    return None if quota is None else needed_vcpus <= quota


@dataclass(frozen=True)
class Readiness:
    ready: bool
    reason: str
    found: bool = True  # False: the group does not exist (waiting will not help)


def capacity_ready(group: GroupState, desired: int, healthy_targets: int | None) -> Readiness:
    """Ready when the group has reached the desired capacity in service, and its targets are healthy."""
    if group.desired_capacity < desired:
        return Readiness(False, f"desired capacity is {group.desired_capacity}, expected {desired}")
    if group.in_service < desired:
        return Readiness(False, f"{group.in_service}/{desired} instances in service")
    if group.healthy < desired:
        return Readiness(False, f"{group.healthy}/{desired} instances healthy")
    if healthy_targets is not None and healthy_targets < desired:
        return Readiness(False, f"{healthy_targets}/{desired} load balancer targets healthy")
    return Readiness(True, f"{group.in_service} in service, {healthy_targets or group.healthy} healthy")


def group_capacity(group: GroupState) -> Capacity:
    return Capacity(min_size=group.min_size, max_size=group.max_size, desired_capacity=group.desired_capacity)


def scale_to(current: Capacity, target: Capacity) -> Capacity:
    """The capacity to set: the target's min and desired, a max wide enough for both."""
    return Capacity(
        min_size=target.min_size,
        max_size=max(current.max_size, target.max_size, target.desired_capacity),
        desired_capacity=target.desired_capacity,
    )


def _record_region(record: Record, regions: Sequence[str]) -> str | None:
    """The region a service record sends traffic to: its set identifier names it."""
    return record.set_identifier if record.set_identifier in regions else None


def traffic_changes(
    records: Iterable[Record], names: Iterable[str], activate: str, regions: Sequence[str]
) -> list[dict[str, Any]]:
    """UPSERTs that send every service record's traffic to ``activate``; empty when it already does.

    Failover records: the activated region's record becomes PRIMARY and the others SECONDARY.
    Weighted records: the activated region's weight becomes 100 and the others 0.
    """
    wanted = {normalize_name(n) for n in names}
    changes: list[dict[str, Any]] = []
    for record in records:
        region = _record_region(record, regions)
        if normalize_name(record.name) not in wanted or region is None:
            continue
        doc = copy.deepcopy(record.raw)
        if record.failover is not None:
            desired = "PRIMARY" if region == activate else "SECONDARY"
            if record.failover == desired:
                continue
            doc["Failover"] = desired
        elif record.weight is not None:
            desired_weight = 100 if region == activate else 0
            if record.weight == desired_weight:
                continue
            doc["Weight"] = desired_weight
        else:
            continue
        changes.append({"Action": "UPSERT", "ResourceRecordSet": doc})
    return changes


def traffic_target(records: Iterable[Record], names: Iterable[str], regions: Sequence[str]) -> dict[str, str | None]:
    """For each service name, the region its traffic goes to now (None when split or unknown)."""
    wanted = {normalize_name(n) for n in names}
    result: dict[str, str | None] = {n: None for n in wanted}
    for name in wanted:
        mine = [r for r in records if normalize_name(r.name) == name and _record_region(r, regions)]
        primaries = [r for r in mine if r.failover == "PRIMARY"]
        weighted = [r for r in mine if r.weight]
        chosen = primaries or weighted
        if len(chosen) == 1:
            result[name] = chosen[0].set_identifier
    return result
