"""Route53 as AWS behaves where standby depends on it: change propagation, alarm-following health checks.

* ChangeResourceRecordSets returns a new change id each time (moto returns one fixed id) and GetChange
  answers PENDING until the modelled propagation delay has passed since that call, then INSYNC. Ids this
  emulator did not issue (e.g. moto's fixed CreateHostedZone change) answer INSYNC, as moto does.
* CLOUDWATCH_METRIC health checks keep their AlarmIdentifier and InsufficientDataHealthStatus (moto drops
  them and reports an IP address, port and request interval they do not have), and GetHealthCheckStatus
  follows the alarm: Failure while it is ALARM, Success while OK; INSUFFICIENT_DATA follows
  InsufficientDataHealthStatus (Healthy, Unhealthy, or LastKnownStatus: the last status reported, healthy at
  first). Inverted checks report the opposite; disabled checks are healthy, as on AWS.
"""

from __future__ import annotations

import datetime as dt
import secrets
import string
from dataclasses import dataclass
from typing import Any

from moto.cloudwatch.models import cloudwatch_backends
from moto.core.responses import ActionResult
from moto.route53.models import HealthCheck
from moto.route53.responses import Route53

from standby.emulation.cloudwatch import CloudWatchEmulation
from standby.emulation.state import EmulationState

_ID_ALPHABET = string.ascii_uppercase + string.digits


@dataclass(frozen=True)
class Change:
    id: str
    submitted_modelled: float
    submitted_at: dt.datetime


class Route53Emulation:
    def __init__(self, state: EmulationState, cloudwatch: CloudWatchEmulation) -> None:
        self.state = state
        self.cloudwatch = cloudwatch
        self.changes: dict[str, Change] = {}
        self.last_healthy: dict[str, bool] = {}  # health check id -> last status reported

    def reset(self) -> None:
        self.changes.clear()
        self.last_healthy.clear()

    def describe(self) -> dict[str, Any]:
        pending = sum(1 for c in self.changes.values() if self.status(c) == "PENDING")
        return {"changes": len(self.changes), "changes_pending": pending}

    def new_change(self) -> Change:
        change_id = "C" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(20))
        change = Change(change_id, self.state.clock.now(), dt.datetime.now(dt.UTC))
        self.changes[change_id] = change
        return change

    def status(self, change: Change) -> str:
        elapsed = self.state.clock.now() - change.submitted_modelled
        return "INSYNC" if elapsed >= self.state.insync_seconds else "PENDING"

    def health(self, account_id: str, check: HealthCheck) -> tuple[bool, str]:
        """Whether a CLOUDWATCH_METRIC health check is healthy now, and why."""
        alarm = getattr(check, "alarm_identifier", None) or {}
        region, name = alarm.get("Region", ""), alarm.get("Name", "")
        if check.disabled:
            return True, "Success: the health check is disabled"
        backend = cloudwatch_backends[account_id][region] if region else None
        state = self.cloudwatch.alarm_state(backend, name) if backend is not None else None
        if state == "ALARM":
            healthy, why = False, f"Failure: the CloudWatch alarm {name} in {region} is ALARM"
        elif state == "OK":
            healthy, why = True, f"Success: the CloudWatch alarm {name} in {region} is OK"
        else:
            setting = getattr(check, "insufficient_data_health_status", None) or "LastKnownStatus"
            seen = "INSUFFICIENT_DATA" if state else "not found"
            if setting == "Healthy":
                healthy = True
            elif setting == "Unhealthy":
                healthy = False
            else:
                healthy = self.last_healthy.get(check.id, True)
            outcome = "Success" if healthy else "Failure"
            why = f"{outcome}: the CloudWatch alarm {name} in {region} is {seen} ({setting})"
        if check.inverted:
            healthy = not healthy
            why = f"{'Success' if healthy else 'Failure'} (inverted): {why.split(': ', 1)[1]}"
        self.last_healthy[check.id] = healthy
        return healthy, why


def _health_check_config(self: HealthCheck) -> dict[str, Any]:
    if self.type_ != "CLOUDWATCH_METRIC":
        return _original_config.fget(self)  # type: ignore[no-any-return, union-attr]
    return {
        "Type": self.type_,
        "Inverted": self.inverted,
        "Disabled": self.disabled,
        "AlarmIdentifier": getattr(self, "alarm_identifier", None),
        "InsufficientDataHealthStatus": getattr(self, "insufficient_data_health_status", None),
    }


