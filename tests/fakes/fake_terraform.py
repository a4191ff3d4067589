#!/usr/bin/env python3
"""A stand-in `terraform` binary that records what it was asked to run.

Each call appends {"argv", "cwd", "env"} (the env keys the runner sets) as a JSON line to $FAKE_TF_LOG.
``show -json`` prints $FAKE_TF_SHOW (a file path), ``output -json`` prints $FAKE_TF_OUTPUT, and a subcommand
named in $FAKE_TF_FAIL exits 1 with $FAKE_TF_STDERR on stderr. Used to pin the exact argv the runner builds.
"""

import json
import os
import sys
from pathlib import Path

RECORDED_ENV = ("TF_DATA_DIR", "TF_CLI_CONFIG_FILE", "TF_IN_AUTOMATION", "TF_INPUT", "AWS_ENDPOINT_URL")


def main() -> int:
    argv = sys.argv[1:]
    entry = {"argv": argv, "cwd": os.getcwd(), "env": {k: os.environ.get(k) for k in RECORDED_ENV}}
    with open(os.environ["FAKE_TF_LOG"], "a") as log:
        log.write(json.dumps(entry) + "\n")
    verb = argv[0] if argv else ""
    if verb and verb == os.environ.get("FAKE_TF_FAIL"):
        sys.stderr.write(os.environ.get("FAKE_TF_STDERR", "Error: failed\n"))
        return 1
    if verb == "show":
        sys.stdout.write(Path(os.environ["FAKE_TF_SHOW"]).read_text())
    elif verb == "output":
        sys.stdout.write(os.environ.get("FAKE_TF_OUTPUT", "{}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
