"""CloudWatch alarms that evaluate their metric, as AWS's do.

moto never evaluates an alarm: it starts ``OK`` and changes only by SetAlarmState. Here a metric alarm
(namespace, metric name, dimensions, statistic, period, evaluation periods, datapoints to alarm, threshold,
comparison operator, treat-missing-data) is evaluated against the datapoints moto stored:

* when it is described (DescribeAlarms, DescribeAlarmsForMetric, and a Route53 health check that follows it),
  if it was not evaluated, nor set by SetAlarmState, within the last ``EVALUATION_INTERVAL_S`` (AWS evaluates
  alarms about once a minute);
* at once after PutMetricData writes its metric.

A new alarm starts ``INSUFFICIENT_DATA`` (as on AWS); PutMetricAlarm on an existing alarm keeps its state.
SetAlarmState is temporary, as on AWS: the state it sets holds until the next evaluation changes it.
Alarms on metric math, percentiles or anomaly bands are left as moto keeps them (never evaluated).

CloudWatch time is wall-clock time (datapoint timestamps are the client's): it does not follow the time scale.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

from moto.cloudwatch.models import Alarm, CloudWatchBackend, MetricDatumBase, Statistics

from standby.emulation.state import EmulationState

EVALUATION_INTERVAL_S = 60.0
STATISTICS = ("Average", "Sum", "Minimum", "Maximum", "SampleCount")
OPERATORS = {
    "GreaterThanOrEqualToThreshold": (lambda v, t: v >= t, "greater than or equal to"),
    "GreaterThanThreshold": (lambda v, t: v > t, "greater than"),
    "LessThanThreshold": (lambda v, t: v < t, "less than"),
    "LessThanOrEqualToThreshold": (lambda v, t: v <= t, "less than or equal to"),
}


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _naive(at: dt.datetime) -> dt.datetime:
    return at.astimezone(dt.UTC).replace(tzinfo=None) if at.tzinfo is not None else at


def evaluable(alarm: Alarm) -> bool:
    return (
        not alarm.metric_data_queries
        and not alarm.rule
        and bool(alarm.metric_name and alarm.namespace)
        and alarm.statistic in STATISTICS
        and alarm.comparison_operator in OPERATORS
        and bool(alarm.period)
        and bool(alarm.evaluation_periods)
    )


def _dimension_set(dimensions: list[Any]) -> frozenset[tuple[str, str]]:
    return frozenset((d.name, d.value) for d in dimensions)


def period_values(alarm: Alarm, data: list[MetricDatumBase], now: dt.datetime) -> list[float | None]:
    """The alarm's statistic over each of its last evaluation periods, newest first (None: no datapoint)."""
    wanted = _dimension_set(alarm.dimensions)
    mine = [
        d
        for d in data
        if d.namespace == alarm.namespace
        and d.name == alarm.metric_name
        and _dimension_set(d.dimensions) == wanted
        and (not alarm.unit or d.unit == alarm.unit)
    ]
    period = dt.timedelta(seconds=int(alarm.period))
    values: list[float | None] = []
    for k in range(int(alarm.evaluation_periods)):
        end = now - k * period
        stats = Statistics([alarm.statistic], end - period)
        stats.metric_data = [d for d in mine if end - period <= _naive(d.timestamp) < end]
        value = stats.get_statistics_for_type(alarm.statistic) if stats.metric_data else None
        values.append(float(value) if value is not None else None)
    return values


def judge(alarm: Alarm, values: list[float | None]) -> tuple[str | None, str]:
    """The state the values put the alarm in (None: keep the current one) and a reason like AWS's."""
    breaches, words = OPERATORS[alarm.comparison_operator]
    treat = alarm.treat_missing_data or "missing"
    needed = int(alarm.datapoints_to_alarm or alarm.evaluation_periods)
    verdicts: list[bool | None] = []
    for value in values:
        if value is None:
            verdicts.append(True if treat == "breaching" else False if treat == "notBreaching" else None)
        else:
            verdicts.append(breaches(value, float(alarm.threshold)))
    breaching = sum(1 for v in verdicts if v)
    shown = ", ".join("missing" if v is None else f"{v:g}" for v in values)
    if breaching >= needed:
        return "ALARM", (
            f"Threshold Crossed: {breaching} out of the last {len(values)} datapoints [{shown}] "
            f"{'was' if breaching == 1 else 'were'} {words} the threshold ({float(alarm.threshold):g})."
        )
    if all(v is None for v in verdicts):
        if treat == "ignore":
            return None, ""
        return "INSUFFICIENT_DATA", f"Insufficient Data: {len(values)} datapoints were unknown."
    return "OK", (
        f"Threshold Crossed: {len(values) - breaching} out of the last {len(values)} datapoints [{shown}] "
        f"{'was' if len(values) - breaching == 1 else 'were'} not {words} the threshold ({float(alarm.threshold):g})."
    )


