"""The stacks standby runs, laid out per region: targets, workspaces, the variables standby injects, and the
stacks' outputs read into the manifest.

Pure layout and variables are plain functions; ``Stacks`` adds the I/O through the one Terraform runner. The
databases' re-seed is a targeted replace that touches nothing else; the final snapshots it is preceded by are
taken and judged here (the caller waits for them). Provision,
failover (re-seeding), drift and drills all use this module; none of them imports another for stack layout.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from standby.aws import rds
from standby.aws.errors import is_not_found
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
    evicted_regions: Iterable[str] = (),
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
        evicted_regions: Iterable[str] = (),
    ) -> StackTarget | None:
        """The global stack's target, or None when there is none or a region has no load balancer yet."""
        found = self.global_stack()
        if found is None:
            return None
        name, stack = found
        variables = global_variables(
            self.config, stack, assignment, region_outputs, switch_health_checks, evicted_regions
        )
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
            self.runner.init(workspace, reuse=True)  # only reads the state: an initialised data dir will do
            outputs[region] = self.runner.output(workspace)
        return outputs

    def global_outputs(self) -> dict[str, Any] | None:
        found = self.global_stack()
        if found is None:
            return None
        workspace = self.workspace(found[0], None)
        self.runner.init(workspace, reuse=True)
        return self.runner.output(workspace)

    def manifest(self, regions: tuple[str, ...]) -> Manifest:
        """What the stacks created, read from their outputs."""
        return build_manifest(self.config, self.region_outputs(regions), self.global_outputs())

    # re-seeding

    def reseed_target(self, region: str, assignment: Assignment) -> StackTarget:
        """The region stack's target in ``region``, planned for ``assignment``."""
        name, _ = self.region_stack()
        return next(t for t in self.region_targets(assignment, (region,)) if t.stack == name)

    def managed_databases(self, target: StackTarget) -> tuple[ManagedDatabase, ...]:
        """The ``aws_db_instance`` resources in the target's Terraform state (``state pull``: no provider runs)."""
        self.runner.init(target.workspace)
        return databases_in_state(self.runner.state_pull(target.workspace))

    def plan_reseed(self, region: str, assignment: Assignment) -> Reseed:
        """Plan — never apply — the targeted replace of ``region``'s databases for ``assignment``.

        Nothing is planned when the stack manages no database. The plan is limited to the databases
        (``-target``) and forces their replacement (``-replace``); ``Reseed.problems`` says what in it
        re-seeding refuses to apply."""
        target = self.reseed_target(region, assignment)
        databases = self.managed_databases(target)
        if not databases:
            return Reseed(region=region, stack=target.stack, databases=(), plan=None)
        addresses = [db.address for db in databases]
        plan = self.runner.plan(target.workspace, target.variables, replace=addresses, target=addresses)
        return Reseed(region=region, stack=target.stack, databases=databases, plan=plan)

    def replace_databases(
        self, region: str, assignment: Assignment, *, before_apply: Callable[[Reseed], None] | None = None
    ) -> Reseed:
        """Replace ``region``'s databases (``aws_db_instance`` in its region stack) through a targeted Terraform
        replace planned for ``assignment`` — with ``region`` as the standby, they come back as replicas of the
        primary's.

        A stack without databases plans and applies nothing. A plan that would change anything but the databases
        is refused (ReseedRefused) before anything is changed. ``before_apply`` runs between the plan and the
        apply (the failback takes the final snapshots there); when it raises, nothing is applied."""
        reseed = self.plan_reseed(region, assignment)
        if reseed.plan is None:
            return reseed
        if reseed.problems:
            raise ReseedRefused(
                f"re-seeding {region} refused: " + "; ".join(reseed.problems),
                hint="the re-seed applies only its databases: apply or revert the other pending changes of the "
                "region stack first (`standby provision --dry-run` shows them), then resume the run",
            )
        if before_apply is not None:
            before_apply(reseed)
        self.runner.apply(self.workspace(reseed.stack, region), reseed.plan)
        return reseed


class ReseedRefused(StandbyError):
    """The re-seed's plan would change more than the databases it replaces."""


@dataclass(frozen=True)
class ManagedDatabase:
    """A database instance managed by a stack: its Terraform address and its RDS identifier."""

    address: str
    identifier: str


@dataclass(frozen=True)
class Reseed:
    """The targeted replace of one region's databases: what is managed there and the saved plan (None: nothing
    to re-seed, the stack has no database)."""

    region: str
    stack: str
    databases: tuple[ManagedDatabase, ...]
    plan: Plan | None

    @property
    def addresses(self) -> tuple[str, ...]:
        return tuple(db.address for db in self.databases)

    @property
    def problems(self) -> tuple[str, ...]:
        return reseed_problems(self.plan, self.addresses) if self.plan is not None else ()

    def destroys(self, database: ManagedDatabase) -> bool:
        """The plan destroys this database (a replace), so it needs its final snapshot first."""
        if self.plan is None:
            return False
        return any(c.address == database.address and "delete" in c.actions for c in self.plan.changes)

    def summary(self) -> str:
        if self.plan is None:
            return "no databases in the region stack: nothing to re-seed"
        return self.plan.summary()

    def to_dict(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "stack": self.stack,
            "databases": [{"address": db.address, "identifier": db.identifier} for db in self.databases],
            "summary": self.summary(),
            "changes": []
            if self.plan is None
            else [{"address": c.address, "action": c.action} for c in self.plan.changes],
            "problems": list(self.problems),
        }


