"""Running a Terraform process: to the end (``run_process``), or streaming its stdout line by line with a timeout
that interrupts it the way Terraform wants (``stream_process``: SIGINT to its process group, so it can stop its
calls and release the state lock, SIGKILL after a grace period).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

INTERRUPT_GRACE_SECONDS = 60.0  # after SIGINT, Terraform's time to stop its calls and release the lock


@dataclass(frozen=True)
class Completed:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False  # stopped by the runner after its timeout


Execute = Callable[[Sequence[str], Path, Mapping[str, str]], Completed]
# (argv, cwd, env, called with each stdout line as it arrives, timeout seconds or None) -> the finished process
Stream = Callable[[Sequence[str], Path, Mapping[str, str], Callable[[str], None], "float | None"], Completed]


def run_process(argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> Completed:
    started = time.monotonic()
    proc = subprocess.run(
        list(argv), cwd=cwd, env=dict(env), capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False
    )
    return Completed(tuple(argv), proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)


def stream_process(
    argv: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    on_line: Callable[[str], None],
    timeout: float | None = None,
    *,
    grace: float = INTERRUPT_GRACE_SECONDS,
) -> Completed:
    """Run ``argv`` and hand each stdout line to ``on_line`` as it arrives (stdout is not kept; stderr is).

    The process runs in its own process group, so that stopping it stops its provider plugins too. When
    ``timeout`` passes, or this thread is interrupted (Ctrl-C), the group gets SIGINT — Terraform then stops its
    calls and releases the state lock — and SIGKILL ``grace`` seconds later if it is still running.
    """
    started = time.monotonic()
    with subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
        start_new_session=True,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        errors: list[str] = []
        reader = threading.Thread(target=lambda err=proc.stderr: errors.append(err.read()), daemon=True)
        reader.start()
        watchdog = _Watchdog(proc, timeout, grace)
        try:
            for line in proc.stdout:
                on_line(line.rstrip("\n"))
            returncode = proc.wait()
        finally:
            watchdog.cancel()
            if proc.poll() is None:
                _stop(proc, grace)
            reader.join(timeout=grace)
    seconds = time.monotonic() - started
    return Completed(tuple(argv), returncode, "", "".join(errors), seconds, timed_out=watchdog.fired)


def _signal_group(proc: subprocess.Popen[str], signum: int) -> None:
    try:
        os.killpg(proc.pid, signum)
    except ProcessLookupError:
        pass


def _stop(proc: subprocess.Popen[str], grace: float) -> None:
    """SIGINT to the process group, SIGKILL when it has not exited ``grace`` seconds later."""
    _signal_group(proc, signal.SIGINT)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        log.warning("terraform did not stop %gs after SIGINT: killing it", grace)
        _signal_group(proc, signal.SIGKILL)
        proc.wait()


class _Watchdog:
    """Stops ``proc`` once ``timeout`` seconds have passed (no timeout: does nothing)."""

    def __init__(self, proc: subprocess.Popen[str], timeout: float | None, grace: float) -> None:
        self.fired = False
        self._cancelled = threading.Event()
        self._proc = proc
        self._grace = grace
        self._thread: threading.Thread | None = None
        if timeout is not None:
            self._thread = threading.Thread(target=self._run, args=(timeout,), name="terraform-timeout", daemon=True)
            self._thread.start()

    def _run(self, timeout: float) -> None:
        if self._cancelled.wait(timeout) or self._proc.poll() is not None:
            return
        self.fired = True
        _stop(self._proc, self._grace)

    def cancel(self) -> None:
        self._cancelled.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()


def replayed(execute: Execute) -> Stream:
    """A ``Stream`` from an ``Execute``: runs to the end, then hands over its stdout line by line (for stand-ins)."""

    def stream(
        argv: Sequence[str],
        cwd: Path,
        env: Mapping[str, str],
        on_line: Callable[[str], None],
        timeout: float | None = None,
    ) -> Completed:
        done = execute(argv, cwd, env)
        for line in done.stdout.splitlines():
            on_line(line)
        return done

    return stream
