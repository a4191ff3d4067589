"""`standby lint`: does the recovery path depend on the region being demoted, or on another region's control plane?"""

from __future__ import annotations

import click

from standby.cli.context import AppContext
from standby.cli.render import Status, emit
from standby.errors import ExitCode
from standby.plan.collect import collect
from standby.plan.lint import lint, render_text


@click.command("lint")
@click.pass_obj
def lint_command(app: AppContext) -> ExitCode:
    """For each traffic mode, every call of the failover and failback plans with its region and plane. Exit 3 when
    the configured mode's failover needs the demoted region or another region's control plane (best-effort calls,
    such as the fences', do not count). Observes and plans only (no change)."""
    inputs = collect(app.controller())
    report = lint(app.loaded.config, inputs.by_mode, source=inputs.source)
    status = Status.OK if report.passed else Status.DRIFT
    emit(app.output, "lint", report.to_dict(), render_text(report), status=status)
    return ExitCode.OK if report.passed else ExitCode.DRIFT
