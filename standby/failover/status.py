"""What the runs left behind: the current roles and the last run (``standby status``), the latest journal, the run
reports written and the history of every stored report.

Reads wait on a region only within one budget (the fast-failing states): status and history must answer while a
region is down. A report is written however a run ends and never hides how it ended.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from typing import Any

from standby.config.schema import LoadedConfig
from standby.report.run import build_run_report
from standby.report.run import history as report_history
from standby.report.store import RUN_REPORTS, Written, stored_reports
from standby.report.store import save as save_report
from standby.state import AWS_ERRORS, Assignment, Journal, JournalStore, RegionStates

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LastRun:
    """The latest failover or failback run, as its journal tells."""

    run_id: str
    kind: str
    status: str  # running | complete | failed | refused
    started_at: float
    ended_at: float | None
    rto_seconds: float | None
    steps: dict[str, str]  # step key -> its status

    @classmethod
    def told_by(cls, journal: Journal) -> LastRun:
        """The run as its journal tells it: the journal's fields of these names, each step by its status."""
        told = {f.name: getattr(journal, f.name) for f in fields(cls) if f.name != "steps"}
        return cls(**told, steps={key: step.status for key, step in journal.steps.items()})


@dataclass(frozen=True)
class RunStatus:
    """Which region is primary now, which are home, and the last run."""

    primary: str
    standby: str
    home: Assignment
    failed_over: bool
    last_run: LastRun | None


def run_status(current: Assignment, home: Assignment, latest: Journal | None) -> RunStatus:
    """The status from the recorded assignment, the home one and the latest journal (None: no run yet)."""
    return RunStatus(
        primary=current.primary,
        standby=current.standby,
        home=home,
        failed_over=current != home,
        last_run=None if latest is None else LastRun.told_by(latest),
    )


def latest_journal(states: RegionStates) -> Journal | None:
    """The latest journal, on this machine or in either region; ``states`` are the fast-failing ones, and a region
    is waited for only within one budget."""
    budget = states.budget("reading the latest journals")
    pending = [budget.submit(state.journals().latest) for _, state in states.items()]
    found = [JournalStore(states.runs_dir, None).latest()]
    for answer in pending:
        try:
            found.append(answer.result())
        except AWS_ERRORS:
            continue
    return max((journal for journal in found if journal is not None), key=lambda x: x.started_at, default=None)


def history(states: RegionStates) -> list[dict[str, Any]]:
    """Every stored report's row (failovers, failbacks and drills), newest first; ``states`` are the fast-failing
    ones, and a region that does not answer within the budget is skipped."""
    budget = states.budget("reading the stored reports")
    pending = [budget.submit(stored_reports, [state.store]) for _, state in states.items()]
    docs: list[dict[str, Any]] = []
    for answer in pending:
        try:
            docs.extend(answer.result())
        except AWS_ERRORS as err:
            log.warning("stored reports unreadable: %s", err)
    return report_history(docs)


def write_report(
    loaded: LoadedConfig, states: RegionStates, journal: Journal, error: str | None, now: float
) -> Written | None:
    """The run's report (JSON, HTML, Markdown) in ``[failover] report_dir`` and, best effort, in the activated
    region's control store (``reports/<run_id>.json|.html``). None (logged) when it could not be written."""
    try:
        doc = build_run_report(loaded.config, journal, error=error, now=now).to_dict()
        report_dir = loaded.resolve(loaded.config.failover.report_dir)
        return save_report(doc, report_dir, states[journal.activate].store, RUN_REPORTS)
    except Exception:  # a report must never hide how the run ended
        log.warning("the report of run %s could not be written", journal.run_id, exc_info=True)
        return None