class CloudWatchEmulation:
    """When each alarm was last evaluated or set by hand (wall-clock seconds), by alarm ARN."""

    def __init__(self, state: EmulationState) -> None:
        self.state = state
        self.evaluated_at: dict[str, float] = {}
        self.set_at: dict[str, float] = {}

    def reset(self) -> None:
        self.evaluated_at.clear()
        self.set_at.clear()

    def describe(self) -> dict[str, Any]:
        return {"alarms_evaluated": len(self.evaluated_at), "alarms_set_by_hand": len(self.set_at)}

    def due(self, alarm: Alarm, now: float) -> bool:
        last = max(self.evaluated_at.get(alarm.alarm_arn, -1e18), self.set_at.get(alarm.alarm_arn, -1e18))
        return now - last >= EVALUATION_INTERVAL_S

    def evaluate(self, backend: CloudWatchBackend, alarm: Alarm) -> None:
        if not evaluable(alarm):
            return
        now = _utcnow()
        state, reason = judge(alarm, period_values(alarm, backend.get_all_metrics(), now))
        self.evaluated_at[alarm.alarm_arn] = time.time()
        if state is not None and state != alarm.state_value:
            data = {"version": "1.0", "queryDate": now.isoformat(), "evaluatedDatapoints": []}
            alarm.update_state(reason, json.dumps(data), state)

    def evaluate_due(self, backend: CloudWatchBackend) -> None:
        now = time.time()
        for alarm in list(backend.alarms.values()):
            if self.due(alarm, now):
                self.evaluate(backend, alarm)

    def alarm_state(self, backend: CloudWatchBackend, name: str) -> str | None:
        """The state of a named alarm, evaluated first when due; None when there is no such alarm."""
        alarm = backend.alarms.get(name)
        if alarm is None:
            return None
        if self.due(alarm, time.time()):
            self.evaluate(backend, alarm)
        return str(alarm.state_value)


def install(state: EmulationState) -> CloudWatchEmulation:
    emulation = CloudWatchEmulation(state)
    state.register("cloudwatch", emulation)
    cls = CloudWatchBackend

    def evaluating(method: Any) -> Any:
        def wrapper(self: CloudWatchBackend, *args: Any, **kwargs: Any) -> Any:
            emulation.evaluate_due(self)
            return method(self, *args, **kwargs)

        return wrapper

    for name in (
        "describe_alarms",
        "get_alarms_by_action_prefix",
        "get_alarms_by_alarm_name_prefix",
        "get_alarms_by_alarm_names",
        "get_alarms_by_state_value",
    ):
        setattr(cls, name, evaluating(getattr(cls, name)))

    original_put_data = cls.put_metric_data
    original_set_state = cls.set_alarm_state
    original_put_alarm = cls.put_metric_alarm
    original_delete = cls.delete_alarms

    def put_metric_data(self: CloudWatchBackend, namespace: str, metric_data: list[dict[str, Any]]) -> None:
        original_put_data(self, namespace, metric_data)
        names = {m.get("MetricName") for m in metric_data}
        for alarm in list(self.alarms.values()):
            if alarm.namespace == namespace and alarm.metric_name in names:
                emulation.evaluate(self, alarm)

    def set_alarm_state(self: CloudWatchBackend, alarm_name: str, *args: Any, **kwargs: Any) -> None:
        original_set_state(self, alarm_name, *args, **kwargs)
        emulation.set_at[self.alarms[alarm_name].alarm_arn] = time.time()

    def put_metric_alarm(self: CloudWatchBackend, name: str, *args: Any, **kwargs: Any) -> Alarm:
        previous = self.alarms.get(name)
        alarm = original_put_alarm(self, name, *args, **kwargs)
        if previous is not None:
            alarm.state_value = previous.state_value
            alarm.state_reason = previous.state_reason
            alarm.state_reason_data = previous.state_reason_data
            alarm.state_updated_timestamp = previous.state_updated_timestamp
            alarm.history = previous.history
        else:
            alarm.state_value = "INSUFFICIENT_DATA"
        emulation.evaluated_at.pop(alarm.alarm_arn, None)
        emulation.set_at.pop(alarm.alarm_arn, None)
        return alarm

    def delete_alarms(self: CloudWatchBackend, alarm_names: list[str]) -> None:
        for name in alarm_names:
            if name in self.alarms:
                emulation.evaluated_at.pop(self.alarms[name].alarm_arn, None)
                emulation.set_at.pop(self.alarms[name].alarm_arn, None)
        original_delete(self, alarm_names)

    cls.put_metric_data = put_metric_data  # type: ignore[method-assign]
    cls.set_alarm_state = set_alarm_state  # type: ignore[method-assign]
    cls.put_metric_alarm = put_metric_alarm  # type: ignore[method-assign]
    cls.delete_alarms = delete_alarms  # type: ignore[method-assign]
    return emulation
