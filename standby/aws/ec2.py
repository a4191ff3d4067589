"""EC2 driver: VPCs and security groups (what the standby's network holds)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from standby.aws.errors import error_code
from standby.aws.paging import paged
from standby.aws.permissions import requires


@dataclass(frozen=True)
class Vpc:
    id: str
    cidr: str
    is_default: bool
    name: str | None


@requires("ec2:DescribeVpcs")
def describe_vpcs(client: Any) -> list[Vpc]:
    vpcs = []
    for doc in paged(client, "describe_vpcs", "Vpcs"):
        tags = {t["Key"]: t["Value"] for t in doc.get("Tags") or []}
        vpcs.append(Vpc(doc["VpcId"], doc.get("CidrBlock", ""), bool(doc.get("IsDefault")), tags.get("Name")))
    return vpcs


@requires("ec2:DescribeLaunchTemplateVersions")
def default_instance_types(client: Any, template_ids: Sequence[str]) -> dict[str, str | None]:
    """Launch template id -> the instance type of its default version, for every id asked that exists.

    A number of calls that does not grow with the templates asked: one template is described by its id; several
    (the API takes one id per call) by one describe of every template's ``$Default`` version in the region, paged
    by 200, keeping the ones asked."""
    wanted = sorted(set(template_ids))
    if not wanted:
        return {}
    if len(wanted) == 1:
        params: dict[str, Any] = {"LaunchTemplateId": wanted[0], "Versions": ["$Default"]}
    else:
        params = {"Versions": ["$Default"], "MaxResults": 200}
    found: dict[str, str | None] = {}
    for doc in paged(client, "describe_launch_template_versions", "LaunchTemplateVersions", **params):
        if doc.get("LaunchTemplateId") in wanted:
            found[doc["LaunchTemplateId"]] = (doc.get("LaunchTemplateData") or {}).get("InstanceType")
    return found


@requires("ec2:DescribeInstanceTypes")
def vcpus_of(client: Any, instance_types: list[str]) -> dict[str, int]:
    """Instance type -> default vCPUs, 100 types per call (the API's limit), paged."""
    result: dict[str, int] = {}
    for chunk in _chunks(sorted(set(instance_types)), 100):
        for doc in paged(client, "describe_instance_types", "InstanceTypes", InstanceTypes=chunk):
            result[doc["InstanceType"]] = int((doc.get("VCpuInfo") or {}).get("DefaultVCpus", 0))
    return result


# -- drift inventory: launch templates, images, security groups, running capacity ----------------------------


@dataclass(frozen=True)
class LaunchTemplateVersion:
    template_id: str
    template_name: str
    version: int
    image_id: str | None
    instance_type: str | None
    user_data: str | None  # base64, as EC2 returns it
    security_group_ids: tuple[str, ...]
    key_name: str | None
    iam_profile: str | None


@requires("ec2:DescribeLaunchTemplateVersions")
def describe_launch_template_version(
    client: Any, template_id: str, version: str = "$Default"
) -> LaunchTemplateVersion | None:
    """One version of a launch template ('$Default', '$Latest' or a number), or None when it does not exist."""
    try:
        docs = client.describe_launch_template_versions(LaunchTemplateId=template_id, Versions=[version]).get(
            "LaunchTemplateVersions"
        )
    except ClientError as err:
        if error_code(err) in _LAUNCH_TEMPLATE_MISSING:
            return None
        raise
    if not docs:
        return None
    doc = docs[0]
    data = doc.get("LaunchTemplateData") or {}
    groups = list(data.get("SecurityGroupIds") or ())
    for interface in data.get("NetworkInterfaces") or ():
        groups.extend(interface.get("Groups") or ())
    profile = data.get("IamInstanceProfile") or {}
    return LaunchTemplateVersion(
        template_id=doc["LaunchTemplateId"],
        template_name=doc.get("LaunchTemplateName", ""),
        version=int(doc.get("VersionNumber", 0)),
        image_id=data.get("ImageId"),
        instance_type=data.get("InstanceType"),
        user_data=data.get("UserData"),
        security_group_ids=tuple(sorted(set(groups))),
        key_name=data.get("KeyName"),
        iam_profile=profile.get("Name") or profile.get("Arn"),
    )


_LAUNCH_TEMPLATE_MISSING = frozenset(
    {
        "InvalidLaunchTemplateId.NotFound",
        "InvalidLaunchTemplateId.VersionNotFound",
        "InvalidLaunchTemplateName.NotFound",
    }
)


@dataclass(frozen=True)
class Image:
    id: str
    name: str
    owner: str


@requires("ec2:DescribeImages")
def describe_images(client: Any, image_ids: Sequence[str]) -> list[Image]:
    """Images by id; ids that do not exist (deregistered, or from another region) are left out."""
    images: list[Image] = []
    for chunk in _chunks(sorted(set(image_ids)), 100):
        try:
            docs = client.describe_images(ImageIds=chunk).get("Images") or []
        except ClientError as err:
            if error_code(err) not in ("InvalidAMIID.NotFound", "InvalidAMIID.Malformed", "InvalidAMIID.Unavailable"):
                raise
            docs = [d for image_id in chunk for d in _describe_image_or_nothing(client, image_id)]
        images.extend(Image(d["ImageId"], d.get("Name", ""), d.get("OwnerId", "")) for d in docs)
    return images


def _describe_image_or_nothing(client: Any, image_id: str) -> list[dict[str, Any]]:
    try:
        return client.describe_images(ImageIds=[image_id]).get("Images") or []
    except ClientError as err:
        if error_code(err) in ("InvalidAMIID.NotFound", "InvalidAMIID.Malformed", "InvalidAMIID.Unavailable"):
            return []
        raise


@dataclass(frozen=True)
class SecurityGroupRule:
    direction: str  # ingress | egress
    protocol: str  # "tcp", "udp", "icmp", "-1" (all)
    from_port: int | None
    to_port: int | None
    source: str  # a CIDR block, a prefix list id, or a security group id
    source_kind: str  # cidr | prefix-list | security-group
    description: str = ""


@dataclass(frozen=True)
class SecurityGroup:
    id: str
    name: str
    description: str
    vpc_id: str | None
    rules: tuple[SecurityGroupRule, ...]


def _rules(direction: str, permissions: Sequence[dict[str, Any]]) -> list[SecurityGroupRule]:
    rules: list[SecurityGroupRule] = []
    for perm in permissions:
        base = {
            "direction": direction,
            "protocol": str(perm.get("IpProtocol", "-1")),
            "from_port": perm.get("FromPort"),
            "to_port": perm.get("ToPort"),
        }
        for r in perm.get("IpRanges") or ():
            rules.append(
                SecurityGroupRule(**base, source=r["CidrIp"], source_kind="cidr", description=r.get("Description", ""))
            )
        for r in perm.get("Ipv6Ranges") or ():
            rules.append(
                SecurityGroupRule(
                    **base, source=r["CidrIpv6"], source_kind="cidr", description=r.get("Description", "")
                )
            )
        for r in perm.get("PrefixListIds") or ():
            rules.append(
                SecurityGroupRule(
                    **base, source=r["PrefixListId"], source_kind="prefix-list", description=r.get("Description", "")
                )
            )
        for r in perm.get("UserIdGroupPairs") or ():
            rules.append(
                SecurityGroupRule(
                    **base, source=r["GroupId"], source_kind="security-group", description=r.get("Description", "")
                )
            )
    return rules


@requires("ec2:DescribeSecurityGroups")
def describe_security_groups(client: Any, group_ids: Sequence[str]) -> list[SecurityGroup]:
    """Security groups by id with their rules, paging through every result (filters allow paging, ids do not)."""
    groups: list[SecurityGroup] = []
    paginator = client.get_paginator("describe_security_groups")
    for chunk in _chunks(sorted(set(group_ids)), 200):
        for page in paginator.paginate(Filters=[{"Name": "group-id", "Values": chunk}]):
            for doc in page.get("SecurityGroups") or []:
                groups.append(
                    SecurityGroup(
                        id=doc["GroupId"],
                        name=doc.get("GroupName", ""),
                        description=doc.get("Description", ""),
                        vpc_id=doc.get("VpcId"),
                        rules=tuple(
                            _rules("ingress", doc.get("IpPermissions") or ())
                            + _rules("egress", doc.get("IpPermissionsEgress") or ())
                        ),
                    )
                )
    return groups


@requires("ec2:DescribeSecurityGroups", "ec2:CreateSecurityGroup")
def ensure_empty_group(client: Any, vpc_id: str, name: str, description: str) -> str:
    """The id of a security group named ``name`` in ``vpc_id`` that allows no ingress, created when missing."""
    found = (
        client.describe_security_groups(
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": [name]}]
        ).get("SecurityGroups")
        or []
    )
    if found:
        return str(found[0]["GroupId"])
    try:
        return str(client.create_security_group(GroupName=name, Description=description, VpcId=vpc_id)["GroupId"])
    except ClientError as err:
        if error_code(err) != "InvalidGroup.Duplicate":
            raise
        return ensure_empty_group(client, vpc_id, name, description)


@requires("ec2:DescribeInstances")
def running_instance_types(client: Any) -> dict[str, int]:
    """Instance type -> number of pending or running instances in the region (for vCPU quota headroom)."""
    counts: dict[str, int] = {}
    running = [{"Name": "instance-state-name", "Values": ["pending", "running"]}]
    for reservation in paged(client, "describe_instances", "Reservations", Filters=running):
        for instance in reservation.get("Instances") or []:
            kind = instance.get("InstanceType", "")
            counts[kind] = counts.get(kind, 0) + 1
    return counts


def _chunks(items: Sequence[str], size: int) -> list[list[str]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]
