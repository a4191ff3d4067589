"""A mirrored two-region stack built with boto3 (no Terraform), shaped like terraform/stacks/region: per group a
launch template, an auto scaling group, security groups with rules, a target group, a load balancer and a
listener; SSM parameters; a database and its cross-region replica; failover records. Recorded in a manifest.

``extra_units`` adds, per region, that many small groups (security group with a rule, launch template, empty
auto scaling group, parameter) for the benchmark.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from standby.aws.session import SessionFactory
from standby.config.schema import Config
from standby.state import RegionState
from standby.state.manifest import DnsRefs, GroupRef, Manifest, RegionResources
from standby.state.store import ControlStore

PROJECT = "webapp"
PARAMETERS = {"log_level": "info", "feature_flags": "checkout,search"}


@dataclass(frozen=True)
class Mirror:
    primary: str
    standby: str
    manifest: Manifest
    zone_id: str
    images: Mapping[str, str]  # region -> AMI id used


def _user_data(region: str) -> str:
    script = f"#!/bin/bash\necho '<h1>{PROJECT} ({region})</h1>' > /srv/www/index.html\n"
    return base64.b64encode(script.encode()).decode()


def _amazon_linux(ec2) -> str:  # type: ignore[no-untyped-def]
    images = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["amzn2-ami-hvm-*gp2"]}])
    return sorted(images["Images"], key=lambda i: i["Name"])[-1]["ImageId"]


def _network(ec2, region: str) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=f"{region}{zone}")["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate("ab")
    ]
    return vpc, subnets


def _group(ec2, vpc: str, name: str, rules: list[dict]) -> str:  # type: ignore[no-untyped-def,type-arg]
    group = ec2.create_security_group(GroupName=name, Description=f"{name} traffic", VpcId=vpc)["GroupId"]
    if rules:
        ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=rules)
    return group


def build_region(
    sessions: SessionFactory,
    region: str,
    *,
    role: str,
    desired: int,
    minimum: int,
    extra_units: int = 0,
    replica_of: str | None = None,
) -> tuple[RegionResources, str, str]:
    """Build one region; returns (its manifest entry, its load balancer's DNS name, its AMI)."""
    ec2 = sessions.client("ec2", region)
    elb = sessions.client("elbv2", region)
    autoscaling = sessions.client("autoscaling", region)
    vpc, subnets = _network(ec2, region)
    image = _amazon_linux(ec2)
    alb_sg = _group(
        ec2,
        vpc,
        f"{PROJECT}-alb",
        [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    app_sg = _group(
        ec2,
        vpc,
        f"{PROJECT}-app",
        [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": alb_sg}]}],
    )
    db_sg = _group(
        ec2,
        vpc,
        f"{PROJECT}-db",
        [{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": app_sg}]}],
    )
    template = ec2.create_launch_template(
        LaunchTemplateName=f"{PROJECT}-web",
        LaunchTemplateData={
            "ImageId": image,
            "InstanceType": "t3.micro",
            "UserData": _user_data(region),
            "SecurityGroupIds": [app_sg],
        },
    )["LaunchTemplate"]["LaunchTemplateId"]
    tg = elb.create_target_group(Name=f"{PROJECT}-web", Protocol="HTTP", Port=80, VpcId=vpc, HealthCheckPath="/health")
    tg_arn = tg["TargetGroups"][0]["TargetGroupArn"]
    lb = elb.create_load_balancer(Name=f"{PROJECT}-web", Subnets=subnets, SecurityGroups=[alb_sg])["LoadBalancers"][0]
    elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}],
    )
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=f"{PROJECT}-web",
        LaunchTemplate={"LaunchTemplateId": template, "Version": "$Latest"},
        MinSize=minimum,
        MaxSize=8,
        DesiredCapacity=desired,
        VPCZoneIdentifier=",".join(subnets),
        TargetGroupARNs=[tg_arn],
    )
    groups = {"web": GroupRef(autoscaling_group=f"{PROJECT}-web", target_group_arn=tg_arn, lb_dns_name=lb["DNSName"])}
    ssm = sessions.client("ssm", region)
    names = []
    for key, value in PARAMETERS.items():
        ssm.put_parameter(Name=f"/{PROJECT}/{key}", Value=value, Type="String")
        names.append(f"/{PROJECT}/{key}")
    for unit in range(extra_units):
        name = f"{PROJECT}-u{unit:04d}"
        sg = _group(
            ec2,
            vpc,
            name,
            [
                {
                    "IpProtocol": "tcp",
                    "FromPort": 8000 + unit % 1000,
                    "ToPort": 8000 + unit % 1000,
                    "IpRanges": [{"CidrIp": "10.0.0.0/8"}],
                }
            ],
        )
        lt = ec2.create_launch_template(
            LaunchTemplateName=name,
            LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro", "SecurityGroupIds": [sg]},
        )["LaunchTemplate"]["LaunchTemplateId"]
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=name,
            LaunchTemplate={"LaunchTemplateId": lt, "Version": "$Latest"},
            MinSize=0,
            MaxSize=2,
            DesiredCapacity=0,
            VPCZoneIdentifier=subnets[0],
        )
        groups[f"u{unit:04d}"] = GroupRef(autoscaling_group=name)
        ssm.put_parameter(Name=f"/{PROJECT}/units/{name}", Value=f"unit {unit}", Type="String")
        names.append(f"/{PROJECT}/units/{name}")
    rds = sessions.client("rds", region)
    if replica_of is None:
        db = rds.create_db_instance(
            DBInstanceIdentifier=f"{PROJECT}-db",
            DBInstanceClass="db.t3.micro",
            Engine="postgres",
            EngineVersion="15.4",
            MasterUsername="webapp",
            MasterUserPassword="not-a-secret-1",
            AllocatedStorage=20,
            VpcSecurityGroupIds=[db_sg],
        )["DBInstance"]
    else:
        db = rds.create_db_instance_read_replica(
            DBInstanceIdentifier=f"{PROJECT}-db",
            SourceDBInstanceIdentifier=replica_of,
            DBInstanceClass="db.t3.micro",
            VpcSecurityGroupIds=[db_sg],
        )["DBInstance"]
    resources = RegionResources(
        region=region,
        groups=groups,
        databases=(f"{PROJECT}-db",),
        database_arns=(db["DBInstanceArn"],),
        parameters=tuple(sorted(names)),
    )
    return resources, lb["DNSName"], image


def _records(sessions: SessionFactory, lbs: Mapping[str, tuple[str, str]]) -> str:
    """Failover alias records for www and api: PRIMARY -> the primary's load balancer, SECONDARY -> the standby's."""
    route53 = sessions.client("route53", "us-east-1")
    zone = route53.create_hosted_zone(Name="webapp.example.internal", CallerReference=str(time.time()))
    zone_id = zone["HostedZone"]["Id"].split("/")[-1]
    changes = []
    for name in ("www", "api"):
        for role, failover in (("primary", "PRIMARY"), ("standby", "SECONDARY")):
            dns, zone_of_lb = lbs[role]
            changes.append(
                {
                    "Action": "UPSERT",
                    "ResourceRecordSet": {
                        "Name": f"{name}.webapp.example.internal",
                        "Type": "A",
                        "SetIdentifier": role,
                        "Failover": failover,
                        "AliasTarget": {"HostedZoneId": zone_of_lb, "DNSName": dns, "EvaluateTargetHealth": True},
                    },
                }
            )
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
    return zone_id


def build_mirror(sessions: SessionFactory, config: Config, *, extra_units: int = 0, record: bool = True) -> Mirror:
    """Both regions as the region stack would make them (the standby at [scale]), the DNS records, the manifest."""
    primary, standby = config.regions.primary, config.regions.standby
    p_res, p_dns, p_image = build_region(
        sessions, primary, role="primary", desired=4, minimum=2, extra_units=extra_units
    )
    s_res, s_dns, s_image = build_region(
        sessions,
        standby,
        role="standby",
        desired=1,
        minimum=1,
        extra_units=extra_units,
        replica_of=p_res.database_arns[0],
    )
    zone_id = _records(sessions, {"primary": (p_dns, "Z35SXDOTRQ7X7K"), "standby": (s_dns, "Z1H1FL5HABSF5")})
    manifest = Manifest(
        project=PROJECT,
        written_at=time.time(),
        regions={primary: p_res, standby: s_res},
        dns=DnsRefs(
            zone_id=zone_id,
            zone_name="webapp.example.internal",
            record_fqdns=("www.webapp.example.internal", "api.webapp.example.internal"),
        ),
    )
    if record:
        stores = [ControlStore(sessions, PROJECT, region) for region in (primary, standby)]
        for store in stores:
            RegionState(store, Path()).save_manifest(manifest)
    return Mirror(primary, standby, manifest, zone_id, {primary: p_image, standby: s_image})
