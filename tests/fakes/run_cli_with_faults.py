"""Run the `standby` CLI in this process with a botocore hook that kills the process at a chosen operation.

    python -m tests.fakes.run_cli_with_faults REGION:OPERATION -- standby-args...

The process exits with status 137 (as after SIGKILL) just before OPERATION is sent to REGION: a crash mid-run.
"""

from __future__ import annotations

import os
import sys
from functools import cached_property
from typing import Any

from standby.aws.session import SessionFactory
from standby.cli import context
from standby.cli.main import main


def install_killer(where: str) -> None:
    region, operation = where.split(":", 1)

    def on_client(client: Any) -> None:
        if client.meta.region_name != region:
            return

        def kill(model: Any, **_: Any) -> None:
            if model.name == operation:
                sys.stderr.write(f"killed before {operation}\n")
                sys.stderr.flush()
                os._exit(137)

        client.meta.events.register_first("before-call", kill)

    def sessions(self: context.AppContext) -> SessionFactory:
        return SessionFactory(target=self.target, on_client=on_client)

    patched = cached_property(sessions)
    patched.__set_name__(context.AppContext, "sessions")
    context.AppContext.sessions = patched  # type: ignore[method-assign]


if __name__ == "__main__":
    where, separator, *args = sys.argv[1:]
    assert separator == "--", "usage: run_cli_with_faults REGION:OPERATION -- ARGS..."
    install_killer(where)
    sys.exit(main(args))
