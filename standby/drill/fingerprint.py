"""Before/after fingerprints of both regions, and their difference: what a drill left behind.

A fingerprint is a flat map ``"region kind name" -> "state"``; comparing two is a pure function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from standby.aws import rds, route53
from standby.aws.session import SessionFactory
from standby.inventory import region_overview, zone_inventory


@dataclass(frozen=True)
class Difference:
    key: str
    before: str | None  # None: created by the drill
    after: str | None  # None: deleted by the drill

    def describe(self) -> str:
        if self.before is None:
            return f"{self.key}: left behind ({self.after})"
        if self.after is None:
            return f"{self.key}: missing afterwards (was {self.before})"
        return f"{self.key}: {self.before} -> {self.after}"


DbRole = Callable[[str, rds.DbInstance], str]


def api_role(region: str, db: rds.DbInstance) -> str:
    return f"replica of {db.replica_source}" if db.replica_source else "primary"


def fingerprint(
    sessions: SessionFactory, regions: Iterable[str], zone_name: str | None, db_role: DbRole = api_role
) -> dict[str, str]:
    """``db_role`` judges a database's role (the controller's promotion judgement, not the raw replica link)."""
    items: dict[str, str] = {}
    for region in regions:
        inv = region_overview(sessions, region)
        for g in inv.groups:
            tags = ",".join(f"{k}={v}" for k, v in g.tags)
            items[f"{region} asg {g.name}"] = (
                f"min={g.min_size} max={g.max_size} desired={g.desired_capacity} in_service={g.in_service} tags[{tags}]"
            )
        for db in inv.databases:
            items[f"{region} db {db.identifier}"] = f"{db.status} {db.instance_class} {db_role(region, db)}"
        for lb in inv.load_balancers:
            items[f"{region} lb {lb.name}"] = lb.dns_name
        for name in inv.parameters:
            items[f"{region} ssm {name}"] = "present"
        for vpc in inv.vpcs:
            items[f"{region} vpc {vpc.id}"] = vpc.cidr
    if zone_name:
        zone = zone_inventory(sessions, zone_name)
        if zone is not None:
            for r in zone.records:
                items[f"dns {r.name} {r.type} {r.set_identifier or '-'}"] = _record_state(r)
    return items


def _record_state(r: route53.Record) -> str:
    target = r.alias_target or ",".join(sorted(r.values))
    return f"{r.routing} ttl={r.ttl if r.ttl is not None else '-'} -> {target}"


def differences(before: dict[str, str], after: dict[str, str]) -> list[Difference]:
    keys = sorted(set(before) | set(after))
    return [Difference(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]
