"""The emulator's CloudWatch: alarms evaluate the datapoints they watch; SetAlarmState holds until the next
evaluation."""

from __future__ import annotations

from typing import Any

import boto3

EAST = "us-east-1"


def client(endpoint: str, service: str, region: str = EAST) -> Any:
    return boto3.client(
        service, region_name=region, endpoint_url=endpoint, aws_access_key_id="t", aws_secret_access_key="t"
    )


def put_alarm(cloudwatch: Any, name: str, *, treat: str = "missing", statistic: str = "Maximum", **extra: Any) -> None:
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        Namespace="Test/App",
        MetricName="Errors",
        Dimensions=[{"Name": "Service", "Value": name}],
        Statistic=statistic,
        Period=60,
        EvaluationPeriods=1,
        Threshold=5.0,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData=treat,
        **extra,
    )


def put(cloudwatch: Any, name: str, value: float) -> None:
    cloudwatch.put_metric_data(
        Namespace="Test/App",
        MetricData=[{"MetricName": "Errors", "Value": value, "Dimensions": [{"Name": "Service", "Value": name}]}],
    )


def state(cloudwatch: Any, name: str) -> str:
    return str(cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"])


def test_alarm_follows_the_datapoints_put(clean_emulator: str) -> None:
    cloudwatch = client(clean_emulator, "cloudwatch")
    put_alarm(cloudwatch, "api")
    assert state(cloudwatch, "api") == "INSUFFICIENT_DATA"  # a new alarm without data, as on AWS

    put(cloudwatch, "api", 2.0)
    assert state(cloudwatch, "api") == "OK"
    put(cloudwatch, "api", 9.0)
    alarm = cloudwatch.describe_alarms(AlarmNames=["api"])["MetricAlarms"][0]
    assert alarm["StateValue"] == "ALARM"
    assert alarm["StateReason"].startswith("Threshold Crossed: 1 out of the last 1 datapoints")
    put(cloudwatch, "other-service", 100.0)  # other dimensions: another metric
    put_alarm(cloudwatch, "web")
    put(cloudwatch, "web", 1.0)
    assert state(cloudwatch, "web") == "OK"


def test_average_and_datapoints_to_alarm(clean_emulator: str) -> None:
    cloudwatch = client(clean_emulator, "cloudwatch")
    put_alarm(cloudwatch, "avg", statistic="Average")
    for value in (1.0, 2.0, 12.0):  # average 5: not greater than 5
        put(cloudwatch, "avg", value)
    assert state(cloudwatch, "avg") == "OK"
    put(cloudwatch, "avg", 10.0)  # average 6.25
    assert state(cloudwatch, "avg") == "ALARM"


def test_treat_missing_data(clean_emulator: str) -> None:
    cloudwatch = client(clean_emulator, "cloudwatch")
    expected = {
        "breaching": "ALARM",
        "notBreaching": "OK",
        "ignore": "INSUFFICIENT_DATA",
        "missing": "INSUFFICIENT_DATA",
    }
    for treat in expected:
        put_alarm(cloudwatch, f"m-{treat}", treat=treat)
    assert {t: state(cloudwatch, f"m-{t}") for t in expected} == expected


def test_set_alarm_state_holds_until_the_next_evaluation(clean_emulator: str) -> None:
    cloudwatch = client(clean_emulator, "cloudwatch")
    put_alarm(cloudwatch, "switch", treat="ignore")
    cloudwatch.set_alarm_state(AlarmName="switch", StateValue="ALARM", StateReason="by hand")
    assert state(cloudwatch, "switch") == "ALARM"  # no datapoint and ignore: the state set holds
    assert state(cloudwatch, "switch") == "ALARM"

    put(cloudwatch, "switch", 1.0)  # a datapoint of its metric: evaluated at once
    assert state(cloudwatch, "switch") == "OK"
    cloudwatch.set_alarm_state(AlarmName="switch", StateValue="ALARM", StateReason="by hand again")
    assert state(cloudwatch, "switch") == "ALARM"  # describing within the minute does not evaluate


def test_updating_an_alarm_keeps_its_state(clean_emulator: str) -> None:
    cloudwatch = client(clean_emulator, "cloudwatch")
    put_alarm(cloudwatch, "kept", treat="ignore")
    put(cloudwatch, "kept", 50.0)
    assert state(cloudwatch, "kept") == "ALARM"
    put_alarm(cloudwatch, "kept", treat="ignore", AlarmDescription="updated")
    assert state(cloudwatch, "kept") == "ALARM"
