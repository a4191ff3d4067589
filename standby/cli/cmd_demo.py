"""`standby demo`: the whole story on the local emulator, for the bundled example."""

from __future__ import annotations

import shutil

import click

from standby.cli.cmd_provision import build_provisioner, plan_lines
from standby.cli.context import AppContext
from standby.cli.render import emit
from standby.emulator import require_loopback
from standby.inventory import region_inventory, zone_inventory


@click.command()
@click.option("--keep-emulator", is_flag=True, help="Leave the emulator running at the end.")
@click.pass_obj
def demo(app: AppContext, keep_emulator: bool) -> int:
    """Start the emulator, provision both regions of the example, and show what exists in each."""
    config = app.loaded.config
    if config.aws.endpoint != "emulator":
        require_loopback(config.aws.endpoint, "demo")
    info, started = app.emulator.start()
    click.echo(f"emulator {'started' if started else 'in use'}: {info.endpoint}", err=True)
    try:
        require_loopback(app.target.endpoint_url, "demo")
        # The demo's Terraform state describes emulator resources only: start from a clean slate.
        shutil.rmtree(app.loaded.state_dir / "state", ignore_errors=True)
        provisioner = build_provisioner(app)
        plan = provisioner.plan("all")
        click.echo("\n".join(plan_lines(app, plan)), err=True)
        provisioner.apply(plan)
        provisioner.publish(app.sessions)
        inventories = [region_inventory(app.sessions, r) for r in provisioner.assignment.regions]
        zone = zone_inventory(app.sessions, config.traffic.hosted_zone)
        lines = ["", "What now exists:"]
        for inv in inventories:
            lines.extend(inv.lines())
        if zone is not None:
            lines.extend(zone.lines())
        emit(
            app.output,
            "demo",
            {"regions": [i.to_dict() for i in inventories], "zone": zone},
            "\n".join(lines),
        )
    finally:
        if started and not keep_emulator:
            app.emulator.stop()
            click.echo("emulator stopped", err=True)
    return 0
