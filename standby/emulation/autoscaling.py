"""Auto Scaling as AWS behaves where Terraform's AWS provider and the community modules depend on it.

* Traffic sources (AttachTrafficSources, DetachTrafficSources, DescribeTrafficSources, and ``TrafficSources``
  of CreateAutoScalingGroup): moto does not implement them and answers HTTP 500, which the provider retries
  for 25 minutes (``aws_autoscaling_group`` with ``traffic_source`` blocks). Here a traffic source of type
  ``elbv2`` (a target group ARN) is attached and detached as AttachLoadBalancerTargetGroups does, and one of
  type ``elb`` (a Classic Load Balancer name) as AttachLoadBalancers does; a source without a type is
  ``elbv2`` when it is a target group ARN. Other types (``vpc-lattice``) are refused with a ValidationError.
  Groups report every attached target group and load balancer as a traffic source, as AWS reports those
  attached either way; their state is ``InService`` at once, since moto's targets are healthy at once.
* Instances a group launches come from the group's launch-template version: moto launches them from the
  template's default version (its security groups, key, block devices, tags and version tag), whatever
  version the group names; DescribeAutoScalingGroups and DescribeAutoScalingInstances report the version
  an instance was launched from (moto: the template's default version).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from moto.autoscaling.exceptions import ValidationError
from moto.autoscaling.models import AutoScalingBackend, FakeAutoScalingGroup, InstanceState
from moto.autoscaling.responses import AutoScalingResponse
from moto.core.responses import ActionResult, EmptyResult
from moto.ec2.models import EC2Backend
from moto.ec2.models.launch_templates import LaunchTemplateVersion

TARGET_GROUP = "elbv2"
CLASSIC_LOAD_BALANCER = "elb"
VERSION_TAG = "aws:ec2launchtemplate:version"  # EC2 tags an instance with its launch-template version
# The group launching instances now, so that the launch reads the group's template version.
_launching: ContextVar[FakeAutoScalingGroup | None] = ContextVar("launching_group", default=None)


def source_type(source: dict[str, Any]) -> str:
    """The type of a traffic source: as given, else ``elbv2`` for a target group ARN, else ``elb``."""
    given = source.get("Type")
    if given:
        return str(given)
    return TARGET_GROUP if ":targetgroup/" in str(source.get("Identifier", "")) else CLASSIC_LOAD_BALANCER


def split_sources(sources: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """(target group ARNs, classic load balancer names) of ``sources``; refuses any other type."""
    target_groups: list[str] = []
    load_balancers: list[str] = []
    for source in sources:
        kind, identifier = source_type(source), str(source.get("Identifier", ""))
        if not identifier:
            raise ValidationError("TrafficSources: each traffic source needs an Identifier")
        if kind == TARGET_GROUP:
            target_groups.append(identifier)
        elif kind == CLASSIC_LOAD_BALANCER:
            load_balancers.append(identifier)
        else:
            raise ValidationError(f"the emulator attaches traffic sources of type elbv2 and elb only, not {kind!r}")
    return target_groups, load_balancers


def traffic_sources(group: FakeAutoScalingGroup) -> list[dict[str, str]]:
    """Every traffic source of ``group``: its target groups and classic load balancers."""
    sources = [{"Identifier": arn, "Type": TARGET_GROUP} for arn in group.target_group_arns]
    sources += [{"Identifier": name, "Type": CLASSIC_LOAD_BALANCER} for name in group.load_balancer_names]
    return sources


def _group(backend: AutoScalingBackend, name: str) -> FakeAutoScalingGroup:
    group = backend.autoscaling_groups.get(name)
    if group is None:
        raise ValidationError(f"AutoScalingGroup name not found - AutoScalingGroup {name} not found")
    return group


def attach(backend: AutoScalingBackend, name: str, sources: list[dict[str, Any]]) -> None:
    """AttachTrafficSources: each source attached as AttachLoadBalancerTargetGroups or AttachLoadBalancers does."""
    _by_type(backend, name, sources, backend.attach_load_balancer_target_groups, backend.attach_load_balancers)


def detach(backend: AutoScalingBackend, name: str, sources: list[dict[str, Any]]) -> None:
    """DetachTrafficSources: each source detached as DetachLoadBalancerTargetGroups or DetachLoadBalancers does."""
    _by_type(backend, name, sources, backend.detach_load_balancer_target_groups, backend.detach_load_balancers)


def _by_type(
    backend: AutoScalingBackend,
    name: str,
    sources: list[dict[str, Any]],
    target_groups_call: Callable[[str, list[str]], object],
    load_balancers_call: Callable[[str, list[str]], object],
) -> None:
    """Hand the group's target groups and its classic load balancers among ``sources`` each to its own call;
    refuses a group that does not exist and an unsupported source type before calling either."""
    _group(backend, name)
    target_groups, load_balancers = split_sources(sources)
    if target_groups:
        target_groups_call(name, target_groups)
    if load_balancers:
        load_balancers_call(name, load_balancers)


def describe(backend: AutoScalingBackend, name: str, kind: str | None) -> list[dict[str, str]]:
    """DescribeTrafficSources' entries for a group, of one type when ``kind`` is given."""
    described = []
    for source in traffic_sources(_group(backend, name)):
        if kind and source["Type"] != kind:
            continue
        described.append({**source, "TrafficSource": source["Identifier"], "State": "InService"})
    return described


