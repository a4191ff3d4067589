"""Auto Scaling driver: describe groups and change their capacity."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from standby.aws.permissions import requires


@dataclass(frozen=True)
class GroupState:
    name: str
    min_size: int
    max_size: int
    desired_capacity: int
    in_service: int
    healthy: int
    instance_count: int
    tags: tuple[tuple[str, str], ...] = ()
    launch_template_id: str | None = None
    target_group_arns: tuple[str, ...] = ()
    in_service_ids: tuple[str, ...] = ()  # the instance ids of the InService instances

    def tag(self, key: str) -> str | None:
        return dict(self.tags).get(key)


def _group_state(doc: dict[str, Any]) -> GroupState:
    instances = doc.get("Instances") or []
    template = (
        doc.get("LaunchTemplate")
        or (doc.get("MixedInstancesPolicy") or {}).get("LaunchTemplate", {}).get("LaunchTemplateSpecification")
        or {}
    )
    return GroupState(
        name=doc["AutoScalingGroupName"],
        min_size=int(doc["MinSize"]),
        max_size=int(doc["MaxSize"]),
        desired_capacity=int(doc["DesiredCapacity"]),
        in_service=sum(1 for i in instances if i.get("LifecycleState") == "InService"),
        healthy=sum(
            1 for i in instances if i.get("LifecycleState") == "InService" and i.get("HealthStatus") == "Healthy"
        ),
        instance_count=len(instances),
        tags=tuple(sorted((t["Key"], t.get("Value", "")) for t in doc.get("Tags") or [])),
        launch_template_id=template.get("LaunchTemplateId"),
        target_group_arns=tuple(doc.get("TargetGroupARNs") or ()),
        in_service_ids=tuple(sorted(i["InstanceId"] for i in instances if i.get("LifecycleState") == "InService")),
    )


NAMES_PER_DESCRIBE = 50  # DescribeAutoScalingGroups takes at most 50 names a call


@requires("autoscaling:DescribeAutoScalingGroups")
def describe_groups(client: Any, names: Sequence[str] | None = None) -> list[GroupState]:
    """Groups by name (all groups when names is None), 50 names a call, paging through every result; missing
    names are left out."""
    return [_group_state(doc) for doc in _group_docs(client, names)]


def _group_docs(client: Any, names: Sequence[str] | None) -> Iterator[dict[str, Any]]:
    """The documents of the named groups (every group when None), in calls of at most 50 names, paged."""
    paginator = client.get_paginator("describe_auto_scaling_groups")
    if names is None:
        calls: list[dict[str, Any]] = [{}]
    else:
        unique = sorted(set(names))
        calls = [
            {"AutoScalingGroupNames": unique[i : i + NAMES_PER_DESCRIBE]}
            for i in range(0, len(unique), NAMES_PER_DESCRIBE)
        ]
    for kwargs in calls:
        for page in paginator.paginate(**kwargs):
            yield from page.get("AutoScalingGroups") or []


@requires("autoscaling:UpdateAutoScalingGroup", "autoscaling:SetDesiredCapacity")
def set_capacity(
    client: Any, name: str, *, desired: int, min_size: int | None = None, max_size: int | None = None
) -> None:
    """Set a group's desired capacity, widening or narrowing min/max in the same call where given."""
    kwargs: dict[str, Any] = {"AutoScalingGroupName": name, "DesiredCapacity": desired}
    if min_size is not None:
        kwargs["MinSize"] = min_size
    if max_size is not None:
        kwargs["MaxSize"] = max_size
    client.update_auto_scaling_group(**kwargs)


@requires("autoscaling:CreateOrUpdateTags")
def tag_group(client: Any, name: str, tags: dict[str, str]) -> None:
    client.create_or_update_tags(
        Tags=[
            {"ResourceId": name, "ResourceType": "auto-scaling-group", "Key": k, "Value": v, "PropagateAtLaunch": False}
            for k, v in tags.items()
        ]
    )


@requires("autoscaling:DeleteTags")
def untag_group(client: Any, name: str, keys: Iterable[str]) -> None:
    tags = [{"ResourceId": name, "ResourceType": "auto-scaling-group", "Key": k} for k in keys]
    if tags:
        client.delete_tags(Tags=tags)


@dataclass(frozen=True)
class GroupSpec:
    """A group's state plus how it launches: the launch template version it references, its health check type."""

    state: GroupState
    launch_template_version: str | None
    health_check_type: str | None


@requires("autoscaling:DescribeAutoScalingGroups")
def describe_group_specs(client: Any, names: Sequence[str]) -> list[GroupSpec]:
    """Groups by name (50 names per call), paging through every result; missing names are left out."""
    specs: list[GroupSpec] = []
    for doc in _group_docs(client, names):
        template = (
            doc.get("LaunchTemplate")
            or (doc.get("MixedInstancesPolicy") or {}).get("LaunchTemplate", {}).get("LaunchTemplateSpecification")
            or {}
        )
        specs.append(GroupSpec(_group_state(doc), template.get("Version"), doc.get("HealthCheckType")))
    return specs