def _cloud_watch_alarm_configuration(self: HealthCheck) -> dict[str, Any] | None:
    """What AWS reports of the followed alarm; moto's serializer reads it for CloudWatchAlarmConfiguration."""
    alarm = getattr(self, "alarm_identifier", None)
    account = getattr(self, "account_id_for_alarm", None)
    if self.type_ != "CLOUDWATCH_METRIC" or not alarm or not account:
        return None
    backend = cloudwatch_backends[account][alarm["Region"]]
    found = backend.alarms.get(alarm["Name"])
    if found is None:
        return None
    return {
        "EvaluationPeriods": found.evaluation_periods,
        "Threshold": found.threshold,
        "ComparisonOperator": found.comparison_operator,
        "Period": found.period,
        "MetricName": found.metric_name,
        "Namespace": found.namespace,
        "Statistic": found.statistic,
        "Dimensions": [{"Name": d.name, "Value": d.value} for d in found.dimensions],
    }


_original_config = HealthCheck.health_check_config


def install(state: EmulationState, cloudwatch: CloudWatchEmulation) -> Route53Emulation:
    emulation = Route53Emulation(state, cloudwatch)
    state.register("route53", emulation)
    original_change = Route53.change_resource_record_sets
    original_create_check = Route53.create_health_check
    original_update_check = Route53.update_health_check

    def change_resource_record_sets(self: Route53) -> ActionResult:
        original_change(self)
        change = emulation.new_change()
        return ActionResult(
            {"ChangeInfo": {"Id": f"/change/{change.id}", "Status": "PENDING", "SubmittedAt": change.submitted_at}}
        )

    def get_change(self: Route53) -> ActionResult:
        change_id = str(self._get_param("Id")).split("/")[-1]
        change = emulation.changes.get(change_id)
        status = emulation.status(change) if change is not None else "INSYNC"
        submitted = change.submitted_at if change is not None else dt.datetime.now(dt.UTC)
        return ActionResult({"ChangeInfo": {"Id": f"/change/{change_id}", "Status": status, "SubmittedAt": submitted}})

    def keep_alarm(self: Route53, check: HealthCheck, config: dict[str, Any]) -> None:
        if config.get("AlarmIdentifier"):
            check.alarm_identifier = dict(config["AlarmIdentifier"])  # type: ignore[attr-defined]
        if config.get("InsufficientDataHealthStatus"):
            check.insufficient_data_health_status = config["InsufficientDataHealthStatus"]  # type: ignore[attr-defined]
        check.account_id_for_alarm = self.current_account  # type: ignore[attr-defined]

    def create_health_check(self: Route53) -> ActionResult:
        result = original_create_check(self)
        check = result.result["HealthCheck"]  # type: ignore[index]
        keep_alarm(self, check, self._get_param("HealthCheckConfig") or {})
        return result

    def update_health_check(self: Route53) -> ActionResult:
        result = original_update_check(self)
        check = result.result["HealthCheck"]  # type: ignore[index]
        keep_alarm(
            self,
            check,
            {
                "AlarmIdentifier": self._get_param("AlarmIdentifier"),
                "InsufficientDataHealthStatus": self._get_param("InsufficientDataHealthStatus"),
            },
        )
        return result

    def get_health_check_status(self: Route53) -> ActionResult:
        check = self.backend.get_health_check(self._get_param("HealthCheckId"))
        if check.type_ != "CLOUDWATCH_METRIC":
            return original_status(self)
        _, why = emulation.health(self.current_account, check)
        region = (getattr(check, "alarm_identifier", None) or {}).get("Region", "us-east-1")
        observation = {"Region": region, "StatusReport": {"Status": why, "CheckedTime": dt.datetime.now(dt.UTC)}}
        return ActionResult({"HealthCheckObservations": [observation]})

    original_status = Route53.get_health_check_status
    Route53.change_resource_record_sets = change_resource_record_sets  # type: ignore[method-assign]
    Route53.get_change = get_change  # type: ignore[method-assign]
    Route53.create_health_check = create_health_check  # type: ignore[method-assign]
    Route53.update_health_check = update_health_check  # type: ignore[method-assign]
    Route53.get_health_check_status = get_health_check_status  # type: ignore[method-assign]
    HealthCheck.health_check_config = property(_health_check_config)  # type: ignore[method-assign, assignment]
    HealthCheck.cloud_watch_alarm_configuration = property(_cloud_watch_alarm_configuration)  # type: ignore[attr-defined]
    return emulation
