"""Step handlers: each observes, compares, acts and verifies, and is safe to run twice.

A handler returns an Outcome (complete, or skipped with the reason — ``nochange`` when already done) or raises
StepFailed. Decisions come from standby.judgements; AWS calls go through the drivers. The traffic steps' handlers
live in ``standby.failover.traffic``, what they all share in ``standby.failover.context``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from standby import judgements as j
from standby import probes
from standby.aws import autoscaling, budget, rds
from standby.aws.budget import Budget
from standby.aws.errors import error_code
from standby.errors import StepFailed
from standby.failover.context import (
    AWS_ERRORS,
    NOCHANGE,
    Outcome,
    StepContext,
    best_effort,
    capacity_dict,
)
from standby.failover.model import (
    SCALE_OUT,
    FenceGroups,
    Preflight,
    PromoteDb,
    RecordRoles,
    ReseedDb,
    ScaleGroup,
    ShiftTraffic,
    Step,
    Verify,
    WaitHealthy,
)
from standby.failover.traffic import run_shift_traffic, run_verify
from standby.failover.waits import wait_until

log = logging.getLogger(__name__)

FENCE_WORKERS = 64  # UpdateAutoScalingGroup calls of the fence in flight at once


def run_preflight(ctx: StepContext, step: Preflight) -> Outcome:
    if step.problems:
        raise StepFailed("preflight refused: " + "; ".join(step.problems))
    return Outcome("complete", f"{len(step.warnings)} warning(s)" if step.warnings else "all checks passed")


def run_fence(ctx: StepContext, step: FenceGroups) -> Outcome:
    """Best effort and time-boxed: an unreachable or slow region is skipped, never waited for. Every call of the
    step goes to the demoted region through fast-failing clients, within one budget (the step's timeout, at most
    ``[failover] demote_budget_seconds``); calls still in flight then are abandoned and make no new request."""
    if not step.reachable:
        return Outcome("skipped", step.skip_reason or "region unreachable")
    seconds = min(step.timeout_seconds, ctx.config.failover.demote_budget_seconds)
    return best_effort(ctx, step, seconds, f"fencing {step.region}", _fence_groups)


def _fence_groups(ctx: StepContext, step: FenceGroups) -> Outcome:
    """Note the capacity of every group about to be scaled in (one write for all), then scale them in to 0,
    ``FENCE_WORKERS`` at a time; each call runs within the step's budget."""
    client = ctx.demote_sessions.client("autoscaling", step.region)
    notes = ctx.states.fast()[step.region].notes() if step.region in ctx.states else None
    before, after = {}, {}
    fenced: list[str] = []
    for state in autoscaling.describe_groups(client, list(step.groups)):
        before[state.name] = after[state.name] = capacity_dict(j.group_capacity(state))
        if state.desired_capacity != 0:
            fenced.append(state.name)
    if not fenced:
        return Outcome("skipped", NOCHANGE, before, after)
    if notes is not None:
        try:
            notes.keep_first("asg", {name: {j.PRIOR_CAPACITY: before[name]} for name in fenced})
        except AWS_ERRORS as err:
            log.warning("prior capacity of %d group(s) not recorded: %s", len(fenced), err)

    def scale_in(name: str) -> None:
        autoscaling.set_capacity(client, name, desired=0, min_size=0)

    # The first refusal fails the fence (best effort: skipped), as one call after another did.
    (budget.active() or Budget(step.timeout_seconds)).map(scale_in, fenced, FENCE_WORKERS)
    for name in fenced:
        after[name] = {**before[name], "min_size": 0, "desired_capacity": 0}
    return Outcome("complete", f"{len(fenced)} group(s) scaled in to 0", before, after)


