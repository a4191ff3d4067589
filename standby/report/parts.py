"""What every run report shares: the failover's and failback's (``standby.report.run``) and the drill's.

Pure: built from a run journal. Phases (the timeline), RTO and RPO against the objectives, and each step's timing
with what it observed before and after. The drill report (``standby.drill.report``) is built from the same parts;
``standby.report.html`` and ``standby.report.markdown`` render both from their JSON documents.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Protocol

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
