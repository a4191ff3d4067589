"""Values for sensitive Terraform variables, taken from the environment.

Against the local emulator a missing value is generated once and kept (mode 0600) in the project's state
directory, so that plans stay stable across runs; against real AWS a missing value is a configuration error.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from standby.errors import ConfigError


def resolve_secrets(
    wanted: Mapping[str, str], *, state_dir: Path, allow_generated: bool, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """{terraform variable: value} for each {terraform variable: environment variable} wanted."""
    env = os.environ if environ is None else environ
    values: dict[str, str] = {}
    missing: list[str] = []
    for variable, env_name in sorted(wanted.items()):
        if env.get(env_name):
            values[variable] = env[env_name]
        elif allow_generated:
            values[variable] = _generated(state_dir, env_name)
        else:
            missing.append(f"environment variable {env_name} (for the Terraform variable {variable!r}) is not set")
    if missing:
        raise ConfigError(missing, hint="export the listed variables; they are never written to disk or logs")
    return values


def _generated(state_dir: Path, env_name: str) -> str:
    store = state_dir / "emulator-secrets.json"
    state_dir.mkdir(parents=True, exist_ok=True)
    known: dict[str, str] = json.loads(store.read_text()) if store.exists() else {}
    if env_name not in known:
        known[env_name] = "Sb" + secrets.token_urlsafe(18).replace("-", "x").replace("_", "y")
        fd = os.open(store, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(known, out, indent=2)
    return known[env_name]
