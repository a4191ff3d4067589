"""The emulator where the community Terraform modules (vpc, alb, autoscaling) need AWS's behaviour: traffic
sources of Auto Scaling groups, launches from a launch-template version, security-group rule changes."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

REGION = "us-east-1"
AMI = "ami-12c6146b"
NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"})


def client(endpoint: str, service: str) -> Any:
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id="t",
        aws_secret_access_key="t",
        config=NO_RETRIES,
    )


@dataclass(frozen=True)
class World:
    ec2: Any
    elbv2: Any
    autoscaling: Any
    vpc_id: str
    subnet_id: str


@pytest.fixture
def world(clean_emulator: str) -> World:
    ec2 = client(clean_emulator, "ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.20.1.0/24", AvailabilityZone=f"{REGION}a")["Subnet"]
    return World(
        ec2, client(clean_emulator, "elbv2"), client(clean_emulator, "autoscaling"), vpc_id, subnet["SubnetId"]
    )


def target_group(world: World, name: str) -> str:
    created = world.elbv2.create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId=world.vpc_id)
    return str(created["TargetGroups"][0]["TargetGroupArn"])


def template(world: World, **data: Any) -> str:
    created = world.ec2.create_launch_template(
        LaunchTemplateName="web", LaunchTemplateData={"ImageId": AMI, "InstanceType": "t3.micro", **data}
    )
    return str(created["LaunchTemplate"]["LaunchTemplateId"])


def group(world: World, template_id: str, version: str = "$Latest", **extra: Any) -> dict[str, Any]:
    world.autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="web",
        LaunchTemplate={"LaunchTemplateId": template_id, "Version": version},
        MinSize=1,
        MaxSize=2,
        DesiredCapacity=1,
        VPCZoneIdentifier=world.subnet_id,
        **extra,
    )
    return dict(world.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"][0])


def registered(world: World, arn: str) -> set[str]:
    health = world.elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
    return {d["Target"]["Id"] for d in health}


def instance(world: World, instance_id: str) -> dict[str, Any]:
    return dict(world.ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0])


def tags_of(described: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in described.get("Tags", [])}


# -- Auto Scaling traffic sources ------------------------------------------------------------------------------


def test_a_target_group_traffic_source_attaches_like_a_target_group(world: World) -> None:
    arn = target_group(world, "web")
    described = group(world, template(world))
    source = {"Identifier": arn, "Type": "elbv2"}

    world.autoscaling.attach_traffic_sources(AutoScalingGroupName="web", TrafficSources=[source])

    sources = world.autoscaling.describe_traffic_sources(AutoScalingGroupName="web")["TrafficSources"]
    assert [(s["Identifier"], s["Type"], s["State"]) for s in sources] == [(arn, "elbv2", "InService")]
    after = world.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"][0]
    assert after["TrafficSources"] == [source]
    assert after["TargetGroupARNs"] == [arn]
    assert registered(world, arn) == {described["Instances"][0]["InstanceId"]}

    world.autoscaling.detach_traffic_sources(AutoScalingGroupName="web", TrafficSources=[source])

    assert world.autoscaling.describe_traffic_sources(AutoScalingGroupName="web")["TrafficSources"] == []
    assert registered(world, arn) == set()


def test_a_group_created_with_traffic_sources_is_attached(world: World) -> None:
    arn = target_group(world, "web")
    described = group(world, template(world), TrafficSources=[{"Identifier": arn}])  # no type: a target group
    assert described["TrafficSources"] == [{"Identifier": arn, "Type": "elbv2"}]
    assert registered(world, arn) == {described["Instances"][0]["InstanceId"]}


def test_target_groups_attached_the_old_way_are_traffic_sources_too(world: World) -> None:
    arn = target_group(world, "web")
    group(world, template(world), TargetGroupARNs=[arn])
    only_elb = world.autoscaling.describe_traffic_sources(AutoScalingGroupName="web", TrafficSourceType="elb")
    assert only_elb["TrafficSources"] == []
    sources = world.autoscaling.describe_traffic_sources(AutoScalingGroupName="web", TrafficSourceType="elbv2")
    assert [s["Identifier"] for s in sources["TrafficSources"]] == [arn]


def test_unsupported_traffic_sources_and_unknown_groups_are_refused_not_failed(world: World) -> None:
    group(world, template(world))
    lattice = {"Identifier": "arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/tg-1", "Type": "vpc-lattice"}
    with pytest.raises(ClientError) as refused:
        world.autoscaling.attach_traffic_sources(AutoScalingGroupName="web", TrafficSources=[lattice])
    assert refused.value.response["Error"]["Code"] == "ValidationError"
    with pytest.raises(ClientError) as unknown:
        world.autoscaling.describe_traffic_sources(AutoScalingGroupName="nope")
    assert unknown.value.response["Error"]["Code"] == "ValidationError"


# -- launch-template versions ----------------------------------------------------------------------------------


def test_a_templates_own_tags_are_not_a_tag_specification_of_its_version(world: World) -> None:
    instance_tags = [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web"}]}]
    created = world.ec2.create_launch_template(
        LaunchTemplateName="web",
        LaunchTemplateData={"ImageId": AMI, "TagSpecifications": instance_tags},
        TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": "team", "Value": "platform"}]}],
    )["LaunchTemplate"]
    assert tags_of(created) == {"team": "platform"}
    version = world.ec2.describe_launch_template_versions(LaunchTemplateId=created["LaunchTemplateId"])
    assert version["LaunchTemplateVersions"][0]["LaunchTemplateData"]["TagSpecifications"] == instance_tags


def test_a_group_launches_from_a_new_version_with_tags_and_user_data(world: World) -> None:
    template_id = template(world)
    user_data = base64.b64encode(b"#!/bin/sh\necho web\n").decode()
    new = world.ec2.create_launch_template_version(
        LaunchTemplateId=template_id,
        LaunchTemplateData={
            "ImageId": AMI,
            "InstanceType": "t3.small",
            "UserData": user_data,
            "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web-v2"}]}],
        },
    )["LaunchTemplateVersion"]
    assert new["VersionNumber"] == 2

    described = group(world, template_id, version="2")

    launched = described["Instances"][0]
    assert launched["LaunchTemplate"]["Version"] == "2"
    found = instance(world, launched["InstanceId"])
    assert found["InstanceType"] == "t3.small"
    assert tags_of(found)["Name"] == "web-v2"
    assert tags_of(found)["aws:ec2launchtemplate:version"] == "2"
    attribute = world.ec2.describe_instance_attribute(InstanceId=launched["InstanceId"], Attribute="userData")
    assert base64.b64decode(attribute["UserData"]["Value"]) == b"#!/bin/sh\necho web\n"


def test_a_group_launches_with_its_versions_security_groups_not_the_defaults(world: World) -> None:
    old = world.ec2.create_security_group(GroupName="old", Description="old", VpcId=world.vpc_id)["GroupId"]
    new = world.ec2.create_security_group(GroupName="new", Description="new", VpcId=world.vpc_id)["GroupId"]
    template_id = template(world, SecurityGroupIds=[old])
    world.ec2.create_launch_template_version(
        LaunchTemplateId=template_id, LaunchTemplateData={"ImageId": AMI, "SecurityGroupIds": [new]}
    )
    described = group(world, template_id, version="$Latest")
    found = instance(world, described["Instances"][0]["InstanceId"])
    assert [g["GroupId"] for g in found["SecurityGroups"]] == [new]


# -- security-group rules --------------------------------------------------------------------------------------


def test_modifying_a_rule_to_reference_another_group_references_it(world: World) -> None:
    ec2 = world.ec2
    first, second, target = (
        ec2.create_security_group(GroupName=name, Description=name, VpcId=world.vpc_id)["GroupId"]
        for name in ("first", "second", "target")
    )
    rule = ec2.authorize_security_group_ingress(
        GroupId=target,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": first}]}],
    )["SecurityGroupRules"][0]

    ec2.modify_security_group_rules(
        GroupId=target,
        SecurityGroupRules=[
            {
                "SecurityGroupRuleId": rule["SecurityGroupRuleId"],
                "SecurityGroupRule": {
                    "IpProtocol": "tcp",
                    "FromPort": 8080,
                    "ToPort": 8080,
                    "ReferencedGroupId": second,
                    "Description": "from second",
                },
            }
        ],
    )

    changed = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rule["SecurityGroupRuleId"]])
    (described,) = changed["SecurityGroupRules"]
    assert described["ReferencedGroupInfo"]["GroupId"] == second
    assert (described["FromPort"], described["Description"]) == (8080, "from second")
    (permission,) = ec2.describe_security_groups(GroupIds=[target])["SecurityGroups"][0]["IpPermissions"]
    assert [(p["GroupId"], p.get("Description")) for p in permission["UserIdGroupPairs"]] == [(second, "from second")]


def test_modifying_a_group_rule_to_a_cidr_drops_the_group(world: World) -> None:
    ec2 = world.ec2
    source = ec2.create_security_group(GroupName="source", Description="s", VpcId=world.vpc_id)["GroupId"]
    target = ec2.create_security_group(GroupName="target", Description="t", VpcId=world.vpc_id)["GroupId"]
    rule = ec2.authorize_security_group_ingress(
        GroupId=target,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": source}]}
        ],
    )["SecurityGroupRules"][0]
    ec2.modify_security_group_rules(
        GroupId=target,
        SecurityGroupRules=[
            {
                "SecurityGroupRuleId": rule["SecurityGroupRuleId"],
                "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIpv4": "10.0.0.0/8"},
            }
        ],
    )
    (described,) = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rule["SecurityGroupRuleId"]])[
        "SecurityGroupRules"
    ]
    assert described["CidrIpv4"] == "10.0.0.0/8"
    assert "ReferencedGroupInfo" not in described


def test_modifying_a_rule_to_reference_an_unknown_group_is_refused(world: World) -> None:
    ec2 = world.ec2
    target = ec2.create_security_group(GroupName="target", Description="t", VpcId=world.vpc_id)["GroupId"]
    rule = ec2.authorize_security_group_ingress(
        GroupId=target,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}],
    )["SecurityGroupRules"][0]
    change = {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "ReferencedGroupId": "sg-0000000000000000"}
    with pytest.raises(ClientError) as refused:
        ec2.modify_security_group_rules(
            GroupId=target,
            SecurityGroupRules=[{"SecurityGroupRuleId": rule["SecurityGroupRuleId"], "SecurityGroupRule": change}],
        )
    assert refused.value.response["Error"]["Code"] == "InvalidGroup.NotFound"
    (described,) = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rule["SecurityGroupRuleId"]])[
        "SecurityGroupRules"
    ]
    assert described["CidrIpv4"] == "10.0.0.0/8"


def test_a_rule_that_references_a_group_keeps_its_description(world: World) -> None:
    ec2 = world.ec2
    source = ec2.create_security_group(GroupName="source", Description="s", VpcId=world.vpc_id)["GroupId"]
    target = ec2.create_security_group(GroupName="target", Description="t", VpcId=world.vpc_id)["GroupId"]
    pair = {"GroupId": source, "Description": "from the load balancer"}
    rule = ec2.authorize_security_group_ingress(
        GroupId=target, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [pair]}]
    )["SecurityGroupRules"][0]
    (described,) = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rule["SecurityGroupRuleId"]])[
        "SecurityGroupRules"
    ]
    assert described["Description"] == "from the load balancer"
