"""The drill report: phases and their timings, RTO and RPO against the objectives, what was left behind.

Built from run journals (pure); rendered by standby.report.html and standby.report.markdown.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from standby.config.schema import Config
from standby.drill.canary import CanaryReading
from standby.drill.fingerprint import Difference
from standby.failover.model import PREFLIGHT, PROMOTE_DB, SCALE_OUT, SHIFT_TRAFFIC, VERIFY, WAIT_HEALTHY
from standby.state.journal import Journal

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


@dataclass(frozen=True)
class Phase:
    name: str
    start: float  # seconds from the run's start
    end: float
    steps: tuple[str, ...]

    @property
    def seconds(self) -> float:
        return self.end - self.start


def phases_of(journal: Journal) -> list[Phase]:
    """Each phase spans from its first step's start to its last step's end, relative to the run's start."""
    phases: list[Phase] = []
    for name, slugs in PHASES:
        steps = [s for s in journal.steps.values() if s.slug in slugs and s.started_at is not None]
        if not steps:
            continue
        start = min(s.started_at for s in steps if s.started_at is not None)
        end = max((s.ended_at or s.started_at) for s in steps if s.started_at is not None)
        phases.append(Phase(name, start - journal.started_at, end - journal.started_at, tuple(s.key for s in steps)))
    return phases


def replica_lag_at_promotion(journal: Journal) -> float | None:
    """The largest ReplicaLag read just before a promotion: the data that promotion would lose."""
    lags = [
        float(s.before["replica_lag_seconds"])
        for s in journal.steps.values()
        if s.slug == PROMOTE_DB and s.before.get("replica_lag_seconds") is not None
    ]
    return max(lags) if lags else None


def promotion_moment(journal: Journal) -> float | None:
    """When the (first) promotion began: a promote-db step's start; for a drill's copy, the promote call itself
    (the step's end less the promotion's own duration: creating the copy comes first)."""
    moments: list[float] = []
    for s in journal.steps.values():
        if s.slug != PROMOTE_DB or s.started_at is None:
            continue
        promotion = s.after.get("promotion_seconds")
        if promotion is not None and s.ended_at is not None:
            moments.append(s.ended_at - float(promotion))
        else:
            moments.append(s.started_at)
    return min(moments, default=None)


LAG_SOURCE = "CloudWatch ReplicaLag read at promotion"


def _rpo(lag: float | None, canary: CanaryReading | None) -> tuple[float | None, str]:
    """ReplicaLag alone; with a canary, the larger of the two (unknown when either is)."""
    if canary is None:
        return lag, LAG_SOURCE
    source = (
        f"the larger of {LAG_SOURCE} and the write-marker canary at promotion "
        f"(s3://{canary.primary_bucket} -> s3://{canary.standby_bucket})"
    )
    if canary.estimate_seconds is None:
        why = canary.problem or "no canary marker had reached the standby bucket by the promotion"
        return None, f"{source}: {why}"
    return (None if lag is None else max(lag, canary.estimate_seconds)), source


@dataclass(frozen=True)
class Objective:
    """A measured RTO or RPO against its objective."""

    measured_seconds: float | None
    objective_seconds: int
    met: bool
    source: str
    # With a canary (RPO only): the ReplicaLag part of the estimate, and the canary's reading.
    replica_lag_seconds: float | None = None
    canary: CanaryReading | None = None

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "measured_seconds": self.measured_seconds,
            "objective_seconds": self.objective_seconds,
            "met": self.met,
            "source": self.source,
        }
        if self.canary is not None:
            doc["replica_lag_seconds"] = self.replica_lag_seconds
            doc["canary"] = self.canary.to_dict()
        return doc


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
        return {
            "name": self.name,
            "start": self.start,
            "end": self.end,
            "seconds": self.seconds,
            "steps": list(self.steps),
        }


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
        return {
            "key": self.key,
            "slug": self.slug,
            "region": self.region,
            "run": self.run,
            "status": self.status,
            "start": self.start,
            "end": self.end,
            "detail": self.detail,
            "error": self.error,
        }


