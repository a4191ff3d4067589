"""Elastic Load Balancing (v2) driver: load balancers and target health."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from standby.aws.documents import texts
from standby.aws.paging import paged
from standby.aws.permissions import requires


@dataclass(frozen=True)
class LoadBalancer:
    name: str
    arn: str
    dns_name: str
    zone_id: str
    state: str


def _load_balancer(doc: dict[str, Any]) -> LoadBalancer:
    return LoadBalancer(
        name=doc["LoadBalancerName"],
        arn=doc["LoadBalancerArn"],
        dns_name=doc.get("DNSName", ""),
        zone_id=doc.get("CanonicalHostedZoneId", ""),
        state=(doc.get("State") or {}).get("Code", ""),
    )


@requires("elasticloadbalancing:DescribeLoadBalancers")
def describe_load_balancers(client: Any) -> list[LoadBalancer]:
    return [_load_balancer(doc) for doc in paged(client, "describe_load_balancers", "LoadBalancers")]


@dataclass(frozen=True)
class Target:
    """One registered target of a target group and its health state (healthy, unhealthy, draining, ...)."""

    id: str  # the instance id for instance targets
    port: int | None
    state: str


@requires("elasticloadbalancing:DescribeTargetHealth")
def describe_targets(client: Any, target_group_arn: str) -> list[Target]:
    """Every target registered in a target group, with its id and health state."""
    docs = client.describe_target_health(TargetGroupArn=target_group_arn).get("TargetHealthDescriptions") or []
    return [
        Target(
            id=(d.get("Target") or {}).get("Id", ""),
            port=(d.get("Target") or {}).get("Port"),
            state=(d.get("TargetHealth") or {}).get("State", ""),
        )
        for d in docs
    ]


@dataclass(frozen=True)
class TargetHealth:
    """How many of a target group's registered targets are healthy: a count (``Target`` is one target's state)."""

    target_group_arn: str
    healthy: int
    total: int


@requires("elasticloadbalancing:DescribeTargetHealth")
def describe_target_health(client: Any, target_group_arns: Sequence[str]) -> list[TargetHealth]:
    """Each target group's count of healthy targets, from its targets as ``describe_targets`` reads them."""
    result = []
    for arn in target_group_arns:
        targets = describe_targets(client, arn)
        result.append(TargetHealth(arn, sum(1 for t in targets if t.state == "healthy"), len(targets)))
    return result


# -- drift inventory: target groups, load balancers and their listeners --------------------------------------


@dataclass(frozen=True)
class TargetGroup:
    arn: str
    name: str
    port: int | None
    protocol: str | None
    load_balancer_arns: tuple[str, ...]
    health_check: tuple[tuple[str, str], ...]  # sorted (setting, value) pairs: path, port, protocol, matcher ...


@dataclass(frozen=True)
class LoadBalancerSettings:
    arn: str
    name: str
    type: str
    scheme: str
    dns_name: str
    security_group_ids: tuple[str, ...]


@dataclass(frozen=True)
class ListenerAction:
    type: str
    target_group_arns: tuple[str, ...] = ()
    redirect: str | None = None
    fixed_response: str | None = None


@dataclass(frozen=True)
class Listener:
    arn: str
    load_balancer_arn: str
    port: int | None
    protocol: str | None
    ssl_policy: str | None
    certificate_arns: tuple[str, ...]
    default_actions: tuple[ListenerAction, ...]


_HEALTH_CHECK_KEYS = (
    "HealthCheckProtocol",
    "HealthCheckPort",
    "HealthCheckPath",
    "HealthCheckIntervalSeconds",
    "HealthCheckTimeoutSeconds",
    "HealthyThresholdCount",
    "UnhealthyThresholdCount",
)


# The API's limit on the ARNs of one describe call.
_ARNS_PER_CALL = 20


