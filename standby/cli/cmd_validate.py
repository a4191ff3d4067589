"""`standby validate [PATH]`: check a config file without credentials."""

from __future__ import annotations

import click

from standby.cli.context import AppContext
from standby.cli.render import emit
from standby.config import find_config, load_config
from standby.errors import ExitCode


@click.command()
@click.argument("path", required=False, type=click.Path(dir_okay=False))
@click.pass_obj
def validate(app: AppContext, path: str | None) -> ExitCode:
    """Check a standby.toml (PATH, else --config, else ./standby.toml) and its stacks' directories (each a
    Terraform root module declaring a backend); lists every problem at once."""
    chosen = find_config(path or app.config_option)
    loaded = load_config(chosen)
    c = loaded.config
    result = {
        "path": str(loaded.path),
        "project": c.project.name,
        "primary": c.regions.primary,
        "standby": c.regions.standby,
        "stacks": sorted(c.stacks),
        "capacity_groups": sorted(c.capacity),
    }
    text = (
        f"{loaded.path}: valid — project {c.project.name}, {c.regions.primary} (primary) -> "
        f"{c.regions.standby} (standby), stacks: {', '.join(sorted(c.stacks))}"
    )
    emit(app.output, "validate", result, text)
    return ExitCode.OK
