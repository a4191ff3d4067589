"""Stack layout, pure: each stack's target and workspace per region, and the variables standby injects into it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from standby.capacity import capacities_for
from standby.config.schema import Config, LoadedConfig, Role, Stack
from standby.errors import StandbyError, UsageError
from standby.stacks.declared import DeclaredVariables
from standby.state.roles import Assignment
from standby.terraform import Workspace


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
        region=region,
    )


# The variables standby injects (docs/stacks.md): each is optional, passed only when the stack declares it.
INJECTED_REGION_VARIABLES = ("project", "role", "region", "primary_region", "standby_region", "capacity", "tags")
INJECTED_GLOBAL_VARIABLES = (
    "project",
    "zone_name",
    "record_names",
    "ttl",
    "routing_policy",
    "endpoints",
    "tags",
    "health_check_ids_override",
    "evicted_regions",
)
# Without it, standby sizes the stack's groups through the AWS API only (failover, failback), never through Terraform.
CAPACITY_VARIABLE = "capacity"


def only_declared(
    variables: dict[str, Any], injected: Iterable[str], declared: DeclaredVariables | None
) -> dict[str, Any]:
    """``variables`` without the injected ones the stack does not declare (the configured ones are kept)."""
    if declared is None:
        return variables
    return {k: v for k, v in variables.items() if k not in injected or declared.declares(k)}


def project_tags(config: Config) -> dict[str, str]:
    return {**config.project.tags, "standby:project": config.project.name}


def region_variables(
    config: Config,
    stack: Stack,
    region: str,
    assignment: Assignment,
    secrets: Mapping[str, str],
    declared: DeclaredVariables | None = None,
) -> dict[str, Any]:
    """The region stack's variables: the configured ones, its secrets, and the injected ones it declares."""
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
    return only_declared(variables, INJECTED_REGION_VARIABLES, declared)


def global_variables(
    config: Config,
    stack: Stack,
    assignment: Assignment,
    region_outputs: Mapping[str, Mapping[str, Any]],
    switch_health_checks: Mapping[str, str] | None = None,
    evicted_regions: Iterable[str] = (),
    declared: DeclaredVariables | None = None,
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
    if evicted_regions:  # a failover deleted these regions' failover records: provisioning must not bring them back
        variables["evicted_regions"] = sorted(evicted_regions)
    return only_declared(variables, INJECTED_GLOBAL_VARIABLES, declared)


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


def region_stack(config: Config) -> tuple[str, Stack]:
    found = next(((n, s) for n, s in config.stacks.items() if s.scope == "region"), None)
    if found is None:
        raise StandbyError(
            "the configuration declares no region stack", hint='add a [stacks.NAME] with scope = "region"'
        )
    return found


def global_stack(config: Config) -> tuple[str, Stack] | None:
    return next(((n, s) for n, s in config.stacks.items() if s.scope == "global"), None)
