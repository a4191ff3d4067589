"""Where the run journal is written, and how.

Kept in a local file and in the control store of the region being activated, so that a crashed or failed run
can be resumed from either, on this machine or another. The writes are shaped so that a step never waits on the
control store and the bytes written grow with the number of steps, not with its square nor with the run's
duration (the control store's layout: ``journal_segments``):

- ``JournalStore.save``: the whole document, when a run starts, pauses, ends or is refused, locally
  (``runs/<run_id>.json``); in the control store, awaited for at most ``FINAL_SAVE_WAIT_SECONDS`` behind a
  background upload in flight (a failed upload is logged, not fatal): the whole document, compact and
  gzip-compressed, without the fields at their defaults and its times to the millisecond (``runs/<run_id>.json``),
  the first time this store saves the run; after that, a segment of what changed since: the step records not yet
  uploaded, a record of each step changed without one, and a run record of the document's own fields that changed
  (status, end, warnings, approvals). The document says how many records it includes (``step_records``).
- ``JournalStore.record``: at each step start and end, a numbered record appended to ``runs/<run_id>.steps.jsonl``
  (0600): the step's key and only the fields that changed since the last record of that step (the first time,
  those that differ from the plan's step: a step of the plan exists, pending, without a record of its own; for a
  step the plan lacks, its slug, region and the fields that differ from a new step's). No API call: the local
  copy is the complete truth for a resume on this machine.
- ``JournalStore.saving``: while a run executes, one background saver uploads the records appended since its
  last upload, and only those, as one compressed segment (``runs/<run_id>/records-<first>-<last>.jsonl``) at
  most once every ``save_interval`` (``SAVE_INTERVAL_SECONDS``), and only once a step ended at least the rest of
  an interval ago (``SAVER_WAKES_PER_INTERVAL``: steps that end together share a segment, each uploaded within an
  interval of its end), coalescing them all; never the whole document, unless the first save's upload failed
  (then that comes first: segments only ever follow the document they extend). An upload in flight never blocks
  a step; a failed one is logged and retried at the next interval with the records since added. One upload at a
  time, so an older one never lands after a newer.

The trade-off: a resume from another machine reads the control store's document and segments, which may lag the
local journal by up to one interval (and, after a crash, miss that interval's records). Steps are idempotent and
each is judged again from AWS state when it runs, so a resume from a slightly stale journal re-runs at most the
last interval's steps. Segments included in a later whole document are left in place: a reader skips them by
their numbers without reading them, and deleting them would cost calls.

Loading reads the local document and applies the local records numbered after it, in order; else the control
store's: one listing of the run's segments, the document, then the segments with records it does not include
(a finished run's last one holds its end). A document without records (a whole-document journal of an older
version) loads as it is, and so does a plain (uncompressed) one; records whose line holds a whole step (``step``,
an earlier form) apply as they are; step records stored one object each under ``run-steps/`` (an earlier form)
are ignored.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from standby.clock import Clock, SystemClock
from standby.state.journal import (
    JOURNALS_PREFIX,
    Journal,
    JournalUnreadable,
    apply_records,
    check_run_id,
    planned_steps,
    run_changes,
    safe_name,
    step_changes,
)
from standby.state.journal_segments import (
    DOCUMENT_TYPE,
    ENCODING,
    SEGMENT_TYPE,
    compact,
    compressed,
    document_key,
    merged,
    segment_body,
    segment_key,
    segments_after,
    segments_prefix,
    uploaded_document,
    uploaded_record,
    with_segments,
)
from standby.state.store import ControlStore

log = logging.getLogger(__name__)

# While a run executes, its new step records are uploaded at most once per interval of the run's clock (when a
# step ended meanwhile): a resume from another machine may miss up to this many seconds of steps, and runs them
# again.
SAVE_INTERVAL_SECONDS = 5.0
# How often the background saver wakes in an interval. It uploads once a step ended at least the rest of an
# interval ago (four fifths of one): steps that end together share a segment, and an ended step is uploaded
# within an interval of its end.
SAVER_WAKES_PER_INTERVAL = 5
# How often the background saver wakes, in real time (None: ``SAVER_WAKES_PER_INTERVAL`` times an interval).
# Shorter where the run's clock runs faster than real time (a benchmark's scaled clock), so that the interval is
# kept on the run's clock.
SAVER_WAKE_SECONDS: float | None = None
# How long a save when a run starts, pauses or ends waits for a background upload still in flight.
FINAL_SAVE_WAIT_SECONDS = 30.0


def _private_write(path: Path, text: str) -> None:
    """Write ``path`` atomically, readable by its owner only (0600)."""
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.chmod(tmp, 0o600)  # a leftover .tmp of another mode keeps its mode through O_TRUNC
    os.replace(tmp, path)


def _private_append(path: Path, text: str) -> None:
    """Append ``text`` to ``path`` in one write, creating it readable by its owner only (0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)


