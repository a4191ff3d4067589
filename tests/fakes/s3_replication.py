"""LaggingReplicator: S3 cross-region replication with a lag, on a fake clock (the emulator copies nothing).

``pump()`` notes when it first sees each object under the prefix in the source bucket and copies the objects it
has seen for at least ``lag_seconds`` (on the clock) to the destination bucket, once each. Deletions are not
replicated (like a replication rule with ``delete_marker_replication = "Disabled"``).

SteppingClock: a FakeClock whose sleeps advance in steps and call listeners after each step, so a pump (or a
canary's tick) runs at every simulated second instead of only when a test remembers to call it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from tests.fakes.clock import FakeClock


class LaggingReplicator:
    def __init__(
        self,
        source: Any,  # an S3 client in the source bucket's region
        source_bucket: str,
        destination: Any,
        destination_bucket: str,
        *,
        prefix: str,
        lag_seconds: float,
        clock: FakeClock,
    ) -> None:
        self.source, self.source_bucket = source, source_bucket
        self.destination, self.destination_bucket = destination, destination_bucket
        self.prefix = prefix
        self.lag_seconds = lag_seconds
        self.clock = clock
        self.first_seen: dict[str, float] = {}
        self.copied: dict[str, float] = {}  # key -> when it was copied
        self._lock = threading.Lock()

    def pump(self) -> list[str]:
        """Copy what is due now; answers the keys copied by this pump."""
        with self._lock:
            now = self.clock.now()
            paginator = self.source.get_paginator("list_objects_v2")
            keys = [
                o["Key"]
                for page in paginator.paginate(Bucket=self.source_bucket, Prefix=self.prefix)
                for o in page.get("Contents") or []
            ]
            done: list[str] = []
            for key in sorted(keys):
                seen = self.first_seen.setdefault(key, now)
                if key in self.copied or now - seen < self.lag_seconds:
                    continue
                body = self.source.get_object(Bucket=self.source_bucket, Key=key)["Body"].read()
                self.destination.put_object(Bucket=self.destination_bucket, Key=key, Body=body)
                self.copied[key] = now
                done.append(key)
            return done


class SteppingClock(FakeClock):
    def __init__(self, start: float, *, step: float = 1.0) -> None:
        super().__init__(start)
        self.step = step
        self.listeners: list[Callable[[], object]] = []

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
        left = seconds
        while left > 0:
            moved = min(self.step, left)
            self.advance(moved)
            left -= moved
            for listener in list(self.listeners):
                listener()
