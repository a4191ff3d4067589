"""Step builders, pure: the small frozen steps that failover, failback and drill plans are made of.

Public so that every plan builds the same step the same way (the drills' plans use them too).
"""

from __future__ import annotations

from standby import judgements as j
from standby.config.schema import Capacity, Config
from standby.failover.model import (
    DRAIN,
    FENCE_PRIMARY,
    FENCE_WRITES,
    PROMOTE_DB,
    RESEED_DB,
    RESTORE_WRITES,
    SHIFT_TRAFFIC,
    VERIFY,
    WAIT_HEALTHY,
    Drain,
    FenceGroups,
    FenceWrites,
    Observation,
    PromoteDb,
    ReseedDb,
    RestoreWrites,
    ScaleGroup,
    Step,
    WaitHealthy,
)
from standby.state.manifest import Manifest

# What a plan says when the manifest lists no database (a stack without a replicated data store).
NO_DATABASES = "no databases: nothing to promote or re-seed"


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
            ScaleGroup.of(
                slug,
                region,
                per=group,
                depends_on=depends,
                intent=intent,
                nochange=nochange,
                group=group,
                autoscaling_group=ref.autoscaling_group,
                target=wanted,
            )
        )
    return steps


def fence_writes_step(
    config: Config, manifest: Manifest, obs: Observation, demote: str, activate: str, depends: tuple[str, ...]
) -> FenceWrites | None:
    """Fence the demoted region's databases against writes (None when there is nothing to fence)."""
    databases = tuple(manifest.region(demote).databases)
    if config.failover.fence_writes == "none" or not databases:
        return None
    reachable = obs.demote.reachable
    timeout = config.failover.fence_seconds
    return FenceWrites.of(
        FENCE_WRITES,
        demote,
        depends_on=depends,
        intent=f"revoke the ingress of {', '.join(databases)}'s security groups (best effort, {timeout:.0f}s at most)",
        skip_reason="" if reachable else f"region unreachable ({obs.demote.error or 'no answer'})",
        databases=databases,
        record_in=activate,
        reachable=reachable,
        timeout_seconds=timeout,
    )


def drain_step(config: Config, demote: str, earlier: list[Step]) -> Drain:
    """Wait for the records' TTL and the drain time after traffic moved, before the demoted side loses capacity."""
    seconds = config.traffic.ttl + config.failover.drain_seconds
    after = tuple(s.key for s in earlier if s.slug in (SHIFT_TRAFFIC, VERIFY))
    return Drain.of(
        DRAIN,
        demote,
        depends_on=after,
        intent=f"wait {seconds}s (TTL {config.traffic.ttl}s + drain {config.failover.drain_seconds}s) before "
        f"{demote} loses capacity",
        seconds=float(seconds),
    )


def fence_groups_step(
    manifest: Manifest, obs: Observation, demote: str, depends: tuple[str, ...], timeout: float
) -> Step:
    groups = tuple(ref.autoscaling_group for _, ref in sorted(manifest.region(demote).groups.items()))
    reachable = obs.demote.reachable
    already = reachable and all((g in obs.demote.groups and obs.demote.groups[g].desired_capacity == 0) for g in groups)
    return FenceGroups.of(
        FENCE_PRIMARY,
        demote,
        depends_on=depends,
        intent=f"scale {', '.join(groups) or 'nothing'} in to 0 (best effort, {timeout:.0f}s at most)",
        nochange=already,
        skip_reason="" if reachable else f"region unreachable ({obs.demote.error or 'no answer'})",
        groups=groups,
        reachable=reachable,
        timeout_seconds=timeout,
    )


def promote_steps(
    manifest: Manifest, obs: Observation, region: str, depends: tuple[str, ...], timeout: float
) -> list[Step]:
    steps: list[Step] = []
    resources = manifest.region(region)
    for identifier in resources.databases:
        db = obs.activate.databases.get(identifier)
        state = j.promotion_state(db) if db is not None else j.Promotion.REPLICA
        steps.append(
            PromoteDb.of(
                PROMOTE_DB,
                region,
                per=identifier,
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
            WaitHealthy.of(
                WAIT_HEALTHY,
                region,
                per=step.group,
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


def reseed_step(region: str, primary: str, depends: tuple[str, ...], region_stack: str) -> ReseedDb:
    intent = f"replace {region}'s databases with replicas of {primary}'s (terraform)"
    return ReseedDb.of(RESEED_DB, region, per=region, depends_on=depends, intent=intent, stack=region_stack)


def restore_writes_step(region: str, record_in: str, depends: tuple[str, ...]) -> RestoreWrites:
    intent = f"restore the database ingress a fence revoked in {region}, if any"
    return RestoreWrites.of(RESTORE_WRITES, region, per=region, depends_on=depends, intent=intent, record_in=record_in)
