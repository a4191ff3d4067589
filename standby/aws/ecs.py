"""ECS driver: task definitions (what a service runs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from standby.aws.errors import error_code
from standby.aws.paging import paged
from standby.aws.permissions import requires


@dataclass(frozen=True)
class TaskDefinition:
    family: str
    revision: int
    arn: str
    images: tuple[str, ...]  # per container, in container-name order: "name=image"
    cpu: str | None
    memory: str | None
    network_mode: str | None
    environment: tuple[tuple[str, str, str], ...] = field(
        default=(), repr=False
    )  # (container, variable, value), sorted: never print


@requires("ecs:ListTaskDefinitionFamilies")
def list_task_definition_families(client: Any, prefix: str) -> list[str]:
    """Active task definition families whose name starts with prefix, paging through every result."""
    return sorted(set(paged(client, "list_task_definition_families", "families", familyPrefix=prefix, status="ACTIVE")))


@requires("ecs:DescribeTaskDefinition")
def describe_task_definition(client: Any, family: str) -> TaskDefinition | None:
    """The latest active revision of a family, or None when it has none."""
    try:
        doc = client.describe_task_definition(taskDefinition=family)["taskDefinition"]
    except ClientError as err:
        if error_code(err) in ("ClientException", "ResourceNotFoundException"):
            return None
        raise
    containers = sorted(doc.get("containerDefinitions") or (), key=lambda c: c.get("name", ""))
    environment = sorted(
        (c.get("name", ""), e.get("name", ""), e.get("value", ""))
        for c in containers
        for e in c.get("environment") or ()
    )
    return TaskDefinition(
        family=doc.get("family", family),
        revision=int(doc.get("revision", 0)),
        arn=doc.get("taskDefinitionArn", ""),
        images=tuple(f"{c.get('name', '')}={c.get('image', '')}" for c in containers),
        cpu=doc.get("cpu"),
        memory=doc.get("memory"),
        network_mode=doc.get("networkMode"),
        environment=tuple(environment),
    )
