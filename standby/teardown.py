"""Teardown (``standby destroy``): remove what standby provisioned, the production side only when asked.

The order is fixed: the global (DNS) stack first — it points at both regions' load balancers —, then the standby
region's stacks, then the primary's, then standby's control stores (the S3 bucket and the lock table of each
region) unless they are kept. The DNS stack and the primary's stacks are production: they go only with
``include_primary``. Without it the service keeps its names and its primary; the DNS stack's standby records are
left pointing at load balancers that are gone until the next ``standby provision`` (their failover targets were
never the side that serves). Within a region, stacks are
destroyed in the reverse of their declaration order (provision applies them in that order).

Every stack is planned first (``plan -destroy``: the exact resources Terraform would destroy) and the saved plan is
what is applied, so nothing is destroyed that was not shown; a plan that went stale meanwhile is refused by
Terraform. A database the plans would destroy with its data and no final snapshot (not a replica, and
``skip_final_snapshot = true``) refuses the whole teardown before anything is destroyed. Every database a stack's
plan destroys with its data (not a replica) gets a final snapshot of standby's own first (CreateDBSnapshot, named
for the teardown and the instance), and that stack is destroyed only once DescribeDBSnapshots shows the snapshot
``available`` and taken of that instance: a snapshot that fails, or does not become available within the hour,
stops the teardown before that stack. The caller holds the run lock around planning and destroying, so that no
failover starts meanwhile; the lock tables go last, after that lock is released (``remove_lock_tables``).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from standby.clock import Clock, SystemClock
from standby.config.schema import Config
from standby.errors import PreflightFailed, StandbyError
from standby.failover.waits import wait_until
from standby.progress import Event
from standby.stacks import StackTarget, StackWork, global_stack
from standby.stacks.layout import project_tags
from standby.stacks.snapshots import FINAL_SNAPSHOT_TIMEOUT_SECONDS, ensure_final_snapshot, final_snapshot_ready
from standby.state import Assignment
from standby.terraform import Plan
from standby.traffic_switch import find_switch_health_checks

Part = Literal["global", "standby", "primary", "control-store"]


@dataclass(frozen=True)
class Stage:
    """One thing to remove: a stack in a place (``stack`` set) or a region's control store (``stack`` None)."""

    part: Part
    region: str | None
    stack: str | None = None

    @property
    def label(self) -> str:
        return self.region or "global"


def teardown_stages(
    config: Config, assignment: Assignment, *, include_primary: bool, keep_control_stores: bool
) -> tuple[Stage, ...]:
    """What ``standby destroy`` removes, in the order it removes it."""
    region_stacks = [name for name, stack in reversed(config.stacks.items()) if stack.scope == "region"]
    stages = []
    if include_primary:  # the DNS stack routes production's traffic: it goes with production only
        stages = [Stage("global", None, name) for name, stack in config.stacks.items() if stack.scope == "global"]
    parts: list[Literal["standby", "primary"]] = ["standby", "primary"] if include_primary else ["standby"]
    for part in parts:
        region = assignment.region_of(part)
        stages.extend(Stage(part, region, name) for name in region_stacks)
    if not keep_control_stores:
        stages.extend(Stage("control-store", assignment.region_of(part)) for part in ("standby", "primary"))
    return tuple(stages)


@dataclass(frozen=True)
class DoomedDatabase:
    """A database a destroy plan removes with its data: it gets a verified final snapshot first."""

    identifier: str
    address: str


@dataclass(frozen=True)
class PlannedStage:
    stage: Stage
    target: StackTarget | None = None
    plan: Plan | None = None  # None: a control store, or a stack with nothing to destroy
    note: str = ""
    snapshots: tuple[DoomedDatabase, ...] = ()  # snapshotted, and verified available, before the destroy

    @property
    def doomed(self) -> tuple[str, ...]:
        """The addresses Terraform would destroy."""
        if self.plan is None:
            return ()
        return tuple(c.address for c in self.plan.changes if "delete" in c.actions)


@dataclass(frozen=True)
class TeardownPlan:
    assignment: Assignment
    stages: tuple[PlannedStage, ...]
    kept: tuple[str, ...]  # what this teardown leaves in place, in words
    run_id: str = ""  # names the final snapshots this teardown takes

    @property
    def destroys(self) -> int:
        return sum(len(s.doomed) for s in self.stages)

    @property
    def removes_control_stores(self) -> bool:
        return any(s.stage.part == "control-store" for s in self.stages)

    @property
    def has_changes(self) -> bool:
        return self.destroys > 0 or self.removes_control_stores


@dataclass(frozen=True)
class Removed:
    stage: Stage
    status: str  # destroyed | nothing | removed | absent
    seconds: float
    detail: str = ""


