"""The emulator's server process: moto's application, patched to behave like AWS where standby depends on it.

Requests are served on threads, but moto's backends are not safe for concurrent changes (under load,
Terraform's parallel calls race: two security-group rules of one group, one refused as a duplicate), so ONE
lock is held around moto's dispatch: moto handles one request at a time, each in milliseconds. Outages act
before that lock: a request held for a hanging region waits outside it, so other regions are answered.

The behaviour changes live in `standby.emulation` (one module per service) and are installed at start-up;
the control calls (outages, time scale, replica lag) are served on the private path ``/_standby/``.
See docs/emulator.md.
"""

from __future__ import annotations

import argparse
import logging
import os
import select
import signal
import socket
import struct
import sys
import threading
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from moto.moto_server.threaded_moto_server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from standby.emulation import Installed, control, install
from standby.emulation.signing import signed_scope
from standby.emulation.state import (
    DEFAULT_INSYNC_SECONDS,
    DEFAULT_PROMOTION_SECONDS,
    DEFAULT_SNAPSHOT_SECONDS,
    EmulationState,
)
from standby.emulator import TIME_SCALE_ENV

HOLD_POLL_S = 0.25  # how often a held request looks for a restore or its client's disconnection
RESET_PATH = "/moto-api/reset"


class EmulatorApp:
    """moto's WSGI application behind one lock, plus the control calls and the reset of the emulation."""

    def __init__(self, emulation: Installed, moto_app: Callable[..., Iterable[bytes]]) -> None:
        self.emulation = emulation
        self.moto_app = moto_app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        with self.lock:
            if path.startswith(control.PREFIX):
                return control.handle(self.emulation, environ, start_response)
            answer = self.moto_app(environ, start_response)
            try:
                body = b"".join(answer)  # moto's work happens while the body is produced: inside the lock
            finally:
                close = getattr(answer, "close", None)
                if close is not None:
                    close()
            if path == RESET_PATH and environ.get("REQUEST_METHOD") == "POST":
                self.emulation.state.reset()
            return [body]


class _Handler(WSGIRequestHandler):
    """Applies outages to a request before it reaches the application (and its lock)."""

    server: _Server

    def run_wsgi(self) -> None:
        state = self.server.emulation_state
        region, service = signed_scope(self.headers.get("Authorization"), urlsplit(self.path).query)
        if region is not None:
            while (outage := state.outage_for(region, service)) is not None:
                if outage.mode == "refuse":
                    self._refuse()
                    return
                if self._client_gone():
                    self.close_connection = True
                    return
                with state.outage_changed:
                    state.outage_changed.wait(HOLD_POLL_S)
        super().run_wsgi()

    def _refuse(self) -> None:
        """Close the connection with a reset and no response, as an unreachable endpoint does."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass

    def _client_gone(self) -> bool:
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except BlockingIOError:
            return False
        except (OSError, ValueError):
            return True

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # one line per request floods the log under Terraform


class _Server(BaseWSGIServer):
    emulation_state: EmulationState


def _stop(signum: int, frame: FrameType | None) -> None:
    sys.exit(0)


def _scale_from_env() -> float:
    raw = os.environ.get(TIME_SCALE_ENV, "").strip()
    return float(raw) if raw else 1.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="standby's local AWS emulator (moto)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--time-scale", type=float, default=None, help=f"real s per modelled s (env {TIME_SCALE_ENV})")
    parser.add_argument("--promotion-seconds", type=float, default=DEFAULT_PROMOTION_SECONDS)
    parser.add_argument("--insync-seconds", type=float, default=DEFAULT_INSYNC_SECONDS)
    parser.add_argument("--snapshot-seconds", type=float, default=DEFAULT_SNAPSHOT_SECONDS)
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    scale = args.time_scale if args.time_scale is not None else _scale_from_env()
    state = EmulationState(scale, args.promotion_seconds, args.insync_seconds, args.snapshot_seconds)
    app = EmulatorApp(install(state), DomainDispatcherApplication(create_backend_app))
    server = make_server(args.host, args.port, app, threaded=True, request_handler=_Handler)
    server.emulation_state = state  # type: ignore[attr-defined]
    server.serve_forever()


if __name__ == "__main__":
    main()
