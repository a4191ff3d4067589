"""The emulator's RDS: a promotion takes modelled time and ends the replica link; refusals as on AWS; a manual
snapshot takes modelled time to become available; modelled ReplicaLag."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from standby.emulation.state import DEFAULT_INSYNC_SECONDS, DEFAULT_PROMOTION_SECONDS, DEFAULT_SNAPSHOT_SECONDS
from standby.emulator import emulation_state, set_latencies, set_replica_lag, set_time_scale
from tests.conftest import SESSION_TIME_SCALE

EAST, WEST = "us-east-1", "us-west-2"


def client(endpoint: str, service: str, region: str = EAST) -> Any:
    return boto3.client(
        service, region_name=region, endpoint_url=endpoint, aws_access_key_id="t", aws_secret_access_key="t"
    )


@pytest.fixture
def emu(clean_emulator: str) -> Iterator[str]:
    """A clean emulator whose time settings are put back afterwards."""
    yield clean_emulator
    set_time_scale(clean_emulator, SESSION_TIME_SCALE)
    set_latencies(clean_emulator, DEFAULT_PROMOTION_SECONDS, DEFAULT_INSYNC_SECONDS, DEFAULT_SNAPSHOT_SECONDS)


def make_source(rds: Any, source: str = "src", **extra: Any) -> str:
    """A small postgres instance (``extra``: more CreateDBInstance parameters); returns its ARN."""
    rds.create_db_instance(
        DBInstanceIdentifier=source,
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        MasterUsername="admin1",
        MasterUserPassword="password1",
        AllocatedStorage=20,
        **extra,
    )
    return str(describe(rds, source)["DBInstanceArn"])


def make_pair(rds: Any, source: str = "src", replica: str = "rep") -> None:
    make_source(rds, source)
    rds.create_db_instance_read_replica(DBInstanceIdentifier=replica, SourceDBInstanceIdentifier=source)


def describe(rds: Any, identifier: str) -> dict[str, Any]:
    doc: dict[str, Any] = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
    return doc


def test_promotion_goes_modifying_rebooting_available_and_ends_the_link(emu: str) -> None:
    set_latencies(emu, promotion_seconds=60)
    set_time_scale(emu, 0.03)  # 1.8 s real
    rds = client(emu, "rds")
    make_pair(rds)
    assert describe(rds, "src")["ReadReplicaDBInstanceIdentifiers"] == ["rep"]

    answer = rds.promote_read_replica(DBInstanceIdentifier="rep", BackupRetentionPeriod=1)["DBInstance"]
    started = time.monotonic()
    assert answer["DBInstanceStatus"] == "modifying"
    seen: list[str] = []
    while time.monotonic() - started < 20:
        # The source first: the replica, described after it and still promoting, was promoting then too.
        source = describe(rds, "src")
        replica = describe(rds, "rep")
        status = replica["DBInstanceStatus"]
        if not seen or seen[-1] != status:
            seen.append(status)
        if status == "available":
            break
        assert replica["ReadReplicaSourceDBInstanceIdentifier"] == "src"  # the link holds while promoting
        assert source["ReadReplicaDBInstanceIdentifiers"] == ["rep"]
        time.sleep(0.1)
    elapsed = time.monotonic() - started
    assert seen[0] == "modifying" and "rebooting" in seen and seen[-1] == "available", seen
    assert 1.5 <= elapsed < 10, elapsed
    assert "ReadReplicaSourceDBInstanceIdentifier" not in describe(rds, "rep")
    assert describe(rds, "src").get("ReadReplicaDBInstanceIdentifiers", []) == []


def test_promoting_a_non_replica_or_a_promoting_one_is_refused(emu: str) -> None:
    set_latencies(emu, promotion_seconds=600)
    set_time_scale(emu, 0.02)  # 12 s real: still promoting below
    rds = client(emu, "rds")
    make_pair(rds)
    with pytest.raises(ClientError) as refused:
        rds.promote_read_replica(DBInstanceIdentifier="src")
    assert refused.value.response["Error"]["Code"] == "InvalidDBInstanceState"
    assert refused.value.response["Error"]["Message"] == "DB Instance is not a read replica."
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    rds.promote_read_replica(DBInstanceIdentifier="rep")
    with pytest.raises(ClientError) as again:
        rds.promote_read_replica(DBInstanceIdentifier="rep")
    assert again.value.response["Error"]["Code"] == "InvalidDBInstanceState"
    assert again.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as missing:
        rds.promote_read_replica(DBInstanceIdentifier="nope")
    assert missing.value.response["Error"]["Code"] == "DBInstanceNotFound"
    assert [p["identifier"] for p in emulation_state(emu)["rds"]["promotions"]] == ["rep"]


def test_cross_region_promotion_ends_the_link_in_both_regions(emu: str) -> None:
    set_latencies(emu, promotion_seconds=10)
    set_time_scale(emu, 0.02)  # 0.2 s real
    east, west = client(emu, "rds", EAST), client(emu, "rds", WEST)
    source_arn = make_source(east)
    west.create_db_instance_read_replica(DBInstanceIdentifier="rep", SourceDBInstanceIdentifier=source_arn)
    assert describe(west, "rep")["ReadReplicaSourceDBInstanceIdentifier"] == source_arn
    assert len(describe(east, "src")["ReadReplicaDBInstanceIdentifiers"]) == 1

    west.promote_read_replica(DBInstanceIdentifier="rep")
    deadline = time.monotonic() + 10
    while describe(west, "rep")["DBInstanceStatus"] != "available" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "ReadReplicaSourceDBInstanceIdentifier" not in describe(west, "rep")
    assert describe(east, "src").get("ReadReplicaDBInstanceIdentifiers", []) == []


def _lag(cloudwatch: Any, identifier: str) -> list[float]:
    now = dt.datetime.now(dt.UTC)
    points = cloudwatch.get_metric_statistics(
        Namespace="AWS/RDS",
        MetricName="ReplicaLag",
        Dimensions=[{"Name": "DBInstanceIdentifier", "Value": identifier}],
        StartTime=now - dt.timedelta(minutes=15),
        EndTime=now + dt.timedelta(minutes=1),
        Period=60,
        Statistics=["Maximum"],
    )["Datapoints"]
    return [p["Maximum"] for p in points]


def test_replica_lag_is_published_only_when_set_and_only_for_replicas(emu: str) -> None:
    rds, cloudwatch = client(emu, "rds"), client(emu, "cloudwatch")
    make_pair(rds)
    assert _lag(cloudwatch, "rep") == []  # off by default

    set_replica_lag(emu, 4.5)
    assert _lag(cloudwatch, "rep") == [4.5]
    assert _lag(cloudwatch, "src") == []  # not a replica

    set_replica_lag(emu, 9.0, region=EAST, identifier="rep")
    assert _lag(cloudwatch, "rep") == [9.0]
    set_replica_lag(emu, None)
    assert _lag(cloudwatch, "rep") == []


def test_promoted_instance_stops_publishing_replica_lag(emu: str) -> None:
    set_latencies(emu, promotion_seconds=5)
    set_time_scale(emu, 0.02)  # 0.1 s real
    rds, cloudwatch = client(emu, "rds"), client(emu, "cloudwatch")
    make_pair(rds)
    set_replica_lag(emu, 2.0)
    assert _lag(cloudwatch, "rep") == [2.0]
    rds.promote_read_replica(DBInstanceIdentifier="rep")
    assert _lag(cloudwatch, "rep") == []
    time.sleep(0.3)
    assert describe(rds, "rep")["DBInstanceStatus"] == "available"
    assert _lag(cloudwatch, "rep") == []


def _subnet_group(endpoint: str, region: str, name: str) -> str:
    """A VPC of its own with a DB subnet group in it; returns the VPC's id."""
    ec2 = client(endpoint, "ec2", region)
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.42.{i}.0/24", AvailabilityZone=f"{region}{zone}")["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate("ab")
    ]
    client(endpoint, "rds", region).create_db_subnet_group(
        DBSubnetGroupName=name, DBSubnetGroupDescription=name, SubnetIds=subnets
    )
    return vpc