@contextmanager
def launching(group: FakeAutoScalingGroup) -> Iterator[None]:
    token = _launching.set(group)
    try:
        yield
    finally:
        _launching.reset(token)


def with_group_version(launch_template: dict[str, Any]) -> dict[str, Any]:
    """The launch-template argument of a group's launch, naming the group's version (moto names none, so
    EC2 would use the template's default version)."""
    group = _launching.get()
    template = group.ec2_launch_template if group is not None else None
    if group is None or template is None or "Version" in launch_template:
        return launch_template
    if launch_template.get("LaunchTemplateId", template.id) != template.id:
        return launch_template
    return {**launch_template, "Version": str(group.launch_template_version)}


def launched_version(instance: Any) -> str | None:
    """The launch-template version ``instance`` was launched from, by EC2's tag on it."""
    return next((tag["value"] for tag in instance.get_tags() if tag["key"] == VERSION_TAG), None)


def install() -> None:
    original_create = AutoScalingResponse.create_auto_scaling_group
    original_replace = FakeAutoScalingGroup.replace_autoscaling_group_instances
    original_template = EC2Backend._get_template_from_args
    original_instance_template = InstanceState.launch_template

    def create_auto_scaling_group(self: AutoScalingResponse) -> ActionResult:
        sources = self._get_param("TrafficSources", [])
        if sources:
            split_sources(sources)  # refuse an unsupported source before the group exists
        result = original_create(self)
        if sources:
            attach(self.autoscaling_backend, self._get_param("AutoScalingGroupName"), sources)
        return result

    def attach_traffic_sources(self: AutoScalingResponse) -> ActionResult:
        attach(self.autoscaling_backend, self._get_param("AutoScalingGroupName"), self._get_param("TrafficSources", []))
        return EmptyResult()

    def detach_traffic_sources(self: AutoScalingResponse) -> ActionResult:
        detach(self.autoscaling_backend, self._get_param("AutoScalingGroupName"), self._get_param("TrafficSources", []))
        return EmptyResult()

    def describe_traffic_sources(self: AutoScalingResponse) -> ActionResult:
        name, kind = self._get_param("AutoScalingGroupName"), self._get_param("TrafficSourceType")
        return ActionResult({"TrafficSources": describe(self.autoscaling_backend, name, kind)})

    def replace_autoscaling_group_instances(self: FakeAutoScalingGroup, *args: Any, **kwargs: Any) -> None:
        with launching(self):
            original_replace(self, *args, **kwargs)

    def get_template_from_args(self: EC2Backend, launch_template: dict[str, Any]) -> LaunchTemplateVersion:
        return original_template(self, with_group_version(launch_template))

    def instance_launch_template(self: InstanceState) -> dict[str, Any] | None:
        described = original_instance_template.fget(self)  # type: ignore[attr-defined]
        version = launched_version(self.instance) if described is not None else None
        return {**described, "Version": version} if version else described

    AutoScalingResponse.create_auto_scaling_group = create_auto_scaling_group  # type: ignore[method-assign]
    AutoScalingResponse.attach_traffic_sources = attach_traffic_sources  # type: ignore[attr-defined]
    AutoScalingResponse.detach_traffic_sources = detach_traffic_sources  # type: ignore[attr-defined]
    AutoScalingResponse.describe_traffic_sources = describe_traffic_sources  # type: ignore[attr-defined]
    FakeAutoScalingGroup.traffic_sources = property(traffic_sources)  # type: ignore[attr-defined]
    FakeAutoScalingGroup.replace_autoscaling_group_instances = replace_autoscaling_group_instances  # type: ignore[method-assign]
    EC2Backend._get_template_from_args = get_template_from_args  # type: ignore[method-assign]
    InstanceState.launch_template = property(instance_launch_template)  # type: ignore[method-assign, assignment]
