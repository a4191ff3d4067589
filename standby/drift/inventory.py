"""Inventory of the stack's resources in one region, read through the drivers (I/O only, no judgement).

Services are read concurrently, in rounds that follow references: groups, databases, parameters and task
definitions first; then the launch templates and target groups the groups name; then the images, load
balancers and security groups those name; then listeners. Every driver pages through every result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from standby.aws import autoscaling, ec2, ecs, elbv2, rds, route53, ssm
from standby.aws.session import SessionFactory
from standby.drift.scope import RegionScope

WORKERS_PER_REGION = 8


@dataclass(frozen=True)
class RegionInventory:
    region: str
    groups: Mapping[str, autoscaling.GroupSpec] = field(default_factory=dict)  # capacity group -> group
    templates: Mapping[str, ec2.LaunchTemplateVersion] = field(default_factory=dict)  # capacity group -> version
    images: Mapping[str, ec2.Image] = field(default_factory=dict)  # image id -> image
    target_groups: tuple[elbv2.TargetGroup, ...] = ()
    load_balancers: tuple[elbv2.LoadBalancerSettings, ...] = ()
    listeners: tuple[elbv2.Listener, ...] = ()
    security_groups: tuple[ec2.SecurityGroup, ...] = ()
    referenced_groups: Mapping[str, str] = field(default_factory=dict)  # out-of-scope group id -> name
    databases: tuple[rds.DbSettings, ...] = ()
    parameters: tuple[ssm.ParameterDetail, ...] = ()
    task_definitions: tuple[ecs.TaskDefinition, ...] = ()

    @property
    def resource_count(self) -> int:
        return (
            len(self.groups)
            + len(self.templates)
            + len(self.target_groups)
            + len(self.load_balancers)
            + len(self.listeners)
            + len(self.security_groups)
            + len(self.databases)
            + len(self.parameters)
            + len(self.task_definitions)
        )

    def lb_dns_names(self) -> dict[str, str]:
        """Load balancer DNS name (lower case, no trailing dot) -> load balancer name."""
        return {lb.dns_name.lower().rstrip("."): lb.name for lb in self.load_balancers if lb.dns_name}


def read_region(sessions: SessionFactory, scope: RegionScope, account: str | None = None) -> RegionInventory:
    """Everything the parity and readiness checks look at in one region."""

    def client(service: str) -> Any:
        return sessions.client(service, scope.region, account)

    with ThreadPoolExecutor(max_workers=WORKERS_PER_REGION, thread_name_prefix=f"drift-{scope.region}") as pool:
        # Round 1: the roots.
        groups_f = pool.submit(autoscaling.describe_group_specs, client("autoscaling"), list(scope.groups.values()))
        dbs_f = pool.submit(rds.describe_settings, client("rds"), list(scope.databases))
        params_f = pool.submit(_parameters, client("ssm"), scope)
        families_f = pool.submit(_task_families, client, scope.task_family_prefix)
        by_name = {spec.state.name: spec for spec in groups_f.result()}
        groups = {group: by_name[name] for group, name in scope.groups.items() if name in by_name}

        # Round 2: what the groups reference.
        ec2_client = client("ec2")
        refs = [
            (group, spec.state.launch_template_id, spec.launch_template_version or "$Default")
            for group, spec in groups.items()
            if spec.state.launch_template_id
        ]
        versions_f = [
            pool.submit(ec2.describe_launch_template_version, ec2_client, template_id, version)
            for _, template_id, version in refs
        ]
        tg_arns = sorted({arn for spec in groups.values() for arn in spec.state.target_group_arns})
        tgs_f = pool.submit(elbv2.describe_target_groups, client("elbv2"), tg_arns)
        tasks_f = [pool.submit(ecs.describe_task_definition, client("ecs"), f) for f in families_f.result()]
        templates = {
            group: version for (group, _, _), f in zip(refs, versions_f, strict=True) if (version := f.result())
        }
        target_groups = tuple(tgs_f.result())

        # Round 3: images, load balancers.
        image_ids = sorted({t.image_id for t in templates.values() if t.image_id})
        images_f = pool.submit(ec2.describe_images, ec2_client, image_ids)
        lb_arns = sorted({arn for tg in target_groups for arn in tg.load_balancer_arns})
        lbs_f = pool.submit(elbv2.describe_load_balancer_settings, client("elbv2"), lb_arns)
        load_balancers = tuple(lbs_f.result())
        databases = tuple(dbs_f.result())

        # Round 4: listeners and security groups.
        listeners_f = [pool.submit(elbv2.describe_listeners, client("elbv2"), lb.arn) for lb in load_balancers]
        sg_ids = set(scope.security_group_ids)
        sg_ids.update(i for t in templates.values() for i in t.security_group_ids)
        sg_ids.update(i for lb in load_balancers for i in lb.security_group_ids)
        sg_ids.update(i for db in databases for i in db.security_group_ids)
        security_groups = tuple(ec2.describe_security_groups(ec2_client, sorted(sg_ids))) if sg_ids else ()
        listeners = tuple(listener for f in listeners_f for listener in f.result())
        images = {image.id: image for image in images_f.result()}

        # Groups referenced by rules but outside the scope: named, not compared.
        known = {g.id for g in security_groups}
        sources = {r.source for g in security_groups for r in g.rules if r.source_kind == "security-group"}
        outside = sorted(sources - known)
        referenced = {g.id: g.name for g in ec2.describe_security_groups(ec2_client, outside)} if outside else {}

        return RegionInventory(
            region=scope.region,
            groups=groups,
            templates=templates,
            images=images,
            target_groups=target_groups,
            load_balancers=load_balancers,
            listeners=listeners,
            security_groups=security_groups,
            referenced_groups=referenced,
            databases=databases,
            parameters=tuple(params_f.result()),
            task_definitions=tuple(t for f in tasks_f if (t := f.result())),
        )


def _parameters(client: Any, scope: RegionScope) -> list[ssm.ParameterDetail]:
    path = scope.parameter_path
    if path is not None:
        return ssm.get_parameters_by_path(client, path)
    return ssm.get_parameters(client, list(scope.parameters))


def _task_families(client: Callable[[str], Any], prefix: str) -> list[str]:
    """The task definition families of the stack (none without a prefix: no ECS client is made)."""
    return ecs.list_task_definition_families(client("ecs"), prefix) if prefix else []


def read_records(sessions: SessionFactory, zone_id: str | None, zone_name: str) -> list[route53.Record]:
    """Every record of the zone (Route53's control plane lives in us-east-1); [] when the zone does not exist."""
    client = sessions.client("route53", "us-east-1")
    if zone_id is None:
        zone = route53.find_zone(client, zone_name)
        if zone is None:
            return []
        zone_id = zone.id
    return route53.list_records(client, zone_id)
