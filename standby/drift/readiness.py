"""Readiness of the standby to take over: replica lag vs the RPO, capacity present, room to scale, a fresh
capacity snapshot. Facts are gathered by ``gather`` (I/O); ``evaluate`` judges them (pure, table-tested).

A fact that cannot be read (no ReplicaLag datapoint, no quota answer) is an ``unknown`` finding, never a crash.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from standby import judgements as j
from standby import probes
from standby.aws import ec2, servicequotas
from standby.aws.errors import error_code
from standby.aws.session import SessionFactory
from standby.capacity import standby_capacity
from standby.config.schema import Capacity, Config
from standby.drift.inventory import RegionInventory
from standby.drift.model import Finding
from standby.report.parts import RPO_NOT_APPLICABLE
from standby.state import GroupRef, Manifest, RegionResources, RegionState, observe_capacity

log = logging.getLogger(__name__)

QUOTA = servicequotas.EC2_STANDARD_VCPU_QUOTA


@dataclass(frozen=True)
class GroupFacts:
    primary_desired: int | None
    standby_in_service: int | None
    standby_desired: int | None
    standby_max: int | None
    expected: Capacity  # the standby's capacity as [capacity] and [scale] declare it
    vcpus_per_instance: int | None  # of the standby's instance type


@dataclass(frozen=True)
class SnapshotFacts:
    previous_age: float | None  # seconds; None when no snapshot was recorded before
    refreshed: bool
    error: str = ""


@dataclass(frozen=True)
class ReadinessFacts:
    standby_region: str
    lag_bound: float
    replica_lags: Mapping[str, float | None] = field(default_factory=dict)  # standby db -> seconds (None: no data)
    not_replicas: tuple[str, ...] = ()  # standby databases that replicate from nothing
    primary_databases: tuple[str, ...] = ()  # the primary's databases, each owed a replica in the standby region
    groups: Mapping[str, GroupFacts] = field(default_factory=dict)
    vcpu_quota: float | None = None
    vcpu_quota_error: str = ""
    vcpus_in_use: int | None = None
    snapshot: SnapshotFacts | None = None
    snapshot_max_age: float = 86400.0


def _finding(status: str, resource: str, attribute: str, region: str, **values: object) -> Finding:
    return Finding(check="readiness", resource=resource, attribute=attribute, status=status, region=region, **values)  # type: ignore[arg-type]


def _replication_findings(facts: ReadinessFacts) -> list[Finding]:
    """Without any database the replica lag does not apply (one ``ok`` finding says so); a primary database
    without a replica in the standby region is drift."""
    region = facts.standby_region
    standby = (*facts.replica_lags, *facts.not_replicas)
    if not facts.primary_databases and not standby:
        reason = f"RPO {RPO_NOT_APPLICABLE}: no database, no replica lag to check"
        na = "not applicable"
        return [_finding("ok", "databases", "replica_lag_seconds", region, expected=na, actual=na, reason=reason)]
    unreplicated = j.unreplicated_databases(facts.primary_databases, standby)
    if not unreplicated:
        return []
    reason = (
        "the primary's database has no replica in the standby region: a failover would lose its data "
        f"(see {j.STACK_CONTRACT})"
    )
    return [_not_replicated(db, region, "no replica", reason) for db in unreplicated]


def _not_replicated(db: str, region: str, actual: str, reason: str) -> Finding:
    """Drift: a database the standby region should hold as a read replica of the primary's, and does not."""
    return _finding(
        "drift",
        f"database:{db}",
        "replication",
        region,
        expected="read replica of the primary",
        actual=actual,
        reason=reason,
    )