def run_scale(ctx: StepContext, step: ScaleGroup) -> Outcome:
    client = ctx.sessions.client("autoscaling", step.region)
    state = ctx.describe_group(step.region, step.autoscaling_group)
    current = j.group_capacity(state)
    target = step.target
    if current == target:
        return Outcome("skipped", NOCHANGE, capacity_dict(current), capacity_dict(current))
    if target.desired_capacity > target.max_size or target.min_size > target.desired_capacity:
        raise StepFailed(f"{step.autoscaling_group}: invalid target capacity {target.model_dump()}")
    notes = ctx.notes(step.region)
    if step.slug == SCALE_OUT:  # written with the other steps' notes of the moment
        ctx.note_prior_capacity(step.region, step.autoscaling_group, capacity_dict(current))
    autoscaling.set_capacity(
        client,
        step.autoscaling_group,
        desired=target.desired_capacity,
        min_size=target.min_size,
        max_size=target.max_size,
    )
    after = j.group_capacity(ctx.describe_group(step.region, step.autoscaling_group))
    if after.desired_capacity != target.desired_capacity:
        raise StepFailed(
            f"{step.autoscaling_group}: desired capacity is {after.desired_capacity} after setting "
            f"{target.desired_capacity}"
        )
    if step.slug != SCALE_OUT:
        notes.forget("asg", step.autoscaling_group, j.PRIOR_CAPACITY)
    elif after.desired_capacity > current.desired_capacity:
        ctx.note_scaled_out(step.region, step.autoscaling_group, after.desired_capacity)
    return Outcome(
        "complete",
        f"desired {current.desired_capacity} -> {after.desired_capacity}",
        capacity_dict(current),
        capacity_dict(after),
    )


def run_wait_healthy(ctx: StepContext, step: WaitHealthy) -> Outcome:
    """Wait on the region's shared capacity readings: every wait there is answered by the same describes. A group
    this run has just scaled out to the desired capacity waited for cannot have its new instances in service yet:
    its first reading is at the schedule's first point, not at once."""
    polls = ctx.capacity_polls(step.region)

    def probe() -> j.Readiness | None:
        readiness = polls.readiness(step.autoscaling_group, step.target_group_arn, step.desired)
        if not readiness.found:
            raise StepFailed(readiness.reason)
        if not readiness.ready:
            log.info("%s: %s", step.autoscaling_group, readiness.reason)
        return readiness if readiness.ready else None

    ready = wait_until(
        probe,
        what=f"{step.autoscaling_group} healthy at {step.desired}",
        timeout=step.timeout_seconds,
        clock=ctx.clock,
        expected=ctx.config.failover.expected_healthy_seconds,
        origin=polls.origin,
        pending=ctx.scaled_out(step.region, step.autoscaling_group, step.desired),
    )
    return Outcome("complete", ready.reason)


def run_promote(ctx: StepContext, step: PromoteDb) -> Outcome:
    """Promote the replica, judged from AWS state alone (``judgements.promotion_state``).

    PROMOTED: nothing to do. PROMOTING (not ``available``): wait for it to end, then judge again. REPLICA:
    call promote; AWS refusing it fails the step with AWS's answer. Then wait until AWS reports it promoted.
    """
    client = ctx.sessions.client("rds", step.region)
    started = ctx.clock.now()
    check = probes.check_promotion(client, step.identifier)
    if check.db is None:
        raise StepFailed(f"database {step.identifier} not found in {step.region}")
    db, current = check.db, check.state
    before = {"status": db.status, "replica_source": db.replica_source, "promotion": current.value}
    if current == j.Promotion.PROMOTED:
        return Outcome("skipped", NOCHANGE, before, before)
    before["replica_lag_seconds"] = probes.read_replica_lag(
        ctx.sessions.client("cloudwatch", step.region), step.identifier, ctx.clock.now()
    )
    if current == j.Promotion.PROMOTING:
        # A promotion in flight (or another change): once available it is either promoted or, still a
        # replica, due a promote call.
        db = wait_until_database(ctx, step.region, step.identifier, step.timeout_seconds, promoted=False)
        current = j.promotion_state(db)
    requested = current == j.Promotion.REPLICA
    if requested:
        request_promotion(client, step.region, step.identifier)

    remaining = max(0.0, step.timeout_seconds - (ctx.clock.now() - started))
    final = wait_until_promoted(ctx, step.region, step.identifier, remaining, pending=requested)
    return Outcome(
        "complete",
        f"{step.identifier} is a standalone primary",
        before,
        {"status": final.status, "replica_source": final.replica_source, "promotion": "promoted"},
    )


def request_promotion(client: Any, region: str, identifier: str) -> None:
    """Call PromoteReadReplica; AWS refusing it (``InvalidDBInstanceState`` or any other error) fails the step
    with AWS's code and message. An accepted call proves nothing yet: the waits judge the outcome."""
    try:
        rds.promote_replica(client, identifier)
    except ClientError as err:
        message = err.response.get("Error", {}).get("Message") or str(err)
        raise StepFailed(
            f"AWS refused to promote {identifier} in {region}: {error_code(err) or 'error'}: {message}",
            hint="check the database in the RDS console; the step is safe to re-run once it can be promoted",
        ) from err


