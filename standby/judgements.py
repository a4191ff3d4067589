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


class Promotion(Enum):
    REPLICA = "replica"
    PROMOTING = "promoting"
    PROMOTED = "promoted"


def promotion_state(db: DbInstance) -> Promotion:
    """Judge a database's promotion from the instance as AWS describes it, and nothing else.

    - PROMOTED: ``available`` and no longer a replica (AWS clears the replica link when a promotion ends).
    - REPLICA: ``available`` and still a replica: a promote call is due. This holds also after a promote call
      that AWS accepted but has not yet acted on (it moves the instance to ``modifying`` a moment later), so
      the waits after a promote call keep waiting on it rather than calling again.
    - PROMOTING: not ``available`` (``modifying``, ``rebooting``, ...). A replica in such a state is waited on,
      whatever the cause: a promotion in flight, or another change. If it comes back ``available`` and still a
      replica, it was not a promotion, and the promote is issued (again).

    Standby's own record of having called promote counts for nothing here: a refused or unfinished promotion
    must never be reported as promoted.
    """
    if db.status != "available":
        return Promotion.PROMOTING
    return Promotion.REPLICA if db.is_replica else Promotion.PROMOTED


STACK_CONTRACT = "docs/stacks.md"  # what a stack owes standby: its outputs, and the standby's databases as replicas


def unreplicated_databases(primary: Sequence[str], replicas: Sequence[str]) -> tuple[str, ...]:
    """The primary's databases that have no replica in the standby region: the standby needs one replica per
    primary database. Replicas are paired by identifier where they share it (the bundled stack names both alike);
    the ones left over are named, or all of the primary's when none pairs."""
    if len(replicas) >= len(primary):
        return ()
    unpaired = tuple(db for db in primary if db not in replicas)
    return unpaired or tuple(primary)


def unreplicated_problem(databases: Sequence[str], primary: str, standby: str) -> str:
    """Why a run is refused when the primary's ``databases`` have no replica in ``standby``."""
    names = ", ".join(databases)
    return (
        f"database {names} in {primary} has no replica in {standby}: a failover there would lose its data "
        f"(the region stack must make the standby's instance a replica of the primary's, e.g. replicate_source_db "
        f"set in the standby role; see {STACK_CONTRACT})"
    )


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


def in_service_ready(in_service: int, desired: int) -> Readiness:
    """Enough instances in service: the part of capacity readiness that drift readiness judges too."""
    if in_service < desired:
        return Readiness(False, f"{in_service}/{desired} instances in service")
    return Readiness(True, f"{in_service} in service")


def capacity_ready(group: GroupState, desired: int, healthy_targets: int | None) -> Readiness:
    """Ready when the group has reached the desired capacity in service, and its targets are healthy."""
    if group.desired_capacity < desired:
        return Readiness(False, f"desired capacity is {group.desired_capacity}, expected {desired}")
    serving = in_service_ready(group.in_service, desired)
    if not serving.ready:
        return serving
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
    records: Iterable[Record],
    names: Iterable[str],
    activate: str,
    regions: Sequence[str],
    *,
    evict: Sequence[str] = (),
    restore: Iterable[dict[str, Any]] = (),
) -> list[dict[str, Any]]:
    """The changes (one batch) that send every service record's traffic to ``activate``; empty when it already does.

    Failover records: the activated region's record becomes PRIMARY and the others SECONDARY. Weighted records: the
    activated region's weight becomes 100 and the others 0. The regions in ``evict`` lose their records instead: a
    demoted region must be neither a live SECONDARY nor a zero-weight fallback that Route53 could send users back
    to. ``restore`` are record sets deleted that way earlier; those of ``activate`` come back (PRIMARY, or weight 100).
    """
    wanted = {normalize_name(n) for n in names}
    records = list(records)
    present = {(normalize_name(r.name), r.type, r.set_identifier) for r in records}
    changes: list[dict[str, Any]] = []
    for doc in restore:
        key = (normalize_name(doc.get("Name", "")), doc.get("Type"), doc.get("SetIdentifier"))
        if key[0] in wanted and key[2] == activate and key not in present:
            back = copy.deepcopy(doc)
            back.update({"Failover": "PRIMARY"} if "Failover" in back else {"Weight": 100} if "Weight" in back else {})
            changes.append({"Action": "UPSERT", "ResourceRecordSet": back})
    for record in records:
        region = _record_region(record, regions)
        if normalize_name(record.name) not in wanted or region is None:
            continue
        doc = copy.deepcopy(record.raw)
        if (record.failover is not None or record.weight is not None) and region in evict and region != activate:
            changes.append({"Action": "DELETE", "ResourceRecordSet": doc})
            continue
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