def evaluate(facts: ReadinessFacts) -> list[Finding]:
    region = facts.standby_region
    out: list[Finding] = _replication_findings(facts)
    bound = f"<= {facts.lag_bound:g}"
    for db, lag in sorted(facts.replica_lags.items()):
        resource = f"database:{db}"
        verdict = j.replica_lag(lag, facts.lag_bound)
        if lag is None or verdict == j.Lag.UNKNOWN:
            reason = "no ReplicaLag datapoint in the last 15 minutes: replication cannot be judged"
            out.append(_finding("unknown", resource, "replica_lag_seconds", region, expected=bound, reason=reason))
            continue
        status = "drift" if verdict == j.Lag.BREACH else "ok"
        out.append(
            _finding(
                status,
                resource,
                "replica_lag_seconds",
                region,
                standby=lag,
                expected=bound,
                actual=lag,
                rule="objectives.rpo_seconds",
                reason=f"replica lag {lag:g}s {'exceeds' if status == 'drift' else 'is within'} {facts.lag_bound:g}s",
            )
        )
    for db in facts.not_replicas:
        reason = "the standby's database replicates from nothing: a failover would lose data"
        out.append(_not_replicated(db, region, "not a replica", reason))
    needed_vcpus = 0
    for group, g in sorted(facts.groups.items()):
        resource = f"capacity:{group}"
        if g.standby_in_service is None:
            out.append(
                _finding("drift", resource, "in_service", region, expected="a group", reason="no auto scaling group")
            )
            continue
        want = g.expected.desired_capacity
        ok = j.in_service_ready(g.standby_in_service, want).ready
        out.append(
            _finding(
                "ok" if ok else "drift",
                resource,
                "in_service",
                region,
                standby=g.standby_in_service,
                expected=f">= {want}",
                actual=g.standby_in_service,
                rule="scale",
                reason=f"{g.standby_in_service} instance(s) in service, the warm standby keeps {want}",
            )
        )
        if g.primary_desired is not None and g.standby_max is not None:
            fits = g.standby_max >= g.primary_desired
            out.append(
                _finding(
                    "ok" if fits else "drift",
                    resource,
                    "max_size",
                    region,
                    primary=g.primary_desired,
                    standby=g.standby_max,
                    expected=f">= {g.primary_desired}",
                    actual=g.standby_max,
                    reason="max_size must let a failover scale out to the primary's desired capacity",
                )
            )
        if g.primary_desired is not None and g.standby_desired is not None and g.vcpus_per_instance:
            needed_vcpus += max(0, g.primary_desired - g.standby_desired) * g.vcpus_per_instance
    out.append(_quota_finding(facts, needed_vcpus))
    if facts.snapshot is not None:
        out.append(_snapshot_finding(facts))
    return out


def _quota_finding(facts: ReadinessFacts, needed: int) -> Finding:
    resource = f"quota:{QUOTA[0]}/{QUOTA[1]}"
    if facts.vcpu_quota is None or facts.vcpus_in_use is None:
        why = facts.vcpu_quota_error or "Service Quotas gave no value"
        return _finding(
            "unknown",
            resource,
            "vcpu_headroom",
            facts.standby_region,
            expected=f">= {needed}",
            reason=f"quota headroom unknown ({why}); scaling out needs {needed} more vCPUs",
        )
    headroom = facts.vcpu_quota - facts.vcpus_in_use
    ok = headroom >= needed
    return _finding(
        "ok" if ok else "drift",
        resource,
        "vcpu_headroom",
        facts.standby_region,
        standby=headroom,
        expected=f">= {needed}",
        actual=headroom,
        reason=f"quota {facts.vcpu_quota:g} vCPUs, {facts.vcpus_in_use} in use; scaling out needs {needed} more",
    )


def _snapshot_finding(facts: ReadinessFacts) -> Finding:
    snap = facts.snapshot
    assert snap is not None
    limit = facts.snapshot_max_age
    before = "none recorded before" if snap.previous_age is None else f"previous one {snap.previous_age:.0f}s old"
    if snap.refreshed:
        return _finding(
            "ok",
            "capacity_snapshot",
            "age_seconds",
            facts.standby_region,
            expected=f"<= {limit:g}",
            actual=0,
            rule="failover.snapshot_max_age_seconds",
            reason=f"refreshed by this run ({before})",
        )
    stale = snap.previous_age is None or snap.previous_age > limit
    return _finding(
        "drift" if stale else "ok",
        "capacity_snapshot",
        "age_seconds",
        facts.standby_region,
        expected=f"<= {limit:g}",
        actual=None if snap.previous_age is None else round(snap.previous_age),
        rule="failover.snapshot_max_age_seconds",
        reason=f"could not be refreshed ({snap.error}); {before}",
    )


# -- I/O --------------------------------------------------------------------------------------------------------


def _describe(err: BaseException) -> str:
    return error_code(err) or type(err).__name__


