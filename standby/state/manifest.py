"""The manifest: names of what each region's stacks created, recorded in both regions' control stores.

Written by provisioning from the stacks' outputs (``standby.stacks.build_manifest``), so that a failover finds the
standby's resources with no Terraform state and no call to the primary region. Also the primary's capacity
snapshot, kept in the standby region.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from standby.config.schema import Capacity


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

    @property
    def has_databases(self) -> bool:
        """Whether a region's stack created a database (a replicated data store). Without one there is nothing to
        promote, fence or re-seed, and the RPO does not apply: no data is replicated, so none can be lost."""
        return any(resources.databases for resources in self.regions.values())


class CapacitySnapshot(_Doc):
    """The primary's observed capacity, kept in the standby region for a failover that cannot ask the primary."""

    taken_at: float
    source_region: str
    groups: dict[str, Capacity]

    def age(self, now: float) -> float:
        return max(0.0, now - self.taken_at)
