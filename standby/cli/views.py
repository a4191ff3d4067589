"""How results read: the text lines and JSON results the verbs print, shared by every verb that shows them."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from standby.capacity import capacities_for
from standby.config.schema import Config
from standby.failover.controller import Planned, RunStatus
from standby.provision import AppliedStack, PlannedStack, ProvisionPlan
from standby.stacks import Reseed, StackTarget
from standby.state import Journal

Row = TypeVar("Row")

# -- failover and failback ------------------------------------------------------------------------------------


def run_plan_lines(planned: Planned) -> list[str]:
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


def reseed_plan_lines(previews: Sequence[Reseed]) -> list[str]:
    """The exact Terraform plan of each re-seed (a targeted replace of the region's databases), as planned now."""
    if not previews:
        return []
    lines = ["  re-seed (terraform, targeted to the databases; a final snapshot of each is taken first):"]
    for reseed in previews:
        lines.append(f"    [{reseed.region}] {reseed.stack}: {reseed.summary()}")
        if reseed.plan is not None:
            names = {db.address: db.identifier for db in reseed.databases}
            for change in reseed.plan.changes:
                name = f" ({names[change.address]})" if change.address in names else ""
                lines.append(f"      {change.action}: {change.address}{name}")
        for problem in reseed.problems:
            lines.append(f"      refused: {problem}")
    return lines


def run_status_json(status: RunStatus) -> dict[str, Any]:
    """`standby status` as JSON: primary, standby, home, failed_over and last_run (null before any run)."""
    last = status.last_run
    return {
        "primary": status.primary,
        "standby": status.standby,
        "home": {"primary": status.home.primary, "standby": status.home.standby},
        "failed_over": status.failed_over,
        "last_run": None if last is None else dataclasses.asdict(last),
    }


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


def seconds_text(value: float | None) -> str:
    """A duration as the tables show it: one decimal, or n/a when unknown."""
    return "n/a" if value is None else f"{value:.1f}s"


def minute_text(epoch: float) -> str:
    """A moment as the history tables show it: UTC, to the minute."""
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).strftime("%Y-%m-%d %H:%M")


def table_lines(header: str, rows: Sequence[Row], line: Callable[[Row], str], empty: str) -> list[str]:
    """A header, one line per row, and ``empty`` when there is no row."""
    return [header, *(line(row) for row in rows)] if rows else [header, empty]


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


# -- provision ------------------------------------------------------------------------------------------------


def provision_plan_lines(config: Config, plan: ProvisionPlan) -> list[str]:
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


def _target_json(target: StackTarget) -> dict[str, Any]:
    """What every stack's line in the JSON starts with: which stack, where, in which role."""
    return {"stack": target.stack, "scope": target.scope, "region": target.region, "role": target.role}


def planned_json(planned: PlannedStack) -> dict[str, Any]:
    plan = planned.plan
    return {
        **_target_json(planned.target),
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
    return {
        **_target_json(applied.target),
        "status": applied.status,
        "seconds": round(applied.seconds, 2),
        "outputs": {k: v for k, v in applied.outputs.items() if not k.endswith("password")},
    }
