"""The stacks' outputs read into the manifest (the names of what they created), pure."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from standby.config.schema import Config
from standby.state.manifest import DnsRefs, GroupRef, Manifest, RegionResources


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
