"""The emulator's Route53: alarm-following health checks; changes PENDING until propagated, each its own id."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from standby.emulation.state import DEFAULT_INSYNC_SECONDS, DEFAULT_PROMOTION_SECONDS
from standby.emulator import set_latencies, set_time_scale
from tests.conftest import SESSION_TIME_SCALE

EAST, WEST = "us-east-1", "us-west-2"


def client(endpoint: str, service: str, region: str = EAST) -> Any:
    return boto3.client(
        service, region_name=region, endpoint_url=endpoint, aws_access_key_id="t", aws_secret_access_key="t"
    )


@pytest.fixture
def emu(clean_emulator: str) -> Iterator[str]:
    yield clean_emulator
    set_time_scale(clean_emulator, SESSION_TIME_SCALE)
    set_latencies(clean_emulator, DEFAULT_PROMOTION_SECONDS, DEFAULT_INSYNC_SECONDS)


def alarm_check(route53: Any, reference: str, alarm: str, insufficient: str = "LastKnownStatus", **extra: Any) -> str:
    doc = route53.create_health_check(
        CallerReference=reference,
        HealthCheckConfig={
            "Type": "CLOUDWATCH_METRIC",
            "AlarmIdentifier": {"Region": WEST, "Name": alarm},
            "InsufficientDataHealthStatus": insufficient,
            **extra,
        },
    )["HealthCheck"]
    return str(doc["Id"])


def status(route53: Any, check_id: str) -> str:
    observations = route53.get_health_check_status(HealthCheckId=check_id)["HealthCheckObservations"]
    return str(observations[0]["StatusReport"]["Status"])


def test_cloudwatch_metric_health_check_keeps_its_alarm_and_follows_it(emu: str) -> None:
    route53, cloudwatch = client(emu, "route53"), client(emu, "cloudwatch", WEST)
    cloudwatch.put_metric_alarm(
        AlarmName="switch",
        Namespace="Test/Switch",
        MetricName="Evacuate",
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="ignore",
    )
    check_id = alarm_check(route53, "follows", "switch")
    config = route53.get_health_check(HealthCheckId=check_id)["HealthCheck"]["HealthCheckConfig"]
    assert config["AlarmIdentifier"] == {"Region": WEST, "Name": "switch"}
    assert config["InsufficientDataHealthStatus"] == "LastKnownStatus"
    assert "RequestInterval" not in config and "IPAddress" not in config
    described = route53.get_health_check(HealthCheckId=check_id)["HealthCheck"]["CloudWatchAlarmConfiguration"]
    assert (described["Namespace"], described["MetricName"], described["Threshold"]) == ("Test/Switch", "Evacuate", 1.0)

    assert status(route53, check_id).startswith("Success")  # INSUFFICIENT_DATA, no status known yet
    cloudwatch.set_alarm_state(AlarmName="switch", StateValue="ALARM", StateReason="test")
    assert status(route53, check_id).startswith("Failure")
    cloudwatch.set_alarm_state(AlarmName="switch", StateValue="INSUFFICIENT_DATA", StateReason="test")
    assert status(route53, check_id).startswith("Failure")  # LastKnownStatus
    cloudwatch.set_alarm_state(AlarmName="switch", StateValue="OK", StateReason="test")
    assert status(route53, check_id).startswith("Success")


def test_insufficient_data_health_status_decides(emu: str) -> None:
    route53, cloudwatch = client(emu, "route53"), client(emu, "cloudwatch", WEST)
    cloudwatch.put_metric_alarm(
        AlarmName="quiet",
        Namespace="Test/Switch",
        MetricName="Nothing",
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    healthy = alarm_check(route53, "healthy", "quiet", "Healthy")
    unhealthy = alarm_check(route53, "unhealthy", "quiet", "Unhealthy")
    inverted = alarm_check(route53, "inverted", "quiet", "Healthy", Inverted=True)
    assert status(route53, healthy).startswith("Success")
    assert status(route53, unhealthy).startswith("Failure")
    assert status(route53, inverted).startswith("Failure")
    route53.update_health_check(HealthCheckId=healthy, InsufficientDataHealthStatus="Unhealthy")
    config = route53.get_health_check(HealthCheckId=healthy)["HealthCheck"]["HealthCheckConfig"]
    assert config["InsufficientDataHealthStatus"] == "Unhealthy"
    assert status(route53, healthy).startswith("Failure")


def _zone_and_change(route53: Any, value: str) -> str:
    zones = route53.list_hosted_zones()["HostedZones"]
    zone = (
        zones[0]["Id"]
        if zones
        else route53.create_hosted_zone(Name="example.com", CallerReference="z")["HostedZone"]["Id"]
    )
    batch = {
        "Changes": [
            {
                "Action": "UPSERT",
                "ResourceRecordSet": {
                    "Name": "www.example.com",
                    "Type": "A",
                    "TTL": 60,
                    "ResourceRecords": [{"Value": value}],
                },
            }
        ]
    }
    return str(route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch=batch)["ChangeInfo"]["Id"])


def test_get_change_is_pending_until_propagated_and_each_change_has_its_id(emu: str) -> None:
    set_latencies(emu, insync_seconds=100)
    set_time_scale(emu, 0.02)  # 2 s real
    route53 = client(emu, "route53")
    first = _zone_and_change(route53, "10.0.0.1")
    second = _zone_and_change(route53, "10.0.0.2")
    assert first != second and first.startswith("/change/C")
    assert route53.get_change(Id=first)["ChangeInfo"]["Status"] == "PENDING"
    started = time.monotonic()
    while route53.get_change(Id=second)["ChangeInfo"]["Status"] == "PENDING":
        assert time.monotonic() - started < 20
        time.sleep(0.1)
    assert time.monotonic() - started >= 1.0
    assert route53.get_change(Id=first)["ChangeInfo"]["Status"] == "INSYNC"


def test_time_scale_sets_the_pace_of_propagation(emu: str) -> None:
    set_latencies(emu, insync_seconds=30)
    set_time_scale(emu, 10.0)  # 300 s real: never within this test
    route53 = client(emu, "route53")
    change = _zone_and_change(route53, "10.0.0.3")
    time.sleep(0.5)
    assert route53.get_change(Id=change)["ChangeInfo"]["Status"] == "PENDING"
    set_time_scale(emu, 0.001)  # the remaining modelled time now passes in milliseconds
    time.sleep(0.1)
    assert route53.get_change(Id=change)["ChangeInfo"]["Status"] == "INSYNC"
