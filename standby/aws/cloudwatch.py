"""CloudWatch driver: replica lag and other metrics, alarm state for data-plane traffic switches."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from standby.aws.permissions import requires


@dataclass(frozen=True)
class MetricReading:
    value: float
    at: dt.datetime


@requires("cloudwatch:GetMetricStatistics")
def latest_metric(
    client: Any,
    namespace: str,
    metric: str,
    dimensions: dict[str, str],
    *,
    now: dt.datetime,
    window_seconds: int = 900,
    period: int = 60,
    statistic: str = "Maximum",
) -> MetricReading | None:
    """The most recent datapoint of a metric within the window, or None when there is none."""
    response = client.get_metric_statistics(
        Namespace=namespace,
        MetricName=metric,
        Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()],
        StartTime=now - dt.timedelta(seconds=window_seconds),
        EndTime=now + dt.timedelta(seconds=period),
        Period=period,
        Statistics=[statistic],
    )
    points = response.get("Datapoints") or []
    if not points:
        return None
    latest = max(points, key=lambda p: p["Timestamp"])
    return MetricReading(float(latest[statistic]), latest["Timestamp"])


def replica_lag(client: Any, db_identifier: str, *, now: dt.datetime) -> MetricReading | None:
    """RDS ReplicaLag (seconds) of a read replica."""
    return latest_metric(client, "AWS/RDS", "ReplicaLag", {"DBInstanceIdentifier": db_identifier}, now=now)


@requires("cloudwatch:PutMetricData")
def put_metric(client: Any, namespace: str, metric: str, value: float, dimensions: dict[str, str]) -> None:
    client.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": metric,
                "Value": value,
                "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
            }
        ],
    )


@requires("cloudwatch:DescribeAlarms")
def alarm_state(client: Any, alarm_name: str) -> str | None:
    alarms = client.describe_alarms(AlarmNames=[alarm_name]).get("MetricAlarms") or []
    return alarms[0]["StateValue"] if alarms else None


@requires("cloudwatch:SetAlarmState")
def set_alarm_state(client: Any, alarm_name: str, state: str, reason: str) -> None:
    client.set_alarm_state(AlarmName=alarm_name, StateValue=state, StateReason=reason)


@requires("cloudwatch:PutMetricAlarm")
def put_switch_alarm(client: Any, name: str, namespace: str, metric: str, dimensions: dict[str, str]) -> None:
    """An alarm that is ALARM while the metric's latest value is >= 1, and keeps its state when no data arrives."""
    client.put_metric_alarm(
        AlarmName=name,
        AlarmDescription="standby traffic switch: ALARM evacuates the region (its Route53 health check fails)",
        Namespace=namespace,
        MetricName=metric,
        Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()],
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="ignore",
    )
