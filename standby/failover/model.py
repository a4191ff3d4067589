"""The failover plan: small frozen steps with dependencies, and the observation they were planned from."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Self

from standby.aws.autoscaling import GroupState
from standby.aws.rds import DbInstance
from standby.aws.route53 import Record
from standby.config.schema import Capacity
from standby.state.journal import PREFLIGHT as PREFLIGHT  # the journal and the run reports read these by slug
from standby.state.journal import PROMOTE_DB as PROMOTE_DB
from standby.state.journal import SCALE_OUT as SCALE_OUT
from standby.state.journal import SHIFT_TRAFFIC as SHIFT_TRAFFIC  # the journal ends the RTO with these two
from standby.state.journal import VERIFY as VERIFY
from standby.state.journal import WAIT_HEALTHY as WAIT_HEALTHY
from standby.state.manifest import CapacitySnapshot
from standby.state.roles import Assignment

# One slug per step kind, the same in plan output, logs, the journal and the JSON.
FENCE_PRIMARY = "fence-primary"
FENCE_WRITES = "fence-writes"
RESTORE_WRITES = "restore-writes"
DRAIN = "drain"
SCALE_IN = "scale-in"
RESEED_DB = "reseed-db"
RECORD = "record"


@dataclass(frozen=True, kw_only=True)
class Step:
    """What every step of a plan has; the executor runs each kind by its handler and journals it by ``key``."""

    key: str  # unique in a plan, e.g. "scale-out:web"
    slug: str
    region: str
    depends_on: tuple[str, ...] = ()
    intent: str = ""  # what the step will do, for people
    nochange: bool = False  # the observation shows it done already
    skip_reason: str = ""  # planned as skipped (e.g. the region is unreachable)

    @classmethod
    def of(cls, slug: str, region: str, *, per: str | None = None, **own: Any) -> Self:
        """A ``slug`` step in ``region``, keyed by its slug, or ``slug:per`` when a plan holds one per group,
        database or region: the one rule by which the journal, the reports and ``depends_on`` name steps. ``own``:
        the other fields (``depends_on``, ``intent``, … and the kind's own)."""
        return cls(key=slug if per is None else f"{slug}:{per}", slug=slug, region=region, **own)

    def to_dict(self) -> dict[str, Any]:
        """The fields every step has (its kind's own fields are the planner's business), as the journal keeps them."""
        common = {f.name: getattr(self, f.name) for f in fields(Step)}
        return {**common, "depends_on": list(self.depends_on)}

    def describe(self) -> str:
        if self.nochange:
            return "skipped: nochange"
        if self.skip_reason:
            return f"skipped: {self.skip_reason}"
        return self.intent


@dataclass(frozen=True, kw_only=True)
class Preflight(Step):
    """The plan's preflight verdict: its problems refuse the run, its warnings are only reported."""

    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class FenceWrites(Step):
    """Put the demoted region's databases behind a security group with no ingress (best effort, time-boxed),
    recording their own groups in the activated region's control store so that a failback can restore them."""

    databases: tuple[str, ...] = ()
    record_in: str  # the activated region, whose control store keeps what was revoked
    reachable: bool = True
    timeout_seconds: float = 60.0


@dataclass(frozen=True, kw_only=True)
class RestoreWrites(Step):
    """Give this region's fenced databases back the security groups a fence replaced."""

    record_in: str  # the region whose control store kept what was revoked (the then-activated region)


@dataclass(frozen=True, kw_only=True)
class Drain(Step):
    """Wait until cached DNS answers for the old records have expired (TTL) and connections drained."""

    seconds: float = 0.0


@dataclass(frozen=True, kw_only=True)
class FenceGroups(Step):
    """Scale the demoted region's groups in to zero (best effort, time-boxed), recording their prior capacity."""

    groups: tuple[str, ...] = ()
    reachable: bool = True
    timeout_seconds: float = 60.0


@dataclass(frozen=True, kw_only=True)
class PromoteDb(Step):
    """Promote a region's read replica to a standalone primary and wait until AWS reports it promoted."""

    identifier: str
    arn: str
    timeout_seconds: float = 1800.0


@dataclass(frozen=True, kw_only=True)
class GroupStep(Step):
    """What the steps on one capacity group have: its name in ``[capacity]`` and its auto scaling group."""

    group: str
    autoscaling_group: str


@dataclass(frozen=True, kw_only=True)
class ScaleGroup(GroupStep):
    """Set an Auto Scaling group's capacity to ``target`` (a scale-out records the prior capacity first)."""

    target: Capacity
    restore_prior: bool = False  # scale back to the capacity recorded before standby changed it


@dataclass(frozen=True, kw_only=True)
class WaitHealthy(GroupStep):
    """Wait until a group has ``desired`` instances in service behind healthy targets."""

    target_group_arn: str | None
    desired: int
    timeout_seconds: float = 900.0


@dataclass(frozen=True, kw_only=True)
class ShiftTraffic(Step):
    """Move the service's names to the activated region: Route53 records, or the traffic switches."""

    zone_id: str
    names: tuple[str, ...]
    activate: str
    mode: str = "records"
    evict: tuple[str, ...] = ()  # regions whose failover records are deleted (a failover's demoted region)
    timeout_seconds: float = 300.0


@dataclass(frozen=True, kw_only=True)
class Verify(Step):
    """Judge what clients get after the shift: capacity, promoted databases, and the names' answers."""

    activate: str
    groups: tuple[tuple[str, int], ...] = ()  # (autoscaling group, desired)
    databases: tuple[str, ...] = ()
    zone_id: str | None = None
    names: tuple[str, ...] = ()
    mode: str = "records"
    demote: str = ""
    # Records mode: the demoted region must not be answerable (a failover's; a failback's is the standby again,
    # its record the SECONDARY by design).
    exclude_demoted: bool = True


@dataclass(frozen=True, kw_only=True)
class ReseedDb(Step):
    """Replace a region's databases with fresh replicas of the active primary, through Terraform."""

    stack: str
    timeout_seconds: float = 3600.0


@dataclass(frozen=True, kw_only=True)
class RecordRoles(Step):
    """Record the new role assignment, in the activated region first (authoritative), then its copy."""

    assignment: Assignment


@dataclass(frozen=True)
class RegionObservation:
    """One region as planning saw it: reachable or not, its groups and databases (part of an ``Observation``)."""

    region: str
    reachable: bool
    groups: dict[str, GroupState] = field(default_factory=dict)  # by auto scaling group name
    databases: dict[str, DbInstance] = field(default_factory=dict)  # by identifier
    error: str | None = None


@dataclass(frozen=True)
class Observation:
    """Both regions as planning saw them (activated and demoted); the planner and preflight judge from it."""

    now: float
    account: str | None
    activate: RegionObservation
    demote: RegionObservation
    records: tuple[Record, ...] | None = None
    replica_lag: dict[str, float | None] = field(default_factory=dict)
    snapshot: CapacitySnapshot | None = None
    vcpu_quota: float | None = None
    vcpus_per_instance: dict[str, int] = field(default_factory=dict)  # by auto scaling group name
    evacuated: dict[str, bool | None] = field(default_factory=dict)  # traffic switches, by region (health-check mode)


@dataclass(frozen=True)
class FailoverPlan:
    """A failover's or failback's steps in order, with the capacity targets; the executor runs it."""

    run_id: str
    kind: str  # failover | failback
    activate: str
    demote: str
    steps: tuple[Step, ...]
    targets: dict[str, Capacity] = field(default_factory=dict)
    target_source: str = ""
    # False when the manifest lists no database: nothing to promote, fence or re-seed, and the RPO does not apply.
    has_databases: bool = True

    @property
    def preflight(self) -> Preflight:
        """The plan's preflight step; a plan without one (a drill's restore) has passed no checks and refuses none."""
        found = next((s for s in self.steps if isinstance(s, Preflight)), None)
        return found or Preflight.of(PREFLIGHT, self.activate, intent="no checks")

    def step(self, key: str) -> Step:
        return next(s for s in self.steps if s.key == key)

    def to_dict(self) -> dict[str, Any]:
        """The plan as its journal keeps it: every field, the targets as plain data, each step's common fields."""
        doc = {f.name: getattr(self, f.name) for f in fields(self)}
        targets = {group: capacity.model_dump() for group, capacity in self.targets.items()}
        return {**doc, "steps": [s.to_dict() for s in self.steps], "targets": targets}
