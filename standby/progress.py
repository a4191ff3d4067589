"""Progress events from orchestration to whoever shows them (the CLI prints them to stderr).

Every line reads the same for every step: ``[us-west-2] scale-out … complete (41s)``.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    scope: str  # a region, "global", or the run
    step: str  # the step slug: plan, apply, promote-db, scale-out ...
    status: str  # started, complete, skipped, failed, or a short free-form state
    seconds: float | None = None
    detail: str = ""

    def line(self) -> str:
        text = f"[{self.scope}] {self.step} … {self.status}"
        if self.detail:
            text += f": {self.detail}"
        if self.seconds is not None:
            text += f" ({self.seconds:.1f}s)"
        return text


Reporter = Callable[[Event], None]


def silent(_: Event) -> None:
    """A reporter that shows nothing."""


class StreamReporter:
    """Writes one line per event to a stream (stderr by default), thread-safe.

    A stream that can no longer be written (its terminal closed: EIO; a closed pipe) is given up, logged once: the
    steps that report go on, since what they do never depends on being shown."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream: TextIO | None = stream or sys.stderr
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        with self._lock:
            if self.stream is None:
                return
            try:
                print(event.line(), file=self.stream, flush=True)
            except (OSError, ValueError) as err:  # ValueError: written after it was closed
                self.stream = None
                log.warning("progress is no longer shown (%s: %s); the run goes on", type(err).__name__, err)


class RecordingReporter:
    """Keeps every event; for tests and for journals."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)
