"""Results on stdout: plain text, or a versioned JSON document."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

SCHEMA_VERSION = 1


def _default(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def document(command: str, status: str, result: Mapping[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "command": command, "status": status}
    doc.update(extra)
    doc["result"] = dict(result or {})
    return doc


def emit(output: str, command: str, result: Mapping[str, Any], text: str, *, status: str = "ok") -> None:
    if output == "json":
        click.echo(json.dumps(document(command, status, result), indent=2, default=_default, sort_keys=False))
    else:
        click.echo(text)


def emit_error(output: str, command: str, error: Mapping[str, Any]) -> None:
    if output == "json":
        click.echo(json.dumps(document(command, "error", None, error=dict(error)), indent=2, default=_default))
