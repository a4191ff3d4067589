"""The traffic steps: moving traffic to the activated region (records, or the health-check switches), and verifying
what clients then get."""

from __future__ import annotations

import logging
from typing import Any

from standby import judgements as j
from standby import probes
from standby.aws import route53
from standby.aws.budget import Budget, BudgetSpent
from standby.aws.errors import is_unreachable
from standby.errors import StepFailed
from standby.failover.context import AWS_ERRORS, NOCHANGE, Outcome, StepContext
from standby.failover.model import ShiftTraffic, Verify
from standby.failover.waits import wait_until
from standby.state import EVICTED_RECORD, Notes, evicted_record_name
from standby.traffic_switch import ROUTE53_REGION, find_switch_health_checks, is_evacuated, set_evacuated, switches

log = logging.getLogger(__name__)

# One Route53 attempt's timeout (connect and read) during a records-mode shift; the step's timeout bounds them all.
ROUTE53_ATTEMPT_SECONDS = 20.0
# How long a health-check shift waits, once traffic has moved, for the best-effort reset of the activated region's
# own switch (which lives in the region being demoted).
RESET_GRACE_SECONDS = 0.5


def wait_until_insync(ctx: StepContext, client: Any, change_id: str, timeout: float) -> None:
    """Wait for a Route53 change batch just submitted to reach every name server (INSYNC). Route53 answers a
    submission PENDING and propagates it in tens of seconds: the first GetChange follows the schedule."""
    wait_until(
        lambda: True if route53.change_status(client, change_id) == "INSYNC" else None,
        what=f"Route53 change {change_id} INSYNC",
        timeout=timeout,
        clock=ctx.clock,
        first_wait=2.0,
        max_wait=10.0,
        expected=ctx.config.failover.expected_dns_seconds,
        pending=True,
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
                for name, note in self._notes(region, activate).all(EVICTED_RECORD).items():  # one read
                    docs.setdefault(name, note.get("record") or {})
            except AWS_ERRORS as err:
                log.info("evicted records unreadable in %s: %s", region, err)
        return [d for d in docs.values() if d]

    def save(self, activate: str, docs: list[dict[str, Any]]) -> None:
        """Every record set in one write per region: the activated region's waited for, the others' copies in
        the background."""
        if not docs:
            return
        notes = {evicted_record_name(doc): {"record": doc} for doc in docs}
        self.ctx.notes(activate).update_many(EVICTED_RECORD, notes)
        others = [r for r in self.ctx.regions(activate) if r != activate]
        budget = Budget(self.ctx.config.failover.demote_budget_seconds, "copying the evicted records")
        for region in others:  # a copy for a failback that cannot read this region: in the background
            budget.submit(self._notes(region, activate).update_many, EVICTED_RECORD, notes)

    def forget(self, activate: str, docs: list[dict[str, Any]]) -> None:
        """Every record set in one write per region."""
        if not docs:
            return
        names = {evicted_record_name(doc): ("record",) for doc in docs}
        for region in self.ctx.regions(activate):
            try:
                self._notes(region, activate).forget_many(EVICTED_RECORD, names)
            except AWS_ERRORS as err:
                log.info("evicted-record notes not removed in %s: %s", region, err)


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


def _serving_problems(ctx: StepContext, step: Verify) -> list[str]:
    """What keeps the groups from serving: each in service at its desired capacity, behind healthy targets. The
    groups are described together (50 a call), then the target groups of those in service, several at once."""
    client = ctx.sessions.client("autoscaling", step.region)
    lb = ctx.sessions.client("elbv2", step.region)
    found = {g.name: g for g in probes.describe_groups_at_once(client, [name for name, _ in step.groups])}
    problems: list[str] = []
    serving: list[tuple[str, int]] = []
    for name, desired in step.groups:
        group = found.get(name)
        if group is None:
            problems.append(f"auto scaling group {name} not found")
            continue
        readiness = j.capacity_ready(group, desired, None)
        if readiness.ready:
            serving.append((name, desired))
        else:
            problems.append(f"{name}: {readiness.reason}")
    arns = sorted({arn for name, _ in serving for arn in found[name].target_group_arns})
    targets = probes.describe_targets_of(lb, arns)
    for name, desired in serving:
        for arn in found[name].target_group_arns:
            count = j.healthy_in_service(found[name].in_service_ids, [(t.id, t.state) for t in targets[arn]])
            served = j.targets_ready(name, arn, count, desired)
            if not served.ready:
                problems.append(served.reason)
    return problems


def run_verify(ctx: StepContext, step: Verify) -> Outcome:
    """Judge what clients get: capacity in service behind healthy targets, databases promoted, and Route53
    answering with the activated region only (its health checks healthy, the demoted region not eligible)."""
    problems: list[str] = []
    notes: list[str] = []
    problems.extend(_serving_problems(ctx, step))
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
