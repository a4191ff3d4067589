"""Fencing the demoted side, and the wait before it loses its capacity.

- ``fence-writes``: revoke the ingress of the demoted region's databases' security groups before the standby's
  databases are promoted, so no write lands on the old primary once replication stops. Best effort and
  time-boxed: a region that does not answer is skipped, never waited on. What was revoked is recorded in the
  activated region's control store (and, best effort, in the fenced region's), so that…
- ``restore-writes``: …a failback re-authorizes exactly those rules before the fenced region serves again.
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


def _fence_writes(ctx: StepContext, step: FenceWrites) -> Outcome:
    client = ctx.demote_sessions.client("ec2", step.region)
    dbs = rds.describe_instances(ctx.demote_sessions.client("rds", step.region), list(step.databases))
    groups = sorted({g for db in dbs for g in db.security_groups})
    record = ctx.notes(step.record_in)
    revoked: dict[str, int] = {}
    for group in groups:
        ingress = ec2.ingress_permissions(client, group)
        if not ingress:
            continue
        name = fence_note_name(step.region, group)
        kept = record.get(FENCE_NOTES, name).get("ingress") or []
        merged = kept + [p for p in ingress if p not in kept]
        note = {"region": step.region, "group_id": group, "ingress": merged, "run_id": ctx.run_id}
        record.update(FENCE_NOTES, name, **note)  # recorded before it is revoked: a crash loses nothing
        _copy_note(ctx, step.region, name, note)
        ec2.revoke_ingress(client, group, ingress)
        revoked[group] = len(ingress)
    if not revoked:
        return Outcome("skipped", NOCHANGE, {"security_groups": groups})
    detail = ", ".join(f"{g} ({n} rule(s))" for g, n in revoked.items())
    return Outcome("complete", f"ingress revoked on {detail}", {"ingress_rules": revoked}, {"ingress_rules": 0})


def _copy_note(ctx: StepContext, region: str, name: str, note: dict[str, Any]) -> None:
    """Best effort: the fenced region keeps a copy, for a failback that cannot read the other region."""
    try:
        ctx.states.fast()[region].notes().update(FENCE_NOTES, name, **note)
    except AWS_ERRORS as err:
        log.info("fence record not copied to %s: %s", region, err)


@handles(RestoreWrites)
def run_restore_writes(ctx: StepContext, step: RestoreWrites) -> Outcome:
    restored: dict[str, int] = {}
    client = ctx.sessions.client("ec2", step.region)
    for holder in dict.fromkeys((step.record_in, step.region)):
        notes = ctx.notes(holder)
        for name in notes.names(FENCE_NOTES):
            note = notes.get(FENCE_NOTES, name)
            if note.get("region") != step.region:
                continue
            group = str(note["group_id"])
            if group not in restored:
                ec2.authorize_ingress(client, group, note.get("ingress") or [])
                restored[group] = len(note.get("ingress") or [])
            notes.forget(FENCE_NOTES, name, *note)
    if not restored:
        return Outcome("skipped", NOCHANGE)
    detail = ", ".join(f"{g} ({n} rule(s))" for g, n in restored.items())
    return Outcome("complete", f"ingress restored on {detail}", after={"ingress_rules": restored})


@handles(Drain)
def run_drain(ctx: StepContext, step: Drain) -> Outcome:
    ctx.clock.sleep(step.seconds)
    return Outcome("complete", f"waited {step.seconds:.0f}s for cached answers to expire and connections to drain")
