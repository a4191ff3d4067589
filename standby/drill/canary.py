"""The write-marker canary: how much data a promotion would lose, measured end to end on S3 replication.

During a drill a background thread writes a timestamped marker (``{prefix}{run_id}/{seq:06d}.json`` holding
``written_at``) to the primary side's bucket every ``interval_seconds`` of the injected clock, and watches the
standby side's bucket (its replica) for the markers that have arrived, noting when each was first seen.
``observe(at)`` answers with the newest marker that had reached the standby by ``at``: the data written after it
would be lost by a promotion at ``at``, so the estimate is ``at - written_at``. ``stop()`` ends the thread and
deletes every marker (every version) from both buckets.

A simulated clock may drive ``tick()`` itself (the tests do): ticks are serialised, so the thread and a driver
never write the same marker twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from standby.aws import s3
from standby.aws.session import SessionFactory
from standby.clock import Clock
from standby.config.schema import CanarySettings, Config
from standby.drill.fingerprint import Difference
from standby.failover.observe import AWS_ERRORS
from standby.state.roles import Assignment

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Marker:
    """One canary write: its key and when it was written (the RPO estimate's evidence)."""

    key: str
    written_at: float

    @classmethod
    def arrived(cls, key: str, document: Any) -> Marker | None:
        """The marker as the document that arrived under ``key`` says it (its own timestamp, not what was meant to
        be written); None when the document is not a marker."""
        if not isinstance(document, dict) or "written_at" not in document:
            return None
        return cls(key, float(document["written_at"]))


@dataclass(frozen=True)
class CanaryReading:
    """What the canary saw at one moment: its data-loss estimate and the evidence behind it."""

    at: float | None  # the moment judged (the promotion), None when there was none
    estimate_seconds: float | None  # at - newest replicated marker's written_at; None when none had arrived
    newest_replicated: Marker | None
    written: int
    replicated: int
    primary_bucket: str
    standby_bucket: str
    problem: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "estimate_seconds": None if self.estimate_seconds is None else round(self.estimate_seconds, 3),
            "newest_replicated_key": self.newest_replicated.key if self.newest_replicated else None,
            "newest_replicated_written_at": self.newest_replicated.written_at if self.newest_replicated else None,
            "markers_written": self.written,
            "markers_replicated": self.replicated,
            "primary_bucket": self.primary_bucket,
            "standby_bucket": self.standby_bucket,
            "problem": self.problem,
        }


