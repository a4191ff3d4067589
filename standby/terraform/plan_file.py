"""A refresh-only plan read from its saved plan file, without ``terraform show -json``.

``show -json`` starts the provider to load its schemas: with the AWS provider that is seconds per stack, as long as
the refresh itself on a small stack. A refresh-only plan needs no schema to be read, because the two states it
compares are in the plan file as state documents, in the same JSON format ``terraform state pull`` prints:

- ``tfstate-prev``: the state as the last apply left it (the plan's *previous run state*);
- ``tfstate``: that state refreshed from the provider (the plan's *prior state*).

A resource instance whose attributes differ between the two drifted outside Terraform (``update``); one that is
only in the previous run state was deleted outside Terraform (``delete``). That is how Terraform itself finds the
``resource_drift`` that ``show -json`` prints, so both readings give the same drift and the same prior state (the
end-to-end drift test compares them on a real plan).

The plan file is a zip archive whose layout Terraform does not promise to keep. The reader therefore accepts only
what it recognises: both members present, each a version 4 state document. Anything else returns None, and the
caller reads the plan through ``show -json`` as before.
"""

from __future__ import annotations

import json
import logging
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from standby.terraform.plan import Plan, ResourceChange, changed_attributes

log = logging.getLogger(__name__)

PRIOR_STATE = "tfstate"
PREVIOUS_RUN_STATE = "tfstate-prev"
STATE_FORMAT_VERSION = 4

Instances = dict[str, tuple[str, str, Mapping[str, Any]]]  # address -> (type, name, attributes)


def read_refresh_only_plan(path: Path) -> Plan | None:
    """The drift and the refreshed state of a refresh-only plan file; None when the file is not laid out as
    expected (then ``show -json`` reads it)."""
    try:
        with zipfile.ZipFile(path) as archive:
            prior = _state_document(archive, PRIOR_STATE)
            previous = _state_document(archive, PREVIOUS_RUN_STATE)
    except (OSError, zipfile.BadZipFile) as exc:
        log.debug("plan file %s not read directly: %s", path, exc)
        return None
    if prior is None or previous is None:
        log.debug("plan file %s is not laid out as expected; reading it with show -json", path)
        return None
    return plan_from_states(path, previous, prior)


def plan_from_states(path: Path, previous: Mapping[str, Any], prior: Mapping[str, Any]) -> Plan:
    """A refresh-only Plan from its previous run state and its refreshed (prior) state: the drift per instance and
    ``prior_state`` with every managed instance of the refreshed state. It has no resource changes (a refresh-only
    plan has none) and no output changes (the drift check does not read them)."""
    before, after = managed_instances(previous), managed_instances(prior)
    drift = []
    for address, (kind, name, recorded) in before.items():
        refreshed = after.get(address)
        if refreshed is None:
            drift.append(ResourceChange(address, kind, name, ("delete",), (), recorded, None))
        elif refreshed[2] != recorded:
            attributes = changed_attributes(recorded, refreshed[2])
            drift.append(ResourceChange(address, kind, name, ("update",), attributes, recorded, refreshed[2]))
    resources = [
        {"address": address, "mode": "managed", "type": kind, "name": name, "values": values}
        for address, (kind, name, values) in after.items()
    ]
    return Plan(
        path=path,
        changes=(),
        drift=tuple(drift),
        prior_state={"values": {"root_module": {"resources": resources}}},
    )


def managed_instances(state: Mapping[str, Any]) -> Instances:
    """The current object of every managed resource instance of a state document, by address (deposed objects,
    which ``show -json`` leaves out of the drift too, are skipped)."""
    found: Instances = {}
    for resource in state.get("resources") or ():
        if resource.get("mode") != "managed":
            continue
        kind, name = str(resource.get("type", "")), str(resource.get("name", ""))
        base = f"{resource['module']}.{kind}.{name}" if resource.get("module") else f"{kind}.{name}"
        for instance in _current(resource.get("instances") or ()):
            found[base + instance_key(instance.get("index_key"))] = (kind, name, instance.get("attributes") or {})
    return found


def instance_key(index: Any) -> str:
    """The address suffix of an instance key: ``[0]`` for count, ``["name"]`` for for_each, nothing for neither."""
    if index is None:
        return ""
    if isinstance(index, int):
        return f"[{index}]"
    return f"[{json.dumps(str(index), ensure_ascii=False)}]"


def _current(instances: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    return (i for i in instances if not i.get("deposed"))


def _state_document(archive: zipfile.ZipFile, member: str) -> Mapping[str, Any] | None:
    try:
        doc = json.loads(archive.read(member))
    except (KeyError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("version") != STATE_FORMAT_VERSION:
        return None
    if not isinstance(doc.get("resources", []), list):
        return None
    return doc
