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

log = logging.getLogger(__name__)

FENCE_NOTES = "fence"


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
    record = ctx.notes(step.record_in)
    fenced: dict[str, list[str]] = {}
    for db in rds.describe_instances(rds_client, list(step.databases)):
        vpc = db.vpc_id or next((g.vpc_id for g in ec2.describe_security_groups(ec2_client, db.security_groups)), None)
        if vpc is None:  # not in a VPC: nothing to fence it with
            continue
        fence = ec2.ensure_empty_group(
            ec2_client, vpc, fence_group_name(ctx.config.project.name), "standby: a fenced database (no ingress)"
        )
        if db.security_groups == (fence,):
            continue
        name = fence_note_name(step.region, db.identifier)
        kept = record.get(FENCE_NOTES, name).get("security_groups")
        note = {
            "region": step.region,
            "database": db.identifier,
            "security_groups": kept or list(db.security_groups),
            "run_id": ctx.run_id,
        }
        record.update(FENCE_NOTES, name, **note)  # recorded before the groups change: a crash loses nothing
        _copy_note(ctx, step.region, name, note)
        rds.set_security_groups(rds_client, db.identifier, [fence])
        fenced[db.identifier] = note["security_groups"]
    if not fenced:
        return Outcome("skipped", NOCHANGE)
    detail = ", ".join(f"{db} (was {', '.join(groups)})" for db, groups in fenced.items())
    return Outcome("complete", f"fenced behind a group with no ingress: {detail}", {"security_groups": fenced})


def _copy_note(ctx: StepContext, region: str, name: str, note: dict[str, Any]) -> None:
    """Best effort: the fenced region keeps a copy, for a failback that cannot read the other region."""
    try:
        ctx.states.fast()[region].notes().update(FENCE_NOTES, name, **note)
    except AWS_ERRORS as err:
        log.info("fence record not copied to %s: %s", region, err)


@handles(RestoreWrites)
def run_restore_writes(ctx: StepContext, step: RestoreWrites) -> Outcome:
    restored: dict[str, list[str]] = {}
    client = ctx.sessions.client("rds", step.region)
    for holder in dict.fromkeys((step.record_in, step.region)):
        notes = ctx.notes(holder)
        for name in notes.names(FENCE_NOTES):
            note = notes.get(FENCE_NOTES, name)
            if note.get("region") != step.region:
                continue
            database, groups = str(note["database"]), [str(g) for g in note.get("security_groups") or []]
            if database not in restored:
                found = rds.describe_instances(client, [database])
                if found and groups and list(found[0].security_groups) != groups:
                    rds.set_security_groups(client, database, groups)
                    restored[database] = groups
            notes.forget(FENCE_NOTES, name, *note)
    if not restored:
        return Outcome("skipped", NOCHANGE)
    detail = ", ".join(f"{db} ({', '.join(groups)})" for db, groups in restored.items())
    return Outcome("complete", f"security groups restored on {detail}", after={"security_groups": restored})


@handles(Drain)
def run_drain(ctx: StepContext, step: Drain) -> Outcome:
    ctx.clock.sleep(step.seconds)
    return Outcome("complete", f"waited {step.seconds:.0f}s for cached answers to expire and connections to drain")
