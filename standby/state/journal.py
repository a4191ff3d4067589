"""The run journal: every step's start and end, what was observed before and after, errors, and the RTO.

A ``Journal`` is the document; its step records (``apply_records``) are folded into it on load. Where and how it
is written — locally and in the control store of the region being activated, so that a crashed or failed run can
be resumed from either, on this machine or another — is ``standby.state.journal_store``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from standby.errors import ExitCode, StandbyError, UsageError
from standby.owner import operator

# The steps whose end marks the end of the recovery time (traffic moved, capacity healthy).
SHIFT_TRAFFIC = "shift-traffic"
WAIT_HEALTHY = "wait-healthy"
# The other steps a run report reads from a journal (the phases; the replica lag read before a promotion).
PREFLIGHT = "preflight"
PROMOTE_DB = "promote-db"
SCALE_OUT = "scale-out"
VERIFY = "verify"

log = logging.getLogger(__name__)

JOURNAL_SCHEMA = 1
DONE = ("complete", "skipped")
JOURNALS_PREFIX = "runs/"  # in the control store: whole documents, and under runs/<run_id>/ their record segments

# A run id names its journal file: `20261128T000000Z-failover-ab12`, a drill's `...-drill-full-ab12`, and the
# runs a drill starts after its measured one (`...-drill-full-ab12-failback`, `...-drill-isolated-ab12-restore`).
RUN_KINDS = ("failover", "failback", "drill-isolated", "drill-full")
RUN_ID_PATTERN = re.compile(
    r"\d{8}T\d{6}Z-(?:" + "|".join(re.escape(k) for k in RUN_KINDS) + r")-[0-9a-f]{4}(?:-failback|-restore)?"
)


def check_run_id(run_id: str) -> str:
    """``run_id`` when it has the form of a journal's id; else a UsageError (nothing is read or run)."""
    if not isinstance(run_id, str) or not RUN_ID_PATTERN.fullmatch(run_id):
        raise UsageError(
            f"{run_id!r} is not a run id (expected e.g. 20261128T000000Z-failover-ab12)",
            hint="`standby status` names the last run; journals are kept in the state directory's runs/",
        )
    return run_id


def safe_name(run_id: str) -> str:
    """``run_id`` as a file name inside the journal directory (never a path that leaves it)."""
    if not run_id or run_id.startswith(".") or any(c in run_id for c in "/\\\0"):
        raise UsageError(f"{run_id!r} cannot name a journal file")
    return run_id


class JournalUnreadable(StandbyError):
    """A journal file or document that is not valid JSON, or not a journal."""

    exit_code = ExitCode.USAGE

    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        super().__init__(
            f"the journal {source} is unreadable: {problem}",
            hint="move the file aside (or restore it from the control store) and run again",
        )


