"""Terraform's machine-readable UI (``plan``/``apply``/``destroy -json``) read as progress: pure, no I/O.

Terraform writes one JSON object per line; ``type`` names the message (version, log, diagnostic, planned_change,
change_summary, apply_start, apply_progress, apply_complete, apply_errored, refresh_start, refresh_complete,
resource_drift, outputs, ...). ``parse_line`` turns a line into a ``UiEvent`` (a line that is not such an object —
an older Terraform, a stand-in binary — becomes a ``text`` event, kept for the error message). A ``Tracker``
folds one command's events into what the user sees: the lines to print, the resources in flight with their
elapsed time, and every error diagnostic, rendered as Terraform renders it (summary, file and line, detail).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Hook actions -> (in progress, done, the action's noun). Terraform's hooks name create, read, update, delete,
# noop (and a few rarer ones, shown with their own name).
_VERBS = {
    "create": ("creating", "created", "create"),
    "read": ("reading", "read", "read"),
    "update": ("modifying", "modified", "update"),
    "delete": ("destroying", "destroyed", "destroy"),
    "noop": ("checking", "unchanged", "check"),
}
TEXT = "text"  # a line that is not a UI message


@dataclass(frozen=True)
class Diagnostic:
    """A warning or an error, with the place in the configuration Terraform gives for it (if any)."""

    severity: str
    summary: str
    detail: str = ""
    filename: str | None = None
    line: int | None = None
    context: str | None = None  # e.g. 'resource "aws_ssm_parameter" "this"'
    code: str | None = None  # the source line(s) Terraform quotes
    code_line: int | None = None
    address: str | None = None

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Diagnostic:
        where = doc.get("range") or {}
        snippet = doc.get("snippet") or {}
        line = (where.get("start") or {}).get("line")
        return cls(
            severity=str(doc.get("severity") or "error"),
            summary=str(doc.get("summary") or ""),
            detail=str(doc.get("detail") or ""),
            filename=where.get("filename"),
            line=int(line) if isinstance(line, int) else None,
            context=snippet.get("context"),
            code=snippet.get("code"),
            code_line=snippet.get("start_line") if isinstance(snippet.get("start_line"), int) else None,
            address=doc.get("address"),
        )

    def where(self) -> str:
        """`` (main.tf line 8)`` or `` (aws_x.y)``: where it applies, in a few words; empty when Terraform says not."""
        if self.filename:
            return f" ({self.filename}" + (f" line {self.line})" if self.line is not None else ")")
        return f" ({self.address})" if self.address else ""

    def render(self) -> str:
        """As Terraform prints it without -json: ``Error: summary``, where, the quoted code, the detail."""
        lines = [f"{self.severity.capitalize()}: {self.summary}"]
        if self.filename:
            where = f"  on {self.filename}" + (f" line {self.line}" if self.line is not None else "")
            lines.extend(["", where + (f", in {self.context}" if self.context else "") + ":"])
            first = self.code_line if self.code_line is not None else self.line
            for offset, code in enumerate((self.code or "").splitlines()):
                number = f"{first + offset:>4}: " if first is not None else "  "
                lines.append(f"{number}{code}".rstrip())
        elif self.address:
            lines.extend(["", f"  with {self.address}"])
        if self.detail:
            lines.append("")
            lines.extend(self.detail.splitlines())
        return "\n".join(lines)


@dataclass(frozen=True)
class UiEvent:
    """One message of the machine-readable UI, reduced to what progress needs."""

    kind: str  # the message's type, or TEXT
    message: str = ""  # Terraform's own one-line text (@message), or the raw line for TEXT
    level: str = "info"
    address: str | None = None
    action: str | None = None
    elapsed: float | None = None  # seconds, as Terraform counts them (apply_progress, apply_complete, ...)
    id_value: str | None = None
    diagnostic: Diagnostic | None = None
    changes: Mapping[str, Any] = field(default_factory=dict)  # change_summary's counts


def parse_line(text: str) -> UiEvent | None:
    """The event a line of ``-json`` output carries; None for a blank line."""
    stripped = text.strip()
    if not stripped:
        return None
    try:
        doc = json.loads(stripped)
    except json.JSONDecodeError:
        doc = None
    if not isinstance(doc, dict) or not isinstance(doc.get("type"), str):
        return UiEvent(TEXT, message=text.rstrip("\n"))
    hook = doc.get("hook") or {}
    change = doc.get("change") or {}
    resource = hook.get("resource") or change.get("resource") or {}
    elapsed = hook.get("elapsed_seconds")
    diagnostic = doc.get("diagnostic")
    return UiEvent(
        kind=doc["type"],
        message=str(doc.get("@message") or ""),
        level=str(doc.get("@level") or "info"),
        address=resource.get("addr"),
        action=hook.get("action") or change.get("action"),
        elapsed=float(elapsed) if isinstance(elapsed, (int, float)) else None,
        id_value=hook.get("id_value"),
        diagnostic=Diagnostic.from_json(diagnostic) if isinstance(diagnostic, dict) else None,
        changes=doc.get("changes") or {},
    )


def format_elapsed(seconds: float) -> str:
    """``8s``, ``1m10s``, ``1h2m3s``: Terraform's own way of counting."""
    whole = max(int(seconds), 0)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"


