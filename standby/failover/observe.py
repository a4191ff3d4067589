"""Observation for planning: read-only calls, the activated region first; the other region is optional.

Every call here is a Describe/Get/List: a dry run (which plans from this) makes no mutating call. The reads that
may wait on a region that is down (the demoted region's, and Route53's control plane in records mode) start first,
on fast-failing clients, and are waited for within one budget (``[failover] demote_budget_seconds``) while the
activated region is read.
"""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from standby import probes
from standby.aws import autoscaling, ec2, rds, route53, sts
from standby.aws.budget import Budget, BudgetSpent
from standby.aws.session import SessionFactory
from standby.clock import Clock
from standby.config.schema import Config
from standby.failover.model import Observation, RegionObservation
from standby.state import Manifest, RegionState
from standby.traffic_switch import is_evacuated, switches

log = logging.getLogger(__name__)

AWS_ERRORS = (ClientError, BotoCoreError)
DEFAULT_BUDGET_SECONDS = 10.0  # without a config: [failover] demote_budget_seconds's default


def observe_region(sessions: SessionFactory, region: str, manifest: Manifest | None) -> RegionObservation:
    """Groups and databases of one region as the manifest names them; unreachable is a result, not an error."""
    resources = manifest.region(region) if manifest is not None else None
    names = [g.autoscaling_group for g in resources.groups.values()] if resources else []
    try:
        groups = autoscaling.describe_groups(sessions.client("autoscaling", region), names) if names else []
        rds_client = sessions.client("rds", region)
        dbs = rds.describe_instances(rds_client, list(resources.databases)) if resources else []
    except AWS_ERRORS as err:
        log.warning("cannot observe %s: %s", region, err)
        return RegionObservation(region=region, reachable=False, error=_short(err))
    return RegionObservation(
        region=region,
        reachable=True,
        groups={g.name: g for g in groups},
        databases={d.identifier: d for d in dbs},
    )


def observe(
    sessions: SessionFactory,
    demote_sessions: SessionFactory,
    state: RegionState,
    manifest: Manifest | None,
    *,
    activate: str,
    demote: str,
    clock: Clock,
    config: Config | None = None,
    budget: Budget | None = None,
) -> Observation:
    """What planning needs; the demoted region (and Route53, in records mode) waited for within ``budget``."""
    now = clock.now()
    config_mode = config.failover.traffic_mode if config is not None else "records"
    switch_config = config
    if budget is None:
        seconds = config.failover.demote_budget_seconds if config is not None else DEFAULT_BUDGET_SECONDS
        budget = Budget(seconds, f"observing {demote}")
    health_check_mode = config_mode == "health-check"
    # First what may not answer, on the budget; then the activated region, while those are in flight.
    demoted = budget.submit(observe_region, demote_sessions, demote, manifest)
    # In health-check mode recovery makes no Route53 control-plane call at all, not even a read.
    listed = None
    if not health_check_mode and manifest is not None:
        listed = budget.submit(_records, demote_sessions, activate, manifest)
    act = observe_region(sessions, activate, manifest)
    account = _account(sessions, activate)
    records = None
    lag: dict[str, float | None] = {}
    snapshot = None
    quota = None
    vcpus: dict[str, int] = {}
    evacuated: dict[str, bool | None] = {}
    if health_check_mode and switch_config is not None:
        evacuated = _switch_states(sessions, demote_sessions, switch_config, activate, demote, budget)
    if act.reachable and manifest is not None:
        if listed is not None:
            try:
                records = listed.result()
            except BudgetSpent as err:
                log.warning("cannot read the records of zone %s: %s", manifest.dns and manifest.dns.zone_id, err)
        lag = _replica_lag(sessions, activate, act, now)
        try:
            snapshot = state.capacity_snapshot()
        except AWS_ERRORS as err:
            log.warning("cannot read the capacity snapshot in %s: %s", activate, err)
        quota = _quota(sessions, activate)
        vcpus = _vcpus(sessions, activate, act)
    try:
        dem = demoted.result()
    except BudgetSpent as err:
        log.warning("cannot observe %s: %s", demote, err)
        dem = RegionObservation(region=demote, reachable=False, error=_short(err))
    return Observation(
        now=now,
        account=account,
        activate=act,
        demote=dem,
        records=records,
        replica_lag=lag,
        snapshot=snapshot,
        vcpu_quota=quota,
        vcpus_per_instance=vcpus,
        evacuated=evacuated,
    )


def _switch_states(
    sessions: SessionFactory,
    demote_sessions: SessionFactory,
    config: Config,
    activate: str,
    demote: str,
    budget: Budget | None = None,
) -> dict[str, bool | None]:
    """Whether each region's traffic switch is evacuated; the activated region's lives in the other region, and
    is read there within ``budget`` (a new one when None)."""
    budget = budget or Budget(config.failover.demote_budget_seconds, f"reading the traffic switches in {demote}")
    found = {
        region: budget.submit(is_evacuated, demote_sessions, switch)
        for region, switch in switches(config).items()
        if switch.alarm_region != activate
    }
    states: dict[str, bool | None] = {}
    for region, switch in switches(config).items():
        try:
            states[region] = found[region].result() if region in found else is_evacuated(sessions, switch)
        except AWS_ERRORS as err:
            log.warning("traffic switch of %s unreadable in %s: %s", region, switch.alarm_region, _short(err))
            states[region] = None
    return states


def _short(err: BaseException) -> str:
    return str(err).splitlines()[0][:200]


def _account(sessions: SessionFactory, region: str) -> str | None:
    """The caller's account in the activated region: as STS told it for the same credentials already (the stores
    ask it to name their buckets), else asked there, and remembered."""
    try:
        return sessions.account_once(region, lambda: sts.caller_account(sessions.client("sts", region)))
    except AWS_ERRORS as err:
        log.warning("cannot read the caller identity: %s", err)
        return None


def _records(sessions: SessionFactory, region: str, manifest: Manifest) -> tuple[route53.Record, ...] | None:
    if manifest.dns is None:
        return None
    try:
        return tuple(route53.list_records(sessions.client("route53", region), manifest.dns.zone_id))
    except AWS_ERRORS as err:
        log.warning("cannot read the records of zone %s: %s", manifest.dns.zone_id, err)
        return None


def _replica_lag(sessions: SessionFactory, region: str, obs: RegionObservation, now: float) -> dict[str, float | None]:
    client = sessions.client("cloudwatch", region)
    return {i: probes.read_replica_lag(client, i, now) for i, db in obs.databases.items() if db.is_replica}


def _quota(sessions: SessionFactory, region: str) -> float | None:
    return probes.read_vcpu_quota(sessions.client("service-quotas", region), region).value


def _vcpus(sessions: SessionFactory, region: str, obs: RegionObservation) -> dict[str, int]:
    """Auto scaling group -> vCPUs of one instance of its launch template's default version: one describe of the
    templates and one of their instance types, however many groups."""
    client: Any = sessions.client("ec2", region)
    templates = {name: g.launch_template_id for name, g in obs.groups.items() if g.launch_template_id}
    try:
        types = ec2.default_instance_types(client, list(templates.values()))
        per_type = ec2.vcpus_of(client, [t for t in types.values() if t])
    except AWS_ERRORS as err:
        log.info("instance sizes unknown in %s: %s", region, _short(err))
        return {}
    return {name: per_type.get(types.get(template) or "", 0) for name, template in templates.items()}
