"""The isolated drill (a game day with no production impact): plan (pure) and its step handlers.

It scales the standby to production capacity and checks its health, measures a database promotion on a
temporary replica of the standby's replica (the real replication is never broken), moves a drill-only DNS name
(never a production record), verifies, and then restores every one of those changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from standby import judgements as j
from standby import probes
from standby.aws import rds, route53
from standby.config.schema import Config
from standby.errors import StepFailed
from standby.failover.builders import scale_steps, wait_steps
from standby.failover.model import (
    PREFLIGHT,
    PROMOTE_DB,
    SCALE_IN,
    SCALE_OUT,
    SHIFT_TRAFFIC,
    VERIFY,
    FailoverPlan,
    Observation,
    Step,
    WaitHealthy,
)
from standby.failover.planner import noting_databases
from standby.failover.preflight import preflight_step, target_capacities
from standby.failover.steps import (
    NOCHANGE,
    Outcome,
    StepContext,
    handles,
    request_promotion,
    wait_until_database,
    wait_until_promoted,
)
from standby.failover.traffic import wait_until_insync
from standby.state.manifest import Manifest

DELETE_COPY = "delete-copy"
DELETE_DRILL_RECORD = "delete-drill-record"


@dataclass(frozen=True, kw_only=True)
class PromoteCopy(Step):
    """Create a replica of the standby's replica, then promote it: the promotion is measured on a copy."""

    source: str
    copy: str
    instance_class: str | None = None
    timeout_seconds: float = 3600.0


@dataclass(frozen=True, kw_only=True)
class ShiftDrillRecord(Step):
    """Point the drill's own DNS name (never the service's) at the standby region with a CNAME."""

    zone_id: str
    name: str
    value: str
    ttl: int
    timeout_seconds: float = 300.0


@dataclass(frozen=True, kw_only=True)
class VerifyDrill(Step):
    """Judge the drill: standby capacity healthy, the copies promoted, the drill name serving the standby."""

    groups: tuple[tuple[str, int], ...]
    copies: tuple[str, ...]
    zone_id: str | None
    name: str | None
    value: str | None


@dataclass(frozen=True, kw_only=True)
class DeleteCopy(Step):
    """Delete a drill's promoted copy of the standby's replica (after any promotion in flight ends)."""

    copy: str


@dataclass(frozen=True, kw_only=True)
class DeleteDrillRecord(Step):
    """Delete the drill's DNS name: the restore leaves no record behind."""

    zone_id: str
    name: str


@dataclass(frozen=True)
class DrillPlan:
    run: FailoverPlan  # the measured part
    restore: FailoverPlan  # always run afterwards
    drill_name: str | None


def drill_record_name(config: Config, manifest: Manifest) -> str | None:
    if manifest.dns is None:
        return None
    zone = manifest.dns.zone_name.rstrip(".") or config.traffic.hosted_zone
    return f"{config.drill.dns_label}.{zone}"


def plan_isolated_drill(config: Config, manifest: Manifest | None, obs: Observation, *, run_id: str) -> DrillPlan:
    region = obs.activate.region
    targets, source = target_capacities(config, obs)
    has_databases = manifest is None or manifest.has_databases
    pre = noting_databases(preflight_step(config, manifest, obs, targets, expected_account=None), has_databases)
    steps: list[Step] = [pre]
    restore: list[Step] = []
    name = None
    if not pre.problems and manifest is not None:
        resources = manifest.region(region)
        for identifier in resources.databases:
            db = obs.activate.databases[identifier]
            copy = f"{identifier}{config.drill.copy_suffix}"
            steps.append(
                PromoteCopy.of(
                    PROMOTE_DB,
                    region,
                    per=copy,
                    depends_on=(PREFLIGHT,),
                    intent=f"create {copy} as a replica of {identifier}, then promote it (measured)",
                    source=identifier,
                    copy=copy,
                    instance_class=db.instance_class or None,
                    timeout_seconds=config.failover.promote_timeout_seconds,
                )
            )
            restore.append(DeleteCopy.of(DELETE_COPY, region, per=copy, intent=f"delete {copy}", copy=copy))
        scale = scale_steps(manifest, obs.activate.groups, region, targets, SCALE_OUT, (PREFLIGHT,))
        wait = wait_steps(manifest, region, scale, config.failover.healthy_timeout_seconds)
        steps.extend(scale + wait)
        waits = [w.key for w in wait]
        verify_groups = [(w.autoscaling_group, w.desired) for w in wait if isinstance(w, WaitHealthy)]
        now = {g: j.group_capacity(state) for g, state in obs.activate.groups.items()}
        back = {group: now[ref.autoscaling_group] for group, ref in resources.groups.items() if group in targets}
        restore.extend(scale_steps(manifest, obs.activate.groups, region, back, SCALE_IN, (), widen_max=False))
        ready = tuple(waits) + tuple(s.key for s in steps if isinstance(s, PromoteCopy))
        after_traffic = ready
        name = drill_record_name(config, manifest)
        entry = resources.groups.get(config.entrypoint)
        value = entry.lb_dns_name if entry is not None else None
        if name and value and manifest.dns is not None:
            zone_id = manifest.dns.zone_id
            steps.append(
                ShiftDrillRecord.of(
                    SHIFT_TRAFFIC,
                    region,
                    depends_on=ready,
                    intent=f"point the drill-only name {name} at {value} (production records untouched)",
                    zone_id=zone_id,
                    name=name,
                    value=value,
                    ttl=config.traffic.ttl,
                    timeout_seconds=config.failover.dns_timeout_seconds,
                )
            )
            after_traffic = (SHIFT_TRAFFIC,)
            restore.append(
                DeleteDrillRecord.of(DELETE_DRILL_RECORD, region, intent=f"delete {name}", zone_id=zone_id, name=name)
            )
        steps.append(
            VerifyDrill.of(
                VERIFY,
                region,
                depends_on=after_traffic,
                intent="capacity healthy, copies promoted, drill name in place",
                groups=tuple(verify_groups),
                copies=tuple(s.copy for s in steps if isinstance(s, PromoteCopy)),
                zone_id=manifest.dns.zone_id if manifest.dns is not None and name else None,
                name=name if value else None,
                value=value,
            )
        )
    run = FailoverPlan(run_id, "drill", region, obs.demote.region, tuple(steps), targets, source, has_databases)
    rest = FailoverPlan(f"{run_id}-restore", "drill-restore", region, obs.demote.region, tuple(restore), {}, "")
    return DrillPlan(run, rest, name)


