"""Observation for planning: read-only calls, the activated region first; the other region is optional.

Every call here is a Describe/Get/List: a dry run (which plans from this) makes no mutating call.
"""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from standby import probes
from standby.aws import autoscaling, ec2, rds, route53, sts
from standby.aws.session import SessionFactory
from standby.clock import Clock
from standby.config.schema import Config
from standby.failover.model import Observation, RegionObservation
from standby.state import PROMOTION_REQUESTED_AT, Manifest, Notes, RegionState
from standby.traffic_switch import is_evacuated, switches

log = logging.getLogger(__name__)

AWS_ERRORS = (ClientError, BotoCoreError)


def observe_region(
    sessions: SessionFactory, region: str, manifest: Manifest | None, notes: Notes | None = None
) -> RegionObservation:
    """Groups and databases of one region as the manifest names them; unreachable is a result, not an error."""
    resources = manifest.region(region) if manifest is not None else None
    names = [g.autoscaling_group for g in resources.groups.values()] if resources else []
    try:
        groups = autoscaling.describe_groups(sessions.client("autoscaling", region), names) if names else []
        rds_client = sessions.client("rds", region)
        dbs = rds.describe_instances(rds_client, list(resources.databases)) if resources else []
        requests: dict[str, float] = {}
        for db in dbs if notes is not None else []:
            value = notes.get("db", db.identifier).get(PROMOTION_REQUESTED_AT)
            if value:
                requests[db.identifier] = float(value)
    except AWS_ERRORS as err:
        log.warning("cannot observe %s: %s", region, err)
        return RegionObservation(region=region, reachable=False, error=_short(err))
    return RegionObservation(
        region=region,
        reachable=True,
        groups={g.name: g for g in groups},
        databases={d.identifier: d for d in dbs},
        promotion_requests=requests,
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
) -> Observation:
    now = clock.now()
    config_mode = config.failover.traffic_mode if config is not None else "records"
    switch_config = config
    act = observe_region(sessions, activate, manifest, state.notes())
    dem = observe_region(demote_sessions, demote, manifest)
    account = _account(sessions, activate)
    records = None
    lag: dict[str, float | None] = {}
    snapshot = None
    quota = None
    vcpus: dict[str, int] = {}
    evacuated: dict[str, bool | None] = {}
    health_check_mode = config_mode == "health-check"
    if health_check_mode and switch_config is not None:
        evacuated = _switch_states(sessions, demote_sessions, switch_config, activate, demote)
    if act.reachable and manifest is not None:
        # In health-check mode recovery makes no Route53 control-plane call at all, not even a read.
        records = None if health_check_mode else _records(sessions, activate, manifest)
        lag = _replica_lag(sessions, activate, act, now)
        try:
            snapshot = state.capacity_snapshot()
        except AWS_ERRORS as err:
            log.warning("cannot read the capacity snapshot in %s: %s", activate, err)
        quota = _quota(sessions, activate)
        vcpus = _vcpus(sessions, activate, act)
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
    sessions: SessionFactory, demote_sessions: SessionFactory, config: Config, activate: str, demote: str
) -> dict[str, bool | None]:
    """Whether each region's traffic switch is evacuated; the activated region's lives in the other region."""
    states: dict[str, bool | None] = {}
    for region, switch in switches(config).items():
        factory = sessions if switch.alarm_region == activate else demote_sessions
        try:
            states[region] = is_evacuated(factory, switch)
        except AWS_ERRORS as err:
            log.warning("traffic switch of %s unreadable in %s: %s", region, switch.alarm_region, _short(err))
            states[region] = None
    return states


def _short(err: BaseException) -> str:
    return str(err).splitlines()[0][:200]


def _account(sessions: SessionFactory, region: str) -> str | None:
    try:
        return sts.caller_account(sessions.client("sts", region))
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
    client: Any = sessions.client("ec2", region)
    try:
        types = {
            name: ec2.launch_template_instance_type(client, g.launch_template_id)
            for name, g in obs.groups.items()
            if g.launch_template_id
        }
        per_type = ec2.vcpus_of(client, [t for t in types.values() if t])
    except AWS_ERRORS as err:
        log.info("instance sizes unknown in %s: %s", region, _short(err))
        return {}
    return {name: per_type.get(t or "", 0) for name, t in types.items()}
