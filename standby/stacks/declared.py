"""The variables a stack's root module declares, read from its ``*.tf`` and ``*.tf.json`` files.

standby passes an injected variable (``project``, ``role``, ``capacity``, ...) only when the stack declares it, so
Terraform prints no "undeclared variable" warning and a stack declares only what it uses. The files are parsed
with python-hcl2 (``*.tf``) and as JSON (``*.tf.json``); a file that cannot be parsed makes the whole answer
unknown (None), and standby then passes every injected variable as before.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from standby.terraform.hcl import read_hcl_file

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeclaredVariables:
    """The root module's variable names, or None with the reason they could not be read."""

    names: frozenset[str] | None
    error: str | None = None

    def declares(self, name: str) -> bool:
        """Whether the stack declares ``name``; an unreadable stack counts as declaring everything."""
        return self.names is None or name in self.names


def _names_in(blocks: Any) -> Iterable[str]:
    """Variable names of a parsed ``variable`` entry: a list of {name: body} (HCL) or a {name: body} (JSON)."""
    for block in blocks if isinstance(blocks, list) else [blocks]:
        if isinstance(block, Mapping):
            yield from (str(name).strip('"') for name in block)


def read_declared_variables(stack_dir: Path) -> DeclaredVariables:
    """The variables declared by the root module in ``stack_dir`` (its files only: modules are not inputs)."""
    names: set[str] = set()
    try:
        files = sorted(p for p in stack_dir.iterdir() if p.name.endswith((".tf", ".tf.json")) and p.is_file())
    except OSError as err:
        return DeclaredVariables(None, f"cannot read {stack_dir}: {err.strerror or err}")
    for file in files:
        try:
            if file.name.endswith(".json"):
                document = json.loads(file.read_text(encoding="utf-8"))
            else:
                document = read_hcl_file(file)
        except Exception as err:  # noqa: BLE001 - any parse failure means "unknown", reported, never fatal
            log.debug("cannot parse %s: %s", file, err)
            return DeclaredVariables(None, f"cannot parse {file.name}: {str(err).splitlines()[0] if str(err) else err}")
        if isinstance(document, Mapping):
            names.update(_names_in(document.get("variable") or []))
    return DeclaredVariables(frozenset(names))
