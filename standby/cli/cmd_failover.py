"""`standby failover`, `standby failback`, `standby status` and `standby iam-policy`."""

from __future__ import annotations

import json
from typing import Any

import click

from standby.cli.context import AppContext
from standby.cli.options import history_option, resume_option, yes_option
from standby.cli.render import Status, emit
from standby.cli.views import (
    journal_lines,
    journal_summary,
    minute_text,
    reseed_plan_lines,
    run_plan_lines,
    run_status_json,
    seconds_text,
    table_lines,
)
from standby.errors import ExitCode, PreflightFailed, StandbyError, UsageError
from standby.failover.controller import Controller
from standby.state import Journal

APPROVE_HELP = (
    "With --resume: approve the step the paused run waits before (recorded in the journal: who, when) and "
    "continue, up to the next step of [failover] approve_before."
)


def _report_lines(controller: Controller) -> list[str]:
    written = controller.last_report
    if written is None:
        return ["  report: not written (see the debug log)"]
    lines = [f"  report ({kind}): {path}" for kind, path in written.files.items()]
    if written.stored_in:
        lines.append(f"  report stored in the control store of {written.stored_in}")
    return lines


def _report_json(controller: Controller) -> dict[str, object] | None:
    written = controller.last_report
    if written is None:
        return None
    return {"files": {k: str(v) for k, v in written.files.items()}, "stored_in": written.stored_in}


def _paused_lines(journal: Journal) -> list[str]:
    pending = journal.pending_approval or {}
    return [
        f"paused before {pending.get('slug')} ({', '.join(pending.get('steps') or [])}), awaiting approval; "
        "the run lock is released",
        f"continue with: standby {journal.kind} --resume {journal.run_id} --approve",
    ]


def _run(
    app: AppContext,
    kind: str,
    dry_run: bool,
    yes: bool,
    resume: str | None,
    accept_rpo_breach: bool,
    approve: bool = False,
) -> ExitCode:
    if approve and resume is None:
        raise UsageError("--approve continues a paused run: give it with --resume RUN_ID")
    controller = app.controller(with_terraform=kind == "failback")
    journal = None
    if resume is not None:
        planned, journal = controller.resume(resume)
    else:
        planned = controller.plan(kind, accept_rpo_breach=accept_rpo_breach)
    lines = run_plan_lines(planned)
    # The exact Terraform plan of each re-seed (planned, never applied; no Terraform runs without re-seed steps).
    reseeds = controller.reseed_preview(planned)
    lines.extend(reseed_plan_lines(reseeds))
    reseed_problems = [f"re-seeding {r.region}: {p}" for r in reseeds for p in r.problems]
    refused = bool(planned.plan.preflight.problems) or bool(reseed_problems)
    if dry_run:
        lines.append("dry run: nothing was changed")
        emit(
            app.output,
            kind,
            {
                "dry_run": True,
                "plan": planned.plan.to_dict(),
                "reseed": [r.to_dict() for r in reseeds],
                "refused": refused,
            },
            "\n".join(lines),
            status=Status.REFUSED if refused else Status.OK,
        )
        return ExitCode.PREFLIGHT if refused else ExitCode.OK
    click.echo("\n".join(lines), err=True)
    if reseed_problems:
        raise PreflightFailed(f"{kind} refused before any change:\n" + "\n".join(f"  - {p}" for p in reseed_problems))
    if not refused:
        replaced = sum(len(r.databases) for r in reseeds if r.plan is not None)
        also = f" (re-seeding replaces {replaced} database(s), each after a final snapshot)" if replaced else ""
        app.confirm(f"{kind.capitalize()}: make {planned.plan.activate} the primary?{also}", yes)
    try:
        finished = controller.execute(planned, journal, approve=approve)
    except (StandbyError, KeyboardInterrupt):
        if controller.last_report is not None:
            click.echo("\n".join(_report_lines(controller)), err=True)
        raise
    summary = {**journal_summary(finished), "report": _report_json(controller)}
    text = journal_lines(finished)
    if finished.status == "paused":
        summary["pending_approval"] = finished.pending_approval
        emit(
            app.output,
            kind,
            summary,
            "\n".join([*text, *_paused_lines(finished), *_report_lines(controller)]),
            status=Status.PAUSED,
        )
        return ExitCode.PAUSED
    emit(app.output, kind, summary, "\n".join([*text, *_report_lines(controller)]))
    return ExitCode.OK


