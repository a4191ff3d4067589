"""Pure planning: (config, manifest, observation) -> a failover or failback plan of small steps.

No I/O here. The same plan feeds the dry-run printer and the real executor, so they cannot disagree; and the
planner is tested with plain tables of observations.
"""

from __future__ import annotations

from dataclasses import replace

from standby import judgements as j
from standby.capacity import standby_capacity
from standby.config.schema import Config
from standby.failover.builders import (
    NO_DATABASES,
    drain_step,
    fence_groups_step,
    fence_writes_step,
    promote_steps,
    reseed_step,
    restore_writes_step,
    scale_steps,
    wait_steps,
)
from standby.failover.model import (
    PREFLIGHT,
    PROMOTE_DB,
    RECORD,
    SCALE_IN,
    SCALE_OUT,
    SHIFT_TRAFFIC,
    VERIFY,
    WAIT_HEALTHY,
    FailoverPlan,
    Observation,
    Preflight,
    RecordRoles,
    ScaleGroup,
    Step,
    Verify,
)
from standby.failover.model import ShiftTraffic as ShiftTrafficStep
from standby.failover.preflight import preflight_step, target_capacities
from standby.state.manifest import Manifest
from standby.state.roles import Assignment


def plan_failover(
    config: Config,
    manifest: Manifest | None,
    obs: Observation,
    *,
    run_id: str,
    current: Assignment,
    accept_rpo_breach: bool = False,
) -> FailoverPlan:
    """Activate ``obs.activate.region``: scale out and wait healthy, fence the other's writes, promote, shift
    traffic, verify, record; then, after the TTL and drain time, scale the other in. When the other region does not
    answer, its steps are planned as skipped and nothing waits on it."""
    activate, demote = obs.activate.region, obs.demote.region
    targets, source = target_capacities(config, obs)
    expected_account = config.regions.account_of(Assignment.home(config).role_of(activate))
    pre = preflight_step(
        config, manifest, obs, targets, expected_account=expected_account, accept_rpo_breach=accept_rpo_breach
    )
    has_databases = manifest is None or manifest.has_databases  # unknown without a manifest: assume some
    pre = noting_databases(pre, has_databases)
    problems = pre.problems
    steps: list[Step] = [pre]
    if problems or manifest is None:
        return FailoverPlan(run_id, "failover", activate, demote, tuple(steps), targets, source, has_databases)

    # Nothing degrades the serving side before this side is proven able to serve: capacity first, then the
    # old primary's writes are fenced, then promotion, then traffic; the old side loses its capacity last, after
    # cached answers have expired.
    scale = scale_steps(manifest, obs.activate.groups, activate, targets, SCALE_OUT, (PREFLIGHT,))
    waits = wait_steps(manifest, activate, scale, config.failover.healthy_timeout_seconds)
    steps.extend(scale + waits)
    proven = tuple(w.key for w in waits) or (PREFLIGHT,)
    fence = fence_writes_step(config, manifest, obs, demote, activate, proven)
    steps.extend([fence] if fence is not None else [])
    promote_after = (fence.key,) if fence is not None else proven
    steps.extend(
        promote_steps(
            manifest,
            obs,
            activate,
            promote_after,
            config.failover.promote_timeout_seconds,
        )
    )
    # A demoted region must not be a live SECONDARY that Route53 could send users back to (failover records).
    steps.extend(_traffic_and_after(config, manifest, obs, activate, demote, steps, current, evict=(demote,)))
    if config.failover.fence == "scale-in":
        timeout = config.failover.fence_seconds
        fence_groups = fence_groups_step(manifest, obs, demote, (VERIFY,), timeout)
        if obs.demote.reachable and not fence_groups.nochange:  # nothing waits on a region that does not answer
            drain = drain_step(config, demote, steps)
            fence_groups = fence_groups_step(manifest, obs, demote, (drain.key,), timeout)
            steps.append(drain)
        steps.append(fence_groups)
    return FailoverPlan(run_id, "failover", activate, demote, tuple(steps), targets, source, has_databases)


def noting_databases(pre: Preflight, has_databases: bool) -> Preflight:
    """The preflight step, its intent saying so when there is no database (and nothing refused the run): the
    plan and its dry run then show why no step promotes, fences writes or re-seeds."""
    if has_databases or pre.problems:
        return pre
    return replace(pre, intent=f"{pre.intent}; {NO_DATABASES}")


