"""Pure planning: (config, manifest, observation) -> a failover or failback plan of small steps.

No I/O here. The same plan feeds the dry-run printer and the real executor, so they cannot disagree; and the
planner is tested with plain tables of observations.
"""

from __future__ import annotations

from standby import judgements as j
from standby.capacity import standby_capacity
from standby.config.schema import Capacity, Config
from standby.failover.model import (
    FENCE_PRIMARY,
    PREFLIGHT,
    PROMOTE_DB,
    RECORD,
    RESEED_DB,
    SCALE_IN,
    SCALE_OUT,
    SHIFT_TRAFFIC,
    VERIFY,
    WAIT_HEALTHY,
    FailoverPlan,
    FenceGroups,
    Observation,
    Preflight,
    PromoteDb,
    RecordRoles,
    ReseedDb,
    ScaleGroup,
    Step,
    Verify,
    WaitHealthy,
)
from standby.failover.model import ShiftTraffic as ShiftTrafficStep
from standby.failover.preflight import preflight_step, target_capacities
from standby.state.manifest import Manifest
from standby.state.roles import Assignment


def _capacity_text(c: Capacity) -> str:
    return f"desired {c.desired_capacity} (min {c.min_size}, max {c.max_size})"


def scale_steps(
    manifest: Manifest,
    obs_groups: dict,
    region: str,
    targets: dict[str, Capacity],
    slug: str,
    depends: tuple[str, ...],
    *,
    widen_max: bool = True,
) -> list[Step]:
    """One step per group. Scale-out keeps a max wide enough for both capacities; scale-in sets the target."""
    steps: list[Step] = []
    for group, ref in sorted(manifest.region(region).groups.items()):
        target = targets.get(group)
        if target is None:
            continue
        state = obs_groups.get(ref.autoscaling_group)
        current = j.group_capacity(state) if state is not None else None
        wanted = j.scale_to(current, target) if current is not None and widen_max else target
        nochange = current is not None and current == wanted
        intent = (
            f"{ref.autoscaling_group}: {_capacity_text(current)} -> {_capacity_text(wanted)}"
            if current is not None
            else f"{ref.autoscaling_group}: -> {_capacity_text(wanted)}"
        )
        steps.append(
            ScaleGroup(
                key=f"{slug}:{group}",
                slug=slug,
                region=region,
                depends_on=depends,
                intent=intent,
                nochange=nochange,
                group=group,
                autoscaling_group=ref.autoscaling_group,
                target=wanted,
            )
        )
    return steps


def plan_failover(
    config: Config,
    manifest: Manifest | None,
    obs: Observation,
    *,
    run_id: str,
    current: Assignment,
    accept_rpo_breach: bool = False,
) -> FailoverPlan:
    """Activate ``obs.activate.region``: fence the other, promote, scale out, wait, shift traffic, verify, record."""
    activate, demote = obs.activate.region, obs.demote.region
    targets, source = target_capacities(config, obs)
    expected_account = config.regions.account_of(Assignment.home(config).role_of(activate))
    pre = preflight_step(
        config, manifest, obs, targets, expected_account=expected_account, accept_rpo_breach=accept_rpo_breach
    )
    problems = pre.problems
    steps: list[Step] = [pre]
    if problems or manifest is None:
        return FailoverPlan(run_id, "failover", activate, demote, tuple(steps), targets, source)

    promote_after = (PREFLIGHT,)
    if config.failover.fence == "scale-in":
        fence = _fence_step(manifest, obs, demote, (PREFLIGHT,), config.failover.fence_timeout_seconds)
        steps.append(fence)
        promote_after = (fence.key,)
    steps.extend(
        _promote_steps(
            manifest,
            obs,
            activate,
            promote_after,
            config.failover.promote_timeout_seconds,
            config.failover.promotion_settle_seconds,
        )
    )
    scale = scale_steps(manifest, obs.activate.groups, activate, targets, SCALE_OUT, (PREFLIGHT,))
    steps.extend(scale)
    waits = wait_steps(manifest, activate, scale, config.failover.healthy_timeout_seconds)
    steps.extend(waits)
    steps.extend(_traffic_and_after(config, manifest, obs, activate, demote, steps, current))
    return FailoverPlan(run_id, "failover", activate, demote, tuple(steps), targets, source)