@click.command()
@click.option("--dry-run", is_flag=True, help="Observe and print the plan; make no change.")
@yes_option
@resume_option("Continue a crashed or failed run.")
@click.option("--accept-rpo-breach", is_flag=True, help="Proceed although the replica lag exceeds the RPO.")
@click.option("--approve", is_flag=True, help=APPROVE_HELP)
@click.pass_obj
def failover(
    app: AppContext, dry_run: bool, yes: bool, resume: str | None, accept_rpo_breach: bool, approve: bool
) -> ExitCode:
    """Make the standby region the primary: promote, scale out, shift traffic, verify, record.

    Pauses (exit 9) before the steps listed in [failover] approve_before.
    """
    return _run(app, "failover", dry_run, yes, resume, accept_rpo_breach, approve)


@click.command()
@click.option("--dry-run", is_flag=True, help="Observe and print the plan; make no change.")
@yes_option
@resume_option("Continue a crashed or failed run.")
@click.option("--approve", is_flag=True, help=APPROVE_HELP)
@click.pass_obj
def failback(app: AppContext, dry_run: bool, yes: bool, resume: str | None, approve: bool) -> ExitCode:
    """Return to the home regions: re-seed, switch over, and put the standby back at minimal capacity.

    Pauses (exit 9) before the steps listed in [failover] approve_before.
    """
    return _run(app, "failback", dry_run, yes, resume, False, approve)


@click.command()
@history_option("List every reported run, newest first: failovers, failbacks and drills.")
@click.pass_obj
def status(app: AppContext, history: bool) -> ExitCode:
    """Which region is primary now, and the state of the last run."""
    if history:
        return _history(app)
    result = app.controller().status()
    lines = [f"primary: {result.primary}, standby: {result.standby}" + (" (failed over)" if result.failed_over else "")]
    last = result.last_run
    if last:
        rto = f"{last.rto_seconds:.0f}s" if last.rto_seconds is not None else "n/a"
        lines.append(f"last run: {last.kind} {last.run_id}: {last.status} (RTO {rto})")
        if last.status == "paused":
            lines.append(f"  paused for approval: standby {last.kind} --resume {last.run_id} --approve continues it")
    else:
        lines.append("last run: none")
    emit(app.output, "status", run_status_json(result), "\n".join(lines))
    return ExitCode.OK


def _history_line(row: dict[str, Any]) -> str:
    return (
        f"{row['run_id']:<42} {row['kind']:<15} {minute_text(row['started_at']):<17} {row['status']:<9} "
        f"{seconds_text(row['rto_seconds']):>9} {seconds_text(row['rpo_seconds']):>8}"
    )


def _history(app: AppContext) -> ExitCode:
    rows = app.controller().history()
    header = f"{'run id':<42} {'kind':<15} {'when':<17} {'status':<9} {'RTO':>9} {'RPO':>8}"
    lines = table_lines(header, rows, _history_line, "no reported runs yet")
    emit(app.output, "status", {"history": rows}, "\n".join(lines))
    return ExitCode.OK


@click.command("iam-policy")
@click.pass_obj
def iam_policy(app: AppContext) -> ExitCode:
    """Print the least-privilege IAM policy the controller's drivers declare."""
    from standby.iam import policy_document

    doc = policy_document()
    emit(app.output, "iam-policy", doc, json.dumps(doc, indent=2))
    return ExitCode.OK
