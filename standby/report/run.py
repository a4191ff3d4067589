"""The failover's and failback's run report, and the history of stored reports.

Pure: built from a run journal with the parts every run report shares (``standby.report.parts``).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any

from standby.config.schema import Config
from standby.report import parts
from standby.state.journal import Journal

# -- the failover's and failback's report ---------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """What a step observed before it acted and after (the journal's before/after)."""

    key: str
    region: str
    before: dict[str, Any]
    after: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Event:
    """A moment of the run: planned, started, paused before a step, approved, resumed, ended."""

    at: float  # seconds from the command's start
    event: str
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class RunReport:
    """A failover's or failback's report. ``to_dict()`` is the JSON document (REPORT_SCHEMA_VERSION)."""

    kind: str  # failover | failback
    run_id: str
    project: str
    activate: str
    demote: str
    started_at: float  # the command's start (planning included), epoch seconds
    finished_at: float
    status: str  # the journal's: complete | failed | paused | refused | running
    error: str | None
    objectives: parts.Objectives
    phases: tuple[parts.PhaseTiming, ...]
    steps: tuple[parts.StepTiming, ...]
    changes: tuple[Change, ...]
    timeline: tuple[Event, ...]
    paused_seconds: float  # time spent waiting for approvals (counted in the RTO: the recovery waited)
    pending_approval: str | None  # the step slug a paused run waits to be approved for
    warnings: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return parts.report_document(
            self,
            kind=self.kind,
            mode=self.kind,
            regions={"activate": self.activate, "demote": self.demote},
            own={
                "changes": [c.to_dict() for c in self.changes],
                "timeline": [e.to_dict() for e in self.timeline],
                "paused_seconds": self.paused_seconds,
                "pending_approval": self.pending_approval,
            },
        )


def timeline_of(journal: Journal) -> tuple[Event, ...]:
    """The run's moments from its journal, in time order, seconds from the command's start."""
    origin = journal.origin
    found: list[tuple[float, str, str]] = []
    if journal.command_started_at is not None:
        found.append((journal.command_started_at, "planned", f"{journal.kind} planned (observe, plan)"))
    found.append((journal.started_at, "started", f"execution started by {journal.operator}"))
    for a in journal.approvals:
        steps = ", ".join(a.get("steps") or [a["slug"]])
        if a.get("paused_at") is not None:
            found.append((float(a["paused_at"]), "paused", f"before {a['slug']} ({steps}): awaiting approval"))
        if a.get("approved_at") is not None:
            found.append((float(a["approved_at"]), "approved", f"{a['slug']} approved by {a.get('approved_by')}"))
    found.extend((at, "resumed", "resumed") for at in journal.resumes)
    if journal.ended_at is not None and journal.status != "paused":
        found.append((journal.ended_at, journal.status, f"{journal.kind} {journal.status}"))
    found.sort(key=lambda e: e[0])
    return tuple(Event(round(at - origin, 3), event, detail) for at, event, detail in found)


def paused_seconds(journal: Journal, now: float) -> float:
    """The time spent paused at approval points (a pending one counts until ``now``)."""
    total = 0.0
    for a in journal.approvals:
        if a.get("paused_at") is None:
            continue
        end = a.get("approved_at") if a.get("approved_at") is not None else now
        total += max(0.0, float(end) - float(a["paused_at"]))
    return round(total, 3)


def build_run_report(
    config: Config, journal: Journal, *, error: str | None = None, now: float | None = None
) -> RunReport:
    """The report of a failover or failback run as its journal tells it now (finished, failed or paused)."""
    finished = now if now is not None else time.time()
    lag = parts.replica_lag_at_promotion(journal)
    rto = parts.objective(journal.rto_seconds, config.objectives.rto_seconds, f"command {parts.RTO_SOURCE}")
    rpo = (
        parts.objective(lag, config.objectives.rpo_seconds, parts.LAG_SOURCE if lag is not None else "not measured")
        if parts.has_databases(journal)
        else parts.not_applicable(config.objectives.rpo_seconds)
    )
    pending = journal.pending_approval
    return RunReport(
        kind=journal.kind,
        run_id=journal.run_id,
        project=config.project.name,
        activate=journal.activate,
        demote=journal.demote,
        started_at=journal.origin,
        finished_at=journal.ended_at if journal.ended_at is not None else finished,
        status=journal.status,
        error=error,
        objectives=parts.Objectives(rto=rto, rpo=rpo),
        phases=parts.phase_timings(journal, planning=True),
        steps=parts.step_timings((journal,), journal.origin),
        changes=tuple(
            Change(s.key, s.region, dict(s.before), dict(s.after))
            for s in journal.steps.values()
            if s.before or s.after
        ),
        timeline=timeline_of(journal),
        paused_seconds=paused_seconds(journal, finished),
        pending_approval=None if pending is None else str(pending["slug"]),
        warnings=tuple(journal.warnings),
    )


def history_row(doc: dict[str, Any]) -> dict[str, Any]:
    """One stored report (a drill's or a run's) as a row of ``standby status --history``."""
    kind = doc.get("kind", "drill")
    return {
        "run_id": doc["run_id"],
        "kind": f"drill-{doc.get('mode')}" if kind == "drill" else kind,
        "started_at": doc.get("started_at", 0.0),
        "status": doc.get("status"),
        "rto_seconds": doc["objectives"]["rto"]["measured_seconds"],
        "rpo_seconds": doc["objectives"]["rpo"]["measured_seconds"],
    }


def history(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every run's row, newest first (one per run id)."""
    rows = {doc["run_id"]: history_row(doc) for doc in docs}
    return sorted(rows.values(), key=lambda r: (r["started_at"], r["run_id"]), reverse=True)