# -- handlers (registered with the one executor) ------------------------------------------------------------


@handles(PromoteCopy)
def run_promote_copy(ctx: StepContext, step: PromoteCopy) -> Outcome:
    client = ctx.sessions.client("rds", step.region)
    lag = probes.read_replica_lag(ctx.sessions.client("cloudwatch", step.region), step.source, ctx.clock.now())
    if not rds.describe_instances(client, [step.copy]):
        rds.create_replica(client, step.copy, step.source, step.instance_class)

    # Available: a replica due its promote call, or (a re-run) already promoted by an earlier attempt.
    copy = wait_until_database(ctx, step.region, step.copy, step.timeout_seconds, promoted=False)
    promote_started = ctx.clock.now()
    if j.promotion_state(copy) == j.Promotion.REPLICA:
        request_promotion(client, step.region, step.copy)

    wait_until_promoted(ctx, step.region, step.copy, step.timeout_seconds)
    seconds = ctx.clock.now() - promote_started
    return Outcome(
        "complete",
        f"{step.copy} promoted in {seconds:.0f}s",
        before={"replica_lag_seconds": lag, "source": step.source},
        after={"promotion_seconds": seconds},
    )


@handles(ShiftDrillRecord)
def run_shift_drill_record(ctx: StepContext, step: ShiftDrillRecord) -> Outcome:
    client = ctx.sessions.client("route53", step.region)
    existing = [
        r
        for r in route53.list_records(client, step.zone_id)
        if route53.normalize_name(r.name) == route53.normalize_name(step.name) and r.type == "CNAME"
    ]
    if existing and existing[0].values == (step.value,):
        return Outcome("skipped", NOCHANGE)
    change = {
        "Action": "UPSERT",
        "ResourceRecordSet": {
            "Name": step.name,
            "Type": "CNAME",
            "TTL": step.ttl,
            "ResourceRecords": [{"Value": step.value}],
        },
    }
    change_id = route53.change_records(client, step.zone_id, [change], f"standby drill {ctx.run_id}")
    wait_until_insync(ctx, client, change_id, step.timeout_seconds)
    return Outcome("complete", f"{step.name} -> {step.value} ({change_id})")


@handles(VerifyDrill)
def run_verify_drill(ctx: StepContext, step: VerifyDrill) -> Outcome:
    problems: list[str] = []
    asg = ctx.sessions.client("autoscaling", step.region)
    for name, desired in step.groups:
        readiness = probes.check_capacity(asg, None, name, None, desired)
        if not readiness.ready:
            problems.append(f"{name}: {readiness.reason}")
    client = ctx.sessions.client("rds", step.region)
    for copy in step.copies:
        check = probes.check_promotion(client, copy)
        if check.db is None:
            problems.append(f"{copy} not found")
        elif not check.promoted:
            problems.append(f"{copy} is not a promoted standalone instance ({check.state.value}, {check.db.status})")
    if step.zone_id and step.name:
        records = route53.list_records(ctx.sessions.client("route53", step.region), step.zone_id)
        wanted = route53.normalize_name(step.name)
        if not any(route53.normalize_name(r.name) == wanted and r.values == (step.value,) for r in records):
            problems.append(f"{step.name} does not point at {step.value}")
    if problems:
        raise StepFailed("drill verify: " + "; ".join(problems))
    return Outcome("complete", "standby capacity healthy, promotion measured, drill name serves the standby")


@handles(DeleteCopy)
def run_delete_copy(ctx: StepContext, step: DeleteCopy) -> Outcome:
    client = ctx.sessions.client("rds", step.region)
    check = probes.check_promotion(client, step.copy)
    if check.db is None:
        return Outcome("skipped", NOCHANGE)
    if check.state == j.Promotion.PROMOTING:  # a promotion in flight (a drill stopped mid-way): let it end first
        timeout = ctx.config.failover.promote_timeout_seconds
        wait_until_database(ctx, step.region, step.copy, timeout, promoted=False)
    deleted = rds.delete_instance(client, step.copy)
    return Outcome("complete" if deleted else "skipped", f"{step.copy} deleted" if deleted else NOCHANGE)


@handles(DeleteDrillRecord)
def run_delete_drill_record(ctx: StepContext, step: DeleteDrillRecord) -> Outcome:
    client = ctx.sessions.client("route53", step.region)
    wanted = route53.normalize_name(step.name)
    found = [r for r in route53.list_records(client, step.zone_id) if route53.normalize_name(r.name) == wanted]
    if not found:
        return Outcome("skipped", NOCHANGE)
    route53.change_records(
        client,
        step.zone_id,
        [{"Action": "DELETE", "ResourceRecordSet": r.raw} for r in found],
        f"standby drill {ctx.run_id}: restore",
    )
    return Outcome("complete", f"{step.name} deleted")
