"""`standby emulator start|stop|status|reset`: the local AWS emulator on 127.0.0.1."""

from __future__ import annotations

import dataclasses

import click

from standby.cli.context import AppContext
from standby.cli.render import emit
from standby.errors import EmulatorError


@click.group()
def emulator() -> None:
    """Run the local AWS emulator (a moto server bound to 127.0.0.1)."""


@emulator.command()
@click.option("--port", type=click.IntRange(1024, 65535), default=None, help="Port to bind (default: a free one).")
@click.pass_obj
def start(app: AppContext, port: int | None) -> int:
    """Start the emulator unless one is running, and record its endpoint."""
    info, started = app.emulator.start(port)
    state = "started" if started else "already running"
    emit(
        app.output,
        "emulator start",
        {**dataclasses.asdict(info), "started": started},
        f"emulator {state}: {info.endpoint} (pid {info.pid})",
    )
    return 0


@emulator.command()
@click.pass_obj
def stop(app: AppContext) -> int:
    """Stop the running emulator (its state is lost)."""
    info = app.emulator.stop()
    text = f"emulator stopped: {info.endpoint}" if info else "no emulator was running"
    emit(app.output, "emulator stop", {"stopped": info is not None}, text)
    return 0


@emulator.command()
@click.pass_obj
def status(app: AppContext) -> int:
    """Show the running emulator; exit 7 when none is running."""
    info = app.emulator.status()
    if info is None:
        emit(app.output, "emulator status", {"running": False}, "no emulator is running", status="stopped")
        return EmulatorError.exit_code
    emit(
        app.output,
        "emulator status",
        {"running": True, **dataclasses.asdict(info)},
        f"emulator running: {info.endpoint} (pid {info.pid})",
    )
    return 0


@emulator.command()
@click.pass_obj
def reset(app: AppContext) -> int:
    """Forget every resource the emulator holds, in every region."""
    info = app.emulator.reset()
    emit(app.output, "emulator reset", {"endpoint": info.endpoint}, f"emulator reset: {info.endpoint}")
    return 0