def _fence_step(manifest: Manifest, obs: Observation, demote: str, depends: tuple[str, ...], timeout: float) -> Step:
    groups = tuple(ref.autoscaling_group for _, ref in sorted(manifest.region(demote).groups.items()))
    reachable = obs.demote.reachable
    already = reachable and all((g in obs.demote.groups and obs.demote.groups[g].desired_capacity == 0) for g in groups)
    return FenceGroups(
        key=FENCE_PRIMARY,
        slug=FENCE_PRIMARY,
        region=demote,
        depends_on=depends,
        intent=f"scale {', '.join(groups) or 'nothing'} in to 0 (best effort, {timeout:.0f}s at most)",
        nochange=already,
        skip_reason="" if reachable else f"region unreachable ({obs.demote.error or 'no answer'})",
        groups=groups,
        reachable=reachable,
        timeout_seconds=timeout,
    )


def _promote_steps(
    manifest: Manifest, obs: Observation, region: str, depends: tuple[str, ...], timeout: float, settle: float
) -> list[Step]:
    steps: list[Step] = []
    resources = manifest.region(region)
    for identifier in resources.databases:
        db = obs.activate.databases.get(identifier)
        requested = obs.activate.promotion_requests.get(identifier)
        state = j.promotion_state(db, requested, obs.now, settle) if db is not None else j.Promotion.REPLICA
        steps.append(
            PromoteDb(
                key=f"{PROMOTE_DB}:{identifier}",
                slug=PROMOTE_DB,
                region=region,
                depends_on=depends,
                intent=f"promote {identifier} ({state.value}) to a standalone primary",
                nochange=state == j.Promotion.PROMOTED,
                identifier=identifier,
                arn=db.arn if db is not None else "",
                timeout_seconds=timeout,
            )
        )
    return steps


def wait_steps(manifest: Manifest, region: str, scale: list[Step], timeout: float) -> list[Step]:
    steps: list[Step] = []
    for step in scale:
        assert isinstance(step, ScaleGroup)
        ref = manifest.region(region).groups[step.group]
        steps.append(
            WaitHealthy(
                key=f"{WAIT_HEALTHY}:{step.group}",
                slug=WAIT_HEALTHY,
                region=region,
                depends_on=(step.key,),
                intent=f"{step.autoscaling_group}: {step.target.desired_capacity} in service and healthy",
                group=step.group,
                autoscaling_group=step.autoscaling_group,
                target_group_arn=ref.target_group_arn,
                desired=step.target.desired_capacity,
                timeout_seconds=timeout,
            )
        )
    return steps


