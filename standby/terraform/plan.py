"""Typed views of Terraform's JSON plan (``terraform show -json PLANFILE``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_MUTATING = {"create", "update", "delete"}


@dataclass(frozen=True)
class ResourceChange:
    """One resource of a plan's ``resource_changes`` (or ``resource_drift``): what Terraform would do to it."""

    address: str
    type: str
    name: str
    actions: tuple[str, ...]
    attributes: tuple[str, ...] = ()  # top-level attributes whose value changes (updates and drift)
    before: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)
    after: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def action(self) -> str:
        """One word for the change: create, update, delete, replace, read or no-op."""
        if set(self.actions) == {"create", "delete"}:
            return "replace"
        return self.actions[0] if self.actions else "no-op"

    @property
    def mutating(self) -> bool:
        return bool(_MUTATING.intersection(self.actions))

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> ResourceChange:
        change = doc.get("change") or {}
        before = change.get("before")
        after = change.get("after")
        unknown = change.get("after_unknown") or {}
        return cls(
            address=str(doc["address"]),
            type=str(doc.get("type", "")),
            name=str(doc.get("name", "")),
            actions=tuple(change.get("actions") or ()),
            attributes=changed_attributes(before, after, unknown),
            before=before,
            after=after,
        )


def changed_attributes(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, after_unknown: Mapping[str, Any] | None = None
) -> tuple[str, ...]:
    """Top-level attribute names whose value differs between before and after (or becomes unknown)."""
    if not isinstance(before, Mapping) or not isinstance(after, Mapping):
        return ()
    unknown = after_unknown if isinstance(after_unknown, Mapping) else {}
    names = set(before) | set(after) | {k for k, v in unknown.items() if v}
    return tuple(sorted(n for n in names if before.get(n) != after.get(n) or unknown.get(n)))


@dataclass(frozen=True)
class PlannedResource:
    """A managed resource as the plan leaves it (``planned_values``), changed or not. Unknown values (known only
    after apply) are absent from ``values``."""

    address: str
    type: str
    values: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


def planned_resources(module: Mapping[str, Any] | None) -> tuple[PlannedResource, ...]:
    """Every managed resource of a ``planned_values`` module and its child modules."""
    if not isinstance(module, Mapping):
        return ()
    found = [
        PlannedResource(str(r["address"]), str(r.get("type", "")), dict(r.get("values") or {}))
        for r in module.get("resources") or ()
        if r.get("mode", "managed") == "managed" and "address" in r
    ]
    for child in module.get("child_modules") or ():
        found.extend(planned_resources(child))
    return tuple(found)


@dataclass(frozen=True)
class Plan:
    """A saved plan: the file to apply, what it would change, and every resource as it would leave them."""

    path: Path
    changes: tuple[ResourceChange, ...]
    drift: tuple[ResourceChange, ...] = ()
    output_changes: tuple[str, ...] = ()
    errored: bool = False
    # The plan's ``prior_state`` (``{"values": {"root_module": ...}}``): the state as refreshed by the plan.
    prior_state: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)
    # The plan's resources and outputs as they would be after the apply (unknown values left out); empty when
    # the document has none.
    planned_values: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, doc: Mapping[str, Any], path: Path) -> Plan:
        changes = tuple(
            ResourceChange.from_json(rc) for rc in doc.get("resource_changes") or () if rc.get("mode") != "data"
        )
        drift = tuple(ResourceChange.from_json(rc) for rc in doc.get("resource_drift") or ())
        outputs = tuple(sorted(name for name, oc in (doc.get("output_changes") or {}).items() if _output_changes(oc)))
        return cls(
            path=path,
            changes=tuple(c for c in changes if c.mutating),
            drift=drift,
            output_changes=outputs,
            errored=bool(doc.get("errored", False)),
            prior_state=doc.get("prior_state"),
            planned_values=doc.get("planned_values") or {},
        )

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def adds(self) -> int:
        return self.count("create") + self.count("replace")

    @property
    def updates(self) -> int:
        return self.count("update")

    @property
    def destroys(self) -> int:
        return self.count("delete") + self.count("replace")

    @property
    def has_changes(self) -> bool:
        return bool(self.changes) or bool(self.output_changes)

    def summary(self) -> str:
        if not self.has_changes:
            return "no changes"
        text = f"{self.adds} to add, {self.updates} to change, {self.destroys} to destroy"
        if not self.changes and self.output_changes:
            text += f" (outputs only: {', '.join(self.output_changes)})"
        return text

    def resources(self) -> tuple[PlannedResource, ...]:
        """Every managed resource of ``planned_values``, changed or not, modules included."""
        return planned_resources(self.planned_values.get("root_module"))

    def of_type(self, resource_type: str) -> tuple[PlannedResource, ...]:
        return tuple(r for r in self.resources() if r.type == resource_type)

    def creates(self, address: str) -> bool:
        """The plan creates this resource (new, or replaced)."""
        return any(c.address == address and "create" in c.actions for c in self.changes)

    def touching(self, addresses: Iterable[str]) -> tuple[ResourceChange, ...]:
        wanted = set(addresses)
        return tuple(c for c in self.changes if c.address in wanted)

    def prior_resources(self) -> tuple[StateValues, ...]:
        """Every managed resource instance of ``prior_state``, in the root module and every module below it."""
        root = ((self.prior_state or {}).get("values") or {}).get("root_module") or {}
        return tuple(_managed_in(root))


@dataclass(frozen=True)
class StateValues:
    """One managed resource instance of a JSON state (``prior_state``): its address, type and attribute values."""

    address: str
    type: str
    values: Mapping[str, Any] = field(repr=False, compare=False)


def _managed_in(module: Mapping[str, Any]) -> Iterable[StateValues]:
    for resource in module.get("resources") or ():
        if resource.get("mode") == "managed":
            yield StateValues(
                str(resource.get("address", "")), str(resource.get("type", "")), resource.get("values") or {}
            )
    for child in module.get("child_modules") or ():
        yield from _managed_in(child)


def _output_changes(oc: Mapping[str, Any]) -> bool:
    actions = oc.get("actions") or ()
    return bool(_MUTATING.intersection(actions))
