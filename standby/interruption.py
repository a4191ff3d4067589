"""A run stopped from outside: Ctrl-C, SIGTERM and SIGHUP take the same way out.

Python turns Ctrl-C (SIGINT) into ``KeyboardInterrupt``: the running steps finish, the journal says where the run
stopped (failed, so ``--resume`` continues it), the run lock is released and the report is written. SIGTERM (a
supervisor stopping the process, a cancelled CI job, ``kill``, ``timeout``) and SIGHUP (the terminal closed: an SSH
session dropped) end a process at once at their defaults: no ``finally`` runs, the journal still says running, the
lock stays taken until its lease runs out (a resume waits that long) and no report is written.

While a ``StopSignals`` guard is armed, those two raise ``Terminated`` in the main thread instead: a
``KeyboardInterrupt``, so no ``except Exception`` swallows it and it takes Ctrl-C's way out (a Terraform process
gets SIGINT, stops its calls and releases its state lock). The command line arms one for every command; a drill
arms its own while it runs its measured part. While a guard is installed but not armed (a drill's rollback, its
report; a command already stopping), a signal is noted (``pending``) and logged, and the caller may raise it once
it is done. A signal the process was started with ignored (``nohup``) stays ignored. Handlers can only be installed from
the main thread: elsewhere the guard does nothing.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

log = logging.getLogger(__name__)

# The signals that stop a run as Ctrl-C does (SIGHUP does not exist on Windows).
STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s is not None
)


class Terminated(KeyboardInterrupt):
    """A stop signal (SIGTERM, SIGHUP) during a run, raised as Ctrl-C is: the command line ends with the
    interrupted exit code."""

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self) -> str:
        try:
            return signal.Signals(self.signum).name
        except ValueError:
            return f"signal {self.signum}"


def interruption(err: BaseException) -> str | None:
    """What a report says of an interruption (None: ``err`` is not one)."""
    if isinstance(err, Terminated):
        return f"terminated ({err.name})"
    if isinstance(err, KeyboardInterrupt):
        return "interrupted (Ctrl-C)"
    return None


class StopSignals:
    """While ``armed``, a stop signal raises ``Terminated`` in the main thread (once: the guard disarms itself);
    otherwise it is kept in ``pending`` and logged. The previous handlers come back when ``installed`` ends.

    ``after``: what the log says will happen first when a signal arrives unarmed."""

    def __init__(self, after: str = "the run finishes what it started first") -> None:
        self.after = after
        self.armed = False
        self.pending: int | None = None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.armed:
            self.armed = False
            raise Terminated(signum)
        self.pending = signum
        log.warning("%s received: %s", Terminated(signum).name, self.after)

    @contextmanager
    def installed(self) -> Iterator[StopSignals]:
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous: dict[signal.Signals, object] = {}
        try:
            for signum in STOP_SIGNALS:
                if signal.getsignal(signum) is not signal.SIG_IGN:
                    previous[signum] = signal.signal(signum, self._handle)
            yield self
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler if handler is not None else signal.SIG_DFL)  # type: ignore[arg-type]

    def raise_pending(self) -> None:
        """Raise ``Terminated`` for a signal noted while unarmed."""
        if self.pending is not None:
            raise Terminated(self.pending)
