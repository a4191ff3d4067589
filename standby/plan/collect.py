"""What the plan document and the lint read, gathered dry: the controller's real failover and failback plans
(observing and planning make no mutating call), the manifest, the drill history.

Each traffic mode gets its own plans: the configured mode's come from ``Controller.plan``; the other mode's from the
same pure planner on the same observation. When the real plans cannot be built (no manifest recorded, the region
to activate does not answer: the preflight refuses and the plan has no other step), the plans are built from a
synthetic observation derived from the config (placeholder names, both regions answering) and the source says so.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from standby.aws.autoscaling import GroupState
from standby.aws.rds import DbInstance
from standby.capacity import standby_capacity
from standby.config.schema import Config, LoadedConfig
from standby.failover.controller import Controller, Planned
from standby.failover.model import FailoverPlan, Observation, RegionObservation
from standby.failover.planner import plan_failback, plan_failover
from standby.plan.calls import TRAFFIC_MODES
from standby.plan.lint import with_mode
from standby.stacks import region_stack
from standby.state import AWS_ERRORS, Assignment, DnsRefs, GroupRef, Manifest, RegionResources

log = logging.getLogger(__name__)

SYNTHETIC_DATABASE = "<database>"


@dataclass(frozen=True)
class Inputs:
    loaded: LoadedConfig
    config_sha256: str
    manifest: Manifest | None
    failover: Planned
    failback: Planned
    by_mode: dict[str, tuple[FailoverPlan, FailoverPlan]]  # traffic mode -> (failover, failback)
    source: str  # "observed" or "synthetic: why"
    history: list[dict[str, Any]] = field(default_factory=list)


def config_sha256(loaded: LoadedConfig) -> str:
    return hashlib.sha256(loaded.path.read_bytes()).hexdigest()


def synthetic_manifest(config: Config) -> Manifest:
    """A manifest with placeholder names, from the config alone."""
    zone = config.traffic.hosted_zone.rstrip(".")
    regions = {
        region: RegionResources(
            region=region,
            groups={g: GroupRef(autoscaling_group=f"<{g} group in {region}>") for g in config.capacity},
            databases=(SYNTHETIC_DATABASE,),
        )
        for region in (config.regions.primary, config.regions.standby)
    }
    dns = DnsRefs(
        zone_id="<hosted zone id>",
        zone_name=zone,
        record_fqdns=tuple(f"{r}.{zone}" for r in config.traffic.records),
        routing_policy=config.traffic.routing,
    )
    return Manifest(project=config.project.name, written_at=0.0, regions=regions, dns=dns)


def synthetic_observation(config: Config, manifest: Manifest, activate: str, demote: str, now: float) -> Observation:
    """Both regions answering; the home primary at production capacity, the home standby at its own."""
    home = Assignment.home(config)

    def region(name: str) -> RegionObservation:
        serving = name == home.primary
        groups = {}
        for group, ref in manifest.region(name).groups.items():
            c = config.capacity[group] if serving else standby_capacity(config.capacity[group], config.scale)
            groups[ref.autoscaling_group] = GroupState(
                ref.autoscaling_group, c.min_size, c.max_size, c.desired_capacity, 0, 0, 0
            )
        db = DbInstance(
            identifier=SYNTHETIC_DATABASE,
            arn=f"arn:aws:rds:{name}:<account>:db:{SYNTHETIC_DATABASE}",
            status="available",
            engine="",
            engine_version="",
            instance_class="",
            replica_source=None if serving else f"arn:aws:rds:{home.primary}:<account>:db:{SYNTHETIC_DATABASE}",
            replicas=(),
        )
        return RegionObservation(region=name, reachable=True, groups=groups, databases={db.identifier: db})

    return Observation(
        now=now, account=None, activate=region(activate), demote=region(demote), replica_lag={SYNTHETIC_DATABASE: 0.0}
    )


def plans_for(
    config: Config, manifest: Manifest | None, failover: Planned, failback: Planned
) -> dict[str, tuple[FailoverPlan, FailoverPlan]]:
    """Both traffic modes' plans from the same observations (the configured mode's are the controller's own)."""
    stack = region_stack(config)[0]
    found: dict[str, tuple[FailoverPlan, FailoverPlan]] = {}
    for mode in TRAFFIC_MODES:
        if mode == config.failover.traffic_mode:
            found[mode] = (failover.plan, failback.plan)
            continue
        cfg = with_mode(config, mode)
        over = plan_failover(
            cfg, manifest, failover.observation, run_id=failover.plan.run_id, current=failover.assignment
        )
        back = plan_failback(
            cfg,
            manifest,
            failback.observation,
            run_id=failback.plan.run_id,
            current=failback.assignment,
            region_stack=stack,
        )
        found[mode] = (over, back)
    return found


def _refused(planned: Planned) -> bool:
    return bool(planned.plan.preflight.problems) and len(planned.plan.steps) == 1


def _synthetic(config: Config, now: float, why: str) -> tuple[Manifest, Planned, Planned, str]:
    manifest = synthetic_manifest(config)
    home = Assignment.home(config)
    stack = region_stack(config)[0]
    over_obs = synthetic_observation(config, manifest, home.standby, home.primary, now)
    back_obs = synthetic_observation(config, manifest, home.primary, home.standby, now)
    over = plan_failover(config, manifest, over_obs, run_id="synthetic-failover", current=home)
    back = plan_failback(config, manifest, back_obs, run_id="synthetic-failback", current=home, region_stack=stack)
    return (
        manifest,
        Planned(over, over_obs, home),
        Planned(back, back_obs, home),
        f"synthetic (placeholder names from the config: {why})",
    )


def collect(
    controller: Controller, history: Callable[[], list[dict[str, Any]]] | None = None, *, allow_synthetic: bool = True
) -> Inputs:
    """The real plans (dry: observing and planning only), the manifest and the drill history."""
    config = controller.config
    failover = controller.plan("failover")
    failback = controller.plan("failback")
    manifest = controller.manifest(failover.plan.activate)
    source = "observed"
    if allow_synthetic and (manifest is None or _refused(failover)):
        why = "; ".join(failover.plan.preflight.problems) or "no manifest recorded"
        log.warning("the real failover plan could not be built (%s): planning from the config alone", why)
        manifest, failover, failback, source = _synthetic(config, controller.clock.now(), why)
    rows: list[dict[str, Any]] = []
    if history is not None:
        try:
            rows = history()
        except AWS_ERRORS as err:
            log.warning("drill history unreadable: %s", err)
    return Inputs(
        loaded=controller.loaded,
        config_sha256=config_sha256(controller.loaded),
        manifest=manifest,
        failover=failover,
        failback=failback,
        by_mode=plans_for(config, manifest, failover, failback),
        source=source,
        history=rows,
    )
