"""What every run report shares, and the failover's and failback's own report.

Pure: built from a run journal. Phases (the timeline), RTO and RPO against the objectives, and each step's timing
with what it observed before and after. The drill report (``standby.drill.report``) is built from the same parts;
``standby.report.html`` and ``standby.report.markdown`` render both from their JSON documents.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any, Protocol

from standby.config.schema import Config
from standby.state.journal import PREFLIGHT, PROMOTE_DB, SCALE_OUT, SHIFT_TRAFFIC, VERIFY, WAIT_HEALTHY, Journal

REPORT_SCHEMA_VERSION = 1

# The phases of a recovery, in order, and the step slugs that make each.
PHASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("preflight", (PREFLIGHT,)),
    ("promote", (PROMOTE_DB,)),
    ("scale", (SCALE_OUT,)),
    ("healthy", (WAIT_HEALTHY,)),
    ("traffic", (SHIFT_TRAFFIC,)),
    ("verify", (VERIFY,)),
)
PLANNING = "planning"  # the phase from the command's start to the execution's (a run planned by a command)

LAG_SOURCE = "CloudWatch ReplicaLag read at promotion"
RTO_SOURCE = "start -> traffic on the standby with capacity healthy"
RPO_NOT_APPLICABLE = "not applicable (no replicated data store)"

# An objective's status in the reports (JSON ``status``), one word each; pinned by tests/unit/test_results.py.
MET = "met"
NOT_MET = "not-met"
NOT_APPLICABLE = "not-applicable"  # nothing to measure: a stack without databases has no RPO
OBJECTIVE_STATUSES = (MET, NOT_MET, NOT_APPLICABLE)


@dataclass(frozen=True)
class Phase:
    name: str
    start: float  # seconds from the run's start
    end: float
    steps: tuple[str, ...]

    @property
    def seconds(self) -> float:
        return self.end - self.start


def phases_of(journal: Journal, *, planning: bool = False) -> list[Phase]:
    """Each phase spans from its first step's start to its last step's end, relative to the run's origin (the
    command's start when known, else the execution's); with ``planning``, the planning phase comes first."""
    origin = journal.origin
    phases: list[Phase] = []
    if planning and journal.command_started_at is not None:
        phases.append(Phase(PLANNING, 0.0, journal.started_at - origin, ()))
    for name, slugs in PHASES:
        steps = [s for s in journal.steps.values() if s.slug in slugs and s.started_at is not None]
        if not steps:
            continue
        start = min(s.started_at for s in steps if s.started_at is not None)
        end = max((s.ended_at or s.started_at) for s in steps if s.started_at is not None)
        phases.append(Phase(name, start - origin, end - origin, tuple(s.key for s in steps)))
    return phases


def has_databases(journal: Journal) -> bool:
    """Whether the run's plan had databases to promote (journals from before the plan said so: assume it had)."""
    return journal.plan.get("has_databases") is not False


def replica_lag_at_promotion(journal: Journal) -> float | None:
    """The largest ReplicaLag read just before a promotion: the data that promotion would lose."""
    lags = [
        float(s.before["replica_lag_seconds"])
        for s in journal.steps.values()
        if s.slug == PROMOTE_DB and s.before.get("replica_lag_seconds") is not None
    ]
    return max(lags) if lags else None


class Reading(Protocol):
    """A measurement that speaks for itself in the report (the drill's canary)."""

    def to_dict(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Objective:
    """A measured RTO or RPO against its objective; ``met`` is None when the objective does not apply (the RPO of
    a stack without databases)."""

    measured_seconds: float | None
    objective_seconds: int
    met: bool | None
    source: str
    # With a canary (RPO only): the ReplicaLag part of the estimate, and the canary's reading.
    replica_lag_seconds: float | None = None
    canary: Reading | None = None

    @property
    def status(self) -> str:
        """met, not-met or not-applicable (``OBJECTIVE_STATUSES``)."""
        if self.met is None:
            return NOT_APPLICABLE
        return MET if self.met else NOT_MET

    @property
    def satisfied(self) -> bool:
        """Met, or not applicable: nothing in it fails the run."""
        return self.met is not False

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "status": self.status,
            "measured_seconds": self.measured_seconds,
            "objective_seconds": self.objective_seconds,
            "met": self.met,
            "source": self.source,
        }
        if self.canary is not None:
            doc["replica_lag_seconds"] = self.replica_lag_seconds
            doc["canary"] = self.canary.to_dict()
        return doc


def objective(measured: float | None, objective_seconds: int, source: str) -> Objective:
    return Objective(
        measured_seconds=None if measured is None else round(measured, 3),
        objective_seconds=objective_seconds,
        met=measured is not None and measured <= objective_seconds,
        source=source,
    )


