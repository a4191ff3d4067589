"""Results on stdout: plain text, or a versioned JSON document."""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

SCHEMA_VERSION = 1


class Status(enum.StrEnum):
    """The one vocabulary of the envelope's ``status``, for every command."""

    OK = "ok"  # the command did its job: a run met its objectives, a check found parity, a query answered
    FAILED = "failed"  # a run finished but its objectives were not met (a drill that failed)
    REFUSED = "refused"  # preflight refused the run (a dry run that shows why); nothing was changed
    PAUSED = "paused"  # a run stopped before a step that needs approval; `--resume RUN_ID --approve` continues
    DRIFT = "drift"  # a check found drift
    ERROR = "error"  # the command could not do its job (an error, or a check that could not run)


def _default(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def document(command: str, status: Status, result: Mapping[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    if not isinstance(status, Status):
        raise TypeError(f"status must be a Status, not {status!r}")
    doc: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "command": command, "status": status.value}
    doc.update(extra)
    doc["result"] = dict(result or {})
    return doc


def emit(output: str, command: str, result: Mapping[str, Any], text: str, *, status: Status = Status.OK) -> None:
    if output == "json":
        click.echo(json.dumps(document(command, status, result), indent=2, default=_default, sort_keys=False))
    else:
        click.echo(text)


def emit_error(output: str, command: str, error: Mapping[str, Any]) -> None:
    if output == "json":
        click.echo(json.dumps(document(command, Status.ERROR, None, error=dict(error)), indent=2, default=_default))


# How the commands' own words map to the envelope's status.
DRILL_STATUS: Mapping[str, Status] = {"passed": Status.OK, "failed": Status.FAILED}
DRIFT_STATUS: Mapping[str, Status] = {"parity": Status.OK, "drift": Status.DRIFT, "error": Status.ERROR}