# Route53 considers an endpoint healthy when more than this share of its health checkers report it healthy.
HEALTHY_CHECKER_SHARE = 0.18


def health_check_healthy(successes: Sequence[bool]) -> bool | None:
    """Route53's verdict on a health check from its checkers' reports (True: Success); None when none reported."""
    if not successes:
        return None
    return sum(1 for s in successes if s) / len(successes) > HEALTHY_CHECKER_SHARE


def demoted_eligible(
    records: Iterable[Record], names: Iterable[str], demote: str, health: dict[str, bool | None]
) -> list[str]:
    """Why the demoted region could still be answered for a service name; empty when it cannot.

    Route53 may answer with a record while its health check is healthy, and always with one that has none (a
    failover SECONDARY, a weight-0 record: the fallback when the others fail). So the demoted region is
    ineligible only when it has no record for the name or its record's health check reports unhealthy.
    ``health``: health check id -> its verdict (None: unknown, which proves nothing).
    """
    wanted = {normalize_name(n) for n in names}
    problems: list[str] = []
    for record in records:
        if normalize_name(record.name) not in wanted or record.set_identifier != demote:
            continue
        label = f"{record.name} ({record.routing}, {demote})"
        if record.health_check_id is None:
            problems.append(f"{label} has no health check: Route53 can still answer with it")
        elif health.get(record.health_check_id) is not False:
            verdict = "healthy" if health.get(record.health_check_id) else "of unknown status"
            problems.append(f"{label}: its health check {record.health_check_id} is {verdict}")
    return problems


@dataclass(frozen=True)
class TargetCount:
    healthy: int  # healthy targets that are InService instances of the group
    ignored: int  # healthy targets that are not (left over from earlier instances, or another group's)


def healthy_in_service(in_service_ids: Iterable[str], targets: Iterable[tuple[str, str]]) -> TargetCount:
    """Count a target group's healthy targets (id, state) that are the group's InService instances, once each."""
    mine = set(in_service_ids)
    healthy = {target_id for target_id, state in targets if state == "healthy"}
    return TargetCount(healthy=len(healthy & mine), ignored=len(healthy - mine))


def targets_ready(group: str, target_group_arn: str, count: TargetCount, desired: int) -> Readiness:
    """Ready when at least ``desired`` of the group's InService instances are healthy targets."""
    name = target_group_arn.rsplit(":", 1)[-1]
    extra = f" ({count.ignored} other healthy target(s) not counted)" if count.ignored else ""
    if count.healthy < desired:
        return Readiness(False, f"{group}: {count.healthy}/{desired} in-service instances healthy in {name}{extra}")
    return Readiness(True, f"{group}: {count.healthy} in-service instances healthy in {name}{extra}")


def capacity_key_problems(region: str, declared: Iterable[str], found: Iterable[str]) -> list[str]:
    """What refuses a run when the ``[capacity.*]`` names and the stack's groups differ: a failover would scale the
    groups it finds to capacities it has no name for, and leave the declared ones unscaled. Empty when they match."""
    declared, found = sorted(set(declared)), sorted(set(found))
    missing = [name for name in declared if name not in found]
    extra = [name for name in found if name not in declared]
    if not missing and not extra:
        return []
    parts = []
    if missing:
        parts.append(f"no auto scaling group for [capacity.{'], [capacity.'.join(missing)}]")
    if extra:
        parts.append(f"group(s) {', '.join(extra)} found but not declared in [capacity.*]")
    return [
        f"the [capacity.*] groups ({', '.join(declared) or 'none'}) do not match the stack's groups in {region} "
        f"({', '.join(found) or 'none found'}): {'; '.join(parts)}. Rename the [capacity.*] sections, tag each "
        'auto scaling group standby:group = "NAME", or map autoscaling_group_names in [stacks.NAME.outputs] '
        "(`standby inspect` shows what was found; docs/stacks.md)"
    ]
