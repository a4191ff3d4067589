"""The run journal: every step's start and end, what was observed before and after, errors, and the RTO.

Kept in a local file and in the control store of the region being activated, so that a crashed or failed run
can be resumed from either, on this machine or another. Two kinds of write, so that the bytes written grow with
the number of steps, not with its square:

- ``JournalStore.save``: the whole document (``runs/<run_id>.json``), when a run starts, pauses, ends or is
  refused. It says how many step records it includes (``step_records``).
- ``JournalStore.record``: one step's record, appended at each step start and end, numbered: a line of
  ``runs/<run_id>.steps.jsonl`` locally, an object ``run-steps/<run_id>/<number>.json`` in the control store.

Loading reads the document and applies the records numbered after it, in order; a document without records (a
whole-document journal of an older version) loads as it is.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from standby.errors import ExitCode, StandbyError, UsageError
from standby.owner import operator
from standby.state.store import ControlStore

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
JOURNALS_PREFIX = "runs/"  # whole documents, in the control store
STEP_RECORDS_PREFIX = "run-steps/"  # step records, one object each: run-steps/<run_id>/<number>.json
RECORD_READERS = 16  # concurrent reads of a run's step records from the control store

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


def _safe_name(run_id: str) -> str:
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
    # The step records (numbered from 1, appended between whole saves) that this document includes.
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


def _private_write(path: Path, text: str) -> None:
    """Write ``path`` atomically, readable by its owner only (0600)."""
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.chmod(tmp, 0o600)  # a leftover .tmp of another mode keeps its mode through O_TRUNC
    os.replace(tmp, path)


def _compact(doc: Any) -> str:
    """JSON without indentation (C-encoded, about half the bytes of the indented form)."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str)