def _default_group(endpoint: str, region: str, vpc: str) -> str:
    groups = client(endpoint, "ec2", region).describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]
    return str(groups[0]["GroupId"])


def test_instances_without_security_groups_get_their_own_vpcs_default_group(emu: str) -> None:
    east_vpc, west_vpc = _subnet_group(emu, EAST, "orders"), _subnet_group(emu, WEST, "orders")
    east, west = client(emu, "rds", EAST), client(emu, "rds", WEST)
    source_arn = make_source(east, DBSubnetGroupName="orders")
    west.create_db_instance_read_replica(
        DBInstanceIdentifier="rep", SourceDBInstanceIdentifier=source_arn, DBSubnetGroupName="orders"
    )

    def groups(rds: Any, identifier: str) -> list[str]:
        return [g["VpcSecurityGroupId"] for g in describe(rds, identifier)["VpcSecurityGroups"]]

    # The subnet group's VPC's default group, each in its own region (moto: the default VPC's; the replica the
    # source's ids, which do not exist in us-west-2).
    assert groups(east, "src") == [_default_group(emu, EAST, east_vpc)]
    assert groups(west, "rep") == [_default_group(emu, WEST, west_vpc)]
    assert describe(west, "rep")["DBSubnetGroup"]["VpcId"] == west_vpc  # its own region's subnet group
    # Groups that are given are kept.
    given = client(emu, "ec2", WEST).create_security_group(GroupName="db", Description="db", VpcId=west_vpc)
    west.create_db_instance_read_replica(
        DBInstanceIdentifier="rep2",
        SourceDBInstanceIdentifier=source_arn,
        DBSubnetGroupName="orders",
        VpcSecurityGroupIds=[given["GroupId"]],
    )
    assert groups(west, "rep2") == [given["GroupId"]]


