"""Step handlers: each observes, compares, acts and verifies, and is safe to run twice.

A handler returns an Outcome (complete, or skipped with the reason — ``nochange`` when already done) or raises
StepFailed. Decisions come from standby.judgements; AWS calls go through the drivers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from standby import judgements as j
from standby import probes
from standby.aws import autoscaling, rds, route53
from standby.aws.errors import error_code
from standby.aws.session import SessionFactory
from standby.clock import Clock
from standby.config.schema import Capacity, Config
from standby.errors import StepFailed
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
from standby.failover.waits import wait_until
from standby.state import Assignment, Notes, RegionStates
from standby.traffic_switch import is_evacuated, set_evacuated, switches

log = logging.getLogger(__name__)

AWS_ERRORS = (ClientError, BotoCoreError)


@dataclass(frozen=True)
class Outcome:
    status: str  # complete | skipped
    detail: str = ""
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)


NOCHANGE = "nochange"

Reseeder = Callable[[str, str], str | None]  # (region to re-seed, region of the primary) -> detail, None: nochange


@dataclass
class StepContext:
    config: Config
    sessions: SessionFactory  # the activated region, and Route53
    demote_sessions: SessionFactory  # the other region: fast-failing clients
    states: RegionStates  # standby's records in each region
    clock: Clock
    run_id: str
    reseed: Reseeder | None = None

    def notes(self, region: str) -> Notes:
        return self.states[region].notes()

    def regions(self, first: str) -> tuple[str, ...]:
        return (first, *[r for r in self.states if r != first])


def _capacity(c: Capacity | None) -> dict[str, int]:
    return c.model_dump() if c is not None else {}


def _describe_group(client: Any, name: str) -> autoscaling.GroupState:
    found = autoscaling.describe_groups(client, [name])
    if not found:
        raise StepFailed(f"auto scaling group {name} not found")
    return found[0]


def run_preflight(ctx: StepContext, step: Preflight) -> Outcome:
    if step.problems:
        raise StepFailed("preflight refused: " + "; ".join(step.problems))
    return Outcome("complete", f"{len(step.warnings)} warning(s)" if step.warnings else "all checks passed")


def run_fence(ctx: StepContext, step: FenceGroups) -> Outcome:
    """Best effort and time-boxed: an unreachable or slow region is skipped, never waited for."""
    if not step.reachable:
        return Outcome("skipped", step.skip_reason or "region unreachable")
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fence")
    future = pool.submit(_fence_groups, ctx, step)
    try:
        return future.result(timeout=step.timeout_seconds)
    except FutureTimeout:
        return Outcome("skipped", f"timed out after {step.timeout_seconds:.0f}s (best effort)")
    except AWS_ERRORS as err:
        return Outcome("skipped", f"region unreachable or refused: {str(err).splitlines()[0][:160]}")
    finally:
        pool.shutdown(wait=False)


def _fence_groups(ctx: StepContext, step: FenceGroups) -> Outcome:
    client = ctx.demote_sessions.client("autoscaling", step.region)
    notes = ctx.notes(step.region) if step.region in ctx.states else None
    before, after = {}, {}
    changed = 0
    for state in autoscaling.describe_groups(client, list(step.groups)):
        before[state.name] = _capacity(j.group_capacity(state))
        if state.desired_capacity == 0:
            after[state.name] = before[state.name]
            continue
        if notes is not None:
            try:
                if not notes.get("asg", state.name).get(j.PRIOR_CAPACITY):
                    notes.update("asg", state.name, **{j.PRIOR_CAPACITY: before[state.name]})
            except AWS_ERRORS as err:
                log.warning("prior capacity of %s not recorded: %s", state.name, err)
        autoscaling.set_capacity(client, state.name, desired=0, min_size=0)
        after[state.name] = {**before[state.name], "min_size": 0, "desired_capacity": 0}
        changed += 1
    if not changed:
        return Outcome("skipped", NOCHANGE, before, after)
    return Outcome("complete", f"{changed} group(s) scaled in to 0", before, after)


def run_scale(ctx: StepContext, step: ScaleGroup) -> Outcome:
    client = ctx.sessions.client("autoscaling", step.region)
    state = _describe_group(client, step.autoscaling_group)
    current = j.group_capacity(state)
    target = step.target
    if current == target:
        return Outcome("skipped", NOCHANGE, _capacity(current), _capacity(current))
    if target.desired_capacity > target.max_size or target.min_size > target.desired_capacity:
        raise StepFailed(f"{step.autoscaling_group}: invalid target capacity {target.model_dump()}")
    notes = ctx.notes(step.region)
    if step.slug == SCALE_OUT:
        if not notes.get("asg", step.autoscaling_group).get(j.PRIOR_CAPACITY):
            notes.update("asg", step.autoscaling_group, **{j.PRIOR_CAPACITY: _capacity(current)})
    autoscaling.set_capacity(
        client,
        step.autoscaling_group,
        desired=target.desired_capacity,
        min_size=target.min_size,
        max_size=target.max_size,
    )
    after = j.group_capacity(_describe_group(client, step.autoscaling_group))
    if after.desired_capacity != target.desired_capacity:
        raise StepFailed(
            f"{step.autoscaling_group}: desired capacity is {after.desired_capacity} after setting "
            f"{target.desired_capacity}"
        )
    if step.slug != SCALE_OUT:
        notes.forget("asg", step.autoscaling_group, j.PRIOR_CAPACITY)
    return Outcome(
        "complete",
        f"desired {current.desired_capacity} -> {after.desired_capacity}",
        _capacity(current),
        _capacity(after),
    )


def run_wait_healthy(ctx: StepContext, step: WaitHealthy) -> Outcome:
    client = ctx.sessions.client("autoscaling", step.region)
    lb = ctx.sessions.client("elbv2", step.region)

    def probe() -> j.Readiness | None:
        readiness = probes.check_capacity(client, lb, step.autoscaling_group, step.target_group_arn, step.desired)
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
    )
    return Outcome("complete", ready.reason)


def run_promote(ctx: StepContext, step: PromoteDb) -> Outcome:
    client = ctx.sessions.client("rds", step.region)
    notes = ctx.notes(step.region)
    settle = ctx.config.failover.promotion_settle_seconds

    def state() -> tuple[rds.DbInstance, j.Promotion]:
        check = probes.check_promotion(client, notes, step.identifier, ctx.clock.now(), settle)
        if check.db is None:
            raise StepFailed(f"database {step.identifier} not found in {step.region}")
        return check.db, check.state

    db, current = state()
    before = {"status": db.status, "replica_source": db.replica_source, "promotion": current.value}
    if current == j.Promotion.PROMOTED:
        return Outcome("skipped", NOCHANGE, before, before)
    before["replica_lag_seconds"] = probes.read_replica_lag(
        ctx.sessions.client("cloudwatch", step.region), step.identifier, ctx.clock.now()
    )
    if current == j.Promotion.REPLICA:
        try:
            rds.promote_replica(client, step.identifier)
        except ClientError as err:
            if error_code(err) != "InvalidDBInstanceState":
                raise
            log.info("%s: promote answered InvalidDBInstanceState: already promoted or promoting", step.identifier)
        notes.update("db", step.identifier, **{j.PROMOTION_REQUESTED_AT: ctx.clock.now()})

    final = wait_until_promoted(ctx, step.region, step.identifier, step.timeout_seconds)
    return Outcome(
        "complete",
        f"{step.identifier} is a standalone primary",
        before,
        {"status": final.status, "replica_source": final.replica_source, "promotion": "promoted"},
    )


def wait_until_database(
    ctx: StepContext, region: str, identifier: str, timeout: float, *, promoted: bool
) -> rds.DbInstance:
    """Wait until a database is available (``promoted=False``) or promoted to a standalone primary (True).

    The one wait for databases, shared by the failover's promotion and the drill's measured promotion."""
    client = ctx.sessions.client("rds", region)
    settle = ctx.config.failover.promotion_settle_seconds

    def ready() -> rds.DbInstance | None:
        check = probes.check_promotion(client, ctx.notes(region), identifier, ctx.clock.now(), settle)
        if promoted:
            return check.db if check.promoted else None
        return check.db if check.db is not None and check.db.status == "available" else None

    what = f"{identifier} {'promoted' if promoted else 'available'}"
    return wait_until(ready, what=what, timeout=timeout, clock=ctx.clock, first_wait=5.0, max_wait=60.0)


def wait_until_promoted(ctx: StepContext, region: str, identifier: str, timeout: float) -> rds.DbInstance:
    return wait_until_database(ctx, region, identifier, timeout, promoted=True)


def wait_until_insync(ctx: StepContext, client: Any, change_id: str, timeout: float) -> None:
    """Wait for a Route53 change batch to reach every name server (INSYNC)."""
    wait_until(
        lambda: True if route53.change_status(client, change_id) == "INSYNC" else None,
        what=f"Route53 change {change_id} INSYNC",
        timeout=timeout,
        clock=ctx.clock,
        first_wait=2.0,
        max_wait=10.0,
    )


def run_shift_traffic(ctx: StepContext, step: ShiftTraffic) -> Outcome:
    if step.mode == "health-check":
        return _evacuate(ctx, step)
    client = ctx.sessions.client("route53", step.region)
    regions = ctx.regions(step.activate)
    records = route53.list_records(client, step.zone_id)
    before = {k: v for k, v in j.traffic_target(records, step.names, regions).items()}
    changes = j.traffic_changes(records, step.names, step.activate, regions)
    if not changes:
        return Outcome("skipped", NOCHANGE, before, before)
    change_id = route53.change_records(
        client, step.zone_id, changes, f"standby run {ctx.run_id}: traffic to {step.activate}"
    )
    wait_until_insync(ctx, client, change_id, step.timeout_seconds)
    after = j.traffic_target(route53.list_records(client, step.zone_id), step.names, regions)
    return Outcome("complete", f"{len(changes)} record(s) changed in one batch ({change_id})", before, after)


def _evacuate(ctx: StepContext, step: ShiftTraffic) -> Outcome:
    """Health-check mode: flip the demoted region's switch (its alarm lives in the activated region)."""
    demote = next(r for r in ctx.regions(step.activate) if r != step.activate)
    switch = switches(ctx.config)
    leaving, staying = switch[demote], switch[step.activate]
    before = {"evacuated": {demote: is_evacuated(ctx.sessions, leaving)}}
    if before["evacuated"][demote] is True:
        return Outcome("skipped", NOCHANGE, before, before)
    reason = f"standby run {ctx.run_id}: traffic to {step.activate}"
    set_evacuated(ctx.sessions, leaving, True, reason)
    detail = f"{demote} evacuated ({leaving.alarm_name} in {leaving.alarm_region} is ALARM)"
    try:  # the activated region's own switch lives in the other region, which may be down: best effort
        set_evacuated(ctx.demote_sessions, staying, False, reason)
    except AWS_ERRORS as err:
        detail += f"; {staying.alarm_name} in {staying.alarm_region} not reset: {str(err).splitlines()[0][:120]}"
    after = {"evacuated": {demote: is_evacuated(ctx.sessions, leaving)}}
    if after["evacuated"][demote] is not True:
        raise StepFailed(f"the traffic switch {leaving.alarm_name} is not in ALARM after setting it")
    return Outcome("complete", detail, before, after)