class JournalStore:
    """Saves a journal locally and in a control store; thread-safe; remote failures are logged, not fatal.

    For each run it keeps a copy of the last whole document with the step records since applied (the reference
    a record's changed fields are taken against) and, with a control store, the records it does not hold yet.

    ``save_interval``: seconds between background uploads (default ``SAVE_INTERVAL_SECONDS``)."""

    def __init__(self, local_dir: Path, remote: ControlStore | None, *, save_interval: float | None = None) -> None:
        self.local_dir = local_dir
        self.remote = remote
        self.save_interval = save_interval
        self._lock = threading.Lock()  # the local files, the copies and what is left to upload
        self._upload = threading.Lock()  # one upload at a time, so an older one never lands after a newer
        self._copies: dict[str, Journal] = {}
        self._document_uploaded: set[str] = set()  # the runs whose whole document this store has uploaded
        self._unsent: dict[str, list[dict[str, Any]]] = {}  # per run: the records not uploaded yet, in order

    def key(self, run_id: str) -> str:
        return document_key(run_id)

    def _path(self, run_id: str) -> Path:
        return self.local_dir / f"{safe_name(run_id)}.json"

    def _records_path(self, run_id: str) -> Path:
        return self.local_dir / f"{safe_name(run_id)}.steps.jsonl"

    def save(self, journal: Journal) -> None:
        """The whole document locally; the local step records it now includes are dropped. Then, awaited (bounded),
        the control store: the whole document the first time this store saves the run (or while that upload has
        not landed), else what changed since as one segment: a record of each step that changed without one, and a
        run record of the document's fields that changed (status, end, warnings, approvals...)."""
        with self._lock:
            copy = self._copies.get(journal.run_id)
            if copy is not None and self.remote is not None and journal.run_id in self._document_uploaded:
                self._queue_changes(journal, copy)
            doc = journal.to_dict()
            self.local_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            _private_write(self._path(journal.run_id), json.dumps(doc, indent=2, sort_keys=True, default=str))
            self._records_path(journal.run_id).unlink(missing_ok=True)
            self._copies[journal.run_id] = Journal.from_dict(doc)
        self._upload_next(journal.run_id, wait=FINAL_SAVE_WAIT_SECONDS)

    def _queue_changes(self, journal: Journal, copy: Journal) -> None:
        """Number and queue for upload the records that bring ``copy`` (the control store's view) to ``journal``:
        steps changed without a record of their own (a new plan's steps, except those still as the plan the control
        store holds has them: pending), then the document's fields."""
        unsent = self._unsent.setdefault(journal.run_id, [])
        planned = planned_steps(copy.plan)  # a reader adds them pending: a step of the plan needs no record to exist
        for key, step in journal.steps.items():
            changes = step_changes(step, copy.steps.get(key) or planned.get(key))
            if changes:
                journal.step_records += 1
                unsent.append({"number": journal.step_records, "key": key, "set": changes})
        changed = run_changes(journal, copy)
        if changed:
            journal.step_records += 1
            unsent.append({"number": journal.step_records, "run": changed})

    def record(self, journal: Journal, step_key: str) -> None:
        """Append ``journal``'s record of one step, numbered after the last, as a local line: the fields that
        changed since the step's last record (all of them the first time). The control store gets it with the
        next background upload (``saving``) or whole save."""
        with self._lock:
            journal.step_records += 1
            number = journal.step_records
            copy = self._copies.get(journal.run_id)
            known = None if copy is None else copy.steps.get(step_key) or planned_steps(copy.plan).get(step_key)
            changes = step_changes(journal.steps[step_key], known)
            line = {"number": number, "key": step_key, "set": changes}
            text = compact(line)
            self.local_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            _private_append(self._records_path(journal.run_id), text + "\n")
            if copy is not None:
                apply_records(copy, [line], "the journal being written")
                if self.remote is not None:
                    self._unsent.setdefault(journal.run_id, []).append(line)

    @contextmanager
    def saving(self, journal: Journal, clock: Clock | None = None) -> Iterator[None]:
        """While the block runs, upload ``journal``'s new step records in the background, one segment at most
        once every ``save_interval`` seconds of ``clock`` (the run's; default the system's); nothing without a
        control store. The last upload is the caller's ``save`` when the run ends or pauses (inside the block or
        after it)."""
        if self.remote is None:
            yield
            return
        interval = SAVE_INTERVAL_SECONDS if self.save_interval is None else self.save_interval
        stop = threading.Event()
        saver = threading.Thread(
            target=self._save_periodically,
            args=(journal.run_id, interval, clock or SystemClock(), stop),
            name="journal-saver",
            daemon=True,
        )
        saver.start()
        try:
            yield
        finally:
            stop.set()  # not joined: an upload in flight finishes on its own; the final save waits for it

    def _save_periodically(self, run_id: str, interval: float, clock: Clock, stop: threading.Event) -> None:
        """Wake every ``SAVER_WAKE_SECONDS`` in real time (default: ``SAVER_WAKES_PER_INTERVAL`` times an
        ``interval``); upload when ``interval`` has passed on ``clock`` since the last upload and a step ended at
        least the rest of an interval ago on ``clock`` (the records' own times)."""
        wake = interval / SAVER_WAKES_PER_INTERVAL if SAVER_WAKE_SECONDS is None else SAVER_WAKE_SECONDS
        settle = interval - interval / SAVER_WAKES_PER_INTERVAL
        due = clock.now() + interval
        while not stop.wait(wake):
            now = clock.now()
            if now < due:
                continue
            try:
                if self._upload_next(run_id, wait=0, ended_by=now - settle):
                    due = clock.now() + interval
            except Exception:  # the saver lives on: the next interval tries again
                log.warning("journal %s not saved: the background save failed", run_id, exc_info=True)

    def _upload_next(self, run_id: str, *, wait: float, ended_by: float | None = None) -> bool:
        """Bring the control store up to date with one upload: the whole document when its first save is not there
        yet, else the records it lacks as one segment (``merged``), once one of them ends a step or changes the
        document (a status, an end, a warning): records of steps that only started or were planned ride along with
        the next, since a step started and not ended is run again on resume whatever the journal says. ``ended_by``:
        only once a step ended by then (a run record: at once). ``wait``: how long to wait for an upload in flight
        (0: leave it to the next interval). Whether an upload was made (landed or not)."""
        remote = self.remote
        if remote is None:
            return False
        acquired = self._upload.acquire(timeout=wait) if wait > 0 else self._upload.acquire(blocking=False)
        if not acquired:
            if wait > 0:
                log.warning(
                    "journal %s not saved in %s: an earlier save still in flight after %.1f s",
                    run_id,
                    remote.region,
                    wait,
                )
            return False
        try:
            with self._lock:  # only copies taken here: serialising and compressing happen outside
                copy = self._copies.get(run_id)
                unsent = list(self._unsent.get(run_id, ()))
                doc = copy.to_dict() if copy is not None and run_id not in self._document_uploaded else None
            if doc is not None:
                key, covers, content_type = self.key(run_id), int(doc["step_records"]), DOCUMENT_TYPE
                body = compressed(uploaded_document(doc))
            elif any(_ends_step(record, ended_by) for record in unsent):
                key, covers, content_type = (
                    segment_key(run_id, unsent[0]["number"], unsent[-1]["number"]),
                    unsent[-1]["number"],
                    SEGMENT_TYPE,
                )
                body = segment_body(uploaded_record(record) for record in merged(unsent))
            else:
                return False
            try:
                remote.put_bytes(key, body, content_type, ENCODING)
            except (ClientError, BotoCoreError) as err:
                log.warning("journal %s not saved in %s: %s", run_id, remote.region, err)
                return True
            with self._lock:
                if doc is not None:
                    self._document_uploaded.add(run_id)
                self._unsent[run_id] = [r for r in self._unsent.get(run_id, ()) if r["number"] > covers]
            return True
        finally:
            self._upload.release()

    def load(self, run_id: str) -> Journal | None:
        """The journal of ``run_id`` (checked to be a run id first), local or remote; None when there is none.

        JournalUnreadable when the one found is not valid JSON or not a journal."""
        path = self.local_dir / f"{check_run_id(run_id)}.json"
        if path.exists():
            return self._with_local_records(_read_local(path))
        if self.remote is not None:
            listed = self.remote.keys(segments_prefix(run_id))  # first: a document read after is never older
            return self._remote_journal(self.key(run_id), listed)
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
                listed = self.remote.keys(JOURNALS_PREFIX)  # the documents, and the segments of their records
            except (ClientError, BotoCoreError):
                listed = []
            documents = [k for k in listed if "/" not in k[len(JOURNALS_PREFIX) :]]
            if documents:
                try:
                    journal = self._remote_journal(max(documents), listed)
                    if journal is not None:
                        candidates.append((journal, True))
                except JournalUnreadable as err:
                    log.warning("skipped: %s", err.message)
        for journal, remote in sorted(candidates, key=lambda c: c[0].started_at, reverse=True):
            try:
                return journal if remote else self._with_local_records(journal)
            except JournalUnreadable as err:
                log.warning("skipped: %s", err.message)
        return None

    def _remote_journal(self, key: str, listed: list[str]) -> Journal | None:
        """The control store's document at ``key`` with the records of its segments among ``listed`` (keys
        listed before the document was read) applied; None when there is no document."""
        remote = self.remote
        assert remote is not None
        where = f"s3://{remote.bucket}/"
        try:
            doc = remote.get(key)
        except ValueError as err:
            raise JournalUnreadable(f"{where}{key}", f"not valid JSON ({err})") from err
        if doc is None:
            return None
        journal = Journal.parse(doc, f"{where}{key}")
        run_id = key[len(JOURNALS_PREFIX) : -len(".json")]
        return with_segments(journal, segments_after(listed, run_id, journal.step_records), remote.get_bytes, where)

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


def _ends_step(record: dict[str, Any], by: float | None = None) -> bool:
    """Whether a record ends a step (done, failed, not run; by ``by`` when it says when) or is a run record."""
    if "run" in record:
        return True
    fields = record["set"]
    ended_at = fields.get("ended_at")
    if fields.get("status") in (None, "pending", "running"):
        return False
    return by is None or not isinstance(ended_at, (int, float)) or ended_at <= by


def _read_local(path: Path) -> Journal:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise JournalUnreadable(str(path), str(err)) from err
    except ValueError as err:
        raise JournalUnreadable(str(path), f"not valid JSON ({err})") from err
    return Journal.parse(doc, str(path))
