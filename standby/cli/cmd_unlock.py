"""`standby unlock RUN_ID`: release a run's lock in both regions by hand, after showing who holds it."""

from __future__ import annotations

import re
from typing import Any

import click

from standby.cli.context import AppContext
from standby.cli.options import yes_option
from standby.cli.render import emit
from standby.errors import ExitCode, UsageError
from standby.state.lock import Holder, Unreachable, bounded, force_release, read_holder

# A lock's holder is a run id (a failover, failback, drill or provision run).
HOLDER_PATTERN = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,127}")


# What is shown of a holder: never its token (whoever has it may release the lock as the holder) nor the
# bookkeeping (journal, mark).
_SHOWN_HOLDER_FIELDS = ("run_id", "operator", "acquired_at", "beat", "beat_at", "ttl_seconds")


def _holder_json(holder: Holder | None) -> dict[str, Any] | None:
    if holder is None:
        return None
    return {name: getattr(holder, name) for name in _SHOWN_HOLDER_FIELDS}


@click.command()
@click.argument("run_id")
@yes_option
@click.pass_obj
def unlock(app: AppContext, run_id: str, yes: bool) -> ExitCode:
    """Release RUN_ID's run lock in both regions (for a run known to be gone; a live run's heartbeat is ignored)."""
    if not HOLDER_PATTERN.fullmatch(run_id):
        raise UsageError(f"{run_id!r} is not a run id", hint="`standby status` names the last run")
    states = app.states.fast()
    found: dict[str, Holder | None] = {}
    unreachable: dict[str, str] = {}
    for region, state in states.items():
        try:
            found[region] = bounded(lambda store=state.store: read_holder(store))
        except Unreachable as err:
            unreachable[region] = str(err)
    lines = []
    for region in states:
        holder = found.get(region)
        if region in unreachable:
            lines.append(f"{region}: unreachable ({unreachable[region]})")
        elif holder is None:
            lines.append(f"{region}: free")
        else:
            lines.append(f"{region}: held by {holder.describe()}")
    held = [region for region, holder in found.items() if holder is not None and holder.run_id == run_id]
    result: dict[str, Any] = {
        "run_id": run_id,
        "holders": {region: _holder_json(holder) for region, holder in found.items()},
        "unreachable": unreachable,
        "released": [],
    }
    if not held:
        others = sorted({h.run_id for h in found.values() if h is not None})
        raise UsageError(
            f"run {run_id} holds no run lock in {', '.join(found) or 'any region that answered'}\n" + "\n".join(lines),
            hint=f"the lock is held by {', '.join(others)}" if others else "the lock is free",
        )
    click.echo("\n".join(lines), err=True)
    app.confirm(f"Release the run lock of {run_id} in {', '.join(held)}? Only do this when that run is gone.", yes)
    released = []
    for region in held:
        store = states[region].store
        try:
            if bounded(lambda store=store: force_release(store, run_id)):
                released.append(region)
        except Unreachable as err:
            unreachable[region] = str(err)
    result["released"] = released
    lines.append(f"released in: {', '.join(released) or 'none'}")
    missed = [r for r in held if r not in released]
    if missed:
        lines.append(f"not released in {', '.join(missed)}: run `standby unlock {run_id}` again when it answers")
    emit(app.output, "unlock", result, "\n".join(lines))
    return ExitCode.OK if not missed else ExitCode.FAILED
