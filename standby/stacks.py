"""The stacks standby runs, laid out per region: targets, workspaces, the variables standby injects, and the
stacks' outputs read into the manifest.

Pure layout and variables are plain functions; ``Stacks`` adds the I/O through the one Terraform runner. Provision,
failover (re-seeding), drift and drills all use this module; none of them imports another for stack layout.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from standby.capacity import capacities_for
from standby.config.schema import Config, LoadedConfig, Role, Stack
from standby.errors import StandbyError, UsageError
from standby.state.manifest import DnsRefs, GroupRef, Manifest, RegionResources
from standby.state.roles import Assignment
from standby.terraform import Plan, TerraformRunner, Workspace


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


# -- outputs into the manifest -------------------------------------------------------------------------------


def region_resources(region: str, outputs: Mapping[str, Any]) -> RegionResources:
    """Read the region stack's output contract (see terraform/stacks/region/README.md)."""
    asgs = outputs.get("autoscaling_group_names") or {}
    tgs = outputs.get("target_group_arns") or {}
    dns = outputs.get("lb_dns_names") or {}
    zones = outputs.get("lb_zone_ids") or {}
    return RegionResources(
        region=region,
        groups={
            group: GroupRef(
                autoscaling_group=name,
                target_group_arn=tgs.get(group),
                lb_dns_name=dns.get(group),
                lb_zone_id=zones.get(group),
            )
            for group, name in asgs.items()
        },
        databases=tuple(outputs.get("db_instance_identifiers") or ()),
        database_arns=tuple(outputs.get("db_instance_arns") or ()),
        parameters=tuple(outputs.get("ssm_parameter_names") or ()),
    )


def dns_refs(outputs: Mapping[str, Any]) -> DnsRefs | None:
    if not outputs.get("zone_id"):
        return None
    return DnsRefs(
        zone_id=str(outputs["zone_id"]),
        zone_name=str(outputs.get("zone_name") or ""),
        record_fqdns=tuple(outputs.get("record_fqdns") or ()),
        health_check_ids=dict(outputs.get("health_check_ids") or {}),
        routing_policy=str(outputs.get("routing_policy") or "failover"),
    )


def build_manifest(
    config: Config, region_outputs: Mapping[str, Mapping[str, Any]], dns_outputs: Mapping[str, Any] | None
) -> Manifest:
    return Manifest(
        project=config.project.name,
        written_at=time.time(),
        regions={region: region_resources(region, out) for region, out in region_outputs.items()},
        dns=dns_refs(dns_outputs or {}),
    )


# -- the I/O --------------------------------------------------------------------------------------------------


class Stacks:
    """The configured stacks of one project, run through the one Terraform runner.

    ``secrets`` are the stacks' secret variables (never printed); targets carry only those their stack declares.
    """

    def __init__(self, loaded: LoadedConfig, runner: TerraformRunner, secrets: Mapping[str, str]) -> None:
        self.loaded = loaded
        self.config = loaded.config
        self.runner = runner
        self.secrets = dict(secrets)

    # layout

    def region_stack(self) -> tuple[str, Stack]:
        """The region stack whose outputs name the resources (the first one declared)."""
        return region_stack(self.config)

    def global_stack(self) -> tuple[str, Stack] | None:
        return global_stack(self.config)

    def workspace(self, name: str, region: str | None) -> Workspace:
        return workspace_for(self.loaded, name, self.config.stacks[name], region)

    def region_targets(self, assignment: Assignment, regions: tuple[str, ...]) -> list[StackTarget]:
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
                        role=assignment.role_of(region),
                        workspace=workspace_for(self.loaded, name, stack, region),
                        variables=region_variables(self.config, stack, region, assignment, secrets),
                    )
                )
        return targets

    def global_target(
        self,
        assignment: Assignment,
        region_outputs: Mapping[str, Mapping[str, Any]],
        switch_health_checks: Mapping[str, str] | None = None,
    ) -> StackTarget | None:
        """The global stack's target, or None when there is none or a region has no load balancer yet."""
        found = self.global_stack()
        if found is None:
            return None
        name, stack = found
        variables = global_variables(self.config, stack, assignment, region_outputs, switch_health_checks)
        if variables is None:
            return None
        return StackTarget(name, "global", None, None, workspace_for(self.loaded, name, stack, None), variables)

    # outputs

    def region_outputs(self, regions: tuple[str, ...]) -> dict[str, dict[str, Any]]:
        """The region stack's outputs in each region."""
        name, _ = self.region_stack()
        outputs: dict[str, dict[str, Any]] = {}
        for region in regions:
            workspace = self.workspace(name, region)
            self.runner.init(workspace)
            outputs[region] = self.runner.output(workspace)
        return outputs

    def global_outputs(self) -> dict[str, Any] | None:
        found = self.global_stack()
        if found is None:
            return None
        workspace = self.workspace(found[0], None)
        self.runner.init(workspace)
        return self.runner.output(workspace)

    def manifest(self, regions: tuple[str, ...]) -> Manifest:
        """What the stacks created, read from their outputs."""
        return build_manifest(self.config, self.region_outputs(regions), self.global_outputs())

    # re-seeding

    def replace_databases(self, region: str, assignment: Assignment) -> tuple[int, Plan]:
        """Replace ``region``'s databases (``aws_db_instance`` in its region stack) through Terraform, planned for
        ``assignment`` — with ``region`` as the standby, they come back as replicas of the primary's."""
        name, _ = self.region_stack()
        target = next(t for t in self.region_targets(assignment, (region,)) if t.stack == name)
        self.runner.init(target.workspace)
        addresses = [a for a, kind in self.runner.state_resources(target.workspace) if kind == "aws_db_instance"]
        plan = self.runner.plan(target.workspace, target.variables, replace=addresses)
        self.runner.apply(target.workspace, plan)
        return len(addresses), plan


def region_stack(config: Config) -> tuple[str, Stack]:
    found = next(((n, s) for n, s in config.stacks.items() if s.scope == "region"), None)
    if found is None:
        raise StandbyError(
            "the configuration declares no region stack", hint='add a [stacks.NAME] with scope = "region"'
        )
    return found


def global_stack(config: Config) -> tuple[str, Stack] | None:
    return next(((n, s) for n, s in config.stacks.items() if s.scope == "global"), None)