@dataclass
class StepRecord:
    key: str
    slug: str
    region: str
    status: str = "pending"  # pending | running | complete | skipped | failed | not-run
    started_at: float | None = None
    ended_at: float | None = None
    detail: str = ""
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    attempts: int = 0

    @property
    def seconds(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return self.ended_at - self.started_at


@dataclass
class Journal:
    run_id: str
    kind: str
    activate: str
    demote: str
    started_at: float
    status: str = "running"  # running | paused | complete | failed | refused
    ended_at: float | None = None  # when it finished, or paused
    plan: dict[str, Any] = field(default_factory=dict)
    steps: dict[str, StepRecord] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    operator: str = field(default_factory=operator)
    resumes: list[float] = field(default_factory=list)
    schema_version: int = JOURNAL_SCHEMA
    # When the command started, planning included (``started_at`` is when execution started); None for runs
    # that are not planned by a command (a drill's isolated plan and restore) and for older journals.
    command_started_at: float | None = None
    # Approval points (``[failover] approve_before``), oldest first: {"slug", "steps", "paused_at",
    # "approved_at", "approved_by"}; the last one is pending while its ``approved_at`` is None.
    approvals: list[dict[str, Any]] = field(default_factory=list)
    # The records (numbered from 1: a step's changes, or the document's own at a save) that this document includes.
    step_records: int = 0

    def done_keys(self) -> set[str]:
        return {k for k, s in self.steps.items() if s.status in DONE}

    @property
    def origin(self) -> float:
        """Where the recovery time starts: the command's start (planning included) when known."""
        return self.command_started_at if self.command_started_at is not None else self.started_at

    @property
    def pending_approval(self) -> dict[str, Any] | None:
        """The approval this run waits for (it is paused before that step), or None."""
        last = self.approvals[-1] if self.approvals else None
        return last if last is not None and last.get("approved_at") is None else None

    @property
    def approved_slugs(self) -> set[str]:
        return {a["slug"] for a in self.approvals if a.get("approved_at") is not None}

    @property
    def traffic_moved_at(self) -> float | None:
        """When traffic was on the activated region with its capacity healthy (the end of the RTO)."""
        shift = self.steps.get(SHIFT_TRAFFIC)
        healthy = [s for s in self.steps.values() if s.slug == WAIT_HEALTHY]
        ends = [s.ended_at for s in [shift, *healthy] if s is not None]
        if shift is None or shift.status not in DONE or any(s.status not in DONE for s in healthy):
            return None
        return max(e for e in ends if e is not None)

    @property
    def rto_seconds(self) -> float | None:
        moved = self.traffic_moved_at
        return None if moved is None else moved - self.origin

    def to_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["rto_seconds"] = self.rto_seconds
        return doc

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Journal:
        data = {k: v for k, v in doc.items() if k in cls.__dataclass_fields__}
        data["steps"] = {k: StepRecord(**v) for k, v in (doc.get("steps") or {}).items()}
        return cls(**data)

    @classmethod
    def parse(cls, doc: Any, source: str) -> Journal:
        """A journal from a decoded document, checked for its shape; JournalUnreadable names ``source``."""
        problem = _shape_problem(doc)
        if problem is None:
            try:
                return cls.from_dict(doc)
            except (TypeError, ValueError) as err:
                problem = str(err)
        raise JournalUnreadable(source, problem)


_TEXT_FIELDS = ("run_id", "kind", "activate", "demote", "status")


def _shape_problem(doc: Any) -> str | None:
    """What makes ``doc`` not a journal document, or None."""
    if not isinstance(doc, dict):
        return f"expected a JSON object, found {type(doc).__name__}"
    for name in _TEXT_FIELDS:
        if not isinstance(doc.get(name), str):
            return f"{name!r} is missing or not a string"
    if isinstance(doc.get("step_records", 0), bool) or not isinstance(doc.get("step_records", 0), int):
        return "'step_records' is not a number"
    for name in ("started_at", "ended_at", "command_started_at"):
        value = doc.get(name)
        if (value is not None or name == "started_at") and (
            isinstance(value, bool) or not isinstance(value, (int, float))
        ):
            return f"{name!r} is missing or not a number"
    steps = doc.get("steps") or {}
    if not isinstance(steps, dict) or not all(isinstance(v, dict) for v in steps.values()):
        return "'steps' is not an object of step objects"
    for name in ("plan",):
        if not isinstance(doc.get(name) or {}, dict):
            return f"{name!r} is not an object"
    for name in ("warnings", "problems", "resumes", "approvals"):
        if not isinstance(doc.get(name) or [], list):
            return f"{name!r} is not a list"
    if not all(isinstance(a, dict) and isinstance(a.get("slug"), str) for a in doc.get("approvals") or []):
        return "'approvals' is not a list of approval objects"
    return None


# The fields of a run record: the document's own fields that a run changes as it goes (never its identity, its
# steps or its record count).
RUN_RECORD_FIELDS = (
    "status",
    "ended_at",
    "plan",
    "warnings",
    "problems",
    "operator",
    "resumes",
    "command_started_at",
    "approvals",
    "started_at",
)


def planned_steps(plan: dict[str, Any] | None) -> dict[str, StepRecord]:
    """The steps of a journal's ``plan`` as new records (pending, their slug and region), in the plan's order: the
    steps a reader of its records adds, so that a step's first record need not create it (``apply_records``)."""
    found = {}
    for step in (plan or {}).get("steps") or ():
        if not isinstance(step, dict):
            continue
        key, slug, region = step.get("key"), step.get("slug"), step.get("region")
        if isinstance(key, str) and isinstance(slug, str) and isinstance(region, str):
            found[key] = StepRecord(key, slug, region)
    return found


def step_changes(step: StepRecord, known: StepRecord | None) -> dict[str, Any]:
    """The fields of ``step`` a record must set: those that differ from ``known``'s (the step as a reader has it
    before the record: its last record's, or the plan's new step) or, for a step not known yet, its slug, its
    region and the fields that differ from a new step's (a record creates it from them)."""
    reference = known if known is not None else StepRecord(step.key, step.slug, step.region)
    changes = {k: v for k, v in asdict(step).items() if k != "key" and getattr(reference, k) != v}
    return changes if known is not None else {"slug": step.slug, "region": step.region, **changes}


def run_changes(journal: Journal, known: Journal) -> dict[str, Any]:
    """The document fields of ``journal`` (``RUN_RECORD_FIELDS``) that differ from ``known``'s."""
    return {
        name: getattr(journal, name) for name in RUN_RECORD_FIELDS if getattr(journal, name) != getattr(known, name)
    }


def _record_change(doc: Any, source: str) -> tuple[int, str | None, dict[str, Any]]:
    """A record's number, step key (None for a run record) and fields: ``{number, key, set}`` (the fields of a
    step that changed), ``{number, run}`` (the document's fields that changed: status, end, warnings, ...), or
    ``{number, step}`` (the whole step, an earlier form); JournalUnreadable names ``source`` otherwise."""
    fields = doc if isinstance(doc, dict) else {}
    number, key, changes = fields.get("number"), fields.get("key"), fields.get("set")
    step, run = fields.get("step"), fields.get("run")
    if isinstance(step, dict) and key is None and changes is None:
        key, changes = step.get("key"), step
    if isinstance(run, dict) and key is None and changes is None and type(number) is int:
        if not set(run) <= set(RUN_RECORD_FIELDS):
            raise JournalUnreadable(source, f"run record {number} sets {sorted(set(run) - set(RUN_RECORD_FIELDS))}")
        return number, None, run
    if (
        not isinstance(number, int)
        or isinstance(number, bool)
        or not isinstance(key, str)
        or not isinstance(changes, dict)
    ):
        raise JournalUnreadable(source, "a record is not {number, key, set} nor {number, run}")
    return number, key, changes


def apply_records(journal: Journal, docs: Iterable[Any], source: str) -> Journal:
    """``journal`` with the records numbered after those it includes applied in order (a step record sets the
    fields of one step that changed; a run record sets the document's fields); JournalUnreadable names ``source``
    for a malformed record. A record of a step the journal lacks first adds the steps of its plan it lacks, pending
    (the run is executing: it has all of them, and a pending step has no record of its own), then creates the step
    from the plan's (its slug and region) or, for a step the plan lacks, from the record's fields."""
    numbered = [r for r in (_record_change(doc, source) for doc in docs) if r[0] > journal.step_records]
    for number, key, changes in sorted(numbered, key=lambda r: r[0]):
        if key is None:
            _apply_run_record(journal, number, changes, source)
            continue
        if key not in journal.steps:
            _add_planned_steps(journal)
        known = journal.steps.get(key)
        try:
            record = StepRecord(**{**(asdict(known) if known is not None else {}), **changes, "key": key})
        except TypeError as err:
            raise JournalUnreadable(source, f"step record {number}: {err}") from err
        journal.steps[key] = record
        journal.step_records = number
    return journal


def _add_planned_steps(journal: Journal) -> None:
    """Add the steps of ``journal``'s plan it lacks, pending, in the plan's order."""
    for key, planned in planned_steps(journal.plan).items():
        journal.steps.setdefault(key, planned)


def _apply_run_record(journal: Journal, number: int, changes: dict[str, Any], source: str) -> None:
    """Set the document's fields of a run record, once the document they make is checked for its shape."""
    doc = {**asdict(journal), **changes}
    problem = _shape_problem(doc)
    if problem is not None:
        raise JournalUnreadable(source, f"run record {number}: {problem}")
    for name, value in changes.items():
        setattr(journal, name, value)
    journal.step_records = number