def _traffic_and_after(
    config: Config,
    manifest: Manifest,
    obs: Observation,
    activate: str,
    demote: str,
    earlier: list[Step],
    current: Assignment,
    *,
    evict: tuple[str, ...] = (),
) -> list[Step]:
    steps: list[Step] = []
    ready = tuple(s.key for s in earlier if s.slug in (WAIT_HEALTHY, PROMOTE_DB))
    after_traffic: tuple[str, ...] = ready
    names: tuple[str, ...] = ()
    zone_id = None
    mode = config.failover.traffic_mode
    if mode == "health-check":
        done = obs.evacuated.get(demote) is True and obs.evacuated.get(activate) is not True
        steps.append(
            ShiftTrafficStep.of(
                SHIFT_TRAFFIC,
                activate,
                depends_on=ready,
                intent=f"evacuate {demote} with its traffic switch (a CloudWatch alarm in {activate}); "
                "no Route53 control-plane call",
                nochange=done,
                zone_id="",
                names=(),
                activate=activate,
                mode=mode,
                timeout_seconds=config.failover.dns_timeout_seconds,
            )
        )
        after_traffic = (SHIFT_TRAFFIC,)
    elif manifest.dns is not None:
        zone_id = manifest.dns.zone_id
        names = manifest.dns.record_fqdns
        regions = (activate, demote)
        pending = (
            j.traffic_changes(obs.records, names, activate, regions, evict=evict) if obs.records is not None else None
        )
        shift = ShiftTrafficStep.of(
            SHIFT_TRAFFIC,
            activate,
            depends_on=ready,
            intent=f"send {', '.join(names)} to {activate} ("
            + (f"{len(pending)} record change(s) in one batch" if pending is not None else "records unread")
            + f", zone {zone_id})",
            nochange=pending == [],
            zone_id=zone_id,
            names=names,
            activate=activate,
            mode=mode,
            evict=evict,
            timeout_seconds=config.failover.dns_timeout_seconds,
        )
        steps.append(shift)
        after_traffic = (shift.key,)
    groups = tuple((s.autoscaling_group, s.target.desired_capacity) for s in earlier if isinstance(s, ScaleGroup))
    verify = Verify.of(
        VERIFY,
        activate,
        depends_on=after_traffic,
        intent="capacity in service, databases promoted, traffic on " + activate,
        activate=activate,
        groups=groups,
        databases=tuple(manifest.region(activate).databases),
        zone_id=zone_id,
        names=names,
        mode=mode,
        demote=demote,
        exclude_demoted=demote in evict,
    )
    steps.append(verify)
    roles = Assignment(primary=activate, standby=demote)
    steps.append(
        RecordRoles.of(
            RECORD,
            activate,
            depends_on=(VERIFY,),
            intent=f"record roles: primary {activate}, standby {demote}",
            nochange=current == roles,
            assignment=roles,
        )
    )
    return steps


def plan_failback(
    config: Config,
    manifest: Manifest | None,
    obs: Observation,
    *,
    run_id: str,
    current: Assignment,
    region_stack: str,
) -> FailoverPlan:
    """Return to the home assignment: re-seed the home primary as a replica, switch over, re-seed the standby.

    ``obs.activate`` is the home primary (today's standby), ``obs.demote`` today's primary.
    """
    activate, demote = obs.activate.region, obs.demote.region
    targets = dict(config.capacity)
    problems: list[str] = []
    if not obs.activate.reachable:
        problems.append(f"cannot reach {activate}: {obs.activate.error or 'no answer'}")
    if not obs.demote.reachable:
        problems.append(f"cannot reach {demote}: failback is a planned switchover and needs both regions")
    if manifest is None:
        problems.append(f"no manifest in {activate}'s control store: run `standby provision` first")
    pre = Preflight.of(
        PREFLIGHT,
        activate,
        intent="both regions reachable" if not problems else f"{len(problems)} problem(s)",
        problems=tuple(problems),
    )
    steps: list[Step] = [pre]
    if problems or manifest is None:
        return FailoverPlan(run_id, "failback", activate, demote, tuple(steps), targets, "declared capacity")
    already_home = current == Assignment(primary=activate, standby=demote)
    has_databases = manifest.has_databases
    steps[0] = noting_databases(pre, has_databases)
    start: tuple[str, ...] = (PREFLIGHT,)
    if not already_home and has_databases:
        # The other region holds the data of record: the home primary's databases become its replicas first.
        # When the roles were never switched (a failover that stopped before its record step, e.g. a drill's
        # rollback), the home primary's data is the data of record and must never be replaced.
        reseed_first = reseed_step(activate, demote, (PREFLIGHT,), region_stack)
        steps.append(reseed_first)
        start = (reseed_first.key,)
    # Without databases no fence revoked any ingress: there are no writes to restore.
    restore = [restore_writes_step(activate, demote, start)] if has_databases else []
    steps.extend(restore)
    # The same order as a failover: the serving region keeps its capacity until traffic has left it and cached
    # answers have expired; it is never at zero while records point at it.
    scale = scale_steps(manifest, obs.activate.groups, activate, targets, SCALE_OUT, start)
    waits = wait_steps(manifest, activate, scale, config.failover.healthy_timeout_seconds)
    steps.extend(scale + waits)
    proven = (*[w.key for w in waits], *[r.key for r in restore]) or start
    fence = fence_writes_step(config, manifest, obs, demote, activate, proven)
    steps.extend([fence] if fence is not None else [])
    promote = promote_steps(
        manifest,
        obs,
        activate,
        (fence.key,) if fence is not None else proven,
        config.failover.promote_timeout_seconds,
    )
    steps.extend(promote)
    steps.extend(_traffic_and_after(config, manifest, obs, activate, demote, [*waits, *restore, *promote], current))
    record = steps.pop()  # record the roles last, after the standby is back to minimal
    standby_targets = {g: standby_capacity(c, config.scale) for g, c in config.capacity.items()}
    scale_in = scale_steps(manifest, obs.demote.groups, demote, standby_targets, SCALE_IN, (VERIFY,), widen_max=False)
    if not all(s.nochange for s in scale_in):  # the serving side keeps its capacity until cached answers expire
        drain = drain_step(config, demote, steps)
        steps.append(drain)
        scale_in = [replace(s, depends_on=(drain.key, VERIFY)) for s in scale_in]
    steps.extend(scale_in)
    last: tuple[str, ...] = tuple(s.key for s in scale_in) or (VERIFY,)
    if has_databases:
        reseed_last = reseed_step(demote, activate, last, region_stack)
        restore_last = restore_writes_step(demote, activate, (reseed_last.key,))
        steps.extend([reseed_last, restore_last])
        last = (restore_last.key,)
    steps.append(
        RecordRoles.of(
            RECORD,
            activate,
            depends_on=last,
            intent=record.intent,
            nochange=already_home,
            assignment=Assignment(primary=activate, standby=demote),
        )
    )
    return FailoverPlan(run_id, "failback", activate, demote, tuple(steps), targets, "declared capacity", has_databases)
