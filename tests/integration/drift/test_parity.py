"""Parity and readiness of a mirror built with boto3: clean means parity; each hand-made change is found."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from standby.drift.model import DriftReport, Finding
from standby.drift.render import render_text
from standby.drift.run import DriftRun
from standby.state import RegionState, RegionStates
from standby.state.store import ControlStore
from tests.integration.drift.world import Mirror

CHECKS = ["parity", "readiness"]


def find(report: DriftReport, check: str, resource: str, attribute: str) -> Finding:
    matches = [f for f in report.findings if (f.check, f.resource, f.attribute) == (check, resource, attribute)]
    assert matches, f"no {check} finding for {resource} {attribute}:\n{render_text(report)}"
    return matches[0]


def test_a_clean_mirror_is_in_parity(loaded, sessions, mirror: Mirror) -> None:
    report = DriftRun(loaded, sessions, RegionStates.of(loaded, sessions)).run(CHECKS)
    assert report.status == "parity" and report.exit_code == 0, render_text(report)
    assert report.scope_source == "manifest"
    assert report.compared["parity"] >= 40
    desired = find(report, "parity", "capacity:web", "desired_capacity")
    assert (desired.status, desired.primary, desired.standby, desired.rule) == (
        "allowed",
        4,
        1,
        "allowed.capacity_ratio",
    )
    compared_records = {f.resource for f in report.findings if f.resource.startswith("record:")}
    assert compared_records == set()  # both records agree


def test_each_hand_made_change_is_reported(loaded, sessions, mirror: Mirror) -> None:
    primary, standby = mirror.primary, mirror.standby
    ec2 = sessions.client("ec2", primary)
    app = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["webapp-app"]}])["SecurityGroups"][0]
    ec2.authorize_security_group_ingress(
        GroupId=app["GroupId"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    sessions.client("ssm", standby).put_parameter(
        Name="/webapp/log_level", Value="debug", Type="String", Overwrite=True
    )
    sessions.client("elbv2", standby).modify_target_group(
        TargetGroupArn=mirror.manifest.region(standby).groups["web"].target_group_arn, HealthCheckPath="/"
    )
    sessions.client("cloudwatch", standby).put_metric_data(
        Namespace="AWS/RDS",
        MetricData=[
            {
                "MetricName": "ReplicaLag",
                "Value": 900.0,
                "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": "webapp-db"}],
                "Timestamp": dt.datetime.now(dt.UTC),
            }
        ],
    )

    report = DriftRun(loaded, sessions, RegionStates.of(loaded, sessions)).run(CHECKS)
    assert report.exit_code == 3, render_text(report)
    rule = find(report, "parity", "security_group:webapp-app", "ingress:tcp:22:0.0.0.0/0")
    assert (rule.status, rule.primary, rule.standby) == ("drift", "present", None)
    value = find(report, "parity", "parameter:/webapp/log_level", "value")
    assert (value.primary, value.standby) == ("info", "debug")
    health = find(report, "parity", "target_group:webapp-web", "health_check")
    assert "HealthCheckPath=/health" in health.primary and "HealthCheckPath=/," in health.standby
    lag = find(report, "readiness", "database:webapp-db", "replica_lag_seconds")
    assert (lag.status, lag.actual, lag.expected) == ("drift", 900.0, "<= 60")


def test_a_dns_record_pointing_at_the_wrong_region_is_drift(loaded, sessions, mirror: Mirror) -> None:
    route53 = sessions.client("route53", "us-east-1")
    records = route53.list_resource_record_sets(HostedZoneId=mirror.zone_id)["ResourceRecordSets"]
    secondary = next(r for r in records if r["Name"].startswith("www") and r.get("Failover") == "SECONDARY")
    primary = next(r for r in records if r["Name"].startswith("www") and r.get("Failover") == "PRIMARY")
    primary["AliasTarget"] = secondary["AliasTarget"]
    route53.change_resource_record_sets(
        HostedZoneId=mirror.zone_id, ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": primary}]}
    )
    report = DriftRun(loaded, sessions, RegionStates.of(loaded, sessions)).run(["parity"])
    target = find(report, "parity", "record:www.webapp.example.internal", "target")
    assert (target.status, target.primary, target.standby) == (
        "drift",
        "load_balancer:webapp-web@peer-region",
        "load_balancer:webapp-web",
    )
    assert not [f for f in report.findings if f.resource == "record:api.webapp.example.internal"]


def test_readiness_refreshes_the_capacity_snapshot(loaded, sessions, mirror: Mirror) -> None:
    store = ControlStore(sessions, "webapp", mirror.standby)
    assert RegionState(store, Path()).capacity_snapshot() is None
    report = DriftRun(loaded, sessions, RegionStates.of(loaded, sessions)).run(["readiness"])
    snapshot = find(report, "readiness", "capacity_snapshot", "age_seconds")
    assert snapshot.status == "ok" and "refreshed by this run (none recorded before)" in snapshot.reason
    saved = RegionState(store, Path()).capacity_snapshot()
    assert saved is not None and saved.source_region == mirror.primary
    assert saved.groups["web"].desired_capacity == 4
    in_service = find(report, "readiness", "capacity:web", "in_service")
    assert (in_service.status, in_service.actual) == ("ok", 1)
    quota = find(report, "readiness", "quota:ec2/L-1216C47A", "vcpu_headroom")
    assert quota.status == "unknown" and "quota headroom unknown" in quota.reason
