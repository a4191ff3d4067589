"""`standby emulator start|stop|status|reset|outage|restore|time-scale|replica-lag`: the local AWS emulator."""

from __future__ import annotations

import dataclasses
from typing import Any

import click

from standby.cli.context import AppContext
from standby.cli.render import Status, emit
from standby.emulator import EmulatorInfo, set_outage, set_replica_lag, set_time_scale
from standby.emulator import restore as restore_outages
from standby.errors import ExitCode


@click.group()
def emulator() -> None:
    """Run the local AWS emulator (a moto server bound to 127.0.0.1)."""


def _running(app: AppContext, verb: str, info: EmulatorInfo, state: str, doc: dict[str, Any]) -> ExitCode:
    """What ``start`` and ``status`` print about a running emulator: ``doc`` as JSON, else its state, endpoint
    and pid."""
    emit(app.output, f"emulator {verb}", doc, f"emulator {state}: {info.endpoint} (pid {info.pid})")
    return ExitCode.OK


@emulator.command()
@click.option("--port", type=click.IntRange(1024, 65535), default=None, help="Port to bind (default: a free one).")
@click.option(
    "--time-scale",
    type=click.FloatRange(0.0001, 100.0),
    default=None,
    help="Real seconds per modelled second of emulated latencies (promotion, DNS propagation); "
    "default $STANDBY_EMULATOR_TIME_SCALE or 1.",
)
@click.pass_obj
def start(app: AppContext, port: int | None, time_scale: float | None) -> ExitCode:
    """Start the emulator unless one is running, and record its endpoint."""
    info, started = app.emulator.start(port, time_scale=time_scale)
    if not started and time_scale is not None:
        set_time_scale(info.endpoint, time_scale)
    state = "started" if started else "already running"
    return _running(app, "start", info, state, {**dataclasses.asdict(info), "started": started})


@emulator.command()
@click.pass_obj
def stop(app: AppContext) -> ExitCode:
    """Stop the running emulator (its state is lost)."""
    info = app.emulator.stop()
    text = f"emulator stopped: {info.endpoint}" if info else "no emulator was running"
    emit(app.output, "emulator stop", {"stopped": info is not None}, text)
    return ExitCode.OK


@emulator.command()
@click.pass_obj
def status(app: AppContext) -> ExitCode:
    """Show the running emulator; exit 7 when none is running."""
    info = app.emulator.status()
    if info is None:
        emit(app.output, "emulator status", {"running": False}, "no emulator is running", status=Status.ERROR)
        return ExitCode.EMULATOR
    return _running(app, "status", info, "running", {"running": True, **dataclasses.asdict(info)})


@emulator.command()
@click.pass_obj
def reset(app: AppContext) -> ExitCode:
    """Forget every resource the emulator holds, in every region."""
    info = app.emulator.reset()
    emit(app.output, "emulator reset", {"endpoint": info.endpoint}, f"emulator reset: {info.endpoint}")
    return ExitCode.OK


@emulator.command()
@click.argument("region")
@click.option(
    "--plane",
    type=click.Choice(["all", "regional", "control"]),
    default="all",
    show_default=True,
    help="all: every request signed for REGION; regional: the same but Route53 (a regional outage that leaves "
    "Route53's control plane up); control: only Route53's control plane (REGION must be us-east-1).",
)
@click.option(
    "--mode",
    type=click.Choice(["hang", "refuse"]),
    default="hang",
    show_default=True,
    help="hang: requests get no answer until restore; refuse: connections are reset.",
)
@click.pass_obj
def outage(app: AppContext, region: str, plane: str, mode: str) -> ExitCode:
    """Make REGION unreachable in the emulator until `standby emulator restore`."""
    info = app.emulator.require()
    result = set_outage(info.endpoint, region, plane, mode)
    what = "Route53 control plane" if plane == "control" else "every request"
    emit(app.output, "emulator outage", result, f"emulator outage: {region} ({what}) {mode}s until restore")
    return ExitCode.OK


@emulator.command()
@click.argument("region", required=False)
@click.pass_obj
def restore(app: AppContext, region: str | None) -> ExitCode:
    """End the outages (of REGION, else all): held requests are answered."""
    info = app.emulator.require()
    ended = restore_outages(info.endpoint, region)
    names = ", ".join(f"{o['region']} ({o['plane']})" for o in ended) or "none"
    emit(app.output, "emulator restore", {"restored": ended}, f"emulator restored: {names}")
    return ExitCode.OK


@emulator.command("time-scale")
@click.argument("scale", type=click.FloatRange(0.0001, 100.0))
@click.pass_obj
def time_scale(app: AppContext, scale: float) -> ExitCode:
    """Set the real seconds per modelled second of emulated latencies (e.g. 0.05: a 60 s promotion in 3 s)."""
    info = app.emulator.require()
    now = set_time_scale(info.endpoint, scale)
    emit(app.output, "emulator time-scale", {"time_scale": now}, f"emulator time scale: {now:g}")
    return ExitCode.OK


@emulator.command("replica-lag")
@click.argument("seconds", type=click.FloatRange(min=0.0), required=False)
@click.option("--db", "identifier", default=None, help="Only this replica (default: every replica).")
@click.option("--region", default=None, help="The replica's region (with --db; default: any).")
@click.option("--off", is_flag=True, help="Stop publishing the modelled lag.")
@click.pass_obj
def replica_lag(
    app: AppContext, seconds: float | None, identifier: str | None, region: str | None, off: bool
) -> ExitCode:
    """Publish AWS/RDS ReplicaLag = SECONDS for replicas (or stop with --off)."""
    if off == (seconds is not None):
        raise click.UsageError("give SECONDS, or --off")
    info = app.emulator.require()
    result = set_replica_lag(info.endpoint, None if off else seconds, region, identifier)
    target = identifier or "every replica"
    text = f"emulator replica lag of {target}: " + ("off" if off else f"{seconds:g}s")
    emit(app.output, "emulator replica-lag", result, text)
    return ExitCode.OK