def unsnapshotted_databases(planned: PlannedStage) -> list[str]:
    """The databases ``planned`` would destroy with their data and no final snapshot (pure): an instance that is not
    a replica and whose configuration says ``skip_final_snapshot = true``. A replica's data lives in its source.
    Judged from the state the destroy plan starts from (its ``prior_state``)."""
    if planned.plan is None:
        return []
    doomed = set(planned.doomed)
    return [
        f"database {r.values.get('identifier') or r.address} in {planned.stage.label} ({r.address}) would be "
        "destroyed without a final snapshot (skip_final_snapshot = true)"
        for r in planned.plan.prior_resources()
        if r.type == "aws_db_instance"
        and r.address in doomed
        and not r.values.get("replicate_source_db")
        and r.values.get("skip_final_snapshot") is True
    ]


def databases_with_data(plan: Plan | None) -> tuple[DoomedDatabase, ...]:
    """The databases ``plan`` destroys with their data (pure): instances it deletes that are not replicas (a
    replica's data lives in its source), as its ``prior_state`` records them."""
    if plan is None:
        return ()
    doomed = {c.address for c in plan.changes if "delete" in c.actions}
    return tuple(
        DoomedDatabase(str(r.values.get("identifier") or r.name), r.address)
        for r in plan.prior_resources()
        if r.type == "aws_db_instance" and r.address in doomed and not r.values.get("replicate_source_db")
    )


def teardown_run_id(now: float) -> str:
    """The teardown's id (it names the final snapshots): its UTC start and a random suffix."""
    return f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(now))}-destroy-{secrets.token_hex(2)}"


def kept_parts(assignment: Assignment, *, include_primary: bool, keep_control_stores: bool) -> tuple[str, ...]:
    kept = []
    if not include_primary:
        kept.append(f"the primary's stacks in {assignment.primary} and the DNS stack (production)")
    if keep_control_stores:
        kept.append("standby's control stores (records, journals, run lock)")
    return tuple(kept)


