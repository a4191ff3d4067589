"""Traffic switches: the data-plane way to move traffic, with no Route53 control-plane call during recovery.

Each region R has a switch: a CloudWatch alarm kept in the *other* region (so it can be flipped while R is
down) and a Route53 health check that follows it. R's service records carry that health check. Evacuating R
publishes the switch metric (and sets the alarm's state at once): the health check fails, and Route53 answers
with the other region's records. Switches are created by `standby provision` (traffic_mode = "health-check")
and given to the DNS stack as ``health_check_ids_override``.
"""

from __future__ import annotations

from dataclasses import dataclass

from standby.aws import cloudwatch, route53
from standby.aws.session import SessionFactory
from standby.config.schema import Config

NAMESPACE = "Standby/TrafficSwitch"
METRIC = "Evacuate"
ROUTE53_REGION = "us-east-1"


@dataclass(frozen=True)
class Switch:
    region: str  # the region whose traffic it controls
    alarm_region: str  # where its alarm lives: the other region
    alarm_name: str
    caller_reference: str

    @property
    def dimensions(self) -> dict[str, str]:
        return {"Region": self.region}


def switches(config: Config) -> dict[str, Switch]:
    primary, standby = config.regions.primary, config.regions.standby
    project = config.project.name
    return {
        region: Switch(
            region=region,
            alarm_region=other,
            alarm_name=f"standby-{project}-evacuate-{region}",
            caller_reference=f"standby-{project}-evacuate-{region}",
        )
        for region, other in ((primary, standby), (standby, primary))
    }


def find_switch_health_checks(sessions: SessionFactory, config: Config) -> dict[str, str] | None:
    """Region -> health check id of every switch, or None while any is missing (read-only)."""
    client = sessions.client("route53", ROUTE53_REGION)
    found: dict[str, str] = {}
    for region, switch in switches(config).items():
        check = route53.find_health_check(client, switch.caller_reference)
        if check is None:
            return None
        found[region] = check.id
    return found


def ensure_switches(sessions: SessionFactory, config: Config) -> dict[str, str]:
    """Create the switches' alarms and health checks where missing (idempotent); region -> health check id."""
    client = sessions.client("route53", ROUTE53_REGION)
    ids: dict[str, str] = {}
    for region, switch in switches(config).items():
        cloudwatch.put_switch_alarm(
            sessions.client("cloudwatch", switch.alarm_region), switch.alarm_name, NAMESPACE, METRIC, switch.dimensions
        )
        check = route53.find_health_check(client, switch.caller_reference)
        ids[region] = (
            check.id
            if check is not None
            else route53.create_alarm_health_check(
                client,
                switch.caller_reference,
                switch.alarm_region,
                switch.alarm_name,
                {"Name": switch.alarm_name, "standby:project": config.project.name},
            )
        )
    return ids


def set_evacuated(sessions: SessionFactory, switch: Switch, evacuated: bool, reason: str) -> None:
    """Publish the switch metric (the durable truth) and set the alarm's state now (CloudWatch evaluates later)."""
    client = sessions.client("cloudwatch", switch.alarm_region)
    cloudwatch.put_metric(client, NAMESPACE, METRIC, 1.0 if evacuated else 0.0, switch.dimensions)
    cloudwatch.set_alarm_state(client, switch.alarm_name, "ALARM" if evacuated else "OK", reason)


def is_evacuated(sessions: SessionFactory, switch: Switch) -> bool | None:
    """True when the switch's alarm is in ALARM; None when its state is unknown."""
    state = cloudwatch.alarm_state(sessions.client("cloudwatch", switch.alarm_region), switch.alarm_name)
    return None if state is None or state == "INSUFFICIENT_DATA" else state == "ALARM"
