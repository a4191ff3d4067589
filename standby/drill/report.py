"""The drill report: phases and their timings, RTO and RPO against the objectives, what was left behind.

Built from run journals (pure); rendered by standby.report.html and standby.report.markdown.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from standby.config.schema import Config
from standby.drill.canary import CanaryReading
from standby.drill.fingerprint import Difference
from standby.failover.model import PROMOTE_DB
from standby.report.parts import (
    LAG_SOURCE,
    REPORT_SCHEMA_VERSION,
    RTO_SOURCE,
    Objective,
    Objectives,
    PhaseTiming,
    StepTiming,
    has_databases,
    not_applicable,
    objective,
    phase_timings,
    phases_of,
    replica_lag_at_promotion,
    report_document,
    step_timings,
)
from standby.state.journal import Journal

__all__ = [
    "LAG_SOURCE",
    "REPORT_SCHEMA_VERSION",
    "Objective",
    "Objectives",
    "PhaseTiming",
    "StepTiming",
    "phases_of",
    "replica_lag_at_promotion",
]


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


def _rpo(lag: float | None, canary: CanaryReading | None, *, databases: bool = True) -> tuple[float | None, str]:
    """ReplicaLag alone; with a canary, the larger of the two (unknown when either is). Without databases, the
    canary's alone (its bucket is then the only replicated data store)."""
    if canary is None:
        return lag, LAG_SOURCE
    bucket = f"(s3://{canary.primary_bucket} -> s3://{canary.standby_bucket})"
    source = (
        f"the larger of {LAG_SOURCE} and the write-marker canary at promotion {bucket}"
        if databases
        else f"the write-marker canary {bucket}"
    )
    if canary.estimate_seconds is None:
        why = canary.problem or "no canary marker had reached the standby bucket by the promotion"
        return None, f"{source}: {why}"
    if not databases:
        return canary.estimate_seconds, source
    return (None if lag is None else max(lag, canary.estimate_seconds)), source


@dataclass(frozen=True)
class LeftBehind:
    """A resource whose fingerprint differs after the drill from before it."""

    key: str
    before: str | None
    after: str | None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


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
        return report_document(
            self,
            kind="drill",
            mode=self.mode,
            regions={"activate": self.activate},
            own={
                "restored": self.restored,
                "left_behind": [d.to_dict() for d in self.left_behind],
                "inventory": {"before": dict(self.inventory_before), "after": dict(self.inventory_after)},
            },
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
    databases = has_databases(measured)
    rpo, rpo_source = _rpo(lag, canary, databases=databases)
    rto_obj = objective(rto, config.objectives.rto_seconds, RTO_SOURCE)
    rpo_obj = objective(rpo, config.objectives.rpo_seconds, rpo_source)
    if canary is not None:
        rpo_obj = replace(rpo_obj, replica_lag_seconds=lag, canary=canary)
    elif not databases:  # nothing replicated, nothing to lose: the drill passes on its RTO alone
        rpo_obj = not_applicable(config.objectives.rpo_seconds)
    restored = all(j.status == "complete" for j in restores)
    passed = error is None and measured.status == "complete" and bool(rto_obj.met) and rpo_obj.satisfied
    passed = passed and restored and not left
    steps = step_timings((measured, *restores), measured.origin)
    return DrillReport(
        mode=mode,
        run_id=run_id,
        project=config.project.name,
        activate=measured.activate,
        started_at=measured.origin,
        finished_at=finished_at if finished_at is not None else time.time(),
        status="passed" if passed else "failed",
        error=error,
        objectives=Objectives(rto=rto_obj, rpo=rpo_obj),
        phases=phase_timings(measured),
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