class Canary:
    def __init__(
        self,
        sessions: SessionFactory,
        settings: CanarySettings,
        *,
        primary: tuple[str, str],  # (region, bucket)
        standby: tuple[str, str],
        run_id: str,
        clock: Clock,
        poll_seconds: float = 1.0,
    ) -> None:
        self.settings = settings
        self.primary_region, self.primary_bucket = primary
        self.standby_region, self.standby_bucket = standby
        self.run_id = run_id
        self.clock = clock
        self.poll_seconds = poll_seconds
        self.run_prefix = f"{settings.prefix}{run_id}/"
        self._writer = sessions.client("s3", self.primary_region)
        self._reader = sessions.client("s3", self.standby_region)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._seq = 0
        self._next_due: float | None = None
        self._written: dict[str, Marker] = {}
        self._arrived: dict[str, tuple[float, Marker]] = {}  # key -> (first seen at, marker as read there)
        self.problem: str | None = None

    @classmethod
    def for_drill(
        cls, config: Config, sessions: SessionFactory, assignment: Assignment, run_id: str, clock: Clock
    ) -> Canary | None:
        """The configured canary for a drill between the current primary and standby, or None."""
        settings = config.drill.canary
        if settings is None:
            return None
        project = config.project.name
        return cls(
            sessions,
            settings,
            primary=(assignment.primary, settings.bucket("primary", project=project, region=assignment.primary)),
            standby=(assignment.standby, settings.bucket("standby", project=project, region=assignment.standby)),
            run_id=run_id,
            clock=clock,
        )

    # -- running ------------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Write the first marker now (a failure shows at once), then keep writing from a background thread."""
        self.tick()
        self._thread = threading.Thread(target=self._loop, name=f"canary-{self.run_id}", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                self.tick()
            except AWS_ERRORS as err:
                self._note_problem(f"canary tick failed: {err}")

    def tick(self) -> None:
        """Write a marker when one is due on the clock (never once stopped), then note the markers that have
        reached the standby."""
        with self._lock:
            now = self.clock.now()
            if not self._stop.is_set() and (self._next_due is None or now >= self._next_due):
                self._write(now)
                self._next_due = now + self.settings.interval_seconds
            self._poll(now)

    def _write(self, now: float) -> None:
        key = f"{self.run_prefix}{self._seq:06d}.json"
        document = {"run_id": self.run_id, "seq": self._seq, "written_at": now, "region": self.primary_region}
        s3.put_json(self._writer, self.primary_bucket, key, document)
        self._written[key] = Marker(key, now)
        self._seq += 1

    def _poll(self, now: float) -> None:
        fresh = [k for k in s3.list_keys(self._reader, self.standby_bucket, self.run_prefix) if k not in self._arrived]
        for key in fresh:
            marker = Marker.arrived(key, s3.get_json(self._reader, self.standby_bucket, key))
            if marker is not None:
                self._arrived[key] = (now, marker)

    def wait_replicated(self, timeout: float) -> bool:
        """Before the measured part: wait (on the clock) until the first marker reaches the standby bucket."""
        deadline = self.clock.now() + timeout
        while True:
            with self._lock:
                self._poll(self.clock.now())
                if self._arrived:
                    return True
            remaining = deadline - self.clock.now()
            if remaining <= 0:
                return False
            self.clock.sleep(min(self.settings.interval_seconds, remaining))

    def _note_problem(self, problem: str) -> None:
        log.warning("%s", problem)
        with self._lock:
            self.problem = self.problem or problem

    # -- judging ------------------------------------------------------------------------------------------------

    def observe(self, at: float | None) -> CanaryReading:
        """The canary's data-loss estimate for a promotion at ``at``: ``at`` minus the newest marker's written_at
        among those present in the standby bucket by then (None when none had arrived)."""
        with self._lock:
            now = self.clock.now()
            if at is not None and at >= now and not self._stop.is_set():
                try:
                    self._poll(now)
                except AWS_ERRORS as err:
                    self.problem = self.problem or f"canary read failed: {err}"
            newest: Marker | None = None
            if at is not None:
                present = [m for seen, m in self._arrived.values() if seen <= at]
                newest = max(present, key=lambda m: m.written_at, default=None)
            return CanaryReading(
                at=at,
                estimate_seconds=None if newest is None or at is None else max(0.0, at - newest.written_at),
                newest_replicated=newest,
                written=len(self._written),
                replicated=len(self._arrived),
                primary_bucket=self.primary_bucket,
                standby_bucket=self.standby_bucket,
                problem=self.problem,
            )

    # -- ending -------------------------------------------------------------------------------------------------

    def stop(self, drain_timeout: float | None = None) -> list[Difference]:
        """End the thread, wait (bounded) for the markers still in flight, then delete every marker (every
        version) from both buckets. Answers what is left: markers that could not be deleted, and markers that never
        arrived and so may still be replicated later."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=max(5.0, self.poll_seconds * 5))
        timeout = self.settings.warmup_timeout_seconds if drain_timeout is None else drain_timeout
        deadline = self.clock.now() + timeout
        missing: list[str] = []
        while True:
            with self._lock:
                try:
                    self._poll(self.clock.now())
                    readable = True
                except AWS_ERRORS as err:
                    log.warning("canary: the standby bucket %s unreadable: %s", self.standby_bucket, err)
                    readable = False
                missing = sorted(set(self._written) - set(self._arrived))
            remaining = deadline - self.clock.now()
            if not missing or not readable or remaining <= 0:
                break
            self.clock.sleep(min(self.settings.interval_seconds, remaining))
        left: list[Difference] = []
        with self._lock:
            for client, bucket in ((self._writer, self.primary_bucket), (self._reader, self.standby_bucket)):
                try:
                    s3.delete_all_versions(client, bucket, self.run_prefix)
                    keys = s3.list_keys(client, bucket, self.run_prefix)
                    left.extend(Difference(f"s3://{bucket}/{k}", None, "canary marker") for k in keys)
                except AWS_ERRORS as err:
                    log.warning("canary markers in %s not deleted: %s", bucket, err)
                    left.append(Difference(f"s3://{bucket}/{self.run_prefix}", None, f"canary markers: {err}"))
        left.extend(
            Difference(f"s3://{self.standby_bucket}/{k}", None, "canary marker in flight: may still be replicated")
            for k in missing
        )
        return left


CanaryFactory = Callable[[Config, SessionFactory, Assignment, str, Clock], "Canary | None"]