@dataclass(frozen=True)
class LeftBehind:
    """A resource whose fingerprint differs after the drill from before it."""

    key: str
    before: str | None
    after: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class DrillReport:
    """What a drill proved. ``to_dict()`` is the JSON document (REPORT_SCHEMA_VERSION) the renderers read."""

    mode: str
    run_id: str
    project: str
    activate: str
    started_at: float
    finished_at: float
    status: str  # passed | failed
    error: str | None
    objectives: Objectives
    phases: tuple[PhaseTiming, ...]
    steps: tuple[StepTiming, ...]
    restored: bool
    left_behind: tuple[LeftBehind, ...]
    inventory_before: dict[str, str]
    inventory_after: dict[str, str]
    warnings: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": REPORT_SCHEMA_VERSION,
            "kind": "drill",
            "mode": self.mode,
            "run_id": self.run_id,
            "project": self.project,
            "activate": self.activate,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "status": self.status,
            "error": self.error,
            "objectives": self.objectives.to_dict(),
            "phases": [p.to_dict() for p in self.phases],
            "steps": [s.to_dict() for s in self.steps],
            "restored": self.restored,
            "left_behind": [d.to_dict() for d in self.left_behind],
            "inventory": {"before": dict(self.inventory_before), "after": dict(self.inventory_after)},
            "warnings": list(self.warnings),
        }


def _objective(measured: float | None, objective: int, source: str) -> Objective:
    return Objective(
        measured_seconds=None if measured is None else round(measured, 3),
        objective_seconds=objective,
        met=measured is not None and measured <= objective,
        source=source,
    )


def build_report(
    config: Config,
    *,
    mode: str,
    run_id: str,
    measured: Journal,
    restores: Sequence[Journal],
    before: dict[str, str],
    after: dict[str, str],
    left_behind: Iterable[Difference],
    error: str | None,
    finished_at: float | None = None,
    canary: CanaryReading | None = None,
) -> DrillReport:
    left = list(left_behind)
    rto = measured.rto_seconds
    lag = replica_lag_at_promotion(measured)
    rpo, rpo_source = _rpo(lag, canary)
    rto_obj = _objective(rto, config.objectives.rto_seconds, "start -> traffic on the standby with capacity healthy")
    rpo_obj = _objective(rpo, config.objectives.rpo_seconds, rpo_source)
    if canary is not None:
        rpo_obj = replace(rpo_obj, replica_lag_seconds=lag, canary=canary)
    restored = all(j.status == "complete" for j in restores)
    passed = error is None and measured.status == "complete" and rto_obj.met and rpo_obj.met
    passed = passed and restored and not left
    steps = tuple(
        StepTiming(
            key=s.key,
            slug=s.slug,
            region=s.region,
            run=journal.run_id,
            status=s.status,
            start=None if s.started_at is None else round(s.started_at - measured.started_at, 3),
            end=None if s.ended_at is None else round(s.ended_at - measured.started_at, 3),
            detail=s.detail,
            error=s.error,
        )
        for journal in (measured, *restores)
        for s in journal.steps.values()
    )
    return DrillReport(
        mode=mode,
        run_id=run_id,
        project=config.project.name,
        activate=measured.activate,
        started_at=measured.started_at,
        finished_at=finished_at if finished_at is not None else time.time(),
        status="passed" if passed else "failed",
        error=error,
        objectives=Objectives(rto=rto_obj, rpo=rpo_obj),
        phases=tuple(
            PhaseTiming(p.name, round(p.start, 3), round(p.end, 3), round(p.seconds, 3), p.steps)
            for p in phases_of(measured)
        ),
        steps=steps,
        restored=restored,
        left_behind=tuple(LeftBehind(d.key, d.before, d.after) for d in left),
        inventory_before=dict(before),
        inventory_after=dict(after),
        warnings=tuple(measured.warnings),
    )


def history_rows(reports: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per drill, oldest first, with the change in RTO from the previous drill."""
    rows: list[dict[str, Any]] = []
    previous: float | None = None
    for r in sorted(reports, key=lambda d: d.get("started_at", 0)):
        rto = r["objectives"]["rto"]["measured_seconds"]
        rows.append(
            {
                "run_id": r["run_id"],
                "mode": r["mode"],
                "started_at": r["started_at"],
                "status": r["status"],
                "rto_seconds": rto,
                "rpo_seconds": r["objectives"]["rpo"]["measured_seconds"],
                "rto_change_seconds": None if rto is None or previous is None else round(rto - previous, 3),
            }
        )
        previous = rto if rto is not None else previous
    return rows
