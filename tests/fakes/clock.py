"""FakeClock: time that moves only when the code under test sleeps (or the test advances it)."""

from __future__ import annotations

import threading
import time


class FakeClock:
    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def now(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self._now += seconds

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


class PacedClock(FakeClock):
    """A FakeClock whose sleeps also let a little real time pass (1/200 of the slept seconds, at most 50 ms), so
    that what the emulator models in real time (a promotion, a snapshot) ends while standby's waits poll on fake
    time."""

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        time.sleep(min(seconds / 200, 0.05))
