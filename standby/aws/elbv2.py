"""Elastic Load Balancing (v2) driver: load balancers and target health."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from standby.aws.permissions import requires


@dataclass(frozen=True)
class LoadBalancer:
    name: str
    arn: str
    dns_name: str
    zone_id: str
    state: str


@dataclass(frozen=True)
class TargetHealth:
    target_group_arn: str
    healthy: int
    total: int


@requires("elasticloadbalancing:DescribeLoadBalancers")
def describe_load_balancers(client: Any) -> list[LoadBalancer]:
    result = []
    for page in client.get_paginator("describe_load_balancers").paginate():
        for doc in page.get("LoadBalancers") or []:
            result.append(
                LoadBalancer(
                    name=doc["LoadBalancerName"],
                    arn=doc["LoadBalancerArn"],
                    dns_name=doc.get("DNSName", ""),
                    zone_id=doc.get("CanonicalHostedZoneId", ""),
                    state=(doc.get("State") or {}).get("Code", ""),
                )
            )
    return result


@requires("elasticloadbalancing:DescribeTargetHealth")
def describe_target_health(client: Any, target_group_arns: Sequence[str]) -> list[TargetHealth]:
    result = []
    for arn in target_group_arns:
        docs = client.describe_target_health(TargetGroupArn=arn).get("TargetHealthDescriptions") or []
        healthy = sum(1 for d in docs if (d.get("TargetHealth") or {}).get("State") == "healthy")
        result.append(TargetHealth(arn, healthy, len(docs)))
    return result
