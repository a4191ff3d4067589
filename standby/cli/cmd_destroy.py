"""`standby destroy`: plan the teardown (per stack, what Terraform would destroy), confirm, destroy in order."""

from __future__ import annotations

from typing import Any

import click

from standby.cli.context import AppContext
from standby.cli.render import emit
from standby.errors import ExitCode
from standby.teardown import PlannedStage, Removed, Stage, TeardownPlan

HELP = """Tear down what standby provisioned: the standby region's stacks and standby's control stores and, only
with --include-primary, the global (DNS) stack first and the primary's stacks after the standby's.

\b
The primary's stacks and the DNS stack are production: they are kept unless --include-primary is given
(--keep-primary, the default, says so explicitly). With the primary kept, the service keeps its names; the DNS
stack's records for the standby point at nothing until the next `standby provision`.
Each stack is planned first (`terraform plan -destroy`) and the plan is shown; exactly that plan is applied,
after a confirmation unless --yes. A database destroyed with its data (not a replica) is snapshotted first, and
its stack destroyed only once the snapshot is available. The run lock is held throughout, so no failover can
start meanwhile; a live run holding it refuses the teardown (exit 8)."""


def stage_lines(planned: PlannedStage) -> list[str]:
    stage = planned.stage
    if stage.stack is None:
        return [f"  {stage.label:<14} control store  remove: {planned.note}"]
    head = f"  {stage.label:<14} {stage.stack:<14} ({stage.part})"
    if planned.plan is None or not planned.doomed:
        return [f"{head}: {planned.note or 'nothing to destroy'}"]
    lines = [f"{head}: {len(planned.doomed)} to destroy"] + [f"      - {address}" for address in planned.doomed]
    lines.extend(
        f"      first: a final snapshot of database {db.identifier}, destroyed only once it is available"
        for db in planned.snapshots
    )
    return lines


def plan_lines(plan: TeardownPlan) -> list[str]:
    lines = [f"teardown (primary {plan.assignment.primary}, standby {plan.assignment.standby}), in this order:"]
    for planned in plan.stages:
        lines.extend(stage_lines(planned))
    lines.extend(f"  kept: {kept}" for kept in plan.kept)
    return lines


def stage_place(stage: Stage) -> dict[str, Any]:
    """Where a stage acts (part, region, stack): how both the planned and the removed stages are named in JSON."""
    return {"part": stage.part, "region": stage.region, "stack": stage.stack}


def stage_json(planned: PlannedStage) -> dict[str, Any]:
    return {
        **stage_place(planned.stage),
        "destroy": list(planned.doomed),
        "final_snapshots": [db.identifier for db in planned.snapshots],
        "note": planned.note,
    }


def removed_json(removed: Removed) -> dict[str, Any]:
    return {
        **stage_place(removed.stage),
        "status": removed.status,
        "seconds": round(removed.seconds, 1),
        "detail": removed.detail,
    }


@click.command(help=HELP)
@click.option(
    "--include-primary/--keep-primary",
    default=False,
    show_default=True,
    help="Also destroy the primary region's stacks (production). Default: keep them.",
)
@click.option("--keep-control-stores", is_flag=True, help="Keep standby's buckets and lock tables (its records).")
@click.option("--dry-run", is_flag=True, help="Show the teardown plan; destroy nothing.")
@click.option("--yes", is_flag=True, help="Destroy without asking.")
@click.pass_obj
def destroy(app: AppContext, include_primary: bool, keep_control_stores: bool, dry_run: bool, yes: bool) -> ExitCode:
    teardown = app.teardown()
    options = {"include_primary": include_primary, "keep_control_stores": keep_control_stores}
    if dry_run:
        plan = teardown.plan(**options)
        return _show(app, plan, [], "dry run: nothing was destroyed")
    with app.teardown_lock(teardown.assignment):  # held from the plan to the last stack: no failover meanwhile
        plan = teardown.plan(**options)
        if not plan.has_changes:
            return _show(app, plan, [], "nothing to destroy")
        click.echo("\n".join(plan_lines(plan)), err=True)
        stores = " and standby's control stores" if plan.removes_control_stores else ""
        app.confirm(f"Destroy {plan.destroys} resource(s){stores} as planned above?", yes)
        removed = teardown.execute(plan)
    removed += teardown.remove_lock_tables(plan)  # the run lock lived in them: removed once it is released
    return _show(app, plan, removed, "destroyed")


def _show(app: AppContext, plan: TeardownPlan, removed: list[Removed], outcome: str) -> ExitCode:
    lines = plan_lines(plan)
    lines.extend(f"  {r.stage.label:<14} {r.stage.stack or 'control store':<14} {r.status}" for r in removed)
    lines.append(outcome)
    result = {
        "assignment": {"primary": plan.assignment.primary, "standby": plan.assignment.standby},
        "stages": [stage_json(s) for s in plan.stages],
        "kept": list(plan.kept),
        "removed": [removed_json(r) for r in removed],
        "dry_run": outcome.startswith("dry run"),
    }
    emit(app.output, "destroy", result, "\n".join(lines))
    return ExitCode.OK
