"""`standby demo`: the whole story on the local emulator, for the bundled example.

provision both regions → show what exists → drift check → fail over → status → fail back → isolated drill.
"""

from __future__ import annotations

import datetime as dt
import shutil

import click

from standby.cli.context import AppContext
from standby.cli.views import journal_lines, provision_plan_lines
from standby.drift.render import render_text
from standby.emulator import require_loopback
from standby.errors import ExitCode
from standby.inventory import region_inventory, zone_inventory
from standby.state.manifest import Manifest


def _stage(title: str) -> None:
    click.echo(f"\n== {title}", err=True)


def _simulate_replica_lag(app: AppContext, manifest: Manifest, seconds: float) -> None:
    """The emulator publishes no metrics: write the ReplicaLag datapoint CloudWatch would (clearly a simulation)."""
    region = app.loaded.config.regions.standby
    client = app.sessions.client("cloudwatch", region)
    for identifier in manifest.region(region).databases:
        client.put_metric_data(
            Namespace="AWS/RDS",
            MetricData=[
                {
                    "MetricName": "ReplicaLag",
                    "Value": seconds,
                    "Timestamp": dt.datetime.now(tz=dt.UTC),
                    "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": identifier}],
                }
            ],
        )
    click.echo(f"(emulator: simulated ReplicaLag of {seconds}s published for the standby's replicas)", err=True)


@click.command()
@click.option("--keep-emulator", is_flag=True, help="Leave the emulator running at the end.")
@click.option("--skip-failover", is_flag=True, help="Skip the failover and failback (saves a few minutes).")
@click.pass_obj
def demo(app: AppContext, keep_emulator: bool, skip_failover: bool) -> ExitCode:
    """Provision the example in two regions, check drift, fail over and back, and run an isolated drill."""
    config = app.loaded.config
    if config.aws.endpoint != "emulator":
        require_loopback(config.aws.endpoint, "demo")
    info, started = app.emulator.start()
    click.echo(f"emulator {'started' if started else 'in use'}: {info.endpoint}", err=True)
    out: list[str] = []
    try:
        require_loopback(app.target.endpoint_url, "demo")
        # The demo's Terraform state and reports describe emulator resources only: start from a clean slate.
        shutil.rmtree(app.loaded.state_dir, ignore_errors=True)

        _stage("provision: the same stack in both regions, the standby at minimal scale")
        provisioner = app.provisioner()
        plan = provisioner.plan("all")
        click.echo("\n".join(provision_plan_lines(config, plan)), err=True)
        provisioner.apply(plan)
        manifest = provisioner.publish(app.sessions)
        out.append("What now exists:")
        for region in provisioner.assignment.regions:
            out.extend(region_inventory(app.sessions, region).lines())
        zone = zone_inventory(app.sessions, config.traffic.hosted_zone)
        if zone is not None:
            out.extend(zone.lines())
        _simulate_replica_lag(app, manifest, 0.8)

        _stage("drift: parity between the regions, readiness, Terraform drift")
        drift_report = app.drift_run(iac=True).run(None)
        out.extend(["", "Drift check:", render_text(drift_report)])

        controller = app.controller(with_terraform=True)
        if not skip_failover:
            _stage(f"failover: {config.regions.standby} becomes the primary")
            journal = controller.execute(controller.plan("failover"))
            out.extend(["", *journal_lines(journal)])
            status = controller.status()
            out.append(f"status: primary {status.primary}, standby {status.standby}")

            _stage(f"failback: back to {config.regions.primary} (databases re-seeded through Terraform)")
            journal = controller.execute(controller.plan("failback"))
            out.extend(["", *journal_lines(journal)])
            _simulate_replica_lag(app, manifest, 0.8)

        _stage("drill: an isolated game day, nothing in production touched")
        result = app.drill_runner().run("isolated", app.loaded.resolve(config.drill.report_dir))
        r = result.report
        rto, rpo = r.objectives.rto, r.objectives.rpo
        out.extend(
            [
                "",
                f"Isolated drill {r.run_id}: {r.status.upper()} — RTO {rto.measured_seconds}s "
                f"(objective {rto.objective_seconds}s), RPO {rpo.measured_seconds}s "
                f"(objective {rpo.objective_seconds}s), left behind: "
                + (", ".join(d.key for d in r.left_behind) or "nothing"),
                f"Drill report: {result.files['html']}",
                f"              {result.files['markdown']}",
                f"              {result.files['json']}",
            ]
        )
        click.echo("\n".join(out))
    finally:
        if started and not keep_emulator:
            app.emulator.stop()
            click.echo("emulator stopped", err=True)
    return ExitCode.OK