def _by_arns(client: Any, operation: str, param: str, key: str, arns: Sequence[str]) -> Iterator[dict[str, Any]]:
    """The items under ``key`` of ``operation`` for each distinct ARN, asked in sorted batches of the API's limit."""
    unique = sorted(set(arns))
    for start in range(0, len(unique), _ARNS_PER_CALL):
        yield from getattr(client, operation)(**{param: unique[start : start + _ARNS_PER_CALL]}).get(key) or []


def _target_group(doc: dict[str, Any]) -> TargetGroup:
    settings = [(key, str(doc[key])) for key in _HEALTH_CHECK_KEYS if key in doc]
    matcher = doc.get("Matcher") or {}
    if matcher.get("HttpCode") or matcher.get("GrpcCode"):
        settings.append(("Matcher", str(matcher.get("HttpCode") or matcher.get("GrpcCode"))))
    return TargetGroup(
        arn=doc["TargetGroupArn"],
        name=doc.get("TargetGroupName", ""),
        port=doc.get("Port"),
        protocol=doc.get("Protocol"),
        load_balancer_arns=tuple(doc.get("LoadBalancerArns") or ()),
        health_check=tuple(sorted(settings)),
    )


@requires("elasticloadbalancing:DescribeTargetGroups")
def describe_target_groups(client: Any, arns: Sequence[str]) -> list[TargetGroup]:
    """Target groups by ARN (20 per call, the API's limit), with their health check settings."""
    docs = _by_arns(client, "describe_target_groups", "TargetGroupArns", "TargetGroups", arns)
    return [_target_group(doc) for doc in docs]


def _load_balancer_settings(doc: dict[str, Any]) -> LoadBalancerSettings:
    return LoadBalancerSettings(
        arn=doc["LoadBalancerArn"],
        **texts(doc, name="LoadBalancerName", type="Type", scheme="Scheme", dns_name="DNSName"),
        security_group_ids=tuple(sorted(doc.get("SecurityGroups") or ())),
    )


@requires("elasticloadbalancing:DescribeLoadBalancers")
def describe_load_balancer_settings(client: Any, arns: Sequence[str]) -> list[LoadBalancerSettings]:
    """Load balancers by ARN (20 per call), with type, scheme and security groups."""
    docs = _by_arns(client, "describe_load_balancers", "LoadBalancerArns", "LoadBalancers", arns)
    return [_load_balancer_settings(doc) for doc in docs]


def _action(doc: dict[str, Any]) -> ListenerAction:
    groups = [doc["TargetGroupArn"]] if doc.get("TargetGroupArn") else []
    for tg in (doc.get("ForwardConfig") or {}).get("TargetGroups") or ():
        if tg.get("TargetGroupArn") and tg["TargetGroupArn"] not in groups:
            groups.append(tg["TargetGroupArn"])
    redirect = doc.get("RedirectConfig")
    fixed = doc.get("FixedResponseConfig")
    return ListenerAction(
        type=doc.get("Type", ""),
        target_group_arns=tuple(sorted(groups)),
        redirect=_flat(redirect) if redirect else None,
        fixed_response=_flat(fixed) if fixed else None,
    )


def _flat(doc: dict[str, Any]) -> str:
    return ",".join(f"{k}={doc[k]}" for k in sorted(doc))


@requires("elasticloadbalancing:DescribeListeners")
def describe_listeners(client: Any, load_balancer_arn: str) -> list[Listener]:
    """Every listener of a load balancer, paging through every result."""
    result: list[Listener] = []
    for doc in paged(client, "describe_listeners", "Listeners", LoadBalancerArn=load_balancer_arn):
        result.append(
            Listener(
                arn=doc["ListenerArn"],
                load_balancer_arn=doc.get("LoadBalancerArn", load_balancer_arn),
                port=doc.get("Port"),
                protocol=doc.get("Protocol"),
                ssl_policy=doc.get("SslPolicy"),
                certificate_arns=tuple(sorted(c["CertificateArn"] for c in doc.get("Certificates") or ())),
                default_actions=tuple(
                    _action(a) for a in sorted(doc.get("DefaultActions") or (), key=lambda a: a.get("Order", 0))
                ),
            )
        )
    return result
