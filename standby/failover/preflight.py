"""Preflight, pure: the production capacity to reach, and the checks that refuse a run before it changes anything."""

from __future__ import annotations

from standby import judgements as j
from standby.config.schema import Capacity, Config
from standby.failover.model import PREFLIGHT, Observation, Preflight
from standby.state.manifest import Manifest


def target_capacities(config: Config, obs: Observation) -> tuple[dict[str, Capacity], str]:
    """Production capacity per group: the primary's recorded snapshot, else the declared capacity."""
    snap = obs.snapshot
    targets = dict(config.capacity)
    if snap is None or not snap.groups:
        return targets, "declared capacity (no capacity snapshot recorded)"
    for group, capacity in snap.groups.items():
        if group in targets and capacity.desired_capacity > 0:
            targets[group] = capacity
    age = snap.age(obs.now)
    return targets, f"capacity snapshot of {snap.source_region} taken {age / 60:.0f} min ago"


def preflight_step(
    config: Config,
    manifest: Manifest | None,
    obs: Observation,
    targets: dict[str, Capacity],
    *,
    expected_account: str | None,
    accept_rpo_breach: bool = False,
) -> Preflight:
    """The preflight step: its checks run now, at planning time (nothing here touches AWS), and the step refuses
    the run when any problem was found; warnings are recorded."""
    problems, warnings = _checks(config, manifest, obs, targets, expected_account, accept_rpo_breach)
    return Preflight.of(
        PREFLIGHT,
        obs.activate.region,
        intent=f"checks passed, {len(warnings)} warning(s)" if not problems else f"{len(problems)} problem(s)",
        problems=tuple(problems),
        warnings=tuple(warnings),
    )


def _checks(
    config: Config,
    manifest: Manifest | None,
    obs: Observation,
    targets: dict[str, Capacity],
    expected_account: str | None,
    accept_rpo_breach: bool,
) -> tuple[list[str], list[str]]:
    """(problems that refuse the run, warnings that are recorded)."""
    problems: list[str] = []
    warnings: list[str] = []
    region = obs.activate.region
    if not obs.activate.reachable:
        problems.append(f"cannot reach {region}: {obs.activate.error or 'no answer'}")
        return problems, warnings
    if expected_account and obs.account and obs.account != expected_account:
        problems.append(f"the caller's account is {obs.account}, the config expects {expected_account} in {region}")
    if manifest is None:
        problems.append(f"no manifest in {region}'s control store: run `standby provision` first")
        return problems, warnings
    resources = manifest.region(region)
    problems.extend(j.capacity_key_problems(region, config.capacity, resources.groups))
    if not resources.groups:
        problems.append(f"the manifest lists no auto scaling groups in {region}")
    for group, ref in resources.groups.items():
        if ref.autoscaling_group not in obs.activate.groups:
            problems.append(f"auto scaling group {ref.autoscaling_group} (group {group}) not found in {region}")
    for identifier in resources.databases:
        if identifier not in obs.activate.databases:
            problems.append(f"database {identifier} not found in {region}")
    primary = obs.demote.region
    unreplicated = j.unreplicated_databases(manifest.region(primary).databases, resources.databases)
    if unreplicated:
        problems.append(j.unreplicated_problem(unreplicated, primary, region))
    for identifier, lag in sorted(obs.replica_lag.items()):
        verdict = j.replica_lag(lag, config.objectives.rpo_seconds)
        if lag is None or verdict == j.Lag.UNKNOWN:
            warnings.append(f"no recent ReplicaLag datapoint for {identifier}: the data loss (RPO) is unknown")
        elif verdict == j.Lag.BREACH:
            message = f"replica lag of {identifier} is {lag:.0f}s, above the RPO of {config.objectives.rpo_seconds}s"
            (warnings if accept_rpo_breach else problems).append(
                message + (" (accepted with --accept-rpo-breach)" if accept_rpo_breach else "")
            )
    if obs.vcpu_quota is None:
        warnings.append(f"the EC2 vCPU quota in {region} is unknown: capacity headroom not checked")
    elif obs.vcpus_per_instance:
        needed = 0
        for group, ref in resources.groups.items():
            per = obs.vcpus_per_instance.get(ref.autoscaling_group, 0)
            needed += per * targets.get(group, config.capacity[group]).desired_capacity if group in targets else 0
        if j.quota_allows(needed, obs.vcpu_quota) is False:
            problems.append(f"the target capacity needs {needed} vCPUs; the quota in {region} is {obs.vcpu_quota:.0f}")
    if obs.snapshot is None:
        warnings.append("no capacity snapshot of the primary recorded: scaling to the declared capacity")
    elif obs.snapshot.age(obs.now) > config.failover.snapshot_max_age_seconds:
        warnings.append(
            f"the capacity snapshot is {obs.snapshot.age(obs.now) / 3600:.1f} h old "
            f"(limit {config.failover.snapshot_max_age_seconds / 3600:.1f} h)"
        )
    return problems, warnings