def snapshot(rds: Any, identifier: str) -> dict[str, Any]:
    doc: dict[str, Any] = rds.describe_db_snapshots(DBSnapshotIdentifier=identifier)["DBSnapshots"][0]
    return doc


def test_a_manual_snapshot_is_creating_for_the_modelled_duration_then_available(emu: str) -> None:
    set_latencies(emu, snapshot_seconds=100)
    set_time_scale(emu, 0.02)  # 2 s real
    rds = client(emu, "rds")
    make_source(rds)
    made = rds.create_db_snapshot(DBSnapshotIdentifier="final", DBInstanceIdentifier="src")["DBSnapshot"]
    started = time.monotonic()
    assert made["Status"] == "creating"
    seen: list[tuple[str, int]] = []
    while time.monotonic() - started < 20:
        doc = snapshot(rds, "final")
        seen.append((doc["Status"], doc["PercentProgress"]))
        if doc["Status"] == "available":
            break
        time.sleep(0.2)
    assert seen[0][0] == "creating" and seen[0][1] < 50
    assert seen[-1] == ("available", 100)
    progress = [p for status, p in seen if status == "creating"]
    assert progress == sorted(progress) and len(progress) >= 3
    assert 1.5 < time.monotonic() - started < 10
    # moto's automated snapshot of the instance is not modelled (as it was before this test)
    automated = rds.describe_db_snapshots(DBInstanceIdentifier="src", SnapshotType="automated")["DBSnapshots"]
    assert all(s["Status"] == "available" for s in automated)


def test_a_snapshot_duration_of_zero_makes_snapshots_available_at_once(emu: str) -> None:
    set_latencies(emu, snapshot_seconds=0)
    rds = client(emu, "rds")
    make_source(rds)
    made = rds.create_db_snapshot(DBSnapshotIdentifier="final", DBInstanceIdentifier="src")["DBSnapshot"]
    assert made["Status"] == "available" and snapshot(rds, "final")["Status"] == "available"
