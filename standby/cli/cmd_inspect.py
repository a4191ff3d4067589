"""`standby inspect`: what standby finds in the region stack of each region, and what it lacks."""

from __future__ import annotations

from typing import Any

import click

from standby.cli.context import AppContext
from standby.cli.render import emit
from standby.errors import ExitCode


@click.command()
@click.pass_obj
def inspect(app: AppContext) -> ExitCode:
    """Show, per region, the auto scaling groups with their [capacity.*] keys, the load balancers and target
    groups, the databases and whether each has its replica in the standby — each from the stack's outputs or
    found in its state — the injected variables the stack declares, and what is missing (docs/stacks.md).
    Reads the stacks' outputs and state only; changes nothing."""
    result = app.inspection().to_dict()
    emit(app.output, "inspect", result, render_text(result))
    return ExitCode.OK


def render_text(result: dict[str, Any]) -> str:
    lines = [f"stack {result['stack']} ({result['path']})"]
    variables = result["variables"]
    lines.append(f"  injected variables it declares: {', '.join(variables['injected']) or 'none'}")
    if variables["not_declared"]:
        lines.append(f"  not declared (not passed): {', '.join(variables['not_declared'])}")
    for region in result["regions"]:
        lines.append(f"{region['region']} ({region['role']})")
        if region.get("error"):
            lines.append(f"  cannot read the stack: {region['error']}")
            continue
        lines.extend(_region_lines(region))
    lines.append("missing:" if result["missing"] else "missing: nothing")
    lines.extend(f"  - {m}" for m in result["missing"])
    return "\n".join(lines)


def _region_lines(region: dict[str, Any]) -> list[str]:
    lines = ["  groups:" if region["groups"] else "  groups: none found"]
    for g in region["groups"]:
        key = f"[capacity.{g['key']}]" if g["key"] else "no key"
        lb = f", load balancer {g['lb_dns_name']}" if g["lb_dns_name"] else ", no load balancer"
        lines.append(
            f"    {key} <- {g['name'] or '?'} ({g['address'] or 'outputs only'}; {g['source']}: {g['rule']}){lb}"
        )
    for lb in region["load_balancers"]:
        lines.append(f"  load balancer {lb['name'] or lb['address']}: {lb['dns_name'] or '?'} ({lb['address']})")
    for tg in region["target_groups"]:
        lines.append(f"  target group {tg['name'] or tg['address']} ({tg['address']})")
    for db in region["databases"]:
        replica = f", replica of {db['replica_of']}" if db["replica_of"] else ""
        lines.append(f"  database {db['identifier']} ({db['address'] or 'outputs only'}; {db['source']}){replica}")
    return lines
