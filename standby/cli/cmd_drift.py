"""`standby drift`: IaC drift, cross-region parity and readiness; exit 0 in parity, 3 on drift."""

from __future__ import annotations

import click

from standby.cli.context import AppContext
from standby.cli.render import DRIFT_STATUS, emit
from standby.config.drift_schema import CHECKS
from standby.drift.render import render_junit, render_markdown, render_text, report_dict
from standby.errors import ExitCode

_RENDERERS = {"text": render_text, "junit": render_junit, "markdown": render_markdown}


@click.command()
@click.option(
    "--check",
    "checks",
    type=click.Choice(CHECKS),
    multiple=True,
    help="Run only this check (repeatable). Default: [drift] checks of the config (all three).",
)
@click.option(
    "--output",
    "output",
    type=click.Choice(["text", "json", "junit", "markdown"]),
    default=None,
    help="Result format on stdout (default: the global --output).",
)
@click.pass_obj
def drift(app: AppContext, checks: tuple[str, ...], output: str | None) -> ExitCode:
    """Check that the standby still mirrors the primary.

    \b
    iac        terraform plan -refresh-only of each stack and region, read as JSON
    parity     both regions' resources compared under [drift] (allowed differences, ignore rules)
    readiness  replica lag vs the RPO, standby capacity, quota headroom, capacity snapshot (refreshed)

    \b
    Exit codes: 0 in parity; 3 drift found; 6 terraform failed; 2 invalid config; 1 another error.
    """
    output = output or app.output
    if output == "json":
        app.output = "json"  # errors, too, are then reported as a JSON document
    run = app.drift_run(iac="iac" in (checks or app.loaded.config.drift.checks))
    report = run.run(checks or None)
    text = render_text(report) if output == "json" else _RENDERERS[output](report)
    emit("json" if output == "json" else "text", "drift", report_dict(report), text, status=DRIFT_STATUS[report.status])
    return ExitCode(report.exit_code)
