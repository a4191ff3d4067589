"""`standby demo`: the whole story on the local emulator, for the bundled example.

provision both regions → show what exists → drift check → fail over → status → fail back → isolated drill →
the DR plan document.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from pathlib import Path

import click

from standby import __version__
from standby.cli.context import AppContext
from standby.cli.views import journal_lines, provision_plan_lines
from standby.drift.render import render_text
from standby.emulator import require_loopback
from standby.errors import ExitCode, UsageError
from standby.iam import policy_document
from standby.inventory import region_overview, zone_inventory
from standby.plan.collect import collect
from standby.plan.document import build_document
from standby.plan.store import write
from standby.state.manifest import Manifest

# Written into the state directory the demo creates: only a directory holding it is ever deleted by the demo.
DEMO_MARKER = ".standby-demo"


def check_demo_state_dir(state_dir: Path, config_path: Path) -> Path:
    """The resolved state directory, when the demo may delete and recreate it; else a UsageError.

    It must lie strictly inside the config file's directory, must not hold the config file, and, when it exists,
    must hold the marker a previous demo wrote (a directory the demo did not create is never deleted).
    """
    base = config_path.resolve().parent
    target = state_dir.resolve()
    hint = 'point [terraform] state_dir at a new directory beside standby.toml, e.g. ".standby"'
    if target == base or not target.is_relative_to(base):
        raise UsageError(f"the demo deletes its state directory, and {target} is not inside {base}", hint=hint)
    if config_path.resolve().is_relative_to(target):
        raise UsageError(f"the demo deletes its state directory, and {target} holds the config file", hint=hint)
    if target.exists() and not (target / DEMO_MARKER).is_file():
        raise UsageError(
            f"the demo deletes its state directory, and {target} was not created by the demo (no {DEMO_MARKER})",
            hint=f"delete {target} yourself if it may go, or " + hint,
        )
    return target


def fresh_demo_state_dir(state_dir: Path, config_path: Path) -> Path:
    """Delete the demo's previous state directory (checked first) and create it anew, marked as the demo's."""
    target = check_demo_state_dir(state_dir, config_path)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(mode=0o700, parents=True)
    (target / DEMO_MARKER).write_text("created by `standby demo`, which deletes this directory on its next run\n")
    return target


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
    check_demo_state_dir(app.loaded.state_dir, app.loaded.path)
    info, started = app.emulator.start()
    click.echo(f"emulator {'started' if started else 'in use'}: {info.endpoint}", err=True)
    out: list[str] = []
    try:
        require_loopback(app.target.endpoint_url, "demo")
        # The demo's Terraform state and reports describe emulator resources only: start from a clean slate
        # (in a state directory the demo created and marked, inside the example's directory).
        fresh_demo_state_dir(app.loaded.state_dir, app.loaded.path)

        _stage("provision: the same stack in both regions, the standby at minimal scale")
        provisioner = app.provisioner()
        plan = provisioner.plan("all")
        click.echo("\n".join(provision_plan_lines(config, plan)), err=True)
        provisioner.apply(plan)
        manifest = provisioner.publish(app.sessions)
        out.append("What now exists:")
        for region in provisioner.assignment.regions:
            out.extend(region_overview(app.sessions, region).lines())
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

        _stage("plan: the DR plan document, from the real failover and failback plans")
        inputs = collect(app.controller(), app.drill_runner().history)
        doc = build_document(inputs, generated_at=time.time(), standby_version=__version__, policy=policy_document())
        written = write(doc, app.loaded.base_dir, ("md", "html"), app.states.fast())
        out.extend(["", f"DR plan: {written.files['html']}", f"         {written.files['md']}"])
        click.echo("\n".join(out))
    finally:
        if started and not keep_emulator:
            app.emulator.stop()
            click.echo("emulator stopped", err=True)
    return ExitCode.OK
