"""Everything a region holds (not only the stack's resources), read through the drivers: the demo's summary and the
drills' before/after fingerprints. Drift's scoped inventory of the stack's resources is `standby.drift.inventory`."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

from standby.aws import autoscaling, ec2, elbv2, rds, route53, ssm
from standby.aws.session import SessionFactory


@dataclass(frozen=True)
class RegionOverview:
    region: str
    vpcs: tuple[ec2.Vpc, ...]
    groups: tuple[autoscaling.GroupState, ...]
    load_balancers: tuple[elbv2.LoadBalancer, ...]
    databases: tuple[rds.DbInstance, ...]
    parameters: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        out = [f"{self.region}:"]
        for v in self.vpcs:
            if not v.is_default:
                out.append(f"  vpc            {v.id} {v.cidr} {v.name or ''}".rstrip())
        for g in self.groups:
            out.append(
                f"  auto scaling   {g.name}: desired {g.desired_capacity} (min {g.min_size}, max {g.max_size}),"
                f" {g.in_service} in service"
            )
        for lb in self.load_balancers:
            out.append(f"  load balancer  {lb.name} {lb.dns_name}")
        for db in self.databases:
            role = f"replica of {db.replica_source}" if db.replica_source else "primary"
            out.append(f"  database       {db.identifier} {db.engine} {db.engine_version} {db.instance_class}: {role}")
        for name in self.parameters:
            out.append(f"  ssm parameter  {name}")
        return out


@dataclass(frozen=True)
class ZoneInventory:
    zone: route53.Zone
    records: tuple[route53.Record, ...]

    def lines(self) -> list[str]:
        out = [f"route53 zone {self.zone.name} ({self.zone.id}):"]
        for r in self.records:
            if r.type in ("NS", "SOA"):
                continue
            target = r.alias_target or ", ".join(r.values)
            out.append(f"  {r.name} {r.type} {r.routing} -> {target}")
        return out


def region_overview(sessions: SessionFactory, region: str, parameter_prefix: str = "/") -> RegionOverview:
    def client(service: str) -> Any:
        return sessions.client(service, region)

    with ThreadPoolExecutor(max_workers=5, thread_name_prefix=f"inv-{region}") as pool:
        vpcs = pool.submit(ec2.describe_vpcs, client("ec2"))
        groups = pool.submit(autoscaling.describe_groups, client("autoscaling"))
        lbs = pool.submit(elbv2.describe_load_balancers, client("elbv2"))
        dbs = pool.submit(rds.describe_instances, client("rds"))
        params = pool.submit(ssm.list_parameter_names, client("ssm"), parameter_prefix)
        return RegionOverview(
            region=region,
            vpcs=tuple(vpcs.result()),
            groups=tuple(sorted(groups.result(), key=lambda g: g.name)),
            load_balancers=tuple(sorted(lbs.result(), key=lambda lb: lb.name)),
            databases=tuple(sorted(dbs.result(), key=lambda d: d.identifier)),
            parameters=tuple(params.result()),
        )


def zone_inventory(sessions: SessionFactory, zone_name: str) -> ZoneInventory | None:
    client = sessions.client("route53", "us-east-1")
    zone = route53.find_zone(client, zone_name)
    if zone is None:
        return None
    return ZoneInventory(zone, tuple(route53.list_records(client, zone.id)))
