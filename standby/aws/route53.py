"""Route53 driver: hosted zones, record sets, health checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from standby.aws.paging import paged
from standby.aws.permissions import requires


@dataclass(frozen=True)
class Zone:
    """A hosted zone as ListHostedZones reports it."""

    id: str
    name: str
    record_count: int


@dataclass(frozen=True)
class Record:
    """One record set of a zone; ``raw`` is AWS's document, sent back as is to delete or restore it."""

    name: str
    type: str
    set_identifier: str | None
    failover: str | None
    weight: int | None
    ttl: int | None
    values: tuple[str, ...]
    alias_target: str | None
    health_check_id: str | None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def routing(self) -> str:
        if self.failover:
            return f"failover {self.failover}"
        if self.weight is not None:
            return f"weight {self.weight}"
        return "simple"


def normalize_name(name: str) -> str:
    return name if name.endswith(".") else name + "."


def _zone(doc: dict[str, Any]) -> Zone:
    return Zone(id=doc["Id"].split("/")[-1], name=doc["Name"], record_count=int(doc.get("ResourceRecordSetCount", 0)))


@requires("route53:ListHostedZones")
def list_zones(client: Any) -> list[Zone]:
    return [_zone(doc) for doc in paged(client, "list_hosted_zones", "HostedZones")]


def find_zone(client: Any, name: str) -> Zone | None:
    wanted = normalize_name(name)
    return next((z for z in list_zones(client) if z.name == wanted), None)


def _record(doc: dict[str, Any]) -> Record:
    alias = doc.get("AliasTarget") or {}
    return Record(
        name=doc["Name"],
        type=doc["Type"],
        set_identifier=doc.get("SetIdentifier"),
        failover=doc.get("Failover"),
        weight=int(doc["Weight"]) if "Weight" in doc else None,
        ttl=int(doc["TTL"]) if "TTL" in doc else None,
        values=tuple(r["Value"] for r in doc.get("ResourceRecords") or ()),
        alias_target=alias.get("DNSName"),
        health_check_id=doc.get("HealthCheckId"),
        raw=doc,
    )


@requires("route53:ListResourceRecordSets")
def list_records(client: Any, zone_id: str) -> list[Record]:
    return [
        _record(doc) for doc in paged(client, "list_resource_record_sets", "ResourceRecordSets", HostedZoneId=zone_id)
    ]


@requires("route53:ChangeResourceRecordSets")
def change_records(client: Any, zone_id: str, changes: list[dict[str, Any]], comment: str) -> str:
    """Apply all changes to one zone in a single atomic batch; returns the change id."""
    response = client.change_resource_record_sets(
        HostedZoneId=zone_id, ChangeBatch={"Comment": comment[:256], "Changes": changes}
    )
    return str(response["ChangeInfo"]["Id"]).split("/")[-1]


@requires("route53:GetChange")
def change_status(client: Any, change_id: str) -> str:
    return str(client.get_change(Id=change_id)["ChangeInfo"]["Status"])


@dataclass(frozen=True)
class HealthCheck:
    """A health check as ListHealthChecks reports it; the traffic switches are found by caller reference."""

    id: str
    caller_reference: str
    type: str


def _health_check(doc: dict[str, Any]) -> HealthCheck:
    return HealthCheck(doc["Id"], doc.get("CallerReference", ""), (doc.get("HealthCheckConfig") or {}).get("Type", ""))


@requires("route53:ListHealthChecks")
def list_health_checks(client: Any) -> list[HealthCheck]:
    return [_health_check(doc) for doc in paged(client, "list_health_checks", "HealthChecks")]


def find_health_check(client: Any, caller_reference: str) -> HealthCheck | None:
    return next((h for h in list_health_checks(client) if h.caller_reference == caller_reference), None)


@requires("route53:CreateHealthCheck", "route53:ChangeTagsForResource")
def create_alarm_health_check(
    client: Any, caller_reference: str, alarm_region: str, alarm_name: str, tags: dict[str, str]
) -> str:
    """A health check that follows a CloudWatch alarm: unhealthy while the alarm is in ALARM."""
    doc = client.create_health_check(
        CallerReference=caller_reference,
        HealthCheckConfig={
            "Type": "CLOUDWATCH_METRIC",
            "AlarmIdentifier": {"Region": alarm_region, "Name": alarm_name},
            "InsufficientDataHealthStatus": "LastKnownStatus",
        },
    )["HealthCheck"]
    client.change_tags_for_resource(
        ResourceType="healthcheck", ResourceId=doc["Id"], AddTags=[{"Key": k, "Value": v} for k, v in tags.items()]
    )
    return str(doc["Id"])


@dataclass(frozen=True)
class HealthCheckObservation:
    region: str  # where the checker (or, for a CLOUDWATCH_METRIC check, the alarm) is
    status: str  # Route53's report, "Success: ..." or "Failure: ..."

    @property
    def success(self) -> bool:
        return self.status.startswith("Success")


@requires("route53:GetHealthCheckStatus")
def health_check_status(client: Any, health_check_id: str) -> tuple[HealthCheckObservation, ...]:
    """What Route53's health checkers last reported for a health check, one observation per checker."""
    docs = client.get_health_check_status(HealthCheckId=health_check_id).get("HealthCheckObservations") or []
    return tuple(
        HealthCheckObservation(d.get("Region", ""), str((d.get("StatusReport") or {}).get("Status", ""))) for d in docs
    )