def not_applicable(objective_seconds: int) -> Objective:
    """The RPO of a run without databases: no data is replicated, so none can be lost and nothing is measured."""
    return Objective(measured_seconds=None, objective_seconds=objective_seconds, met=None, source=RPO_NOT_APPLICABLE)


def objective_status(doc: dict[str, Any]) -> str:
    """The status of an objective in a report document (one written before statuses existed: from its ``met``)."""
    return str(doc.get("status") or (MET if doc.get("met") else NOT_MET))


@dataclass(frozen=True)
class Objectives:
    rto: Objective
    rpo: Objective

    def to_dict(self) -> dict[str, Any]:
        return {"rto": self.rto.to_dict(), "rpo": self.rpo.to_dict()}


@dataclass(frozen=True)
class PhaseTiming:
    """A phase in the report, seconds from the measured run's start (rounded to ms)."""

    name: str
    start: float
    end: float
    seconds: float
    steps: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "steps": list(self.steps)}


def phase_timings(journal: Journal, *, planning: bool = False) -> tuple[PhaseTiming, ...]:
    return tuple(
        PhaseTiming(p.name, round(p.start, 3), round(p.end, 3), round(p.seconds, 3), p.steps)
        for p in phases_of(journal, planning=planning)
    )


@dataclass(frozen=True)
class StepTiming:
    """One step of the measured run or of a restore, seconds from the measured run's start."""

    key: str
    slug: str
    region: str
    run: str
    status: str
    start: float | None
    end: float | None
    detail: str
    error: str | None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def step_timings(journals: tuple[Journal, ...], origin: float) -> tuple[StepTiming, ...]:
    """Every step of ``journals``, in order, timed from ``origin``."""
    return tuple(
        StepTiming(
            key=s.key,
            slug=s.slug,
            region=s.region,
            run=journal.run_id,
            status=s.status,
            start=None if s.started_at is None else round(s.started_at - origin, 3),
            end=None if s.ended_at is None else round(s.ended_at - origin, 3),
            detail=s.detail,
            error=s.error,
        )
        for journal in journals
        for s in journal.steps.values()
    )


class RunParts(Protocol):
    """What every run report has: a drill's (``standby.drill.report``), a failover's or failback's."""

    @property
    def run_id(self) -> str: ...
    @property
    def project(self) -> str: ...
    @property
    def started_at(self) -> float: ...
    @property
    def finished_at(self) -> float: ...
    @property
    def status(self) -> str: ...
    @property
    def error(self) -> str | None: ...
    @property
    def objectives(self) -> Objectives: ...
    @property
    def phases(self) -> tuple[PhaseTiming, ...]: ...
    @property
    def steps(self) -> tuple[StepTiming, ...]: ...
    @property
    def warnings(self) -> tuple[str, ...]: ...


def report_document(
    report: RunParts, *, kind: str, mode: str, regions: dict[str, str], own: dict[str, Any]
) -> dict[str, Any]:
    """A report's JSON document (REPORT_SCHEMA_VERSION): the parts every run report shares, in the order the
    renderers and readers know, with the report's ``regions`` after its project and its ``own`` parts before the
    warnings."""
    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "kind": kind,
        "mode": mode,
        "run_id": report.run_id,
        "project": report.project,
        **regions,
        "started_at": report.started_at,
        "finished_at": report.finished_at,
        "status": report.status,
        "error": report.error,
        "objectives": report.objectives.to_dict(),
        "phases": [p.to_dict() for p in report.phases],
        "steps": [s.to_dict() for s in report.steps],
        **own,
        "warnings": list(report.warnings),
    }


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
    objectives: Objectives
    phases: tuple[PhaseTiming, ...]
    steps: tuple[StepTiming, ...]
    changes: tuple[Change, ...]
    timeline: tuple[Event, ...]
    paused_seconds: float  # time spent waiting for approvals (counted in the RTO: the recovery waited)
    pending_approval: str | None  # the step slug a paused run waits to be approved for
    warnings: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return report_document(
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
    lag = replica_lag_at_promotion(journal)
    rto = objective(journal.rto_seconds, config.objectives.rto_seconds, f"command {RTO_SOURCE}")
    rpo = (
        objective(lag, config.objectives.rpo_seconds, LAG_SOURCE if lag is not None else "not measured")
        if has_databases(journal)
        else not_applicable(config.objectives.rpo_seconds)
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
        objectives=Objectives(rto=rto, rpo=rpo),
        phases=phase_timings(journal, planning=True),
        steps=step_timings((journal,), journal.origin),
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