def verbs(action: str | None) -> tuple[str, str, str]:
    """(in progress, done, noun) words for a hook action."""
    if action in _VERBS:
        return _VERBS[action]
    name = action or "work"
    return (name, f"{name} done", name)


@dataclass(frozen=True)
class InFlight:
    """A resource Terraform is working on: since ``started`` (the tracker's clock), ``elapsed`` by Terraform's."""

    address: str
    action: str | None
    started: float
    elapsed: float | None = None  # the last apply_progress's count, if any

    def seconds(self, now: float) -> float:
        return max(now - self.started, self.elapsed or 0.0)

    def describe(self, now: float) -> str:
        return f"{self.address} ({verbs(self.action)[0]}, {format_elapsed(self.seconds(now))})"


class Tracker:
    """One Terraform command's progress: ``feed`` each event (with the caller's monotonic ``now``) and print the
    lines it returns. ``live`` trackers leave starts and "still creating" counts to a status display (see
    ``status``) and return only what stays on screen; plain ones return a line for each."""

    def __init__(self, label: str, *, live: bool = False) -> None:
        self.label = label
        self.live = live
        self.in_flight: dict[str, InFlight] = {}
        self.errors: list[Diagnostic] = []
        self.failed: list[str] = []  # resources whose apply errored (an interrupt ends those in flight so)
        self.text: list[str] = []  # lines that were not UI messages
        self.summary: Mapping[str, Any] | None = None

    def feed(self, event: UiEvent, now: float) -> list[str]:
        handler = getattr(self, f"_on_{event.kind}", None)
        if handler is None:
            return []
        return [f"[{self.label}] {line}" for line in handler(event, now)]

    def status(self, now: float) -> list[str]:
        """One line per resource in flight, oldest first, for a live display."""
        flights = sorted(self.in_flight.values(), key=lambda f: f.started)
        return [f"[{self.label}] {f.address}: {verbs(f.action)[0]}… {format_elapsed(f.seconds(now))}" for f in flights]

    def still_in_flight(self, now: float) -> list[str]:
        flights = sorted(self.in_flight.values(), key=lambda f: f.started)
        return [f.describe(now) for f in flights]

    def error_text(self) -> str:
        """Every error diagnostic as Terraform renders it, then any line that was not a UI message."""
        parts = [d.render() for d in self.errors]
        parts.extend(self.text)
        return "\n\n".join(p for p in parts if p)

    # -- one method per message type -----------------------------------------------------------------------------

    def _on_text(self, event: UiEvent, now: float) -> list[str]:
        self.text.append(event.message)
        return []

    def _on_diagnostic(self, event: UiEvent, now: float) -> list[str]:
        diagnostic = event.diagnostic
        if diagnostic is None:
            return []
        if diagnostic.severity == "error":
            self.errors.append(diagnostic)  # reported once, in full, in the error the runner raises
            return []
        return [f"{diagnostic.severity}: {diagnostic.summary}{diagnostic.where()}"]  # the detail is in the debug log

    def _start(self, event: UiEvent, now: float) -> list[str]:
        if event.address is None:
            return []
        self.in_flight[event.address] = InFlight(event.address, event.action, now)
        return [] if self.live else [f"{event.address}: {verbs(event.action)[0]}…"]

    def _on_apply_start(self, event: UiEvent, now: float) -> list[str]:
        return self._start(event, now)

    def _on_apply_progress(self, event: UiEvent, now: float) -> list[str]:
        if event.address is None:
            return []
        known = self.in_flight.get(event.address)
        started = known.started if known is not None else now - (event.elapsed or 0.0)
        self.in_flight[event.address] = InFlight(event.address, event.action, started, event.elapsed)
        if self.live:
            return []
        return [f"{event.address}: still {verbs(event.action)[0]}… {format_elapsed(event.elapsed or 0.0)}"]

    def _finish(self, event: UiEvent, now: float) -> float:
        known = self.in_flight.pop(event.address or "", None)
        if event.elapsed is not None:
            return event.elapsed
        return known.seconds(now) if known is not None else 0.0

    def _on_apply_complete(self, event: UiEvent, now: float) -> list[str]:
        seconds = self._finish(event, now)
        ident = f" [id={event.id_value}]" if event.id_value else ""
        return [f"{event.address}: {verbs(event.action)[1]} ({format_elapsed(seconds)}){ident}"]

    def _on_apply_errored(self, event: UiEvent, now: float) -> list[str]:
        seconds = self._finish(event, now)
        self.failed.append(f"{event.address} ({verbs(event.action)[0]}, {format_elapsed(seconds)})")
        return [f"{event.address}: {verbs(event.action)[2]} failed after {format_elapsed(seconds)}"]

    def _on_refresh_start(self, event: UiEvent, now: float) -> list[str]:
        if event.address is None:
            return []
        self.in_flight[event.address] = InFlight(event.address, "read", now)
        return []  # a line per resource refreshed is noise: the live display shows them

    def _on_refresh_complete(self, event: UiEvent, now: float) -> list[str]:
        self.in_flight.pop(event.address or "", None)
        return []

    def _on_resource_drift(self, event: UiEvent, now: float) -> list[str]:
        return [f"{event.address}: changed outside Terraform ({event.action or 'update'})"]

    def _on_change_summary(self, event: UiEvent, now: float) -> list[str]:
        self.summary = dict(event.changes)
        return [event.message] if event.message else []