def run_verify(ctx: StepContext, step: Verify) -> Outcome:
    problems: list[str] = []
    client = ctx.sessions.client("autoscaling", step.region)
    for name, desired in step.groups:
        readiness = j.capacity_ready(_describe_group(client, name), desired, None)
        if not readiness.ready:
            problems.append(f"{name}: {readiness.reason}")
    db_client = ctx.sessions.client("rds", step.region)
    settle = ctx.config.failover.promotion_settle_seconds
    for identifier in step.databases:
        check = probes.check_promotion(db_client, ctx.notes(step.region), identifier, ctx.clock.now(), settle)
        if check.db is None:
            problems.append(f"database {identifier} not found")
        elif not check.promoted:
            problems.append(f"database {identifier} is not promoted")
    targets: dict[str, str | None] = {}
    if step.mode == "health-check":
        switch = switches(ctx.config)
        if is_evacuated(ctx.sessions, switch[step.demote]) is not True:
            problems.append(f"{step.demote}'s traffic switch is not evacuated")
        try:
            if is_evacuated(ctx.demote_sessions, switch[step.activate]) is True:
                problems.append(f"{step.activate}'s own traffic switch is evacuated")
        except AWS_ERRORS:
            log.info("%s's switch is unreadable (its alarm region may be down)", step.activate)
    elif step.zone_id:
        records = route53.list_records(ctx.sessions.client("route53", step.region), step.zone_id)
        targets = j.traffic_target(records, step.names, ctx.regions(step.activate))
        problems.extend(
            f"{n} sends traffic to {t or 'no single region'}" for n, t in targets.items() if t != step.activate
        )
    if problems:
        raise StepFailed("verify: " + "; ".join(problems))
    return Outcome("complete", f"all checks passed on {step.activate}", after={"traffic": targets})


def run_record(ctx: StepContext, step: RecordRoles) -> Outcome:
    wanted = Assignment(primary=step.primary, standby=step.standby)
    if ctx.states.assignment() == wanted:
        return Outcome("skipped", NOCHANGE)
    record = ctx.states.record_assignment(wanted, ctx.run_id, required=step.region)
    return Outcome("complete", f"roles generation {record.generation}: primary {record.primary}")


def run_reseed(ctx: StepContext, step: ReseedDb) -> Outcome:
    if ctx.reseed is None:
        raise StepFailed("re-seeding needs Terraform, and this run has no runner")
    other = ctx.states.other(step.region)
    detail = ctx.reseed(step.region, other)
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
