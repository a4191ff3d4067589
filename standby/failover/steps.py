"""Step handlers: each observes, compares, acts and verifies, and is safe to run twice.

A handler returns an Outcome (complete, or skipped with the reason — ``nochange`` when already done) or raises
StepFailed. Decisions come from standby.judgements; AWS calls go through the drivers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from standby import judgements as j
from standby import probes
from standby.aws import autoscaling, elbv2, rds, route53
from standby.aws.budget import Budget, BudgetSpent
from standby.aws.errors import error_code, is_unreachable
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
from standby.state import EVICTED_RECORD, Assignment, Notes, RegionStates, evicted_record_name
from standby.traffic_switch import ROUTE53_REGION, find_switch_health_checks, is_evacuated, set_evacuated, switches

log = logging.getLogger(__name__)

AWS_ERRORS = (ClientError, BotoCoreError)

# One Route53 attempt's timeout (connect and read) during a records-mode shift; the step's timeout bounds them all.
ROUTE53_ATTEMPT_SECONDS = 20.0
# How long a health-check shift waits, once traffic has moved, for the best-effort reset of the activated region's
# own switch (which lives in the region being demoted).
RESET_GRACE_SECONDS = 0.5


@dataclass(frozen=True)
class Outcome:
    status: str  # complete | skipped
    detail: str = ""
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)


NOCHANGE = "nochange"

# (region to re-seed, region of the primary, run id) -> the outcome (or its detail), None: nochange
Reseeder = Callable[[str, str, str], Outcome | str | None]


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
    """Best effort and time-boxed: an unreachable or slow region is skipped, never waited for. Every call of the
    step goes to the demoted region through fast-failing clients, within one budget (the step's timeout, at most
    ``[failover] demote_budget_seconds``); calls still in flight then are abandoned and make no new request."""
    if not step.reachable:
        return Outcome("skipped", step.skip_reason or "region unreachable")
    seconds = min(step.timeout_seconds, ctx.config.failover.demote_budget_seconds)
    try:
        return Budget(seconds, f"fencing {step.region}").run(_fence_groups, ctx, step)
    except BudgetSpent:
        return Outcome("skipped", f"no answer within {seconds:.0f}s (best effort)")
    except AWS_ERRORS as err:
        return Outcome("skipped", f"region unreachable or refused: {str(err).splitlines()[0][:160]}")


def _fence_groups(ctx: StepContext, step: FenceGroups) -> Outcome:
    client = ctx.demote_sessions.client("autoscaling", step.region)
    notes = ctx.states.fast()[step.region].notes() if step.region in ctx.states else None
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
    if current == j.Promotion.REPLICA:
        request_promotion(client, step.region, step.identifier)

    remaining = max(0.0, step.timeout_seconds - (ctx.clock.now() - started))
    final = wait_until_promoted(ctx, step.region, step.identifier, remaining)
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
    ctx: StepContext, region: str, identifier: str, timeout: float, *, promoted: bool
) -> rds.DbInstance:
    """Wait until a database is available (``promoted=False``) or promoted to a standalone primary (True),
    as AWS describes it (``judgements.promotion_state``).

    The one wait for databases, shared by the failover's promotion and the drill's measured promotion. Waiting
    for PROMOTED after a promote call that AWS accepted, an instance still ``available`` and a replica is waited
    on (AWS moves it to ``modifying`` a moment later); if it stays so until the deadline, the wait fails."""
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
        return wait_until(ready, what=what, timeout=timeout, clock=ctx.clock, first_wait=5.0, max_wait=60.0)
    except StepFailed as err:
        seen = last[0] if last else None
        if seen is None or seen.db is None:
            found = f"{identifier} not found in {region}"
        elif seen.state == j.Promotion.REPLICA:
            found = f"{identifier} is still an available read replica of {seen.db.replica_source}"
        else:
            found = f"{identifier} is {seen.db.status}"
        raise StepFailed(f"{err.message}: {found}", hint=err.hint) from err


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
    """Records mode: one change batch, then wait for INSYNC; every Route53 call bounded, all of them within the
    step's timeout (``dns_timeout_seconds``). Route53's control plane not answering fails the step then, saying
    that health-check mode moves traffic without it."""
    if step.mode == "health-check":
        return _evacuate(ctx, step)
    try:
        return Budget(step.timeout_seconds, "Route53's control plane").run(_shift_records, ctx, step)
    except AWS_ERRORS as err:
        if not isinstance(err, BudgetSpent) and not is_unreachable(err):
            raise
        raise StepFailed(
            f"Route53's control plane did not answer within {step.timeout_seconds:.0f}s: traffic was not moved "
            f"({str(err).splitlines()[0][:160]}). A failover that must not depend on Route53's control plane "
            'uses [failover] traffic_mode = "health-check" (no Route53 control-plane call during recovery)'
        ) from err


def _shift_records(ctx: StepContext, step: ShiftTraffic) -> Outcome:
    attempt = min(ROUTE53_ATTEMPT_SECONDS, max(1.0, step.timeout_seconds / 3))
    client = ctx.sessions.bounded(attempt, 8).client("route53", step.region)
    regions = ctx.regions(step.activate)
    records = route53.list_records(client, step.zone_id)
    before = {k: v for k, v in j.traffic_target(records, step.names, regions).items()}
    evicted = EvictedRecords(ctx)
    saved = evicted.saved(step.activate, evicting=bool(step.evict))
    changes = j.traffic_changes(records, step.names, step.activate, regions, evict=step.evict, restore=saved)
    if not changes:
        return Outcome("skipped", NOCHANGE, before, before)
    evicted.save(step.activate, [c["ResourceRecordSet"] for c in changes if c["Action"] == "DELETE"])
    change_id = route53.change_records(
        client, step.zone_id, changes, f"standby run {ctx.run_id}: traffic to {step.activate}"
    )
    wait_until_insync(ctx, client, change_id, step.timeout_seconds)
    evicted.forget(step.activate, [d for d in saved if d.get("SetIdentifier") == step.activate])
    after = j.traffic_target(route53.list_records(client, step.zone_id), step.names, regions)
    return Outcome("complete", f"{len(changes)} record(s) changed in one batch ({change_id})", before, after)


class EvictedRecords:
    """Record sets a failover deleted (a demoted region's records), kept in the activated region's control store —
    and, best effort and never waited on, the other's — until a failback puts them back."""

    def __init__(self, ctx: StepContext) -> None:
        self.ctx = ctx

    def _notes(self, region: str, activate: str) -> Notes:
        """The activated region's notes; the other region's through fast-failing clients."""
        return self.ctx.notes(region) if region == activate else self.ctx.states.fast()[region].notes()

    def saved(self, activate: str, *, evicting: bool) -> list[dict[str, Any]]:
        """Saved record sets; a failover (``evicting``) restores nothing and reads only the activated region."""
        docs: dict[str, dict[str, Any]] = {}
        for region in self.ctx.regions(activate)[: 1 if evicting else None]:
            try:
                notes = self._notes(region, activate)
                for name in notes.names(EVICTED_RECORD):
                    docs.setdefault(name, notes.get(EVICTED_RECORD, name).get("record") or {})
            except AWS_ERRORS as err:
                log.info("evicted records unreadable in %s: %s", region, err)
        return [d for d in docs.values() if d]

    def save(self, activate: str, docs: list[dict[str, Any]]) -> None:
        for doc in docs:
            self.ctx.notes(activate).update(EVICTED_RECORD, evicted_record_name(doc), record=doc)
        others = [r for r in self.ctx.regions(activate) if r != activate]
        budget = Budget(self.ctx.config.failover.demote_budget_seconds, "copying the evicted records")
        for region in others:  # a copy for a failback that cannot read this region: in the background
            notes = self._notes(region, activate)
            for doc in docs:
                budget.submit(notes.update, EVICTED_RECORD, evicted_record_name(doc), record=doc)

    def forget(self, activate: str, docs: list[dict[str, Any]]) -> None:
        for region in self.ctx.regions(activate):
            for doc in docs:
                try:
                    self._notes(region, activate).forget(EVICTED_RECORD, evicted_record_name(doc), "record")
                except AWS_ERRORS as err:
                    log.info("evicted-record note not removed in %s: %s", region, err)


def _evacuate(ctx: StepContext, step: ShiftTraffic) -> Outcome:
    """Health-check mode: flip the demoted region's switch (its alarm lives in the activated region)."""
    demote = next(r for r in ctx.regions(step.activate) if r != step.activate)
    switch = switches(ctx.config)
    leaving, staying = switch[demote], switch[step.activate]
    before = {"evacuated": {demote: is_evacuated(ctx.sessions, leaving)}}
    if before["evacuated"][demote] is True:
        return Outcome("skipped", NOCHANGE, before, before)
    reason = f"standby run {ctx.run_id}: traffic to {step.activate}"
    # The activated region's own switch lives in the other region, which may be down: best effort, started
    # beside the flip that moves traffic, never waited for beyond RESET_GRACE_SECONDS after it (verify reads it
    # again); left behind, it gives up when [failover] demote_budget_seconds is spent.
    budget = ctx.states.budget(f"resetting {staying.alarm_name} in {staying.alarm_region}")
    reset = budget.submit(set_evacuated, ctx.demote_sessions, staying, False, reason)
    set_evacuated(ctx.sessions, leaving, True, reason)
    detail = f"{demote} evacuated ({leaving.alarm_name} in {leaving.alarm_region} is ALARM)"
    after = {"evacuated": {demote: is_evacuated(ctx.sessions, leaving)}}
    if after["evacuated"][demote] is not True:
        raise StepFailed(f"the traffic switch {leaving.alarm_name} is not in ALARM after setting it")
    if not reset.wait(RESET_GRACE_SECONDS):
        detail += f"; {staying.alarm_name} in {staying.alarm_region}: no answer yet, reset in the background"
        return Outcome("complete", detail, before, after)
    try:
        reset.result()
    except AWS_ERRORS as err:
        detail += f"; {staying.alarm_name} in {staying.alarm_region} not reset: {str(err).splitlines()[0][:120]}"
    return Outcome("complete", detail, before, after)


def run_verify(ctx: StepContext, step: Verify) -> Outcome:
    """Judge what clients get: capacity in service behind healthy targets, databases promoted, and Route53
    answering with the activated region only (its health checks healthy, the demoted region not eligible)."""
    problems: list[str] = []
    notes: list[str] = []
    client = ctx.sessions.client("autoscaling", step.region)
    lb = ctx.sessions.client("elbv2", step.region)
    for name, desired in step.groups:
        group = _describe_group(client, name)
        readiness = j.capacity_ready(group, desired, None)
        if not readiness.ready:
            problems.append(f"{name}: {readiness.reason}")
            continue
        for arn in group.target_group_arns:
            targets = elbv2.describe_targets(lb, arn)
            count = j.healthy_in_service(group.in_service_ids, [(t.id, t.state) for t in targets])
            served = j.targets_ready(name, arn, count, desired)
            if not served.ready:
                problems.append(served.reason)
    db_client = ctx.sessions.client("rds", step.region)
    for identifier in step.databases:
        check = probes.check_promotion(db_client, identifier)
        if check.db is None:
            problems.append(f"database {identifier} not found")
        elif check.state == j.Promotion.PROMOTING:
            problems.append(f"database {identifier} is not promoted: {check.db.status}")
        elif not check.promoted:
            problems.append(f"database {identifier} is not promoted: still a read replica of {check.db.replica_source}")
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
        problems.extend(_verify_switch_health(ctx, step, notes))
    elif step.zone_id:
        r53 = ctx.sessions.client("route53", step.region)
        records = route53.list_records(r53, step.zone_id)
        targets = j.traffic_target(records, step.names, ctx.regions(step.activate))
        problems.extend(
            f"{n} sends traffic to {t or 'no single region'}" for n, t in targets.items() if t != step.activate
        )
        wanted = {route53.normalize_name(n) for n in step.names}
        mine = [r for r in records if route53.normalize_name(r.name) in wanted]
        health = _health(r53, {r.health_check_id for r in mine if r.health_check_id})
        for record in mine:
            if record.set_identifier == step.activate and record.health_check_id:
                if health.get(record.health_check_id) is not True:
                    problems.append(
                        f"{record.name} ({step.activate}): its health check {record.health_check_id} is "
                        + ("unhealthy" if health.get(record.health_check_id) is False else "of unknown status")
                    )
        if step.exclude_demoted:
            problems.extend(j.demoted_eligible(records, step.names, step.demote, health))
    if problems:
        raise StepFailed("verify: " + "; ".join(problems))
    detail = f"all checks passed on {step.activate}" + "".join(f"; {n}" for n in notes)
    return Outcome("complete", detail, after={"traffic": targets})


def _health(client: Any, ids: set[str]) -> dict[str, bool | None]:
    """Route53's verdict on each health check: True healthy, False unhealthy, None unknown."""
    return {
        hc: j.health_check_healthy([o.success for o in route53.health_check_status(client, hc)]) for hc in sorted(ids)
    }


def _verify_switch_health(ctx: StepContext, step: Verify, notes: list[str]) -> list[str]:
    """Health-check mode: the activated region's switch health check healthy, the demoted one's unhealthy.

    Route53's API is read through fast-failing clients and never waited on: when it does not answer, the
    switches' alarms (checked above) are what the health checks follow, and the outcome says so."""
    try:
        ids = find_switch_health_checks(ctx.demote_sessions, ctx.config)
        if ids is None:
            return ["the traffic switches' health checks are missing: run `standby provision`"]
        client = ctx.demote_sessions.client("route53", ROUTE53_REGION)
        health = _health(client, {ids[step.activate], ids[step.demote]})
    except AWS_ERRORS as err:
        notes.append(f"Route53 health checks unreadable ({str(err).splitlines()[0][:120]}): judged from the alarms")
        return []
    problems = []
    if health[ids[step.activate]] is not True:
        problems.append(f"{step.activate}'s switch health check {ids[step.activate]} is not healthy")
    if health[ids[step.demote]] is not False:
        problems.append(f"{step.demote}'s switch health check {ids[step.demote]} is not unhealthy")
    return problems


def run_record(ctx: StepContext, step: RecordRoles) -> Outcome:
    """The role record, first in the activated region (authoritative: the step fails if it cannot be written),
    then its copy in the other region, best effort within ``[failover] demote_budget_seconds``. A copy missed
    (that region down) is written by the next run, whose record step finds the copy behind."""
    wanted = Assignment(primary=step.primary, standby=step.standby)
    recorded = ctx.states.record_assignment(wanted, ctx.run_id, required=step.region)
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
