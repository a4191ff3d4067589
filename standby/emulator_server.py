"""The emulator's server process: moto's application, served one request at a time.

moto's own `moto.server` serves requests on threads, and its backends are not safe for concurrent changes:
under load, Terraform's parallel calls race (for example two security-group rules of one group, one refused
as a duplicate). Serving requests one at a time removes those races; each request takes milliseconds.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from types import FrameType

from moto.moto_server.threaded_moto_server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


def _stop(signum: int, frame: FrameType | None) -> None:
    sys.exit(0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="standby's local AWS emulator (moto)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, app, threaded=False, use_reloader=False)


if __name__ == "__main__":
    main()
