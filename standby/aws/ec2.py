"""EC2 driver: VPCs and security groups (what the standby's network holds)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
    for page in client.get_paginator("describe_vpcs").paginate():
        for doc in page.get("Vpcs") or []:
            tags = {t["Key"]: t["Value"] for t in doc.get("Tags") or []}
            vpcs.append(Vpc(doc["VpcId"], doc.get("CidrBlock", ""), bool(doc.get("IsDefault")), tags.get("Name")))
    return vpcs
