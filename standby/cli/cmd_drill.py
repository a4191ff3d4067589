"""`standby drill`: rehearse the failover and prove RTO and RPO with a report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from standby.cli.context import AppContext
from standby.cli.render import DRILL_STATUS, Status, emit
from standby.errors import ExitCode


def _secs(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}s"


@click.command()
@click.option(
    "--mode",
    type=click.Choice(["isolated", "full"]),
    default=None,
    help="isolated: no production impact (default from [drill] mode). full: fail over and back.",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--report",
    "report_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Directory for the JSON, HTML and Markdown reports (default: [drill] report_dir).",
)
@click.option("--history", is_flag=True, help="Show the RTO/RPO trend of past drills and exit.")
@click.option(
    "--resume",
    "resume",
    metavar="RUN_ID",
    default=None,
    help="Continue a crashed or failed isolated drill, then restore; completed steps are not repeated.",
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
        lines = [f"{'when':<20} {'mode':<9} {'status':<7} {'RTO':>9} {'RPO':>8} {'RTO change':>11}"]
        for r in rows:
            when = dt.datetime.fromtimestamp(r["started_at"], tz=dt.UTC).strftime("%Y-%m-%d %H:%M")
            change = "" if r["rto_change_seconds"] is None else f"{r['rto_change_seconds']:+.1f}s"
            lines.append(
                f"{when:<20} {r['mode']:<9} {r['status']:<7} {_secs(r['rto_seconds']):>9} "
                f"{_secs(r['rpo_seconds']):>8} {change:>11}"
            )
        if not rows:
            lines.append("no drills recorded yet")
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
    rto, rpo = r.objectives.rto, r.objectives.rpo
    lines = [
        f"drill {r.run_id} ({r.mode}): {r.status.upper()}",
        f"  RTO {_secs(rto.measured_seconds)} (objective {rto.objective_seconds}s): {'met' if rto.met else 'NOT met'}",
        f"  RPO {_secs(rpo.measured_seconds)} (objective {rpo.objective_seconds}s): {'met' if rpo.met else 'NOT met'}",
        "  phases: " + ", ".join(f"{p.name} {_secs(p.seconds)}" for p in r.phases),
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
