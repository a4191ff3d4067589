"""A scaled clock for benchmarks: simulated waits pass as short real sleeps, so concurrent waits overlap.

``ScaledClock`` implements standby.clock.Clock: ``now()`` is in simulated seconds, and ``sleep(s)`` blocks until
the simulated time has advanced by ``s``. The simulated time advances with the real time in three regimes:

- idle (no thread of the process is using the CPU): ``real / real_per_sim`` — a simulated wait of 30 s takes
  ``30 * real_per_sim`` real seconds, and threads that wait at the same time overlap exactly as on AWS;
- busy (the process uses CPU outside ``instant()``: standby's own work): 1:1, so that real work is not magnified;
- frozen (some thread is inside ``instant()``: the emulator answering a call): not at all, because the emulator's
  CPU is not AWS latency (the latency model sleeps for that).

Busy and idle time are told apart with the process's CPU clock, per interval between two readings of the clock:
an interval in which the process used the CPU at least half of the time counts as busy as a whole, so that the
short gaps of a CPU-bound process (threads handing the GIL over, the scheduler) are not magnified as if idle.
Sleepers wait on an Event each; one timer thread wakes them when the simulated time reaches their deadline, never
while the clock is frozen.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

BUSY_THRESHOLD = 0.5


def busy_part(real_delta: float, cpu_delta: float) -> float:
    """How much of an interval counts as busy: all of it when the CPU was used at least half of the time."""
    if real_delta <= 0:
        return 0.0
    busy = min(max(cpu_delta, 0.0), real_delta)
    return real_delta if busy >= BUSY_THRESHOLD * real_delta else busy


def advance(sim: float, real_delta: float, cpu_delta: float, real_per_sim: float, frozen: bool) -> float:
    """The simulated time after ``real_delta`` real seconds in which the process used ``cpu_delta`` of CPU."""
    if frozen or real_delta <= 0:
        return sim
    busy = busy_part(real_delta, cpu_delta)
    return sim + busy + (real_delta - busy) / real_per_sim


class _Local(threading.local):
    def __init__(self) -> None:
        self.depth = 0  # instant blocks this thread is in


class ScaledClock:
    def __init__(
        self,
        real_per_sim: float,
        *,
        start: float | None = None,
        monotonic: Callable[[], float] = time.perf_counter,
        process_cpu: Callable[[], float] = time.process_time,
    ) -> None:
        if real_per_sim <= 0:
            raise ValueError("real_per_sim must be positive")
        self.real_per_sim = real_per_sim
        self._monotonic = monotonic
        self._process_cpu = process_cpu
        self._cond = threading.Condition()
        self._sim = time.time() if start is None else start  # the simulated time at the last mark
        self._mark = monotonic()
        self._cpu_mark = process_cpu()
        self._frozen = 0  # threads inside an instant block
        self.frozen_real_seconds = 0.0  # real time during which the clock stood still
        self.busy_seconds = 0.0  # CPU time counted 1:1
        self._heap: list[tuple[float, int, threading.Event]] = []
        self._seq = itertools.count()
        self._local = _Local()
        self._timer: threading.Thread | None = None
        self._closed = False

    # -- time -------------------------------------------------------------------------------------------------

    def _advance(self) -> float:
        """Bring the simulated time up to date (the caller holds the condition's lock)."""
        real, cpu = self._monotonic(), self._process_cpu()
        real_delta, cpu_delta = real - self._mark, cpu - self._cpu_mark
        if self._frozen:
            self.frozen_real_seconds += max(real_delta, 0.0)
        else:
            self.busy_seconds += busy_part(real_delta, cpu_delta)
        self._sim = advance(self._sim, real_delta, cpu_delta, self.real_per_sim, self._frozen > 0)
        self._mark, self._cpu_mark = real, cpu
        return self._sim

    def now(self) -> float:
        with self._cond:
            return self._advance()

    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if self._local.depth:
            raise RuntimeError("sleep() inside clock.instant(): the clock is frozen, it would never wake")
        event = threading.Event()
        with self._cond:
            self._ensure_timer()
            heapq.heappush(self._heap, (self._advance() + seconds, next(self._seq), event))
            self._cond.notify_all()
        event.wait()

    @contextmanager
    def instant(self) -> Iterator[None]:
        """Run the block in zero simulated time (the clock stands still for every thread meanwhile)."""
        self._local.depth += 1
        with self._cond:
            self._advance()
            self._frozen += 1
        try:
            yield
        finally:
            with self._cond:
                self._advance()
                self._frozen -= 1
                self._cond.notify_all()
            self._local.depth -= 1

    # -- the timer --------------------------------------------------------------------------------------------

    def _ensure_timer(self) -> None:
        if self._timer is None:
            self._timer = threading.Thread(target=self._run_timer, name="scaled-clock", daemon=True)
            self._timer.start()

    def _run_timer(self) -> None:
        with self._cond:
            while not self._closed:
                if not self._heap or self._frozen:
                    self._cond.wait()
                    continue
                now = self._advance()
                deadline = self._heap[0][0]
                if deadline <= now:
                    while self._heap and self._heap[0][0] <= now:
                        heapq.heappop(self._heap)[2].set()
                    continue
                # Idle time advances the clock fastest, so this never overshoots; after busy time, wait again.
                self._cond.wait(timeout=(deadline - now) * self.real_per_sim)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            for _, _, event in self._heap:
                event.set()
            self._heap.clear()
            self._cond.notify_all()
        if self._timer is not None:
            self._timer.join(timeout=5)
