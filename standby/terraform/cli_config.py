"""Terraform CLI configuration for an offline provider mirror.

A generated file, pointed to by TF_CLI_CONFIG_FILE in the runner's environment only, so Terraform installs
providers from the configured filesystem mirror and never reaches for a registry.
"""

from __future__ import annotations

import json
from pathlib import Path


def render_cli_config(plugin_dir: Path) -> str:
    # HCL string literals accept JSON string escaping, so json.dumps quotes the path safely.
    path = json.dumps(str(plugin_dir))
    return f"provider_installation {{\n  filesystem_mirror {{\n    path    = {path}\n  }}\n}}\n"


def write_cli_config(plugin_dir: Path, destination: Path) -> Path:
    destination.parent.mkdir(parents=True, exist_ok=True)
    text = render_cli_config(plugin_dir)
    if not destination.exists() or destination.read_text() != text:
        tmp = destination.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.replace(destination)
    return destination