def reseed_problems(plan: Plan, addresses: Sequence[str]) -> tuple[str, ...]:
    """What a re-seed refuses in its plan: a change to any other address than its databases', or a database
    destroyed without being created again."""
    wanted = set(addresses)
    problems: list[str] = []
    extra = sorted(f"{c.address} ({c.action})" for c in plan.changes if c.address not in wanted)
    if extra:
        problems.append(f"the plan would also change {len(extra)} other resource(s): {', '.join(extra)}")
    gone = sorted(c.address for c in plan.touching(wanted) if "delete" in c.actions and "create" not in c.actions)
    if gone:
        problems.append(f"the plan would delete without re-creating: {', '.join(gone)}")
    return tuple(problems)


def databases_in_state(state: Mapping[str, Any]) -> tuple[ManagedDatabase, ...]:
    """Every current ``aws_db_instance`` object of a raw Terraform state document (``terraform state pull``)."""
    found: list[ManagedDatabase] = []
    for resource in state.get("resources") or ():
        if resource.get("mode") != "managed" or resource.get("type") != "aws_db_instance":
            continue
        module = resource.get("module")
        base = f"{module + '.' if module else ''}{resource['type']}.{resource['name']}"
        for instance in resource.get("instances") or ():
            if instance.get("deposed"):
                continue  # a deposed object is not the resource's current one
            key = instance.get("index_key")
            address = base if key is None else f"{base}[{json.dumps(key)}]"
            attributes = instance.get("attributes") or {}
            identifier = attributes.get("identifier") or attributes.get("id")
            if identifier:
                found.append(ManagedDatabase(address=address, identifier=str(identifier)))
    return tuple(found)


# -- final snapshots ----------------------------------------------------------------------------------------

FINAL_SNAPSHOT_PREFIX = "standby-final"
FINAL_SNAPSHOT_TIMEOUT_SECONDS = 3600.0
_SNAPSHOT_ID_MAX = 255
_SNAPSHOT_FAILED = frozenset({"failed", "deleting", "incompatible-restore", "incompatible-parameters"})


def final_snapshot_id(run_id: str, instance: str) -> str:
    """The final snapshot of ``instance`` for run ``run_id``: the same on every attempt of the run.

    Within RDS's rules: 1-255 letters, digits and hyphens, a letter first, no hyphen last nor two in a row. An id
    that would be longer is cut and ends with a digest of the full one, so two instances never share one."""
    raw = f"{FINAL_SNAPSHOT_PREFIX}-{run_id}-{instance}".lower()
    text = re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9-]", "-", raw)).strip("-")
    if len(text) > _SNAPSHOT_ID_MAX:
        digest = hashlib.sha256(raw.encode()).hexdigest()[:12]
        text = f"{text[: _SNAPSHOT_ID_MAX - len(digest) - 1].rstrip('-')}-{digest}"
    return text


@dataclass(frozen=True)
class FinalSnapshot:
    instance: str
    snapshot_id: str
    status: str
    created: bool  # made by this call; False: made earlier in the run and reused


def ensure_final_snapshot(
    client: Any, run_id: str, instance: str, *, tags: Mapping[str, str] | None = None
) -> FinalSnapshot:
    """The run's final snapshot of ``instance``: reused when an earlier attempt of the run made it, else started
    (CreateDBSnapshot). Not waited for: ``final_snapshot_ready`` is the probe for that."""
    snapshot_id = final_snapshot_id(run_id, instance)
    found = rds.describe_snapshot(client, snapshot_id)
    created = False
    if found is None:
        try:
            found, created = rds.create_snapshot(client, snapshot_id, instance, tags=dict(tags or {}))
        except ClientError as err:
            if is_not_found(err):
                raise StandbyError(
                    f"cannot take the final snapshot {snapshot_id}: database {instance} not found",
                    hint="nothing was replaced; check the instance in the RDS console, then resume the run",
                ) from err
            raise
    if found.instance and found.instance != instance:
        raise StandbyError(
            f"snapshot {snapshot_id} exists but was taken of {found.instance}, not of {instance}",
            hint="nothing was replaced; rename or delete that snapshot, then resume the run",
        )
    return FinalSnapshot(instance=instance, snapshot_id=found.identifier, status=found.status, created=created)


def final_snapshot_ready(client: Any, snapshot_id: str) -> rds.DbSnapshot | None:
    """A wait probe: the snapshot once ``available`` (DescribeDBSnapshots), None while it is being made; raises
    when it failed or is gone (the database must then not be replaced)."""
    found = rds.describe_snapshot(client, snapshot_id)
    if found is None:
        raise StandbyError(f"final snapshot {snapshot_id} disappeared before it became available")
    if found.status in _SNAPSHOT_FAILED:
        raise StandbyError(
            f"final snapshot {snapshot_id} is {found.status}, not available: the database is not replaced",
            hint="take a snapshot by hand or delete the failed one, then resume the run",
        )
    return found if found.status == "available" else None


def region_stack(config: Config) -> tuple[str, Stack]:
    found = next(((n, s) for n, s in config.stacks.items() if s.scope == "region"), None)
    if found is None:
        raise StandbyError(
            "the configuration declares no region stack", hint='add a [stacks.NAME] with scope = "region"'
        )
    return found


def global_stack(config: Config) -> tuple[str, Stack] | None:
    return next(((n, s) for n, s in config.stacks.items() if s.scope == "global"), None)
