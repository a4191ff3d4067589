"""Provision: plan and apply the stacks of both regions (and the global DNS stack) through ``standby.stacks``.

The standby gets the same stack as the primary, with its capacity derived by ``standby.capacity`` and its role
from the current role assignment. After applying, provisioning records the manifest (both regions) and the
primary's capacity snapshot (the standby region) so that a failover needs neither Terraform nor the primary.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from standby import judgements as j
from standby.aws import autoscaling
from standby.aws.session import SessionFactory
from standby.capacity import capacities_for
from standby.config.schema import Capacity
from standby.errors import PreflightFailed, StandbyError
from standby.progress import Event
from standby.stacks import StackTarget, StackWork, select_regions, workspace_for
from standby.state import Assignment, Manifest, observe_capacity
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


DB_INSTANCE = "aws_db_instance"


def replica_problems(assignment: Assignment, stacks: Sequence[PlannedStack]) -> tuple[str, ...]:
    """What provisioning refuses in the region stacks' plans, pure: a database the plan creates in the standby
    region that is not a replica (``replicate_source_db`` unset), and, when both regions are planned, a primary
    database left without a replica in the standby region. An existing standby database counts as a replica: after
    a failover the standby's is the promoted old primary's until a failback re-seeds it."""
    primary: list[str] = []
    replicas: list[str] = []
    problems: list[str] = []
    planned_regions = {s.target.region for s in stacks if s.target.scope == "region" and s.plan is not None}
    for planned in stacks:
        target, plan = planned.target, planned.plan
        if target.scope != "region" or plan is None:
            continue
        for db in plan.of_type(DB_INSTANCE):
            identifier = str(db.values.get("identifier") or db.address)
            if target.region == assignment.primary:
                primary.append(identifier)
            elif (
                plan.creates(db.address) and "replicate_source_db" in db.values and not db.values["replicate_source_db"]
            ):
                problems.append(
                    f"database {identifier} would be created in {target.region} (stack {target.stack}) as a "
                    "standalone instance, not a replica of the primary's (replicate_source_db unset in the standby "
                    f"role; see {j.STACK_CONTRACT})"
                )
            else:
                replicas.append(identifier)
    if set(assignment.regions) <= planned_regions:
        unreplicated = j.unreplicated_databases(primary, replicas)
        if unreplicated:
            problems.append(j.unreplicated_problem(unreplicated, assignment.primary, assignment.standby))
    return tuple(problems)


@dataclass(frozen=True)
class AppliedStack:
    target: StackTarget
    status: str  # applied | nochange
    seconds: float
    summary: str
    outputs: Mapping[str, Any]


class Provisioner(StackWork):
    """Plans and applies both regions' stacks and the global DNS stack for the role assignment, then records the
    manifest and the primary's capacity snapshot (read by the failover controller and the drift checks)."""

    # plan

    def plan(self, which: str = "all") -> ProvisionPlan:
        """Plan the stacks of ``which`` regions (and the global stack with ``all``). Refused (PreflightFailed),
        before anything is applied, when the primary has a database and the standby region would not replicate it."""
        regions = select_regions(which, self.assignment)
        targets = self.stacks.region_targets(self.assignment, regions)
        workers = 2 if self.config.terraform.parallel else 1
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="plan") as pool:
            planned = list(pool.map(self._plan_one, targets))
        problems = replica_problems(self.assignment, planned)
        if problems:
            raise PreflightFailed(
                "provision refused before any change:\n" + "\n".join(f"  - {p}" for p in problems),
                hint=f"nothing was applied; make the standby's databases replicas of the primary's (the stack "
                f"contract: {j.STACK_CONTRACT}), then run again",
            )
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
            raise PreflightFailed(
                "provision refused before any change:\n" + "\n".join(f"  - {p}" for p in problems),
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
        (in the standby region), so that a failover needs neither Terraform state nor the primary's APIs; and
        create the notes documents a region has none of yet (never overwriting one), so that a failover reads
        its notes without listing the layout of earlier versions."""
        manifest = self.stacks.manifest(self.assignment.regions)
        self.states.save_manifest(manifest)
        self.states.create_notes_documents()
        snapshot = observe_capacity(sessions, self.assignment.primary, manifest)
        self.states[self.assignment.standby].save_capacity_snapshot(snapshot)
        self.report(Event(self.assignment.standby, "record", "complete", detail="manifest and capacity snapshot"))
        if not self.stacks.sizes_groups_through_terraform():
            self._warm_standby(sessions, manifest)
        return manifest

    def _warm_standby(self, sessions: SessionFactory, manifest: Manifest) -> None:
        region = self.assignment.standby
        groups = {key: g.autoscaling_group for key, g in manifest.region(region).groups.items()}
        wanted = capacities_for(False, self.config.capacity, self.config.scale)
        for key, status, detail in warm_standby_groups(sessions.client("autoscaling", region), groups, wanted):
            self.report(Event(region, "warm-standby", status, detail=f"{key}: {detail}"))

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


def warm_standby_groups(
    client: Any, groups: Mapping[str, str], wanted: Mapping[str, Capacity]
) -> list[tuple[str, str, str]]:
    """Raise the standby's groups (capacity key -> auto scaling group name) to their warm desired capacity, for a
    stack that leaves their size to standby (it declares no ``capacity``), within each group's own max_size.
    Nothing is lowered: provisioning scales nothing in. Returns (key, status, detail) per group acted on:
    ``complete`` when raised, ``capped`` when max_size keeps it below the wanted capacity."""
    states = {s.name: s for s in autoscaling.describe_groups(client, sorted(set(groups.values())))}
    done: list[tuple[str, str, str]] = []
    for key, capacity in sorted(wanted.items()):
        state = states.get(groups.get(key, ""))
        if state is None:
            continue
        desired = min(capacity.desired_capacity, state.max_size)
        if desired < capacity.desired_capacity:
            done.append(
                (
                    key,
                    "capped",
                    f"{state.name}'s max_size {state.max_size} is below the standby's desired "
                    f"{capacity.desired_capacity}: raise max_size in the stack",
                )
            )
        if state.desired_capacity < desired:
            autoscaling.set_capacity(client, state.name, desired=desired)
            done.append((key, "complete", f"{state.name}: desired {state.desired_capacity} -> {desired}"))
    return done
