"""Where Terraform's progress is shown: a stream (stderr), plain or live.

Plain (a file, a pipe, CI): one line per start, "still creating" count, completion and warning. Live (a terminal):
completions and warnings scroll as lines, and below them a status block — one line per resource in flight in every
workspace running at that moment, its elapsed time ticking — is redrawn in place. Anything else standby prints to
the same terminal goes through ``above`` so that it lands above the block instead of inside it.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

from standby.terraform.progress import Tracker, UiEvent

TICK_SECONDS = 1.0
_CLEAR_LINE = "\x1b[2K"
_UP = "\x1b[1A"


def is_live_terminal(stream: TextIO) -> bool:
    """A terminal that understands cursor movement (not TERM=dumb, not a pipe or a file)."""
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        return False
    return tty and os.environ.get("TERM", "") not in ("", "dumb")


class StreamDisplay:
    """Shows the trackers' lines on ``stream``; thread-safe (provision plans both regions at once)."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        live: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.live = is_live_terminal(self.stream) if live is None else live
        self.clock = clock
        self._lock = threading.RLock()
        self._trackers: list[Tracker] = []
        self._drawn = 0  # status lines currently on screen
        self._ticker: threading.Thread | None = None
        self._stop = threading.Event()

    def open(self, label: str) -> Tracker:
        tracker = Tracker(label, live=self.live)
        with self._lock:
            self._trackers.append(tracker)
            if self.live and self._ticker is None:
                self._stop.clear()
                self._ticker = threading.Thread(target=self._tick, name="terraform-progress", daemon=True)
                self._ticker.start()
        return tracker

    def feed(self, tracker: Tracker, event: UiEvent) -> None:
        with self._lock:
            lines = tracker.feed(event, self.clock())
            self._print(lines)

    def close(self, tracker: Tracker) -> None:
        with self._lock:
            if tracker in self._trackers:
                self._trackers.remove(tracker)
            self._print([])
            ticker = self._ticker if not self._trackers else None
            if ticker is not None:
                self._ticker = None
                self._stop.set()
        if ticker is not None and ticker is not threading.current_thread():
            ticker.join(timeout=2 * TICK_SECONDS)

    def above(self, text: str) -> None:
        """Print ``text`` (one or more lines) above the live status block."""
        with self._lock:
            self._print(text.rstrip("\n").splitlines() or [""])

    # -- drawing ----------------------------------------------------------------------------------------------

    def _print(self, lines: list[str]) -> None:
        if not self.live:
            for line in lines:
                self.stream.write(line + "\n")
            if lines:
                self.stream.flush()
            return
        out = [self._erase()]
        out.extend(line + "\n" for line in lines)
        status = [line for tracker in self._trackers for line in tracker.status(self.clock())]
        out.extend(f"{_CLEAR_LINE}  {line}\n" for line in status)
        self._drawn = len(status)
        self.stream.write("".join(out))
        self.stream.flush()

    def _erase(self) -> str:
        text = (_UP + _CLEAR_LINE) * self._drawn + "\r"
        self._drawn = 0
        return text

    def _tick(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            with self._lock:
                if self._drawn or any(t.in_flight for t in self._trackers):
                    self._print([])


class AboveStream:
    """A text stream whose writes land above a live display's status block (for the CLI's step reporter)."""

    def __init__(self, display: StreamDisplay) -> None:
        self.display = display
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        if "\n" in self._pending:
            complete, self._pending = self._pending.rsplit("\n", 1)
            self.display.above(complete)
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self.display.above(self._pending)
            self._pending = ""
        self.display.stream.flush()

    def isatty(self) -> bool:
        return self.display.live
