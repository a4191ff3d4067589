"""`standby failover`, `standby failback`, `standby status` and `standby iam-policy`."""

from __future__ import annotations

import json

import click

from standby.cli.context import AppContext
from standby.cli.render import Status, emit
from standby.cli.views import journal_lines, journal_summary, reseed_plan_lines, run_plan_lines, run_status_json
from standby.errors import ExitCode, PreflightFailed
from standby.state.journal import check_run_id


def _resume_option(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """--resume takes a run id, checked before anything runs: an empty or malformed one is a usage error."""
    return None if value is None else check_run_id(value)


def _run(app: AppContext, kind: str, dry_run: bool, yes: bool, resume: str | None, accept_rpo_breach: bool) -> ExitCode:
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
    finished = controller.execute(planned, journal)
    emit(app.output, kind, journal_summary(finished), "\n".join(journal_lines(finished)))
    return ExitCode.OK


@click.command()
@click.option("--dry-run", is_flag=True, help="Observe and print the plan; make no change.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--resume", "resume", metavar="RUN_ID", callback=_resume_option, help="Continue a crashed or failed run.")
@click.option("--accept-rpo-breach", is_flag=True, help="Proceed although the replica lag exceeds the RPO.")
@click.pass_obj
def failover(app: AppContext, dry_run: bool, yes: bool, resume: str | None, accept_rpo_breach: bool) -> ExitCode:
    """Make the standby region the primary: promote, scale out, shift traffic, verify, record."""
    return _run(app, "failover", dry_run, yes, resume, accept_rpo_breach)


@click.command()
@click.option("--dry-run", is_flag=True, help="Observe and print the plan; make no change.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--resume", "resume", metavar="RUN_ID", callback=_resume_option, help="Continue a crashed or failed run.")
@click.pass_obj
def failback(app: AppContext, dry_run: bool, yes: bool, resume: str | None) -> ExitCode:
    """Return to the home regions: re-seed, switch over, and put the standby back at minimal capacity."""
    return _run(app, "failback", dry_run, yes, resume, False)


@click.command()
@click.pass_obj
def status(app: AppContext) -> ExitCode:
    """Which region is primary now, and the state of the last run."""
    result = app.controller().status()
    lines = [f"primary: {result.primary}, standby: {result.standby}" + (" (failed over)" if result.failed_over else "")]
    last = result.last_run
    if last:
        rto = f"{last.rto_seconds:.0f}s" if last.rto_seconds is not None else "n/a"
        lines.append(f"last run: {last.kind} {last.run_id}: {last.status} (RTO {rto})")
    else:
        lines.append("last run: none")
    emit(app.output, "status", run_status_json(result), "\n".join(lines))
    return ExitCode.OK


@click.command("iam-policy")
@click.pass_obj
def iam_policy(app: AppContext) -> ExitCode:
    """Print the least-privilege IAM policy the controller's drivers declare."""
    from standby.iam import policy_document

    doc = policy_document()
    emit(app.output, "iam-policy", doc, json.dumps(doc, indent=2))
    return ExitCode.OK