class Teardown(StackWork):
    """Plans and destroys what standby provisioned, in ``teardown_stages`` order, for the role assignment."""

    wait_clock: Clock = SystemClock()  # what the wait for a final snapshot sleeps on

    # plan

    def plan(self, *, include_primary: bool = False, keep_control_stores: bool = False) -> TeardownPlan:
        stages = teardown_stages(
            self.config, self.assignment, include_primary=include_primary, keep_control_stores=keep_control_stores
        )
        planned = tuple(self._plan_stage(stage) for stage in stages)
        unprotected = [problem for stage in planned for problem in unsnapshotted_databases(stage)]
        if unprotected:
            raise PreflightFailed(
                "destroy refused before any change:\n" + "\n".join(f"  - {p}" for p in unprotected),
                hint="nothing was destroyed; set skip_final_snapshot = false (with a final_snapshot_identifier) on "
                "those databases and apply, or snapshot them yourself and remove them with Terraform",
            )
        kept = kept_parts(self.assignment, include_primary=include_primary, keep_control_stores=keep_control_stores)
        return TeardownPlan(self.assignment, planned, kept, teardown_run_id(self.wait_clock.now()))

    def _plan_stage(self, stage: Stage) -> PlannedStage:
        if stage.stack is None:
            return PlannedStage(stage, note=f"bucket and lock table in {stage.region}")
        target = self._target(stage)
        if target is None:
            return PlannedStage(stage, note="nothing to destroy (no resources in its state)")
        started = self.clock()
        self.report(Event(stage.label, "plan-destroy", "started", detail=stage.stack))
        try:
            plan = self.runner.plan(target.workspace, target.variables, destroy=True)
        except StandbyError:
            self.report(Event(stage.label, "plan-destroy", "failed", self.clock() - started, stage.stack))
            raise
        self.report(Event(stage.label, "plan-destroy", "complete", self.clock() - started, plan.summary()))
        return PlannedStage(stage, target, plan, snapshots=databases_with_data(plan))

    def _target(self, stage: Stage) -> StackTarget | None:
        """The stack's target with the variables it is planned with; None when its state holds nothing."""
        assert stage.stack is not None
        if stage.part != "global":
            assert stage.region is not None
            targets = self.stacks.region_targets(self.assignment, (stage.region,))
            return next(t for t in targets if t.stack == stage.stack)
        variables_target = self._global_target()
        if variables_target is not None:
            return variables_target
        found = global_stack(self.config)
        assert found is not None
        workspace = self.stacks.workspace(found[0], None)
        self.runner.init(workspace)
        if not self.runner.state_resources(workspace):
            return None
        raise StandbyError(
            f"the global stack {stage.stack} cannot be planned for destruction: its variables need both regions' "
            "load balancers, and a region stack publishes none",
            hint="re-create the region stacks (`standby provision`), or destroy the global stack with Terraform",
        )

    def _global_target(self) -> StackTarget | None:
        switch_ids: Mapping[str, str] | None = None
        if self.config.failover.traffic_mode == "health-check" and self.sessions is not None:
            switch_ids = find_switch_health_checks(self.sessions, self.config)
        outputs = self.stacks.region_outputs(self.assignment.regions)
        evicted = self.states.fast().evicted_regions()
        return self.stacks.global_target(self.assignment, outputs, switch_ids, evicted)

    # destroy

    def execute(self, plan: TeardownPlan) -> list[Removed]:
        """Destroy each planned stack (its saved plan exactly), then empty and delete the control stores' buckets.
        Lock tables are left to ``remove_lock_tables``: the caller holds the run lock in them."""
        return [self._remove(planned, plan.run_id) for planned in plan.stages]

    def remove_lock_tables(self, plan: TeardownPlan) -> list[Removed]:
        """Delete the control stores' lock tables (after the run lock is released)."""
        removed = []
        for planned in plan.stages:
            if planned.stage.part != "control-store" or planned.stage.region is None:
                continue
            started = self.clock()
            found = self.states[planned.stage.region].store.remove_lock_table()
            status = "removed" if found else "absent"
            self.report(Event(planned.stage.label, "remove-lock-table", status, self.clock() - started))
            removed.append(Removed(planned.stage, status, self.clock() - started, "lock table"))
        return removed

    def _remove(self, planned: PlannedStage, run_id: str) -> Removed:
        stage = planned.stage
        started = self.clock()
        if stage.stack is None:
            assert stage.region is not None
            found = self.states[stage.region].store.remove_bucket()
            status = "removed" if found else "absent"
            self.report(Event(stage.label, "remove-control-store", status, self.clock() - started))
            return Removed(stage, status, self.clock() - started, "bucket")
        if planned.target is None or planned.plan is None or not planned.plan.has_changes:
            self.report(Event(stage.label, "destroy", "skipped", detail=f"{stage.stack}: nothing to destroy"))
            return Removed(stage, "nothing", 0.0, stage.stack)
        snapshots = self._final_snapshots(planned, run_id)
        self.report(Event(stage.label, "destroy", "started", detail=f"{stage.stack}: {planned.plan.summary()}"))
        try:
            self.runner.apply(planned.target.workspace, planned.plan)
        except StandbyError:
            self.report(Event(stage.label, "destroy", "failed", self.clock() - started, stage.stack))
            raise
        seconds = self.clock() - started
        self.report(Event(stage.label, "destroy", "complete", seconds, stage.stack))
        kept = f"; final snapshots: {', '.join(snapshots)}" if snapshots else ""
        return Removed(stage, "destroyed", seconds, f"{stage.stack}{kept}")

    def _final_snapshots(self, planned: PlannedStage, run_id: str) -> list[str]:
        """Take a final snapshot of each database the stage destroys with its data and wait until RDS shows it
        ``available``, taken of that instance: the snapshot ids. Raises, before the stack is destroyed, when one
        cannot be taken, fails, or is not available within ``FINAL_SNAPSHOT_TIMEOUT_SECONDS``."""
        stage = planned.stage
        if not planned.snapshots:
            return []
        names = ", ".join(db.identifier for db in planned.snapshots)
        if self.sessions is None or stage.region is None:
            raise StandbyError(
                f"cannot take the final snapshots of {names} before destroying {stage.stack} in {stage.label}",
                hint="nothing of that stack was destroyed; snapshot those databases yourself, then remove them "
                "with Terraform",
            )
        client = self.sessions.client("rds", stage.region)
        tags = {**project_tags(self.config), "standby:run-id": run_id, "standby:purpose": "final-snapshot"}
        taken = []
        for db in planned.snapshots:
            started = self.clock()
            try:
                ready = self._final_snapshot(client, run_id, db, tags, stage.label)
            except StandbyError as err:
                err.hint = (
                    f"nothing of {stage.stack} in {stage.label} was destroyed (the stages before it were); see to "
                    "the snapshot in the RDS console, then run `standby destroy` again"
                )
                raise
            self.report(Event(stage.label, "final-snapshot", "complete", self.clock() - started, ready))
            taken.append(ready)
        return taken

    def _final_snapshot(self, client: Any, run_id: str, db: DoomedDatabase, tags: Mapping[str, str], where: str) -> str:
        snapshot = ensure_final_snapshot(client, run_id, db.identifier, tags=tags)
        what = f"{snapshot.snapshot_id} of {db.identifier}"
        self.report(Event(where, "final-snapshot", "started", detail=what))
        ready = wait_until(
            lambda: final_snapshot_ready(client, snapshot.snapshot_id),
            what=f"final snapshot {what} available",
            timeout=FINAL_SNAPSHOT_TIMEOUT_SECONDS,
            clock=self.wait_clock,
            first_wait=5.0,
            max_wait=60.0,
        )
        if ready.instance != db.identifier:
            raise StandbyError(f"final snapshot {ready.identifier} is of {ready.instance}, not of {db.identifier}")
        return ready.identifier
