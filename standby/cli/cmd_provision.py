"""`standby provision`: plan both regions (concurrently) and the DNS stack, show the plan, apply on confirmation."""

from __future__ import annotations

from typing import Any

import click

from standby.cli.context import AppContext
from standby.cli.render import emit
from standby.cli.views import applied_json, planned_json, provision_plan_lines
from standby.errors import ExitCode


@click.command()
@click.option(
    "--region",
    "which",
    default="all",
    show_default=True,
    help="primary, standby, all, or a region name. 'all' includes the global DNS stack.",
)
@click.option("--plan", "plan_only", is_flag=True, help="Show the plan and change nothing.")
@click.option("--yes", is_flag=True, help="Apply without asking.")
@click.pass_obj
def provision(app: AppContext, which: str, plan_only: bool, yes: bool) -> ExitCode:
    """Mirror the primary's stacks in the standby region at minimal scale, and the DNS stack."""
    provisioner = app.provisioner()
    plan = provisioner.plan(which)
    lines = provision_plan_lines(app.loaded.config, plan)
    result: dict[str, Any] = {
        "assignment": {"primary": plan.assignment.primary, "standby": plan.assignment.standby},
        "stacks": [planned_json(p) for p in plan.stacks],
        "applied": [],
    }
    if plan_only:
        lines.append("plan only: nothing applied" if plan.has_changes else "no changes")
        emit(app.output, "provision", result, "\n".join(lines))
        return ExitCode.OK
    if plan.has_changes:
        click.echo("\n".join(lines), err=True)
        app.confirm("Apply this plan?", yes)
    if not plan.has_changes and which != "all":
        lines.append("no changes")
        emit(app.output, "provision", result, "\n".join(lines))
        return ExitCode.OK
    with app.provision_lock(plan.assignment):  # one run at a time: provision, failover, failback, drill
        if plan.has_changes:
            applied = provisioner.apply(plan)
            result["applied"] = [applied_json(a) for a in applied]
            for a in applied:
                lines.append(f"  {a.target.label:<14} {a.target.stack:<10} {a.status} ({a.seconds:.0f}s)")
        else:
            lines.append("no changes")
        if which == "all":
            provisioner.publish(app.sessions)
    emit(app.output, "provision", result, "\n".join(lines))
    return ExitCode.OK