def wait_until_database(
    ctx: StepContext, region: str, identifier: str, timeout: float, *, promoted: bool, pending: bool = False
) -> rds.DbInstance:
    """Wait until a database is available (``promoted=False``) or promoted to a standalone primary (True),
    as AWS describes it (``judgements.promotion_state``).

    The one wait for databases, shared by the failover's promotion and the drill's measured promotion. Waiting
    for PROMOTED after a promote call that AWS accepted, an instance still ``available`` and a replica is waited
    on (AWS moves it to ``modifying`` a moment later); if it stays so until the deadline, the wait fails.
    ``pending``: a promote call was just accepted, so the first describe follows the schedule (a promotion takes
    AWS minutes), not at once."""
    client = ctx.sessions.client("rds", region)
    last: list[probes.PromotionCheck] = []

    def ready() -> rds.DbInstance | None:
        check = probes.check_promotion(client, identifier)
        last[:] = [check]
        if check.db is None:
            return None
        if promoted:
            return check.db if check.promoted else None
        return check.db if check.state != j.Promotion.PROMOTING else None

    what = f"{identifier} {'promoted' if promoted else 'available'}"
    try:
        return wait_until(
            ready,
            what=what,
            timeout=timeout,
            clock=ctx.clock,
            first_wait=5.0,
            max_wait=60.0,
            expected=ctx.config.failover.expected_promotion_seconds,
            pending=pending,
        )
    except StepFailed as err:
        seen = last[0] if last else None
        if seen is None or seen.db is None:
            found = f"{identifier} not found in {region}"
        elif seen.state == j.Promotion.REPLICA:
            found = f"{identifier} is still an available read replica of {seen.db.replica_source}"
        else:
            found = f"{identifier} is {seen.db.status}"
        raise StepFailed(f"{err.message}: {found}", hint=err.hint) from err


def wait_until_promoted(
    ctx: StepContext, region: str, identifier: str, timeout: float, *, pending: bool = False
) -> rds.DbInstance:
    return wait_until_database(ctx, region, identifier, timeout, promoted=True, pending=pending)


def run_record(ctx: StepContext, step: RecordRoles) -> Outcome:
    """The role record, first in the activated region (authoritative: the step fails if it cannot be written),
    then its copy in the other region, best effort within ``[failover] demote_budget_seconds``. A copy missed
    (that region down) is written by the next run, whose record step finds the copy behind."""
    recorded = ctx.states.record_assignment(step.assignment, ctx.run_id, required=step.region)
    record = recorded.record
    missed = "; ".join(f"copy in {r} not written ({why}): the next run writes it" for r, why in recorded.missed.items())
    if not recorded.written:
        return Outcome("skipped", NOCHANGE if not missed else f"{NOCHANGE}; {missed}")
    detail = f"roles generation {record.generation}: primary {record.primary}, in {', '.join(recorded.written)}"
    return Outcome("complete", f"{detail}; {missed}" if missed else detail)


def run_reseed(ctx: StepContext, step: ReseedDb) -> Outcome:
    if ctx.reseed is None:
        raise StepFailed("re-seeding needs Terraform, and this run has no runner")
    other = ctx.states.other(step.region)
    detail = ctx.reseed(step.region, other, ctx.run_id)
    if isinstance(detail, Outcome):
        return detail
    return Outcome("skipped", NOCHANGE) if detail is None else Outcome("complete", detail)


Handler = Callable[[StepContext, Any], Outcome]

HANDLERS: dict[type, Handler] = {
    Preflight: run_preflight,
    FenceGroups: run_fence,
    ScaleGroup: run_scale,
    WaitHealthy: run_wait_healthy,
    PromoteDb: run_promote,
    ShiftTraffic: run_shift_traffic,
    Verify: run_verify,
    RecordRoles: run_record,
    ReseedDb: run_reseed,
}


def handles(step_type: type) -> Callable[[Handler], Handler]:
    """Register the handler of a step type defined outside this module (the drills' steps)."""

    def register(handler: Handler) -> Handler:
        HANDLERS[step_type] = handler
        return handler

    return register


def run_step(ctx: StepContext, step: Step) -> Outcome:
    return HANDLERS[type(step)](ctx, step)