def gather(
    sessions: SessionFactory,
    config: Config,
    primary: RegionInventory,
    standby: RegionInventory,
    state: RegionState | None,
    *,
    clock: Callable[[], float],
    account: str | None = None,
) -> ReadinessFacts:
    """Read the facts concurrently: replica lags, instance sizes, the quota and its use, the snapshot refresh."""
    region = standby.region
    ec2_client = sessions.client("ec2", region, account)
    types = sorted({t.instance_type for t in standby.templates.values() if t.instance_type})
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix=f"readiness-{region}") as pool:
        lags_f = pool.submit(_replica_lags, sessions.client("cloudwatch", region, account), standby, clock)
        vcpus_f = pool.submit(ec2.vcpus_of, ec2_client, types)
        quota_f = pool.submit(_quota, sessions, ec2_client, region, account)
        snapshot_f = pool.submit(refresh_snapshot, sessions, primary, state, clock) if state is not None else None
        lags, not_replicas = lags_f.result()
        vcpus = vcpus_f.result() if types else {}
        quota, quota_error, in_use = quota_f.result()
        snapshot = snapshot_f.result() if snapshot_f is not None else None
    groups: dict[str, GroupFacts] = {}
    for group, declared in config.capacity.items():
        s_spec, p_spec = standby.groups.get(group), primary.groups.get(group)
        template = standby.templates.get(group)
        groups[group] = GroupFacts(
            primary_desired=p_spec.state.desired_capacity if p_spec else None,
            standby_in_service=s_spec.state.in_service if s_spec else None,
            standby_desired=s_spec.state.desired_capacity if s_spec else None,
            standby_max=s_spec.state.max_size if s_spec else None,
            expected=standby_capacity(declared, config.scale),
            vcpus_per_instance=vcpus.get(template.instance_type or "") if template else None,
        )
    return ReadinessFacts(
        standby_region=region,
        lag_bound=float(config.drift.replica_lag_max_seconds or config.objectives.rpo_seconds),
        replica_lags=lags,
        not_replicas=not_replicas,
        primary_databases=tuple(db.identifier for db in primary.databases),
        groups=groups,
        vcpu_quota=quota,
        vcpu_quota_error=quota_error,
        vcpus_in_use=in_use,
        snapshot=snapshot,
        snapshot_max_age=float(config.failover.snapshot_max_age_seconds),
    )


def _replica_lags(
    client: Any, standby: RegionInventory, clock: Callable[[], float]
) -> tuple[dict[str, float | None], tuple[str, ...]]:
    now = clock()
    lags: dict[str, float | None] = {}
    not_replicas: list[str] = []
    for db in standby.databases:
        if db.replica_source is None:
            not_replicas.append(db.identifier)
            continue
        lags[db.identifier] = probes.read_replica_lag(client, db.identifier, now)
    return lags, tuple(not_replicas)


def _quota(
    sessions: SessionFactory, ec2_client: Any, region: str, account: str | None
) -> tuple[float | None, str, int | None]:
    """(the vCPU quota, why it is unknown, vCPUs in use); a quota that cannot be read is unknown, not an error."""
    reading = probes.read_vcpu_quota(sessions.client("service-quotas", region, account), region)
    if reading.value is None:
        return None, reading.problem, None
    quota = reading.value
    running = ec2.running_instance_types(ec2_client)
    known = ec2.vcpus_of(ec2_client, sorted(running)) if running else {}
    return quota, "", sum(count * known.get(kind, 0) for kind, count in running.items())


def refresh_snapshot(
    sessions: SessionFactory, primary: RegionInventory, state: RegionState, clock: Callable[[], float]
) -> SnapshotFacts:
    """Record the primary's capacity now in the standby's control store; report how old the previous one was."""
    previous_age: float | None = None
    try:
        previous = state.capacity_snapshot()
        previous_age = previous.age(clock()) if previous else None
        manifest = Manifest(
            project=state.store.project,
            written_at=clock(),
            regions={
                primary.region: RegionResources(
                    region=primary.region,
                    groups={
                        group: GroupRef(autoscaling_group=spec.state.name) for group, spec in primary.groups.items()
                    },
                )
            },
        )
        snapshot = observe_capacity(sessions, primary.region, manifest)
        if not snapshot.groups:
            return SnapshotFacts(previous_age, False, "the primary has no auto scaling group to observe")
        state.save_capacity_snapshot(snapshot)
    except (ClientError, BotoCoreError) as err:
        log.warning("capacity snapshot not refreshed: %s", err)
        return SnapshotFacts(previous_age, False, f"{_describe(err)}")
    return SnapshotFacts(None if previous_age is None else math.floor(previous_age), True)
