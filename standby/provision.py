"""Provision: plan and apply the stacks of both regions (and the global DNS stack) through the runner.

Pure parts (workspace layout, variables per region) are plain functions; the Provisioner does the I/O through
the Terraform runner. The standby gets the same stack as the primary, with its capacity derived by
``standby.capacity`` and its role from the current role assignment.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from standby.aws.session import SessionFactory
from standby.capacity import capacities_for
from standby.config.schema import Config, LoadedConfig, Role, Stack
from standby.errors import StandbyError, UsageError
from standby.manifest import Manifest, build_manifest
from standby.progress import Event, Reporter, silent
from standby.records import control_stores, observe_capacity, save_capacity_snapshot, save_manifest
from standby.roles import Assignment
from standby.terraform import Plan, TerraformRunner, Workspace
from standby.traffic_switch import ensure_switches, find_switch_health_checks

CONTRACT_VARIABLES = frozenset({"project", "role", "region", "primary_region", "standby_region", "capacity", "tags"})
GLOBAL_CONTRACT_VARIABLES = frozenset(
    {"project", "zone_name", "record_names", "ttl", "routing_policy", "endpoints", "tags"}
)


@dataclass(frozen=True)
class StackTarget:
    """One stack in one place, with the variables it is planned with (which may hold secrets: never print)."""

    stack: str
    scope: str
    region: str | None
    role: Role | None
    workspace: Workspace
    variables: Mapping[str, Any] = field(repr=False, compare=False)

    @property
    def label(self) -> str:
        return self.region or "global"


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


# -- pure layout and variables -------------------------------------------------------------------------------


def workspace_for(loaded: LoadedConfig, stack_name: str, stack: Stack, region: str | None) -> Workspace:
    key = f"{stack_name}-{region}" if region else stack_name
    state_dir = loaded.state_dir
    fields = {"project": loaded.config.project.name, "stack": stack_name, "region": region or "global", "key": key}
    if stack.backend_config:
        backend = {k: v.format_map(fields) for k, v in stack.backend_config.items()}
    else:
        backend = {"path": str(state_dir / "state" / f"{key}.tfstate")}
    return Workspace(
        name=f"{stack_name}/{region or 'global'}",
        stack_dir=loaded.resolve(stack.path),
        data_dir=state_dir / "terraform" / key,
        backend_config=backend,
    )


def project_tags(config: Config) -> dict[str, str]:
    return {**config.project.tags, "standby:project": config.project.name}


def region_variables(
    config: Config, stack: Stack, region: str, assignment: Assignment, secrets: Mapping[str, str]
) -> dict[str, Any]:
    role = assignment.role_of(region)
    capacities = capacities_for(role == "primary", config.capacity, config.scale)
    variables: dict[str, Any] = {**stack.vars, **stack.region_vars.get(region, {}), **secrets}
    variables.update(
        project=config.project.name,
        role=role,
        region=region,
        primary_region=assignment.primary,
        standby_region=assignment.standby,
        capacity={group: capacity.model_dump() for group, capacity in capacities.items()},
        tags=project_tags(config),
    )
    return variables


def global_variables(
    config: Config,
    stack: Stack,
    assignment: Assignment,
    region_outputs: Mapping[str, Mapping[str, Any]],
    switch_health_checks: Mapping[str, str] | None = None,
) -> dict[str, Any] | None:
    """Variables of the global (DNS) stack, or None while a region has not published its load balancer yet.

    ``switch_health_checks`` (region -> health check id) replace the records' own health checks when traffic
    moves by health-check state (``[failover] traffic_mode = "health-check"``).
    """
    group = config.entrypoint
    endpoints: dict[str, dict[str, str]] = {}
    for role in ("primary", "standby"):
        region = assignment.region_of(role)  # type: ignore[arg-type]
        outputs = region_outputs.get(region) or {}
        dns = (outputs.get("lb_dns_names") or {}).get(group)
        zone = (outputs.get("lb_zone_ids") or {}).get(group)
        if not dns or not zone:
            return None
        endpoints[role] = {"region": region, "lb_dns_name": dns, "lb_zone_id": zone}
    variables: dict[str, Any] = dict(stack.vars)
    variables.update(
        project=config.project.name,
        zone_name=config.traffic.hosted_zone,
        record_names=list(config.traffic.records),
        ttl=config.traffic.ttl,
        routing_policy=config.traffic.routing,
        endpoints=endpoints,
        tags=project_tags(config),
    )
    if switch_health_checks:
        variables["health_check_ids_override"] = dict(switch_health_checks)
    return variables


def select_regions(which: str, assignment: Assignment) -> tuple[str, ...]:
    """'primary', 'standby', 'all' or a region name -> the regions to work on, primary first."""
    if which == "all":
        return assignment.regions
    if which in ("primary", "standby"):
        return (assignment.region_of(which),)  # type: ignore[arg-type]
    if which in assignment.regions:
        return (which,)
    raise UsageError(
        f"--region: expected primary, standby, all, {assignment.primary} or {assignment.standby}, found {which!r}"
    )


# -- the I/O ------------------------------------------------------------------------------------------------


class Provisioner:
    def __init__(
        self,
        loaded: LoadedConfig,
        runner: TerraformRunner,
        *,
        assignment: Assignment,
        secrets: Mapping[str, str],
        reporter: Reporter = silent,
        clock: Callable[[], float] = time.monotonic,
        sessions: SessionFactory | None = None,
    ) -> None:
        self.loaded = loaded
        self.config = loaded.config
        self.runner = runner
        self.assignment = assignment
        self.secrets = dict(secrets)
        self.report = reporter
        self.clock = clock
        self.sessions = sessions  # needed for traffic switches (traffic_mode = "health-check")

    # targets

    def region_targets(self, regions: tuple[str, ...]) -> list[StackTarget]:
        targets = []
        for region in regions:
            for name, stack in self.config.stacks.items():
                if stack.scope != "region":
                    continue
                secrets = {var: self.secrets[var] for var in stack.secrets if var in self.secrets}
                targets.append(
                    StackTarget(
                        stack=name,
                        scope="region",
                        region=region,
                        role=self.assignment.role_of(region),
                        workspace=workspace_for(self.loaded, name, stack, region),
                        variables=region_variables(self.config, stack, region, self.assignment, secrets),
                    )
                )
        return targets

    # plan

    def plan(self, which: str = "all") -> ProvisionPlan:
        regions = select_regions(which, self.assignment)
        targets = self.region_targets(regions)
        workers = 2 if self.config.terraform.parallel else 1
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="plan") as pool:
            planned = list(pool.map(self._plan_one, targets))
        if which == "all":
            glob = self._plan_global()
            if glob is not None:
                planned.append(glob)
        return ProvisionPlan(assignment=self.assignment, stacks=tuple(planned))

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

    def _region_outputs(self) -> dict[str, dict[str, Any]]:
        outputs: dict[str, dict[str, Any]] = {}
        for target in self.region_targets(self.assignment.regions):
            if target.stack != self._entry_stack():
                continue
            self.runner.init(target.workspace)
            outputs[target.region or ""] = self.runner.output(target.workspace)
        return outputs

    def _entry_stack(self) -> str:
        return next(name for name, s in self.config.stacks.items() if s.scope == "region")

    def _global_stack(self) -> tuple[str, Stack] | None:
        return next(((n, s) for n, s in self.config.stacks.items() if s.scope == "global"), None)

    def _global_target(self, name: str, stack: Stack, *, create_switches: bool = False) -> StackTarget | None:
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
        variables = global_variables(self.config, stack, self.assignment, self._region_outputs(), switch_ids)
        if variables is None:
            return None
        return StackTarget(name, "global", None, None, workspace_for(self.loaded, name, stack, None), variables)

    def _plan_global(self) -> PlannedStack | None:
        found = self._global_stack()
        if found is None:
            return None
        name, stack = found
        target = self._global_target(name, stack)
        if target is not None:
            return self._plan_one(target)
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
        region_outputs = self._region_outputs()
        dns_outputs: Mapping[str, Any] = {}
        found = self._global_stack()
        if found is not None:
            name, stack = found
            workspace = workspace_for(self.loaded, name, stack, None)
            self.runner.init(workspace)
            dns_outputs = self.runner.output(workspace)
        manifest = build_manifest(self.config, region_outputs, dns_outputs)
        stores = control_stores(sessions, self.config)
        save_manifest(stores.values(), manifest)
        snapshot = observe_capacity(sessions, self.assignment.primary, manifest)
        save_capacity_snapshot(stores[self.assignment.standby], snapshot)
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
        target = self._global_target(
            planned.target.stack, self.config.stacks[planned.target.stack], create_switches=True
        )
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