def _traffic_and_after(
    config: Config,
    manifest: Manifest,
    obs: Observation,
    activate: str,
    demote: str,
    earlier: list[Step],
    current: Assignment,
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
            ShiftTrafficStep(
                key=SHIFT_TRAFFIC,
                slug=SHIFT_TRAFFIC,
                region=activate,
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
        pending = j.traffic_changes(obs.records, names, activate, regions) if obs.records is not None else None
        shift = ShiftTrafficStep(
            key=SHIFT_TRAFFIC,
            slug=SHIFT_TRAFFIC,
            region=activate,
            depends_on=ready,
            intent=f"send {', '.join(names)} to {activate} ("
            + (f"{len(pending)} record change(s) in one batch" if pending is not None else "records unread")
            + f", zone {zone_id})",
            nochange=pending == [],
            zone_id=zone_id,
            names=names,
            activate=activate,
            mode=mode,
            timeout_seconds=config.failover.dns_timeout_seconds,
        )
        steps.append(shift)
        after_traffic = (shift.key,)
    groups = tuple((s.autoscaling_group, s.target.desired_capacity) for s in earlier if isinstance(s, ScaleGroup))
    verify = Verify(
        key=VERIFY,
        slug=VERIFY,
        region=activate,
        depends_on=after_traffic,
        intent="capacity in service, databases promoted, traffic on " + activate,
        activate=activate,
        groups=groups,
        databases=tuple(manifest.region(activate).databases),
        zone_id=zone_id,
        names=names,
        mode=mode,
        demote=demote,
    )
    steps.append(verify)
    steps.append(
        RecordRoles(
            key=RECORD,
            slug=RECORD,
            region=activate,
            depends_on=(VERIFY,),
            intent=f"record roles: primary {activate}, standby {demote}",
            nochange=current == Assignment(primary=activate, standby=demote),
            primary=activate,
            standby=demote,
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
    steps: list[Step] = [
        Preflight(
            key=PREFLIGHT,
            slug=PREFLIGHT,
            region=activate,
            intent="both regions reachable" if not problems else f"{len(problems)} problem(s)",
            problems=tuple(problems),
        )
    ]
    if problems or manifest is None:
        return FailoverPlan(run_id, "failback", activate, demote, tuple(steps), targets, "declared capacity")
    already_home = current == Assignment(primary=activate, standby=demote)
    start: tuple[str, ...] = (PREFLIGHT,)
    if not already_home:
        # The other region holds the data of record: the home primary's databases become its replicas first.
        # When the roles were never switched (a failover that stopped before its record step, e.g. a drill's
        # rollback), the home primary's data is the data of record and must never be replaced.
        reseed_first = ReseedDb(
            key=f"{RESEED_DB}:{activate}",
            slug=RESEED_DB,
            region=activate,
            depends_on=(PREFLIGHT,),
            intent=f"replace {activate}'s databases with replicas of {demote}'s (terraform)",
            stack=region_stack,
        )
        steps.append(reseed_first)
        start = (reseed_first.key,)
    scale = scale_steps(manifest, obs.activate.groups, activate, targets, SCALE_OUT, start)
    steps.extend(scale)
    waits = wait_steps(manifest, activate, scale, config.failover.healthy_timeout_seconds)
    steps.extend(waits)
    fence = _fence_step(manifest, obs, demote, tuple(w.key for w in waits), config.failover.fence_timeout_seconds)
    steps.append(fence)
    promote = _promote_steps(
        manifest,
        obs,
        activate,
        (fence.key,),
        config.failover.promote_timeout_seconds,
        config.failover.promotion_settle_seconds,
    )
    steps.extend(promote)
    steps.extend(_traffic_and_after(config, manifest, obs, activate, demote, waits + promote, current))
    record = steps.pop()  # record the roles last, after the standby is back to minimal
    standby_targets = {g: standby_capacity(c, config.scale) for g, c in config.capacity.items()}
    scale_in = scale_steps(manifest, obs.demote.groups, demote, standby_targets, SCALE_IN, (VERIFY,), widen_max=False)
    steps.extend(scale_in)
    reseed_last = ReseedDb(
        key=f"{RESEED_DB}:{demote}",
        slug=RESEED_DB,
        region=demote,
        depends_on=tuple(s.key for s in scale_in) or (VERIFY,),
        intent=f"replace {demote}'s databases with replicas of {activate}'s (terraform)",
        stack=region_stack,
    )
    steps.append(reseed_last)
    steps.append(
        RecordRoles(
            key=RECORD,
            slug=RECORD,
            region=activate,
            depends_on=(reseed_last.key,),
            intent=record.intent,
            nochange=already_home,
            primary=activate,
            standby=demote,
        )
    )
    return FailoverPlan(run_id, "failback", activate, demote, tuple(steps), targets, "declared capacity")
