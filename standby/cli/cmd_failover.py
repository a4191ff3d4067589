"""`standby failover`, `standby failback`, `standby status` and `standby iam-policy`."""

from __future__ import annotations

import json
from typing import Any

import click

from standby.cli.cmd_provision import build_provisioner
from standby.cli.context import AppContext
from standby.cli.render import emit
from standby.failover.controller import Controller, Planned
from standby.failover.journal import Journal


def build_controller(app: AppContext, *, with_terraform: bool = False) -> Controller:
    factory = (lambda assignment: build_provisioner(app, assignment)) if with_terraform else None
    return Controller(app.loaded, app.sessions, reporter=app.reporter, provisioner_factory=factory)


def plan_lines(planned: Planned) -> list[str]:
    plan = planned.plan
    lines = [
        f"{plan.kind.capitalize()} plan {plan.run_id}: activate {plan.activate}, demote {plan.demote}",
        f"  target capacity from {plan.target_source}:",
    ]
    for group, cap in sorted(plan.targets.items()):
        lines.append(f"    {group}: desired {cap.desired_capacity} (min {cap.min_size}, max {cap.max_size})")
    for number, step in enumerate(plan.steps, start=1):
        after = f"  (after {', '.join(step.depends_on)})" if step.depends_on else ""
        lines.append(f"  {number:>2}. [{step.region}] {step.key}: {step.describe()}{after}")
    pre = plan.preflight
    for problem in pre.problems:
        lines.append(f"      refused: {problem}")
    for warning in pre.warnings:
        lines.append(f"      warning: {warning}")
    return lines


def journal_summary(journal: Journal) -> dict[str, Any]:
    return {
        "run_id": journal.run_id,
        "kind": journal.kind,
        "status": journal.status,
        "activate": journal.activate,
        "demote": journal.demote,
        "rto_seconds": journal.rto_seconds,
        "warnings": journal.warnings,
        "steps": [
            {
                "key": s.key,
                "slug": s.slug,
                "region": s.region,
                "status": s.status,
                "detail": s.detail,
                "seconds": s.seconds,
                "attempts": s.attempts,
                "error": s.error,
            }
            for s in journal.steps.values()
        ],
    }


def journal_lines(journal: Journal) -> list[str]:
    rto = f"{journal.rto_seconds:.0f}s" if journal.rto_seconds is not None else "n/a"
    lines = [
        f"{journal.kind} {journal.run_id}: {journal.status}; RTO {rto} (start -> traffic on "
        f"{journal.activate} and healthy)"
    ]
    for s in journal.steps.values():
        secs = f" ({s.seconds:.1f}s)" if s.seconds is not None else ""
        lines.append(f"  [{s.region}] {s.key}: {s.status}{': ' + s.detail if s.detail else ''}{secs}")
    return lines


def _run(app: AppContext, kind: str, dry_run: bool, yes: bool, resume: str | None, accept_rpo_breach: bool) -> int:
    controller = build_controller(app, with_terraform=kind == "failback")
    journal = None
    if resume:
        planned, journal = controller.resume(resume)
    else:
        planned = controller.plan(kind, accept_rpo_breach=accept_rpo_breach)
    lines = plan_lines(planned)
    refused = bool(planned.plan.preflight.problems)
    if dry_run:
        lines.append("dry run: nothing was changed")
        emit(app.output, kind, {"dry_run": True, "plan": planned.plan.to_dict(), "refused": refused}, "\n".join(lines))
        return 4 if refused else 0
    click.echo("\n".join(lines), err=True)
    if not refused:
        app.confirm(f"{kind.capitalize()}: make {planned.plan.activate} the primary?", yes)
    finished = controller.execute(planned, journal)
    emit(app.output, kind, journal_summary(finished), "\n".join(journal_lines(finished)))
    return 0


@click.command()
@click.option("--dry-run", is_flag=True, help="Observe and print the plan; make no change.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--resume", "resume", metavar="RUN_ID", help="Continue a crashed or failed run.")
@click.option("--accept-rpo-breach", is_flag=True, help="Proceed although the replica lag exceeds the RPO.")
@click.pass_obj
def failover(app: AppContext, dry_run: bool, yes: bool, resume: str | None, accept_rpo_breach: bool) -> int:
    """Make the standby region the primary: promote, scale out, shift traffic, verify, record."""
    return _run(app, "failover", dry_run, yes, resume, accept_rpo_breach)


@click.command()
@click.option("--dry-run", is_flag=True, help="Observe and print the plan; make no change.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--resume", "resume", metavar="RUN_ID", help="Continue a crashed or failed run.")
@click.pass_obj
def failback(app: AppContext, dry_run: bool, yes: bool, resume: str | None) -> int:
    """Return to the home regions: re-seed, switch over, and put the standby back at minimal capacity."""
    return _run(app, "failback", dry_run, yes, resume, False)


@click.command()
@click.pass_obj
def status(app: AppContext) -> int:
    """Which region is primary now, and the state of the last run."""
    result = build_controller(app).status()
    lines = [
        f"primary: {result['primary']}, standby: {result['standby']}"
        + (" (failed over)" if result["failed_over"] else "")
    ]
    last = result["last_run"]
    if last:
        rto = f"{last['rto_seconds']:.0f}s" if last["rto_seconds"] is not None else "n/a"
        lines.append(f"last run: {last['kind']} {last['run_id']}: {last['status']} (RTO {rto})")
    else:
        lines.append("last run: none")
    emit(app.output, "status", result, "\n".join(lines))
    return 0


@click.command("iam-policy")
@click.pass_obj
def iam_policy(app: AppContext) -> int:
    """Print the least-privilege IAM policy the controller's drivers declare."""
    from standby.iam import policy_document

    doc = policy_document()
    emit(app.output, "iam-policy", doc, json.dumps(doc, indent=2))
    return 0
