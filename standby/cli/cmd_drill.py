"""`standby drill`: rehearse the failover and prove RTO and RPO with a report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from standby.cli.context import AppContext
from standby.cli.options import history_option, resume_option, yes_option
from standby.cli.render import DRILL_STATUS, Status, emit
from standby.cli.views import minute_text, seconds_text, table_lines
from standby.errors import ExitCode
from standby.report.parts import Objective


def _history_line(row: dict[str, Any]) -> str:
    change = "" if row["rto_change_seconds"] is None else f"{row['rto_change_seconds']:+.1f}s"
    return (
        f"{minute_text(row['started_at']):<20} {row['mode']:<9} {row['status']:<7} "
        f"{seconds_text(row['rto_seconds']):>9} {seconds_text(row['rpo_seconds']):>8} {change:>11}"
    )


def _objective_line(name: str, measured: Objective) -> str:
    if measured.met is None:
        return f"  {name}: {measured.source}"
    met = "met" if measured.met else "NOT met"
    return f"  {name} {seconds_text(measured.measured_seconds)} (objective {measured.objective_seconds}s): {met}"


@click.command()
@click.option(
    "--mode",
    type=click.Choice(["isolated", "full"]),
    default=None,
    help="isolated: no production impact (default from [drill] mode). full: fail over and back.",
)
@yes_option
@click.option(
    "--report",
    "report_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Directory for the JSON, HTML and Markdown reports (default: [drill] report_dir).",
)
@history_option("Show the RTO/RPO trend of past drills and exit.")
@resume_option(
    "Continue a crashed or failed isolated drill, then restore; completed steps are not repeated.", checked=False
)
@click.pass_obj
def drill(
    app: AppContext, mode: str | None, yes: bool, report_dir: str | None, history: bool, resume: str | None
) -> ExitCode:
    """Rehearse a failover; exit 0 when the objectives are met, 1 when not."""
    config = app.loaded.config
    runner = app.drill_runner()
    if resume:
        resumed = runner.resume(resume)
        lines = [
            f"drill {resumed.measured.run_id}: {resumed.measured.status}",
            f"  restore {resumed.restore.run_id}: {resumed.restore.status}",
        ]
        if resumed.error:
            lines.append(f"  error: {resumed.error}")
        doc = {
            "run_id": resumed.measured.run_id,
            "status": resumed.measured.status,
            "restore": {"run_id": resumed.restore.run_id, "status": resumed.restore.status},
            "error": resumed.error,
        }
        status = Status.OK if resumed.complete else Status.FAILED
        emit(app.output, "drill", {"resume": doc}, "\n".join(lines), status=status)
        return ExitCode.OK if resumed.complete else ExitCode.STEP
    if history:
        rows = runner.history()
        header = f"{'when':<20} {'mode':<9} {'status':<7} {'RTO':>9} {'RPO':>8} {'RTO change':>11}"
        lines = table_lines(header, rows, _history_line, "no drills recorded yet")
        emit(app.output, "drill", {"history": rows}, "\n".join(lines))
        return ExitCode.OK
    chosen = mode or config.drill.mode
    if chosen == "full":
        app.confirm(
            f"Full drill: fail over to {config.regions.standby} for real, hold {config.drill.hold_seconds}s, "
            "then fail back?",
            yes,
        )
    target_dir = Path(report_dir) if report_dir else app.loaded.resolve(config.drill.report_dir)
    result = runner.run(chosen, target_dir)
    r = result.report
    lines = [
        f"drill {r.run_id} ({r.mode}): {r.status.upper()}",
        _objective_line("RTO", r.objectives.rto),
        _objective_line("RPO", r.objectives.rpo),
        "  phases: " + ", ".join(f"{p.name} {seconds_text(p.seconds)}" for p in r.phases),
        "  left behind: " + (", ".join(d.key for d in r.left_behind) or "nothing"),
    ]
    if r.error:
        lines.append(f"  error: {r.error}")
    for kind, path in result.files.items():
        lines.append(f"  report ({kind}): {path}")
    if result.stored_in:
        lines.append(f"  stored in the control store of {result.stored_in}")
    emit(
        app.output,
        "drill",
        {"report": r.to_dict(), "files": {k: str(v) for k, v in result.files.items()}},
        "\n".join(lines),
        status=DRILL_STATUS[r.status],
    )
    return ExitCode.OK if r.passed else ExitCode.FAILED
