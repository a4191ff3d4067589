"""``lifecycle { ignore_changes = [...] }`` read from the configuration, for the IaC drift check.

A refresh-only plan reports every attribute changed outside Terraform, even those the configuration tells
Terraform to leave alone, often inside a module. The plan's JSON ``configuration`` does not carry lifecycle
blocks, so they are read here from the ``.tf``/``.tf.json`` files of the stack and of its modules (the directories
``terraform init`` lists in ``<data dir>/modules/modules.json``), parsed with python-hcl2.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from standby.terraform import ResourceChange
from standby.terraform.hcl import read_hcl_file

log = logging.getLogger(__name__)

IGNORE_CHANGES = "ignore_changes"  # the lifecycle argument, as a .tf file must spell it

AttributePath = tuple[str | int, ...]
ALL: tuple[AttributePath, ...] = ((),)  # ``ignore_changes = all``: the empty path covers every attribute

_MODULE_STEP = re.compile(r'module\.([A-Za-z0-9_-]+)(?:\[(?:"[^"]*"|[^\]]*)\])?\.')
_PATH_STEP = re.compile(r'\.?([A-Za-z_][A-Za-z0-9_-]*)|\[\s*"((?:[^"\\]|\\.)*)"\s*\]|\[\s*(\d+)\s*\]')


def ignore_path(entry: str) -> AttributePath | None:
    """An ``ignore_changes`` entry as a path: ``tags["Owner"]`` -> ("tags", "Owner"), ``a[0].b`` -> ("a", 0, "b").

    Accepts what an HCL parser gives back for a traversal: bare, quoted (Terraform 0.11's form) or ``${...}``.
    None for what is not a static traversal (Terraform rejects those too).
    """
    text = entry.strip()
    if text.startswith("${") and text.endswith("}"):
        text = text[2:-1].strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    steps: list[str | int] = []
    position = 0
    while position < len(text):
        step = _PATH_STEP.match(text, position)
        if step is None or (position == 0 and text.startswith(".")):
            return None
        name, key, index = step.groups()
        steps.append(int(index) if index is not None else key.replace('\\"', '"') if key is not None else name)
        position = step.end()
    return tuple(steps) or None


def render_path(path: AttributePath) -> str:
    """``("tags", "Owner")`` -> ``tags["Owner"]``; ``("a", 0, "b")`` -> ``a[0]["b"]`` (both valid in Terraform)."""
    out = str(path[0])
    for step in path[1:]:
        out += f"[{step}]" if isinstance(step, int) else f'["{step}"]'
    return out


def _label(value: Any) -> str:
    text = str(value)
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def _blocks(value: Any) -> list[Mapping[str, Any]]:
    """A block as parsers return it: one mapping, or a list of them (HCL), for each occurrence."""
    if isinstance(value, Mapping):
        return [value]
    return [v for v in value or () if isinstance(v, Mapping)] if isinstance(value, list) else []


def lifecycle_ignores(document: Mapping[str, Any]) -> dict[tuple[str, str], tuple[AttributePath, ...]]:
    """(type, name) -> the paths its ``lifecycle { ignore_changes }`` lists, for one parsed ``.tf`` or
    ``.tf.json`` file; ``ALL`` for ``ignore_changes = all``."""
    found: dict[tuple[str, str], tuple[AttributePath, ...]] = {}
    for by_type in _blocks(document.get("resource")):
        for type_, by_name in by_type.items():
            for named in _blocks(by_name):
                for name, body in named.items():
                    for resource in _blocks(body):
                        paths = _ignored_paths(resource)
                        if paths:
                            found[(_label(type_), _label(name))] = paths
    return found


def _ignored_paths(resource: Mapping[str, Any]) -> tuple[AttributePath, ...]:
    paths: list[AttributePath] = []
    for lifecycle in _blocks(resource.get("lifecycle")):
        entries = lifecycle.get(IGNORE_CHANGES)
        if isinstance(entries, str):
            entries = [entries]
        for entry in entries or ():
            path = ignore_path(entry) if isinstance(entry, str) else None
            if path == ("all",):  # the keyword, as parsers give it back
                return ALL
            if path is not None:
                paths.append(path)
    return tuple(paths)


def read_directory(directory: Path) -> dict[tuple[str, str], tuple[AttributePath, ...]]:
    """The ``ignore_changes`` of every resource in one module directory (``*.tf`` and ``*.tf.json``).

    A file that cannot be parsed is logged and skipped: its resources' drift is then reported, not hidden. A file
    whose text does not name ``ignore_changes`` has none to give and is not parsed: HCL's parser is slow (about a
    second for a stack's modules), and most files have no lifecycle block (a ``.tf`` attribute's name is a plain
    identifier; ``.tf.json`` files, whose keys may be escaped, are always parsed, quickly).
    """
    found: dict[tuple[str, str], tuple[AttributePath, ...]] = {}
    for path in sorted(directory.glob("*.tf")) + sorted(directory.glob("*.tf.json")):
        try:
            if path.suffix == ".tf" and IGNORE_CHANGES not in path.read_text(encoding="utf-8"):
                continue
            document = _parse(path)
        except Exception as err:  # noqa: BLE001 - any parser failure: report drift rather than hide it
            log.warning("cannot read lifecycle blocks from %s: %s", path, err)
            continue
        found.update(lifecycle_ignores(document))
    return found


def _parse(path: Path) -> Mapping[str, Any]:
    if path.name.endswith(".json"):
        return json.loads(path.read_text(encoding="utf-8"))
    return read_hcl_file(path)


def module_directories(stack_dir: Path, tf_data_dir: Path) -> dict[str, Path]:
    """Module key (``""`` for the root, ``"vpc"``, ``"app.vpc"`` when nested) -> its directory, from
    ``<data dir>/modules/modules.json`` (written by ``terraform init``; directories relative to the stack)."""
    directories = {"": stack_dir}
    manifest = tf_data_dir / "modules" / "modules.json"
    if not manifest.is_file():
        return directories
    for module in json.loads(manifest.read_text()).get("Modules") or ():
        if module.get("Dir"):
            directories[str(module.get("Key") or "")] = stack_dir / str(module["Dir"])
    return directories


def module_key(address: str) -> str:
    """``module.app["x"].module.vpc.aws_subnet.this[0]`` -> ``app.vpc`` (instance keys dropped)."""
    keys = []
    position = 0
    while step := _MODULE_STEP.match(address, position):
        keys.append(step.group(1))
        position = step.end()
    return ".".join(keys)


@dataclass(frozen=True)
class IgnoreChanges:
    """The ``ignore_changes`` of every resource of a stack, per module: ``{module key: {(type, name): paths}}``."""

    modules: Mapping[str, Mapping[tuple[str, str], tuple[AttributePath, ...]]] = field(default_factory=dict)

    @classmethod
    def read(cls, stack_dir: Path, tf_data_dir: Path) -> IgnoreChanges:
        directories = module_directories(stack_dir, tf_data_dir)
        return cls({key: read_directory(path) for key, path in directories.items()})

    def paths(self, change: ResourceChange) -> tuple[AttributePath, ...]:
        return self.modules.get(module_key(change.address), {}).get((change.type, change.name), ())


def ignored_reason(address: str) -> str:
    """Names where the ``ignore_changes`` is: the stack itself, or the module (``module.app.module.vpc``)."""
    key = module_key(address)
    where = ".".join(f"module.{step}" for step in key.split(".")) if key else "the stack"
    return f"ignored by the configuration: lifecycle ignore_changes in {where}"


def without_path(value: Any, path: AttributePath) -> Any:
    """A copy of value with the element at path (below the attribute) removed."""
    if not path:
        return None
    head, rest = path[0], path[1:]
    if isinstance(value, Mapping) and isinstance(head, str) and head in value:
        copy = dict(value)
        if rest:
            copy[head] = without_path(copy[head], rest)
        else:
            del copy[head]
        return copy
    if isinstance(value, list) and isinstance(head, int) and 0 <= head < len(value):
        copy_list = list(value)
        copy_list[head] = without_path(copy_list[head], rest) if rest else None
        return copy_list
    return value


def value_at(value: Any, path: AttributePath) -> Any:
    for step in path:
        if isinstance(value, Mapping) and isinstance(step, str):
            value = value.get(step)
        elif isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value):
            value = value[step]
        else:
            return None
    return value


def ignored_below(attribute: str, paths: tuple[AttributePath, ...]) -> tuple[AttributePath, ...] | None:
    """The ignored paths below one attribute (``()`` in the result: the whole attribute); None: none apply.

    ``tags_all`` is ``tags`` plus the provider's default tags, so what is ignored in ``tags`` is in ``tags_all``.
    """
    if paths == ALL:
        return ((),)
    names = {attribute, "tags"} if attribute == "tags_all" else {attribute}
    below = tuple(p[1:] for p in paths if p and p[0] in names)
    return below or None