def _private_append(path: Path, text: str) -> None:
    """Append ``text`` to ``path`` in one write, creating it readable by its owner only (0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)


class JournalStore:
    """Saves a journal locally and in a control store; thread-safe; remote failures are logged, not fatal."""

    def __init__(self, local_dir: Path, remote: ControlStore | None) -> None:
        self.local_dir = local_dir
        self.remote = remote
        self._lock = threading.Lock()

    def key(self, run_id: str) -> str:
        return f"{JOURNALS_PREFIX}{run_id}.json"

    def record_key(self, run_id: str, number: int) -> str:
        return f"{STEP_RECORDS_PREFIX}{run_id}/{number:08d}.json"

    def _path(self, run_id: str) -> Path:
        return self.local_dir / f"{_safe_name(run_id)}.json"

    def _records_path(self, run_id: str) -> Path:
        return self.local_dir / f"{_safe_name(run_id)}.steps.jsonl"

    def save(self, journal: Journal) -> None:
        """The whole document, locally then remotely; the local step records it now includes are dropped."""
        with self._lock:
            doc = journal.to_dict()
            self.local_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            _private_write(self._path(journal.run_id), json.dumps(doc, indent=2, sort_keys=True, default=str))
            self._records_path(journal.run_id).unlink(missing_ok=True)
            self._put(self.key(journal.run_id), doc, journal.run_id)

    def record(self, journal: Journal, step_key: str) -> None:
        """Append ``journal``'s record of one step, numbered after the last: a line locally (under the lock), an
        object of its own remotely (outside it: records of steps running at once are written at once)."""
        with self._lock:
            journal.step_records += 1
            number = journal.step_records
            doc = {"number": number, "step": asdict(journal.steps[step_key])}
            self.local_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            _private_append(self._records_path(journal.run_id), _compact(doc) + "\n")
        self._put(self.record_key(journal.run_id, number), doc, journal.run_id)

    def _put(self, key: str, doc: dict[str, Any], run_id: str) -> None:
        """``doc`` as compact JSON in the control store (read back like any other document)."""
        if self.remote is None:
            return
        try:
            self.remote.put_text(key, _compact(doc), "application/json")
        except (ClientError, BotoCoreError) as err:
            log.warning("journal %s not saved in %s: %s", run_id, self.remote.region, err)

    def load(self, run_id: str) -> Journal | None:
        """The journal of ``run_id`` (checked to be a run id first), local or remote; None when there is none.

        JournalUnreadable when the one found is not valid JSON or not a journal."""
        path = self.local_dir / f"{check_run_id(run_id)}.json"
        if path.exists():
            return self._with_local_records(_read_local(path))
        if self.remote is not None:
            key = self.key(run_id)
            try:
                doc = self.remote.get(key)
            except ValueError as err:
                raise JournalUnreadable(f"s3://{self.remote.bucket}/{key}", f"not valid JSON ({err})") from err
            if doc is not None:
                return self._with_remote_records(Journal.parse(doc, f"s3://{self.remote.bucket}/{key}"))
        return None

    def latest(self) -> Journal | None:
        """The most recent journal, local or remote; unreadable journals are skipped with a warning."""
        candidates: list[tuple[Journal, bool]] = []  # (document, read from the control store)
        if self.local_dir.exists():
            for path in self.local_dir.glob("*.json"):
                try:
                    candidates.append((_read_local(path), False))
                except JournalUnreadable as err:
                    log.warning("skipped: %s", err.message)
        if self.remote is not None:
            try:
                keys = [k for k in self.remote.keys(JOURNALS_PREFIX) if "/" not in k[len(JOURNALS_PREFIX) :]]
            except (ClientError, BotoCoreError):
                keys = []
            if keys:
                key = max(keys)
                source = f"s3://{self.remote.bucket}/{key}"
                try:
                    doc = self.remote.get(key)
                    if doc is not None:
                        candidates.append((Journal.parse(doc, source), True))
                except ValueError as err:
                    log.warning("skipped: the journal %s is unreadable: not valid JSON (%s)", source, err)
                except JournalUnreadable as err:
                    log.warning("skipped: %s", err.message)
        for journal, remote in sorted(candidates, key=lambda c: c[0].started_at, reverse=True):
            try:
                return self._with_remote_records(journal) if remote else self._with_local_records(journal)
            except JournalUnreadable as err:
                log.warning("skipped: %s", err.message)
        return None

    def _with_local_records(self, journal: Journal) -> Journal:
        path = self._records_path(journal.run_id)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return journal
        except (OSError, UnicodeDecodeError) as err:
            raise JournalUnreadable(str(path), str(err)) from err
        docs = []
        for n, line in enumerate(lines, 1):
            try:
                docs.append(json.loads(line))
            except ValueError as err:
                if n == len(lines):  # a write cut short by a crash: that step's record was never reported
                    log.warning("the last step record of %s is incomplete and ignored", path)
                    continue
                raise JournalUnreadable(str(path), f"line {n} is not valid JSON ({err})") from err
        return apply_records(journal, docs, str(path))

    def _with_remote_records(self, journal: Journal) -> Journal:
        remote = self.remote
        if remote is None:
            return journal
        prefix = f"{STEP_RECORDS_PREFIX}{journal.run_id}/"
        try:
            keys = [k for k in remote.keys(prefix) if _record_number(k) > journal.step_records]
        except (ClientError, BotoCoreError) as err:
            log.warning("step records of %s unreadable in %s: %s", journal.run_id, remote.region, err)
            return journal
        if not keys:
            return journal
        source = f"s3://{remote.bucket}/{prefix}"
        try:
            with ThreadPoolExecutor(max_workers=min(RECORD_READERS, len(keys))) as pool:
                docs = [d for d in pool.map(remote.get, keys) if d is not None]
        except ValueError as err:
            raise JournalUnreadable(source, f"a step record is not valid JSON ({err})") from err
        return apply_records(journal, docs, source)


def _record_number(key: str) -> int:
    """The number of a step record's object key (0 for a key that is not one)."""
    name = key.rsplit("/", 1)[-1].removesuffix(".json")
    return int(name) if name.isdigit() else 0


def apply_records(journal: Journal, docs: Iterable[Any], source: str) -> Journal:
    """``journal`` with the step records numbered after those it includes applied in order (each record is the
    whole state of one step at that point); JournalUnreadable names ``source`` for a malformed record."""
    numbered: list[tuple[int, dict[str, Any]]] = []
    for doc in docs:
        number = doc.get("number") if isinstance(doc, dict) else None
        step = doc.get("step") if isinstance(doc, dict) else None
        if not isinstance(number, int) or isinstance(number, bool) or not isinstance(step, dict):
            raise JournalUnreadable(source, "a step record is not {number, step}")
        if number > journal.step_records:
            numbered.append((number, step))
    for number, step in sorted(numbered, key=lambda r: r[0]):
        try:
            record = StepRecord(**step)
        except TypeError as err:
            raise JournalUnreadable(source, f"step record {number}: {err}") from err
        journal.steps[record.key] = record
        journal.step_records = number
    return journal


def _read_local(path: Path) -> Journal:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise JournalUnreadable(str(path), str(err)) from err
    except ValueError as err:
        raise JournalUnreadable(str(path), f"not valid JSON ({err})") from err
    return Journal.parse(doc, str(path))
