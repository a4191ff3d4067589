"""Run the `standby` CLI in this process with a botocore hook that kills the process at a chosen call, or records.

    python -m tests.fakes.run_cli_with_faults WHERE -- standby-args...

WHERE is one of:

- ``REGION:OPERATION`` — exit just before OPERATION is sent to REGION (its first time);
- ``after:REGION:SERVICE:OPERATION:N`` — exit right after the N-th (1-based) answer to OPERATION in REGION;
- ``record:PATH`` — kill nothing; append every mutating call, in order, to PATH as JSON lines;
- ``signal-after:REGION:SERVICE:OPERATION:N:SIGNAL`` — send SIGNAL (``SIGTERM``, ``SIGHUP``...) to this process
  right after the N-th answer to OPERATION in REGION, as a supervisor or a closing terminal would; what happens next
  is the CLI's own handling of it.

With ``STANDBY_FAULTS_CLOCK_SCALE=F`` set, the failover controller runs on a clock whose seconds last F real
seconds (``ScaledClock``): its waits (a DNS drain, polls) pass quickly against the emulator's compressed latencies.

A kill exits with status 137 (as after SIGKILL), from whichever thread made the call: a crash mid-run, with
no `finally` run and no lock released. The run lock's heartbeats (UpdateItem) are neither counted nor recorded:
their number depends on timing, not on what the run does. For the same reason the journal's background uploads
are switched off (their number depends on how long the run takes): the journal is uploaded when a run starts,
pauses and ends, and a resume here reads the local journal, which has every step.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from functools import cached_property, partial
from pathlib import Path
from typing import Any

from standby.aws.session import SessionFactory
from standby.cli import context
from standby.cli.main import main
from standby.failover import controller as controller_module
from standby.failover.controller import Controller
from standby.state import journal_store
from standby.state.lock import TTL_ENV
from tests.fakes.aws_faults import is_read_only

HEARTBEAT = ("dynamodb", "UpdateItem")
KILLED = 137
CLOCK_SCALE_ENV = "STANDBY_FAULTS_CLOCK_SCALE"


class ScaledClock:
    """Wall-clock time running 1/scale times faster: ``sleep(s)`` takes ``s * scale`` real seconds."""

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self._origin = time.time()
        self._real = time.monotonic()

    def now(self) -> float:
        return self._origin + (time.monotonic() - self._real) / self.scale

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds) * self.scale)


def scaled_controller(scale: float) -> Callable[..., Controller]:
    """The controller class as the CLI's composition root builds it, on a ScaledClock."""
    return partial(Controller, clock=ScaledClock(scale))


def is_counted(service: str, operation: str) -> bool:
    """A mutating call that a run makes because of what it does (not a lock heartbeat)."""
    return not is_read_only(operation) and (service, operation) != HEARTBEAT


def die(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()
    os._exit(KILLED)


def kill_before(region: str, operation: str) -> Callable[[Any], None]:
    def on_client(client: Any) -> None:
        if client.meta.region_name != region:
            return

        def kill(model: Any, **_: Any) -> None:
            if model.name == operation:
                die(f"killed before {operation}")

        client.meta.events.register_first("before-call", kill)

    return on_client


def after_answer(region: str, service: str, operation: str, nth: int, act: Callable[[], None]) -> Callable[[Any], None]:
    """A hook that calls ``act`` right after the N-th (1-based) answer to ``operation`` in ``region``, from whichever
    thread made the call."""
    seen = [0]
    guard = threading.Lock()

    def on_client(client: Any) -> None:
        if client.meta.region_name != region or client.meta.service_model.service_name != service:
            return

        def maybe_act(model: Any, **_: Any) -> None:
            if model.name != operation:
                return
            with guard:
                seen[0] += 1
                if seen[0] != nth:
                    return
            act()

        client.meta.events.register_last("after-call", maybe_act)

    return on_client


def kill_after(region: str, service: str, operation: str, nth: int) -> Callable[[Any], None]:
    return after_answer(
        region, service, operation, nth, lambda: die(f"killed after {region}:{service}:{operation} #{nth}")
    )


def signal_after(region: str, service: str, operation: str, nth: int, signum: int) -> Callable[[Any], None]:
    def send() -> None:
        os.kill(os.getpid(), signum)
        time.sleep(0.2)  # the main thread takes the signal while this step is still running

    return after_answer(region, service, operation, nth, send)


def record(path: Path) -> Callable[[Any], None]:
    guard = threading.Lock()

    def on_client(client: Any) -> None:
        region = client.meta.region_name
        service = client.meta.service_model.service_name

        def note(model: Any, **_: Any) -> None:
            if not is_counted(service, model.name):
                return
            with guard, path.open("a", encoding="utf-8") as out:
                out.write(json.dumps([region, service, model.name]) + "\n")

        client.meta.events.register_last("after-call", note)

    return on_client


def hook_for(where: str) -> Callable[[Any], None]:
    if where == "none":
        return lambda client: None
    if where.startswith("record:"):
        return record(Path(where.removeprefix("record:")))
    if where.startswith("signal-after:"):
        region, service, operation, nth, name = where.removeprefix("signal-after:").split(":")
        signum = signal.Signals[name]
        signal.signal(signum, signal.SIG_DFL)  # as in a terminal, whatever this process inherited (nohup: ignored)
        return signal_after(region, service, operation, int(nth), signum)
    if where.startswith("after:"):
        region, service, operation, nth = where.removeprefix("after:").split(":")
        return kill_after(region, service, operation, int(nth))
    region, operation = where.split(":", 1)
    return kill_before(region, operation)


def install(on_client: Callable[[Any], None]) -> None:
    def sessions(self: context.AppContext) -> SessionFactory:
        return SessionFactory(target=self.target, on_client=on_client)

    patched = cached_property(sessions)
    patched.__set_name__(context.AppContext, "sessions")
    context.AppContext.sessions = patched  # type: ignore[method-assign]


def install_killer(where: str) -> None:
    install(hook_for(where))
    journal_store.SAVE_INTERVAL_SECONDS = 86400.0  # no background uploads: the calls do not depend on timing
    scale = os.environ.get(CLOCK_SCALE_ENV)
    if scale:
        # where the CLI finds the class when it builds a controller (AppContext.controller imports it then)
        controller_module.Controller = scaled_controller(float(scale))  # type: ignore[misc]


if __name__ == "__main__":
    where, separator, *args = sys.argv[1:]
    assert separator == "--", "usage: run_cli_with_faults WHERE -- ARGS... (WHERE 'none': no fault)"
    # A crashed run's lock is taken over once its declared lease has passed unbeaten: a short one, unless set.
    os.environ.setdefault(TTL_ENV, "2")
    install_killer(where)
    sys.exit(main(args))
