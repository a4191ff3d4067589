"""The databases' re-seed, pure: which databases a region stack manages (from its Terraform state), and what a
re-seed's targeted replace plan may change."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from standby.errors import StandbyError
from standby.terraform import Plan


class ReseedRefused(StandbyError):
    """The re-seed's plan would change more than the databases it replaces."""


@dataclass(frozen=True)
class ManagedDatabase:
    """A database instance managed by a stack: its Terraform address and its RDS identifier."""

    address: str
    identifier: str


@dataclass(frozen=True)
class Reseed:
    """The targeted replace of one region's databases: what is managed there and the saved plan (None: nothing
    to re-seed, the stack has no database)."""

    region: str
    stack: str
    databases: tuple[ManagedDatabase, ...]
    plan: Plan | None

    @property
    def addresses(self) -> tuple[str, ...]:
        return tuple(db.address for db in self.databases)

    @property
    def problems(self) -> tuple[str, ...]:
        return reseed_problems(self.plan, self.addresses) if self.plan is not None else ()

    def destroys(self, database: ManagedDatabase) -> bool:
        """The plan destroys this database (a replace), so it needs its final snapshot first."""
        if self.plan is None:
            return False
        return any(c.address == database.address and "delete" in c.actions for c in self.plan.changes)

    def summary(self) -> str:
        if self.plan is None:
            return "no databases in the region stack: nothing to re-seed"
        return self.plan.summary()

    def to_dict(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "stack": self.stack,
            "databases": [{"address": db.address, "identifier": db.identifier} for db in self.databases],
            "summary": self.summary(),
            "changes": []
            if self.plan is None
            else [{"address": c.address, "action": c.action} for c in self.plan.changes],
            "problems": list(self.problems),
        }


def reseed_problems(plan: Plan, addresses: Sequence[str]) -> tuple[str, ...]:
    """What a re-seed refuses in its plan: a change to any other address than its databases', or a database
    destroyed without being created again."""
    wanted = set(addresses)
    problems: list[str] = []
    extra = sorted(f"{c.address} ({c.action})" for c in plan.changes if c.address not in wanted)
    if extra:
        problems.append(f"the plan would also change {len(extra)} other resource(s): {', '.join(extra)}")
    gone = sorted(c.address for c in plan.touching(wanted) if "delete" in c.actions and "create" not in c.actions)
    if gone:
        problems.append(f"the plan would delete without re-creating: {', '.join(gone)}")
    return tuple(problems)


def databases_in_state(state: Mapping[str, Any]) -> tuple[ManagedDatabase, ...]:
    """Every current ``aws_db_instance`` object of a raw Terraform state document (``terraform state pull``)."""
    found: list[ManagedDatabase] = []
    for resource in state.get("resources") or ():
        if resource.get("mode") != "managed" or resource.get("type") != "aws_db_instance":
            continue
        module = resource.get("module")
        base = f"{module + '.' if module else ''}{resource['type']}.{resource['name']}"
        for instance in resource.get("instances") or ():
            if instance.get("deposed"):
                continue  # a deposed object is not the resource's current one
            key = instance.get("index_key")
            address = base if key is None else f"{base}[{json.dumps(key)}]"
            attributes = instance.get("attributes") or {}
            identifier = attributes.get("identifier") or attributes.get("id")
            if identifier:
                found.append(ManagedDatabase(address=address, identifier=str(identifier)))
    return tuple(found)
