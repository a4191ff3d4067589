"""One run at a time, across both regions: a lease in the lock tables, kept alive by a heartbeat.

Every mutating command (provision, failover, failback, drill) holds the run lock while it changes anything:

- It is acquired in one region, the *authoritative* one — the region the run activates (for provision, the current
  primary's region) — and refused there when held by a live run. It is then *mirrored* in the other region, best
  effort: every call there is time-boxed, an unreachable region is skipped, and a mirror held by another live run
  refuses this run (its authoritative item is released). So a failover (authoritative in the standby region) and a
  failback (authoritative in the primary region) cannot run at once while both regions answer.
- A lease by observation, never judged by a clock of the holder's: while the run lives, a heartbeat thread increments
  the item's ``beat`` (a conditional write on the holder's ``token``) every ``ttl/4`` seconds (at most 15 s). A
  contender that finds the lock held reads (token, beat), then watches it on its *own monotonic clock*: when it changes,
  the holder is alive and the contender refuses (LockHeld, exit 8); when it stays unchanged for the holder's declared
  ``ttl_seconds``, the holder is gone and the contender takes the item over with a compare-and-swap on (token, beat),
  so that of two contenders only one wins. Wall-clock fields (``acquired_at``, ``beat_at``) are shown, never judged.
  A holder found gone in one region is gone in the other (one process beats both): its item there is taken over at
  once, so a run resumed after a crash waits out one lease, not one per region.
- A holder whose process has ended on this machine is gone at once. The item names the holder's pid, when that
  process started and where that pid means something (the kernel's boot id and pid namespace:
  ``standby.processes``). A contender in the same namespace that finds no such process (or the pid reused, or a
  zombie) takes the item over with the same compare-and-swap, without watching a lease: a run killed outright
  (SIGKILL, the OOM killer) and resumed on the same machine goes on at once. Anywhere else (another machine, another
  container) the lease decides.
- A lock whose run has finished is free at once: when the journal it names (the run's own; a drill names its
  restore) says complete, failed, refused or paused — a crash between the final journal save and the delete. The
  item keeps the ``mark`` (status@ended_at) that journal had when the lock was taken, so a resumed attempt of a run
  whose earlier attempt had failed is not mistaken for finished before it has saved its journal again.
- The token is unique per acquisition: a resumed attempt of the same run id is another holder; a holder that was
  taken over finds its heartbeat refused (``lost``) and its release deletes nothing of the new holder's.

``[lock] ttl_seconds`` (default 60) sets the lease; ``STANDBY_LOCK_TTL_SECONDS`` overrides it (tests use a small one).
``standby unlock RUN_ID`` releases a run's lock in both regions by hand.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from standby import processes
from standby.aws import dynamodb
from standby.aws.budget import Budget
from standby.aws.errors import error_code
from standby.errors import LockHeld, UsageError
from standby.state.store import ControlStore

log = logging.getLogger(__name__)

LOCK_ID = "run"
DEFAULT_TTL_SECONDS = 60.0
MIN_TTL_SECONDS = 1.0
MAX_TTL_SECONDS = 3600.0
TTL_ENV = "STANDBY_LOCK_TTL_SECONDS"
# A beat every quarter of the lease: four chances to land within it. The default 60 s lease beats every 15 s, so a
# contender is refused within 15 s, and a failover of ten minutes makes about 40 beats per region.
MAX_BEAT_INTERVAL_SECONDS = 15.0
# Real seconds a heartbeat waits per second of its interval before it looks at the lock's clock (``monotonic``):
# 1, except under a benchmark whose clock runs faster than real time, which makes it small, so that a run beats
# once per interval of its own clock, as often as it would on AWS.
BEAT_WAIT_SCALE = 1.0
MIRROR_CALL_TIMEOUT_SECONDS = 5.0  # every call to the other region answers within this, or that region is skipped
FINISHED = ("complete", "failed", "refused", "paused")  # a paused run is not running

AWS_ERRORS = (ClientError, BotoCoreError)
T = TypeVar("T")

# A run's finished mark ("status@ended_at") when its journal says it finished; None when running or not found.
JournalMark = Callable[[str], "str | None"]


def effective_ttl(configured: float) -> float:
    """The lease: ``STANDBY_LOCK_TTL_SECONDS`` when set, else ``[lock] ttl_seconds``."""
    text = os.environ.get(TTL_ENV, "").strip()
    if not text:
        return configured
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not MIN_TTL_SECONDS <= value <= MAX_TTL_SECONDS:
        raise UsageError(
            f"{TTL_ENV}={text!r}: expected a number of seconds from {MIN_TTL_SECONDS:g} to {MAX_TTL_SECONDS:g}"
        )
    return value


def finished_mark(status: str, ended_at: float | None) -> str | None:
    return f"{status}@{ended_at}" if status in FINISHED else None


def beat_interval(ttl_seconds: float) -> float:
    return min(ttl_seconds / 4, MAX_BEAT_INTERVAL_SECONDS)


def _clock_text(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(seconds))


def _float(text: str | None, default: float) -> float:
    try:
        return float(text) if text else default
    except ValueError:
        return default


@dataclass(frozen=True)
class Holder:
    """Who holds the lock in one region, as its item says."""

    run_id: str
    operator: str
    token: str
    acquired_at: float  # the holder's wall clock: shown, never judged
    beat: int
    beat_at: float  # the holder's wall clock at its last beat
    ttl_seconds: float
    journal: str  # the run whose journal, once finished, frees the lock
    mark: str
    pid: int = 0
    namespace: str = ""  # where the pid means something (``processes.namespace``); "" when unknown
    started: str = ""  # when that process started (``processes.start``)

    @classmethod
    def from_item(cls, item: dict[str, str]) -> Holder:
        acquired = _float(item.get("acquired_at"), 0.0)
        ttl = _float(item.get("ttl_seconds"), DEFAULT_TTL_SECONDS)
        return cls(
            run_id=item.get("holder", "?"),
            operator=item.get("operator", "?"),
            token=item.get("token", ""),
            acquired_at=acquired,
            beat=int(_float(item.get("beat"), 0)),
            beat_at=_float(item.get("beat_at"), acquired),
            ttl_seconds=min(max(ttl, MIN_TTL_SECONDS), MAX_TTL_SECONDS),
            journal=item.get("journal") or item.get("holder", ""),
            mark=item.get("mark", ""),
            pid=int(_float(item.get("pid"), 0)),
            namespace=item.get("namespace", ""),
            started=item.get("started", ""),
        )

    def has_ended_here(self, namespace: str | None) -> bool:
        """Whether the holder's process ran in ``namespace`` (this process's) and has ended there."""
        return bool(namespace) and self.namespace == namespace and processes.has_ended(self.pid, self.started)

    def describe(self) -> str:
        return (
            f"run {self.run_id} by {self.operator} since {_clock_text(self.acquired_at)}, beat {self.beat} "
            f"at {_clock_text(self.beat_at)} (the holder's clock), lease {self.ttl_seconds:g}s"
        )


class Unreachable(Exception):
    """The other region did not answer in time (or answered with an error): the mirror is skipped."""


def bounded(fn: Callable[[], T], seconds: float = MIRROR_CALL_TIMEOUT_SECONDS) -> T:
    """``fn()`` within a time budget, for calls to a region that may be down; Unreachable when it has no answer."""
    try:
        return Budget(seconds, "the run lock in a region that may be down").run(fn)
    except AWS_ERRORS as err:
        raise Unreachable(str(err)) from err


def _direct(fn: Callable[[], T]) -> T:
    return fn()


Call = Callable[[Callable[[], Any]], Any]


class _Heartbeat(threading.Thread):
    def __init__(self, lock: RunLock, store: ControlStore, call: Call) -> None:
        super().__init__(daemon=True, name=f"lock-heartbeat-{store.region}")
        self.lock = lock
        self.store = store
        self.call = call
        self.stopped = threading.Event()
        self.lost = False
        self.beat = 0

    def run(self) -> None:
        client = self.store.dynamodb()
        interval = beat_interval(self.lock.ttl_seconds)
        due = self.lock.monotonic() + interval
        while not self.stopped.wait(interval * BEAT_WAIT_SCALE):
            now = self.lock.monotonic()
            if now < due - 0.05 * interval:  # the lock's clock has not moved on a whole interval yet (a bench's)
                continue
            due = now + interval
            self.beat += 1
            changes = {"beat": str(self.beat), "beat_at": f"{self.lock.wall():.3f}"}
            try:
                kept = self.call(
                    partial(
                        dynamodb.update_if, client, self.store.lock_table, LOCK_ID, changes, {"token": self.lock.token}
                    )
                )
            except (*AWS_ERRORS, Unreachable) as err:
                log.warning("lock heartbeat in %s failed (will retry): %s", self.store.region, err)
                continue
            if not kept:
                self.lost = True
                log.error(
                    "run %s lost the run lock in %s: another run took it over (this run's heartbeat had stopped "
                    "for longer than the lease)",
                    self.lock.run_id,
                    self.store.region,
                )
                return


@dataclass
class RunLock:
    """The run lock of ``run_id``: authoritative in ``store``'s region, mirrored in ``mirror``'s when it answers."""

    store: ControlStore
    run_id: str
    operator: str
    ttl_seconds: float = DEFAULT_TTL_SECONDS
    mirror: ControlStore | None = None
    journal_mark: JournalMark | None = None
    journal: str | None = None  # the run whose finished journal frees this lock (default: run_id)
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    wall: Callable[[], float] = time.time
    token: str = field(default_factory=lambda: secrets.token_hex(8))
    namespace: str | None = field(default_factory=processes.namespace)  # where this process's pid means something
    mirrored: bool = field(default=False, init=False)
    _beats: list[_Heartbeat] = field(default_factory=list, init=False, repr=False)
    # Tokens of holders this acquisition found gone (no beat for their lease, their run finished, their process
    # ended on this machine): the same holder's item in the other region is taken over at once, not watched for a
    # second lease.
    _gone: set[str] = field(default_factory=set, init=False, repr=False)

    @property
    def lost(self) -> bool:
        """True when another run took the lock over while this one held it (its heartbeat had stopped)."""
        return any(b.lost for b in self._beats)

    def acquire(self) -> None:
        """Take the lock in the authoritative region, then mirror it in the other; LockHeld when a live run has it."""
        mark = self._mark(self.journal or self.run_id) or ""
        item = {
            "holder": self.run_id,
            "operator": self.operator,
            "token": self.token,
            "acquired_at": f"{self.wall():.3f}",
            "beat": "0",
            "beat_at": f"{self.wall():.3f}",
            "ttl_seconds": f"{self.ttl_seconds:g}",
            "journal": self.journal or self.run_id,
            "mark": mark,
            "pid": str(os.getpid()),
            "namespace": self.namespace or "",
            "started": processes.start(os.getpid()) if self.namespace else "",
        }
        self._take(self.store, item, _direct)
        self._start_heartbeat(self.store, _direct)
        if self.mirror is None:
            return
        mirror = self.mirror
        try:
            self._take(mirror, item, bounded)
        except Unreachable as err:
            log.warning(
                "the run lock is not mirrored in %s (unreachable: %s); %s is authoritative",
                mirror.region,
                err,
                self.store.region,
            )
            return
        except LockHeld:
            self.release()
            raise
        self.mirrored = True
        self._start_heartbeat(mirror, bounded)

    def release(self) -> None:
        """Stop the heartbeat and delete this holder's items (never another holder's); failures are logged."""
        for beat in self._beats:
            beat.stopped.set()
        for beat in self._beats:
            beat.join(timeout=MIRROR_CALL_TIMEOUT_SECONDS)
        self._beats.clear()
        mine = {"token": self.token}
        try:
            dynamodb.delete_if(self.store.dynamodb(), self.store.lock_table, LOCK_ID, mine)
        except AWS_ERRORS as err:
            log.warning(
                "the run lock in %s was not released (%s); it is free once its heartbeat is stale (%gs), or "
                "`standby unlock %s`",
                self.store.region,
                err,
                self.ttl_seconds,
                self.run_id,
            )
        if self.mirror is not None and self.mirrored:
            mirror = self.mirror
            try:
                bounded(lambda: dynamodb.delete_if(mirror.dynamodb(), mirror.lock_table, LOCK_ID, mine))
            except Unreachable as err:
                log.warning("the run lock's mirror in %s was not released: %s", mirror.region, err)
            self.mirrored = False

    # -- internals --------------------------------------------------------------------------------------------

    def _mark(self, run_id: str) -> str | None:
        if self.journal_mark is None or not run_id:
            return None
        resolve = self.journal_mark
        try:
            return bounded(lambda: resolve(run_id))
        except Unreachable as err:
            log.warning("the journal of run %s could not be read: %s", run_id, err)
            return None

    def _take(self, store: ControlStore, item: dict[str, str], call: Call) -> None:
        client = store.dynamodb()
        table = store.lock_table
        observed: tuple[str, int] | None = None
        since = 0.0
        while True:
            # The lock table (and the bucket) are created by the first put that finds them missing.
            if call(lambda: store.ensuring(lambda: dynamodb.put_if_absent(client, table, LOCK_ID, item))):
                return
            current = call(lambda: dynamodb.get_item(client, table, LOCK_ID))
            if current is None:
                continue  # released between the two calls
            holder = Holder.from_item(current)
            if holder.token == self.token:
                return  # ours already: an earlier put whose answer was lost
            if holder.token and holder.token in self._gone:
                why = f"the same holder was found gone in {self.store.region}"
                if self._take_over(store, item, current, call, why):
                    return
                observed = None
                continue
            mark = self._mark(holder.journal)
            if mark is not None and mark != holder.mark:
                if self._take_over(store, item, current, call, f"its run finished ({mark.split('@')[0]})"):
                    return
                observed = None
                continue
            if holder.has_ended_here(self.namespace):
                why = f"its process (pid {holder.pid}) on this machine has ended"
                if self._take_over(store, item, current, call, why):
                    return
                observed = None
                continue
            seen = (holder.token, holder.beat)
            if observed is None:
                observed, since = seen, self.monotonic()
                log.warning(
                    "the run lock in %s is held by %s; watching its heartbeat for up to %gs",
                    store.region,
                    holder.describe(),
                    holder.ttl_seconds,
                )
            elif seen != observed:
                raise LockHeld(
                    f"another run holds the run lock in {store.region}: {holder.describe()}; its heartbeat is live",
                    hint="wait for it to finish (`standby status` shows the last run); a crashed run's lock is free "
                    f"{holder.ttl_seconds:g}s after its last beat; `standby unlock {holder.run_id}` releases it",
                )
            elif self.monotonic() - since >= holder.ttl_seconds:
                if self._take_over(store, item, current, call, f"no heartbeat for {holder.ttl_seconds:g}s"):
                    return
                observed = None
                continue
            self.sleep(min(holder.ttl_seconds / 8, 1.0))

    def _take_over(
        self, store: ControlStore, item: dict[str, str], current: dict[str, str], call: Call, why: str
    ) -> bool:
        """Replace ``current`` (a holder found gone, for ``why``) with ``item``, unless it changed since it was read
        (a compare-and-swap on its token and beat: of two contenders, one wins). Its holder is then remembered as
        gone, for its item in the other region."""
        expected = {"token": current.get("token"), "beat": current.get("beat")}
        if not call(partial(dynamodb.replace_if, store.dynamodb(), store.lock_table, LOCK_ID, item, expected)):
            return False
        holder = Holder.from_item(current)
        self._gone.add(holder.token)
        log.warning("took over the run lock in %s from run %s: %s", store.region, holder.run_id, why)
        return True

    def _start_heartbeat(self, store: ControlStore, call: Call) -> None:
        beat = _Heartbeat(self, store, call)
        self._beats.append(beat)
        beat.start()


def read_holder(store: ControlStore) -> Holder | None:
    """Who holds the lock in ``store``'s region (None: free, or no lock table yet)."""
    try:
        item = dynamodb.get_item(store.dynamodb(), store.lock_table, LOCK_ID)
    except ClientError as err:
        if error_code(err) == "ResourceNotFoundException":
            return None
        raise
    return Holder.from_item(item) if item else None


def force_release(store: ControlStore, run_id: str) -> bool:
    """Delete ``run_id``'s lock in ``store``'s region whatever its heartbeat says; True when one was deleted."""
    try:
        return dynamodb.delete_if(store.dynamodb(), store.lock_table, LOCK_ID, {"holder": run_id})
    except ClientError as err:
        if error_code(err) == "ResourceNotFoundException":
            return False
        raise
