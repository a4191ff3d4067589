"""Modelled time: the clock the emulator's modelled latencies (promotion, Route53 propagation) run on.

One modelled second takes ``scale`` real seconds: a scale of 0.02 runs a 60 s promotion in 1.2 s. Changing
the scale keeps the modelled time reached so far, so work in flight continues at the new pace.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

DEFAULT_SCALE = 1.0
MIN_SCALE = 0.0001
MAX_SCALE = 100.0


def valid_scale(value: float) -> float:
    scale = float(value)
    if not MIN_SCALE <= scale <= MAX_SCALE:
        raise ValueError(f"time scale must be between {MIN_SCALE} and {MAX_SCALE}, not {value}")
    return scale


class ModelledClock:
    def __init__(self, scale: float = DEFAULT_SCALE, real: Callable[[], float] = time.monotonic) -> None:
        self._real = real
        self._lock = threading.Lock()
        self._scale = valid_scale(scale)
        self._base_real = real()
        self._base_modelled = 0.0

    @property
    def scale(self) -> float:
        with self._lock:
            return self._scale

    def set_scale(self, scale: float) -> None:
        new = valid_scale(scale)
        with self._lock:
            now = self._real()
            self._base_modelled += (now - self._base_real) / self._scale
            self._base_real = now
            self._scale = new

    def now(self) -> float:
        """Modelled seconds since the emulator started."""
        with self._lock:
            return self._base_modelled + (self._real() - self._base_real) / self._scale
