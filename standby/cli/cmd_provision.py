"""`standby provision`: plan both regions (concurrently) and the DNS stack, show the plan, apply on confirmation."""

from __future__ import annotations

from typing import Any

import click

from standby.capacity import capacities_for
from standby.cli.context import AppContext
from standby.cli.render import emit
from standby.provision import AppliedStack, PlannedStack, Provisioner, ProvisionPlan
from standby.records import control_stores, current_assignment
from standby.roles import Assignment


def build_provisioner(app: AppContext, assignment: Assignment | None = None) -> Provisioner:
    """A provisioner for the recorded role assignment (after a failover, the standby region is the primary)."""
    loaded = app.loaded
    if assignment is None:
        assignment = current_assignment(loaded.config, control_stores(app.sessions.fast_fail(), loaded.config).values())
    return Provisioner(
        loaded,
        app.runner,
        assignment=assignment,
        secrets=app.secrets(),
        reporter=app.reporter,
        sessions=app.sessions,
    )


def plan_lines(app: AppContext, plan: ProvisionPlan) -> list[str]:
    config = app.loaded.config
    a = plan.assignment
    lines = [f"Provision plan for {config.project.name} (primary {a.primary}, standby {a.standby}):"]
    for planned in plan.stacks:
        t = planned.target
        role = f"({t.role})" if t.role else ""
        lines.append(f"  {t.label:<14} {t.stack:<10} {role:<10} {planned.summary()}")
        if t.region is not None:
            for group, cap in capacities_for(t.role == "primary", config.capacity, config.scale).items():
                lines.append(
                    f"  {'':<14} capacity {group}: desired {cap.desired_capacity}"
                    f" (min {cap.min_size}, max {cap.max_size})"
                )
        if planned.plan is not None:
            for change in planned.plan.changes:
                if change.action in ("delete", "replace"):
                    lines.append(f"  {'':<14} {change.action}: {change.address}")
    return lines


def planned_json(planned: PlannedStack) -> dict[str, Any]:
    t = planned.target
    plan = planned.plan
    return {
        "stack": t.stack,
        "scope": t.scope,
        "region": t.region,
        "role": t.role,
        "summary": planned.summary(),
        "planned": plan is not None,
        "adds": plan.adds if plan else None,
        "updates": plan.updates if plan else None,
        "destroys": plan.destroys if plan else None,
        "seconds": round(planned.seconds, 2),
        "changes": [{"address": c.address, "action": c.action, "attributes": list(c.attributes)} for c in plan.changes]
        if plan
        else [],
    }


def applied_json(applied: AppliedStack) -> dict[str, Any]:
    t = applied.target
    return {
        "stack": t.stack,
        "scope": t.scope,
        "region": t.region,
        "role": t.role,
        "status": applied.status,
        "seconds": round(applied.seconds, 2),
        "outputs": {k: v for k, v in applied.outputs.items() if not k.endswith("password")},
    }


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
def provision(app: AppContext, which: str, plan_only: bool, yes: bool) -> int:
    """Mirror the primary's stacks in the standby region at minimal scale, and the DNS stack."""
    provisioner = build_provisioner(app)
    plan = provisioner.plan(which)
    lines = plan_lines(app, plan)
    result: dict[str, Any] = {
        "assignment": {"primary": plan.assignment.primary, "standby": plan.assignment.standby},
        "stacks": [planned_json(p) for p in plan.stacks],
        "applied": [],
    }
    if plan_only:
        lines.append("plan only: nothing applied" if plan.has_changes else "no changes")
        emit(app.output, "provision", result, "\n".join(lines))
        return 0
    if plan.has_changes:
        click.echo("\n".join(lines), err=True)
        app.confirm("Apply this plan?", yes)
        applied = provisioner.apply(plan)
        result["applied"] = [applied_json(a) for a in applied]
        for a in applied:
            lines.append(f"  {a.target.label:<14} {a.target.stack:<10} {a.status} ({a.seconds:.0f}s)")
    else:
        lines.append("no changes")
    if which == "all":
        provisioner.publish(app.sessions)
    emit(app.output, "provision", result, "\n".join(lines))
    return 0
