"""Provision: plan and apply the stacks of both regions (and the global DNS stack) through ``standby.stacks``.

The standby gets the same stack as the primary, with its capacity derived by ``standby.capacity`` and its role
from the current role assignment. After applying, provisioning records the manifest (both regions) and the
primary's capacity snapshot (the standby region) so that a failover needs neither Terraform nor the primary.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from standby.aws.session import SessionFactory
from standby.config.schema import LoadedConfig
from standby.errors import StandbyError
from standby.progress import Event, Reporter, silent
from standby.stacks import Stacks, StackTarget, select_regions, workspace_for
from standby.state import Assignment, Manifest, RegionStates, observe_capacity
from standby.terraform import Plan
from standby.traffic_switch import ensure_switches, find_switch_health_checks


@dataclass(frozen=True)
class PlannedStack:
    target: StackTarget
    plan: Plan | None
    note: str = ""  # why there is no plan yet (e.g. the global stack waits for the regions' outputs)
    seconds: float = 0.0

    @property
    def has_changes(self) -> bool:
        return self.plan is None or self.plan.has_changes

    def summary(self) -> str:
        return self.plan.summary() if self.plan is not None else self.note


@dataclass(frozen=True)
class ProvisionPlan:
    assignment: Assignment
    stacks: tuple[PlannedStack, ...]

    @property
    def has_changes(self) -> bool:
        return any(s.has_changes for s in self.stacks)

    @property
    def destroys(self) -> int:
        return sum(s.plan.destroys for s in self.stacks if s.plan is not None)


@dataclass(frozen=True)
class AppliedStack:
    target: StackTarget
    status: str  # applied | nochange
    seconds: float
    summary: str
    outputs: Mapping[str, Any]


class Provisioner:
    def __init__(
        self,
        loaded: LoadedConfig,
        stacks: Stacks,
        states: RegionStates,
        *,
        assignment: Assignment,
        reporter: Reporter = silent,
        clock: Callable[[], float] = time.monotonic,
        sessions: SessionFactory | None = None,
    ) -> None:
        self.loaded = loaded
        self.config = loaded.config
        self.stacks = stacks
        self.runner = stacks.runner
        self.states = states
        self.assignment = assignment
        self.report = reporter
        self.clock = clock
        self.sessions = sessions  # needed for traffic switches (traffic_mode = "health-check")

    # plan

    def plan(self, which: str = "all") -> ProvisionPlan:
        regions = select_regions(which, self.assignment)
        targets = self.stacks.region_targets(self.assignment, regions)
        workers = 2 if self.config.terraform.parallel else 1
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="plan") as pool:
            planned = list(pool.map(self._plan_one, targets))
        self._refuse_unmatched_groups(planned)
        if which == "all":
            glob = self._plan_global()
            if glob is not None:
                planned.append(glob)
        return ProvisionPlan(assignment=self.assignment, stacks=tuple(planned))

    def _refuse_unmatched_groups(self, planned: list[PlannedStack]) -> None:
        """Refuse, before anything is applied, a region stack whose planned groups do not match ``[capacity.*]``:
        its manifest would send a failover's capacity to groups it cannot name (docs/stacks.md)."""
        name, _ = self.stacks.region_stack()
        problems: list[str] = []
        for stack in planned:
            if stack.target.stack != name or stack.plan is None or not stack.plan.planned_values:
                continue
            findings = self.stacks.planned_findings(stack.target.label, stack.plan)
            problems.extend(findings.refusals(self.config.capacity))
        if problems:
            raise StandbyError(
                "provisioning refused, nothing was applied:\n" + "\n".join(f"  - {p}" for p in problems),
                hint="`standby inspect` shows the groups standby finds in each region and where each key comes from",
            )

    def _plan_one(self, target: StackTarget) -> PlannedStack:
        started = self.clock()
        self.report(Event(target.label, "plan", "started", detail=target.stack))
        try:
            self.runner.init(target.workspace)
            plan = self.runner.plan(target.workspace, target.variables)
        except StandbyError:
            self.report(Event(target.label, "plan", "failed", self.clock() - started, target.stack))
            raise
        seconds = self.clock() - started
        self.report(Event(target.label, "plan", "complete", seconds, f"{target.stack}: {plan.summary()}"))
        return PlannedStack(target, plan, seconds=seconds)

    def _global_target(self, *, create_switches: bool = False) -> StackTarget | None:
        """The global stack's target, or None while its inputs (load balancers, traffic switches) do not exist."""
        switch_ids = None
        if self.config.failover.traffic_mode == "health-check":
            if self.sessions is None:
                raise StandbyError('traffic_mode = "health-check" needs AWS access to manage the traffic switches')
            if create_switches:
                switch_ids = ensure_switches(self.sessions, self.config)
            else:
                switch_ids = find_switch_health_checks(self.sessions, self.config)
                if switch_ids is None:
                    return None
        outputs = self.stacks.region_outputs(self.assignment.regions)
        evicted = self.states.fast().evicted_regions()
        return self.stacks.global_target(self.assignment, outputs, switch_ids, evicted)

    def _plan_global(self) -> PlannedStack | None:
        found = self.stacks.global_stack()
        if found is None:
            return None
        target = self._global_target()
        if target is not None:
            return self._plan_one(target)
        name, stack = found
        placeholder = StackTarget(name, "global", None, None, workspace_for(self.loaded, name, stack, None), {})
        note = "planned at apply time (it needs the regions' load balancers and, if used, the traffic switches)"
        self.report(Event("global", "plan", "deferred", detail=note))
        return PlannedStack(placeholder, None, note=note)

    # apply

    def apply(self, plan: ProvisionPlan) -> list[AppliedStack]:
        """Apply region stacks (the primary's first: the standby's replica needs it), then the global stack."""
        results: list[AppliedStack] = []
        region_stacks = [s for s in plan.stacks if s.target.scope == "region"]
        region_stacks.sort(key=lambda s: 0 if s.target.role == "primary" else 1)
        for planned in region_stacks:
            results.append(self._apply_one(planned))
        glob = next((s for s in plan.stacks if s.target.scope == "global"), None)
        if glob is not None:
            results.append(self._apply_global(glob))
        return results

    def publish(self, sessions: SessionFactory) -> Manifest:
        """Record what the stacks created (the manifest, in both regions) and the primary's capacity snapshot
        (in the standby region), so that a failover needs neither Terraform state nor the primary's APIs."""
        manifest = self.stacks.manifest(self.assignment.regions)
        self.states.save_manifest(manifest)
        snapshot = observe_capacity(sessions, self.assignment.primary, manifest)
        self.states[self.assignment.standby].save_capacity_snapshot(snapshot)
        self.report(Event(self.assignment.standby, "record", "complete", detail="manifest and capacity snapshot"))
        return manifest

    def _apply_one(self, planned: PlannedStack) -> AppliedStack:
        target = planned.target
        assert planned.plan is not None
        if not planned.plan.has_changes:
            self.report(Event(target.label, "apply", "skipped", detail=f"{target.stack}: nochange"))
            return AppliedStack(target, "nochange", 0.0, "no changes", self.runner.output(target.workspace))
        started = self.clock()
        self.report(Event(target.label, "apply", "started", detail=f"{target.stack}: {planned.plan.summary()}"))
        try:
            self.runner.apply(target.workspace, planned.plan)
        except StandbyError:
            self.report(Event(target.label, "apply", "failed", self.clock() - started, target.stack))
            raise
        seconds = self.clock() - started
        self.report(Event(target.label, "apply", "complete", seconds, target.stack))
        return AppliedStack(target, "applied", seconds, planned.plan.summary(), self.runner.output(target.workspace))

    def _apply_global(self, planned: PlannedStack) -> AppliedStack:
        """Apply the DNS stack; re-plan it first when its inputs (the regions' outputs) have changed."""
        target = self._global_target(create_switches=True)
        if target is None:
            raise StandbyError(
                "the global stack cannot be planned: a region publishes no load balancer for the "
                f"entrypoint group {self.config.entrypoint!r}",
                hint="check the region stack's outputs lb_dns_names and lb_zone_ids",
            )
        if planned.plan is not None and dict(target.variables) == dict(planned.target.variables):
            return self._apply_one(planned)
        fresh = self._plan_one(target)
        if fresh.plan is not None and fresh.plan.destroys:
            raise StandbyError(
                f"the global stack's inputs changed during this run and its new plan destroys "
                f"{fresh.plan.destroys} resource(s); not applied without review",
                hint="run `standby provision` again to review and confirm the DNS plan",
            )
        return self._apply_one(fresh)
