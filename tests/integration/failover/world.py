"""A two-region deployment built with boto3 on the emulator, shaped like the region stack's resources.

Faster than Terraform for controller tests; the e2e tests run the controller on the real stacks too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from standby.aws.session import SessionFactory
from standby.config.schema import Capacity, Config
from standby.failover.model import RESTORE_WRITES, FailoverPlan, RestoreWrites
from standby.state import RegionState
from standby.state.manifest import CapacitySnapshot, DnsRefs, GroupRef, Manifest, RegionResources
from standby.state.store import ControlStore

AMI = "ami-12c6146b"
ZONE = "webapp.example.internal"
NAMES = ("www.webapp.example.internal", "api.webapp.example.internal")


@dataclass(frozen=True)
class World:
    primary: str
    standby: str
    manifest: Manifest
    zone_id: str
    db_arns: dict[str, str]


def build_world(sessions: SessionFactory, config: Config, *, standby_desired: int = 1, databases: bool = True) -> World:
    """The deployment; with ``databases=False``, a stack without any (no replicated data store)."""
    primary, standby = config.regions.primary, config.regions.standby
    resources: dict[str, RegionResources] = {}
    lbs: dict[str, str] = {}
    db_arns: dict[str, str] = {}
    for region, desired, minimum in ((primary, 4, 2), (standby, standby_desired, 1)):
        ec2 = sessions.client("ec2", region)
        vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        subnets = [
            s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
        ]
        lt = ec2.create_launch_template(
            LaunchTemplateName=f"webapp-web-{region}", LaunchTemplateData={"ImageId": AMI, "InstanceType": "t3.micro"}
        )["LaunchTemplate"]["LaunchTemplateId"]
        elb = sessions.client("elbv2", region)
        tg = elb.create_target_group(Name=f"webapp-web-{region[-1]}", Protocol="HTTP", Port=80, VpcId=vpc)[
            "TargetGroups"
        ][0]["TargetGroupArn"]
        lb = elb.create_load_balancer(Name=f"webapp-web-{region[-1]}", Subnets=subnets[:2])["LoadBalancers"][0]
        lbs[region] = lb["DNSName"]
        asg_name = f"webapp-web-{region}"
        sessions.client("autoscaling", region).create_auto_scaling_group(
            AutoScalingGroupName=asg_name,
            LaunchTemplate={"LaunchTemplateId": lt, "Version": "$Default"},
            MinSize=minimum,
            MaxSize=8,
            DesiredCapacity=desired,
            VPCZoneIdentifier=",".join(subnets[:2]),
            TargetGroupARNs=[tg],
        )
        resources[region] = RegionResources(
            region=region,
            groups={"web": GroupRef(autoscaling_group=asg_name, target_group_arn=tg, lb_dns_name=lb["DNSName"])},
            databases=("webapp-db",) if databases else (),
        )
    if databases:
        db_arns = _database_and_replica(sessions, primary, standby)

    r53 = sessions.client("route53", primary)
    zone_id = r53.create_hosted_zone(Name=ZONE, CallerReference=str(time.time()))["HostedZone"]["Id"].split("/")[-1]
    changes = []
    for name in NAMES:
        for region, role in ((primary, "PRIMARY"), (standby, "SECONDARY")):
            changes.append(
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
            )
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
    manifest = Manifest(
        project=config.project.name,
        written_at=time.time(),
        regions=resources,
        dns=DnsRefs(zone_id=zone_id, zone_name=ZONE, record_fqdns=NAMES, routing_policy="failover"),
    )
    stores = {r: ControlStore(sessions, config.project.name, r) for r in (primary, standby)}
    for store in stores.values():
        RegionState(store, Path()).save_manifest(manifest)
    RegionState(stores[standby], Path()).save_capacity_snapshot(
        CapacitySnapshot(
            taken_at=time.time(),
            source_region=primary,
            groups={"web": Capacity(min_size=2, max_size=8, desired_capacity=4)},
        ),
    )
    return World(primary, standby, manifest, zone_id, db_arns)


def _database_and_replica(sessions: SessionFactory, primary: str, standby: str) -> dict[str, str]:
    """The primary's database and its cross-region replica in the standby region: their ARNs per region."""
    db_arns: dict[str, str] = {}
    east_rds = sessions.client("rds", primary)
    east_rds.create_db_instance(
        DBInstanceIdentifier="webapp-db",
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        MasterUsername="webapp",
        MasterUserPassword="not-a-secret-1",
        AllocatedStorage=20,
        BackupRetentionPeriod=1,
    )
    db_arns[primary] = east_rds.describe_db_instances()["DBInstances"][0]["DBInstanceArn"]
    west_rds = sessions.client("rds", standby)
    west_rds.create_db_instance_read_replica(
        DBInstanceIdentifier="webapp-db", SourceDBInstanceIdentifier=db_arns[primary], DBInstanceClass="db.t3.micro"
    )
    db_arns[standby] = west_rds.describe_db_instances()["DBInstances"][0]["DBInstanceArn"]
    return db_arns


def restore_writes_plan(run_id: str, region: str, record_in: str) -> FailoverPlan:
    """A failback plan of one step: give ``region``'s fenced databases back their security groups, as noted in
    ``record_in``."""
    step = RestoreWrites(key=f"{RESTORE_WRITES}:{region}", slug=RESTORE_WRITES, region=region, record_in=record_in)
    return FailoverPlan(run_id, "failback", region, record_in, (step,), {}, "")
