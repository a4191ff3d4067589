"""Fencing the demoted side, and the wait before it loses its capacity.

- ``fence-writes``: put the demoted region's databases behind a security group of standby's that allows no
  ingress (in place of their own groups) before the standby's databases are promoted, so no write lands on the
  old primary once replication stops. Best effort and time-boxed: a region that does not answer is skipped, never
  waited on. No rule of the stack's own groups changes (Terraform keeps its rules and their ids); the database's
  groups it replaced are recorded in the activated region's control store (and, best effort, the fenced
  region's), so that…
- ``restore-writes``: …a failback gives the database back exactly those groups before that region serves again.
- ``drain``: after traffic moves, wait for the records' TTL plus ``[failover] drain_seconds`` before the demoted
  region is scaled in, so that clients holding cached answers are not sent to an empty region.
"""

from __future__ import annotations

import logging
from typing import Any

from standby.aws import ec2, rds
from standby.failover.context import AWS_ERRORS, NOCHANGE, Outcome, StepContext, best_effort
from standby.failover.model import Drain, FenceWrites, RestoreWrites
from standby.failover.steps import handles
from standby.state import FENCE_NOTES, Notes

log = logging.getLogger(__name__)


def fence_note_name(region: str, group_id: str) -> str:
    return f"{region}-{group_id}"


@handles(FenceWrites)
def run_fence_writes(ctx: StepContext, step: FenceWrites) -> Outcome:
    if not step.reachable:
        return Outcome("skipped", step.skip_reason or "region unreachable")
    if not step.databases:
        return Outcome("skipped", NOCHANGE)
    seconds = min(step.timeout_seconds, ctx.config.failover.demote_budget_seconds)
    return best_effort(ctx, step, seconds, f"fencing writes in {step.region}", _fence_writes)


def fence_group_name(project: str) -> str:
    return f"standby-{project}-fence"


def _fence_writes(ctx: StepContext, step: FenceWrites) -> Outcome:
    rds_client = ctx.demote_sessions.client("rds", step.region)
    ec2_client = ctx.demote_sessions.client("ec2", step.region)
    to_fence: dict[str, tuple[str, list[str]]] = {}  # database -> (its fence, its groups now)
    for db in rds.describe_instances(rds_client, list(step.databases)):
        vpc = db.vpc_id or next((g.vpc_id for g in ec2.describe_security_groups(ec2_client, db.security_groups)), None)
        if vpc is None:  # not in a VPC: nothing to fence it with
            continue
        fence = ec2.ensure_empty_group(
            ec2_client, vpc, fence_group_name(ctx.config.project.name), "standby: a fenced database (no ingress)"
        )
        if db.security_groups != (fence,):
            to_fence[db.identifier] = (fence, list(db.security_groups))
    if not to_fence:
        return Outcome("skipped", NOCHANGE)
    # Recorded before the groups change, every database in one write: a crash loses nothing.
    notes = _record_fences(ctx.notes(step.record_in), step.region, ctx.run_id, to_fence)
    _copy_notes(ctx, step.region, notes)
    fenced: dict[str, list[str]] = {}
    for database, (fence, _) in to_fence.items():
        rds.set_security_groups(rds_client, database, [fence])
        fenced[database] = notes[fence_note_name(step.region, database)]["security_groups"]
    detail = ", ".join(f"{db} (was {', '.join(groups)})" for db, groups in fenced.items())
    return Outcome("complete", f"fenced behind a group with no ingress: {detail}", {"security_groups": fenced})


def _record_fences(
    record: Notes, region: str, run_id: str, to_fence: dict[str, tuple[str, list[str]]]
) -> dict[str, dict[str, Any]]:
    """Note each database's groups in one change (one read, one write) and return the notes written. Groups
    noted already are kept: a database fenced by an earlier attempt has the fence now, not its own groups."""
    written: dict[str, dict[str, Any]] = {}

    def apply(doc: dict[str, dict[str, Any]]) -> None:
        for database, (_, groups) in to_fence.items():
            name = fence_note_name(region, database)
            entry = doc.setdefault(name, {})
            kept = entry.get("security_groups")
            entry.update(region=region, database=database, security_groups=kept or groups, run_id=run_id)
            written[name] = dict(entry)

    record.change(FENCE_NOTES, apply)
    return written


def _copy_notes(ctx: StepContext, region: str, notes: dict[str, dict[str, Any]]) -> None:
    """Best effort: the fenced region keeps a copy, for a failback that cannot read the other region."""
    try:
        ctx.states.fast()[region].notes().update_many(FENCE_NOTES, notes)
    except AWS_ERRORS as err:
        log.info("fence record not copied to %s: %s", region, err)


@handles(RestoreWrites)
def run_restore_writes(ctx: StepContext, step: RestoreWrites) -> Outcome:
    restored: dict[str, list[str]] = {}
    client = ctx.sessions.client("rds", step.region)
    for holder in dict.fromkeys((step.record_in, step.region)):
        notes = ctx.notes(holder)
        done: dict[str, list[str]] = {}  # the notes of this region's databases, forgotten once all are restored
        for name, note in notes.all(FENCE_NOTES).items():
            if note.get("region") != step.region:
                continue
            database, groups = str(note["database"]), [str(g) for g in note.get("security_groups") or []]
            if database not in restored:
                found = rds.describe_instances(client, [database])
                if found and groups and list(found[0].security_groups) != groups:
                    rds.set_security_groups(client, database, groups)
                    restored[database] = groups
            done[name] = list(note)
        if done:
            notes.forget_many(FENCE_NOTES, done)
    if not restored:
        return Outcome("skipped", NOCHANGE)
    detail = ", ".join(f"{db} ({', '.join(groups)})" for db, groups in restored.items())
    return Outcome("complete", f"security groups restored on {detail}", after={"security_groups": restored})


@handles(Drain)
def run_drain(ctx: StepContext, step: Drain) -> Outcome:
    ctx.clock.sleep(step.seconds)
    return Outcome("complete", f"waited {step.seconds:.0f}s for cached answers to expire and connections to drain")
