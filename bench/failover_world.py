"""A two-region deployment with N auto scaling groups, built with boto3 on the emulator (for bench.failover).

Shaped like tests/integration/failover/world.py (kept apart so that bench does not import tests): per region one
launch template and one load balancer (the DNS records point at it), and per group a target group and an auto
scaling group (primary: desired 4, min 2; standby: desired 1, min 1; max 8); an RDS primary with a cross-region
read replica; a hosted zone with PRIMARY/SECONDARY failover records for two names; the manifest and the (empty)
notes documents in both control stores and the primary's capacity snapshot in the standby's, as `standby provision`
publishes them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from standby.aws.session import SessionFactory
from standby.config.schema import Capacity, Config
from standby.state import RegionState
from standby.state.manifest import CapacitySnapshot, DnsRefs, GroupRef, Manifest, RegionResources
from standby.state.store import ControlStore

AMI = "ami-12c6146b"
ZONE = "webapp.example.internal"
NAMES = ("www.webapp.example.internal", "api.webapp.example.internal")
PRIMARY_CAPACITY = Capacity(min_size=2, max_size=8, desired_capacity=4)
STANDBY_CAPACITY = Capacity(min_size=1, max_size=8, desired_capacity=1)


@dataclass(frozen=True)
class World:
    primary: str
    standby: str
    manifest: Manifest
    zone_id: str
    groups: tuple[str, ...]


def group_names(count: int) -> tuple[str, ...]:
    """Capacity group names as the config spells them (the region stack allows 1-11 lowercase letters/digits)."""
    return tuple(f"g{i:04d}" for i in range(count))


def build_world(sessions: SessionFactory, config: Config, groups: Sequence[str], *, taken_at: float) -> World:
    project = config.project.name
    primary, standby = config.regions.primary, config.regions.standby
    resources: dict[str, RegionResources] = {}
    lbs: dict[str, str] = {}
    for region, capacity in ((primary, PRIMARY_CAPACITY), (standby, STANDBY_CAPACITY)):
        ec2 = sessions.client("ec2", region)
        vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        subnets = [
            s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
        ]
        template = ec2.create_launch_template(
            LaunchTemplateName=f"{project}-{region}", LaunchTemplateData={"ImageId": AMI, "InstanceType": "t3.micro"}
        )["LaunchTemplate"]["LaunchTemplateId"]
        elb = sessions.client("elbv2", region)
        lb = elb.create_load_balancer(Name=f"{project}-{region}", Subnets=subnets[:2])["LoadBalancers"][0]
        lbs[region] = lb["DNSName"]
        autoscaling = sessions.client("autoscaling", region)
        refs: dict[str, GroupRef] = {}
        for group in groups:
            tg = elb.create_target_group(Name=f"{group}-{region}", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][
                0
            ]["TargetGroupArn"]
            name = f"{project}-{group}-{region}"
            autoscaling.create_auto_scaling_group(
                AutoScalingGroupName=name,
                LaunchTemplate={"LaunchTemplateId": template, "Version": "$Default"},
                MinSize=capacity.min_size,
                MaxSize=capacity.max_size,
                DesiredCapacity=capacity.desired_capacity,
                VPCZoneIdentifier=",".join(subnets[:2]),
                TargetGroupARNs=[tg],
            )
            refs[group] = GroupRef(autoscaling_group=name, target_group_arn=tg, lb_dns_name=lb["DNSName"])
        resources[region] = RegionResources(region=region, groups=refs, databases=(f"{project}-db",))

    primary_rds = sessions.client("rds", primary)
    primary_rds.create_db_instance(
        DBInstanceIdentifier=f"{project}-db",
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        MasterUsername="webapp",
        MasterUserPassword="not-a-secret-1",
        AllocatedStorage=20,
        BackupRetentionPeriod=1,
    )
    source_arn = primary_rds.describe_db_instances()["DBInstances"][0]["DBInstanceArn"]
    sessions.client("rds", standby).create_db_instance_read_replica(
        DBInstanceIdentifier=f"{project}-db", SourceDBInstanceIdentifier=source_arn, DBInstanceClass="db.t3.micro"
    )

    r53 = sessions.client("route53", primary)
    zone_id = r53.create_hosted_zone(Name=ZONE, CallerReference=str(time.time()))["HostedZone"]["Id"].split("/")[-1]
    changes = [
        {
            "Action": "CREATE",
            "ResourceRecordSet": {
                "Name": name,
                "Type": "CNAME",
                "SetIdentifier": region,
                "Failover": role,
                "TTL": 60,
                "ResourceRecords": [{"Value": lbs[region]}],
            },
        }
        for name in NAMES
        for region, role in ((primary, "PRIMARY"), (standby, "SECONDARY"))
    ]
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
    manifest = Manifest(
        project=project,
        written_at=taken_at,
        regions=resources,
        dns=DnsRefs(zone_id=zone_id, zone_name=ZONE, record_fqdns=NAMES, routing_policy="failover"),
    )
    stores = {r: ControlStore(sessions, project, r) for r in (primary, standby)}
    for store in stores.values():
        RegionState(store, Path()).save_manifest(manifest)
        RegionState(store, Path()).create_notes_documents()  # as `standby provision` publishes them
    RegionState(stores[standby], Path()).save_capacity_snapshot(
        CapacitySnapshot(taken_at=taken_at, source_region=primary, groups=dict.fromkeys(groups, PRIMARY_CAPACITY)),
    )
    return World(primary, standby, manifest, zone_id, tuple(groups))
