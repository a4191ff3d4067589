"""Reading and writing standby's own records in the regions' control stores.

Role records carry a generation: the highest generation readable in any region wins, so a region that was
down during a failover cannot bring back a stale assignment when it returns.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping

from botocore.exceptions import BotoCoreError, ClientError

from standby.aws import autoscaling
from standby.aws.session import SessionFactory
from standby.config.schema import Capacity, Config
from standby.control import CAPACITY_SNAPSHOT_KEY, MANIFEST_KEY, ROLES_KEY, ControlStore
from standby.manifest import CapacitySnapshot, Manifest, RoleRecord
from standby.roles import Assignment

log = logging.getLogger(__name__)


def control_stores(sessions: SessionFactory, config: Config) -> dict[str, ControlStore]:
    return {
        region: ControlStore(sessions, config.project.name, region, config.regions.account_of(role))
        for role, region in (("primary", config.regions.primary), ("standby", config.regions.standby))
    }


def load_manifest(store: ControlStore) -> Manifest | None:
    doc = store.get(MANIFEST_KEY)
    return Manifest.model_validate(doc) if doc else None


def save_manifest(stores: Iterable[ControlStore], manifest: Manifest) -> None:
    for store in stores:
        store.put(MANIFEST_KEY, manifest.model_dump(mode="json"))


def read_roles(stores: Iterable[ControlStore]) -> RoleRecord | None:
    """The newest role record readable in any region; unreachable regions are skipped."""
    found: list[RoleRecord] = []
    for store in stores:
        try:
            doc = store.get(ROLES_KEY)
        except (ClientError, BotoCoreError) as err:
            log.warning("cannot read the role record in %s: %s", store.region, err)
            continue
        if doc:
            found.append(RoleRecord.model_validate(doc))
    return max(found, key=lambda r: r.generation, default=None)


def current_assignment(config: Config, stores: Iterable[ControlStore]) -> Assignment:
    record = read_roles(stores)
    if record is None:
        return Assignment.home(config)
    return Assignment(primary=record.primary, standby=record.standby)


def write_roles(
    stores: Mapping[str, ControlStore], assignment: Assignment, run_id: str | None, *, required: str
) -> RoleRecord:
    """Record a new assignment (next generation) in every reachable region; the ``required`` one must succeed."""
    previous = read_roles(stores.values())
    record = RoleRecord(
        generation=(previous.generation + 1) if previous else 1,
        primary=assignment.primary,
        standby=assignment.standby,
        changed_at=time.time(),
        run_id=run_id,
    )
    for region, store in stores.items():
        try:
            store.put(ROLES_KEY, record.model_dump(mode="json"))
        except (ClientError, BotoCoreError):
            if region == required:
                raise
            log.warning("the role record could not be written in %s (unreachable?)", region)
    return record


def observe_capacity(sessions: SessionFactory, region: str, manifest: Manifest) -> CapacitySnapshot:
    """The primary's capacity as its auto scaling groups report it now."""
    groups = manifest.region(region).groups
    by_name = {g.autoscaling_group: name for name, g in groups.items()}
    states = autoscaling.describe_groups(sessions.client("autoscaling", region), list(by_name))
    return CapacitySnapshot(
        taken_at=time.time(),
        source_region=region,
        groups={
            by_name[s.name]: Capacity(min_size=s.min_size, max_size=s.max_size, desired_capacity=s.desired_capacity)
            for s in states
        },
    )


def save_capacity_snapshot(store: ControlStore, snapshot: CapacitySnapshot) -> None:
    store.put(CAPACITY_SNAPSHOT_KEY, snapshot.model_dump(mode="json"))


def load_capacity_snapshot(store: ControlStore) -> CapacitySnapshot | None:
    doc = store.get(CAPACITY_SNAPSHOT_KEY)
    return CapacitySnapshot.model_validate(doc) if doc else None
