"""`standby validate [PATH]`: check a config file without credentials."""

from __future__ import annotations

import click

from standby.cli.context import AppContext
from standby.cli.render import emit
from standby.config import find_config, load_config
from standby.errors import ExitCode, TerraformError
from standby.terraform.binary import detect_binary


@click.command()
@click.argument("path", required=False, type=click.Path(dir_okay=False))
@click.pass_obj
def validate(app: AppContext, path: str | None) -> ExitCode:
    """Check a standby.toml (PATH, else --config, else ./standby.toml) and its stacks' directories (each a
    Terraform root module declaring a backend); lists every problem at once, and shows which program
    ``[terraform] binary`` is (terraform or tofu) and its version."""
    chosen = find_config(path or app.config_option)
    loaded = load_config(chosen)
    c = loaded.config
    binary = terraform_binary(c.terraform.binary)
    result = {
        "path": str(loaded.path),
        "project": c.project.name,
        "primary": c.regions.primary,
        "standby": c.regions.standby,
        "stacks": sorted(c.stacks),
        "capacity_groups": sorted(c.capacity),
        "terraform": binary,
    }
    text = (
        f"{loaded.path}: valid — project {c.project.name}, {c.regions.primary} (primary) -> "
        f"{c.regions.standby} (standby), stacks: {', '.join(sorted(c.stacks))}\n"
        f"terraform binary {_binary_text(binary)}"
    )
    emit(app.output, "validate", result, text)
    return ExitCode.OK


def terraform_binary(binary: str) -> dict[str, str | None]:
    """The configured binary, the program it is (terraform or tofu) and its version; a binary that cannot be run
    is reported, not refused: the file is valid either way, and only commands that run Terraform need it."""
    try:
        name, version = detect_binary(binary)
    except TerraformError as exc:
        return {"binary": binary, "name": None, "version": None, "problem": exc.stderr_tail or exc.message}
    return {"binary": binary, "name": name, "version": version, "problem": None}


def _binary_text(found: dict[str, str | None]) -> str:
    if found["name"] is None:
        return f"{found['binary']!r}: cannot be used — {found['problem']}"
    return f"{found['binary']!r}: {found['name']} {found['version']}"
