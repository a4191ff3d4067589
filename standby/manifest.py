"""The manifest: names of what each region's stacks created, recorded in both regions' control stores.

Written by provisioning from the stacks' outputs, so that a failover finds the standby's resources with no
Terraform state and no call to the primary region. Also the primary's capacity snapshot and the role record.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from standby.config.schema import Capacity, Config


class _Doc(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class GroupRef(_Doc):
    autoscaling_group: str
    target_group_arn: str | None = None
    lb_dns_name: str | None = None
    lb_zone_id: str | None = None


class RegionResources(_Doc):
    region: str
    groups: dict[str, GroupRef] = Field(default_factory=dict)
    databases: tuple[str, ...] = ()
    database_arns: tuple[str, ...] = ()
    parameters: tuple[str, ...] = ()


class DnsRefs(_Doc):
    zone_id: str
    zone_name: str
    record_fqdns: tuple[str, ...]
    health_check_ids: dict[str, str] = Field(default_factory=dict)
    routing_policy: str = "failover"


class Manifest(_Doc):
    version: int = 1
    project: str
    written_at: float
    regions: dict[str, RegionResources]
    dns: DnsRefs | None = None

    def region(self, name: str) -> RegionResources:
        return self.regions.get(name) or RegionResources(region=name)


class CapacitySnapshot(_Doc):
    """The primary's observed capacity, kept in the standby region for a failover that cannot ask the primary."""

    taken_at: float
    source_region: str
    groups: dict[str, Capacity]

    def age(self, now: float) -> float:
        return max(0.0, now - self.taken_at)


class RoleRecord(_Doc):
    generation: int
    primary: str
    standby: str
    changed_at: float
    run_id: str | None = None


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
