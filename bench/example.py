"""The bundled example's config (examples/webapp/standby.toml), rewritten for a benchmark run.

The same rewrite as the e2e tests' ``example_config_text`` (kept here so that bench never imports from tests/):
point ``[aws] endpoint`` at an emulator (or drop it), keep state in a given directory, make stack paths absolute.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "webapp" / "standby.toml"


def example_config_text(
    endpoint: str | None, state_dir: Path, *, region_vars: dict[str, str] | None = None, source: Path = EXAMPLE
) -> str:
    """The example's standby.toml pointed at ``endpoint`` (None: no endpoint line) and ``state_dir``.

    ``region_vars`` are extra ``[stacks.region.vars]`` entries, given as TOML values (e.g. ``{"enable_database":
    "false"}``).
    """
    text = source.read_text()
    endpoint_line = f'endpoint = "{endpoint}"' if endpoint else ""
    replacements = [
        (r'(?m)^endpoint\s*=\s*"emulator"', endpoint_line),
        (r'(?m)^state_dir\s*=\s*"[^"]*"', f'state_dir = "{state_dir}"'),
    ]
    for pattern, replacement in replacements:
        text, count = re.subn(pattern, replacement, text)
        if count != 1:
            raise ValueError(f"{source} no longer has a line matching {pattern!r}")

    def absolute(match: re.Match[str]) -> str:
        return f'path = "{(source.parent / match.group(1)).resolve()}"'

    text, count = re.subn(r'(?m)^path\s*=\s*"(\.[^"]*)"', absolute, text)
    if count < 1:
        raise ValueError(f"{source} has no relative stack path")
    if region_vars:
        extra = "".join(f"{name} = {value}\n" for name, value in region_vars.items())
        text, count = re.subn(r"(?m)^\[stacks\.region\.vars\]\n", lambda m: m.group(0) + extra, text)
        if count != 1:
            raise ValueError(f"{source} has no [stacks.region.vars] table")
    return text
