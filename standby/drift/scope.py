"""Which resources belong to the stack in each region: from the manifest, or from the stacks' outputs.

Inventory starts from these roots (auto scaling groups, databases, parameters, the DNS zone) and follows the
references the services return (group -> launch template -> security groups; group -> target group -> load
balancer -> listeners), so it never depends on the tagging API (which omits auto scaling groups).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from standby.config.schema import Config
from standby.stacks import region_resources
from standby.state.manifest import Manifest, RegionResources
from standby.state.roles import Assignment


@dataclass(frozen=True)
class RegionScope:
    region: str
    role: str  # primary | standby
    groups: Mapping[str, str] = field(default_factory=dict)  # capacity group -> auto scaling group name
    databases: tuple[str, ...] = ()
    parameters: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()  # extra roots, when the stack publishes them
    task_family_prefix: str = ""

    @property
    def parameter_path(self) -> str | None:
        """The deepest path holding every parameter (``/webapp``), to find parameters added by hand too."""
        return parameter_path(self.parameters)


@dataclass(frozen=True)
class Scope:
    primary: RegionScope
    standby: RegionScope
    zone_id: str | None
    zone_name: str
    record_fqdns: tuple[str, ...]
    source: str  # manifest | outputs

    def of(self, role: str) -> RegionScope:
        return self.primary if role == "primary" else self.standby

    @property
    def regions(self) -> tuple[RegionScope, RegionScope]:
        return (self.primary, self.standby)


def parameter_path(names: tuple[str, ...]) -> str | None:
    if not names:
        return None
    parents = [n.rsplit("/", 1)[0] for n in names if n.startswith("/")]
    if len(parents) != len(names):
        return None
    common = os.path.commonpath(parents) if parents else ""
    return common if common not in ("", "/") else None


def _region_scope(resources: RegionResources, role: str, project: str, sg_ids: tuple[str, ...] = ()) -> RegionScope:
    return RegionScope(
        region=resources.region,
        role=role,
        groups={group: ref.autoscaling_group for group, ref in resources.groups.items()},
        databases=tuple(resources.databases),
        parameters=tuple(resources.parameters),
        security_group_ids=sg_ids,
        task_family_prefix=project,
    )


def _record_fqdns(config: Config) -> tuple[str, ...]:
    zone = config.traffic.hosted_zone.rstrip(".")
    return tuple(f"{name}.{zone}" if not name.endswith(zone) else name for name in config.traffic.records)


def scope_from_manifest(config: Config, assignment: Assignment, manifest: Manifest) -> Scope:
    project = config.project.name
    dns = manifest.dns
    return Scope(
        primary=_region_scope(manifest.region(assignment.primary), "primary", project),
        standby=_region_scope(manifest.region(assignment.standby), "standby", project),
        zone_id=dns.zone_id if dns else None,
        zone_name=(dns.zone_name if dns and dns.zone_name else config.traffic.hosted_zone),
        record_fqdns=tuple(dns.record_fqdns) if dns and dns.record_fqdns else _record_fqdns(config),
        source="manifest",
    )


def scope_from_outputs(
    config: Config,
    assignment: Assignment,
    region_outputs: Mapping[str, Mapping[str, Any]],
    dns_outputs: Mapping[str, Any] | None = None,
) -> Scope:
    """The same roots read from the region stacks' outputs (and the global stack's, when applied)."""
    project = config.project.name

    def region(role: str) -> RegionScope:
        name = assignment.region_of(role)  # type: ignore[arg-type]
        outputs = region_outputs.get(name) or {}
        sg_ids = tuple(sorted((outputs.get("security_group_ids") or {}).values()))
        return _region_scope(region_resources(name, outputs), role, project, sg_ids)

    dns = dns_outputs or {}
    return Scope(
        primary=region("primary"),
        standby=region("standby"),
        zone_id=str(dns["zone_id"]) if dns.get("zone_id") else None,
        zone_name=str(dns.get("zone_name") or config.traffic.hosted_zone),
        record_fqdns=tuple(dns.get("record_fqdns") or ()) or _record_fqdns(config),
        source="outputs",
    )
