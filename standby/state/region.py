"""One seam per region over standby's own records: manifest, capacity snapshot, role record, notes, journals, lock.

Orchestrations receive a ``RegionStates`` (both regions) from the composition root and never build raw stores.
Reads from a region that may be down go through the fast-failing view (``RegionStates.fast``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from standby.aws import autoscaling
from standby.aws.session import SessionFactory
from standby.config.schema import Capacity, Config, LoadedConfig
from standby.state.journal import JournalStore
from standby.state.lock import RunLock
from standby.state.manifest import CapacitySnapshot, Manifest
from standby.state.notes import Notes
from standby.state.roles import Assignment, RoleRecord, newest
from standby.state.store import CAPACITY_SNAPSHOT_KEY, MANIFEST_KEY, ROLES_KEY, ControlStore

log = logging.getLogger(__name__)

AWS_ERRORS = (ClientError, BotoCoreError)


@dataclass(frozen=True)
class RegionState:
    """Standby's records in one region's control store (S3 documents, a DynamoDB lock table)."""

    store: ControlStore
    runs_dir: Path  # the local copy of run journals

    @property
    def region(self) -> str:
        return self.store.region

    def manifest(self) -> Manifest | None:
        doc = self.store.get(MANIFEST_KEY)
        return Manifest.model_validate(doc) if doc else None

    def save_manifest(self, manifest: Manifest) -> None:
        self.store.put(MANIFEST_KEY, manifest.model_dump(mode="json"))

    def capacity_snapshot(self) -> CapacitySnapshot | None:
        doc = self.store.get(CAPACITY_SNAPSHOT_KEY)
        return CapacitySnapshot.model_validate(doc) if doc else None

    def save_capacity_snapshot(self, snapshot: CapacitySnapshot) -> None:
        self.store.put(CAPACITY_SNAPSHOT_KEY, snapshot.model_dump(mode="json"))

    def role_record(self) -> RoleRecord | None:
        doc = self.store.get(ROLES_KEY)
        return RoleRecord.model_validate(doc) if doc else None

    def save_role_record(self, record: RoleRecord) -> None:
        self.store.put(ROLES_KEY, record.model_dump(mode="json"))

    def notes(self) -> Notes:
        return Notes(self.store)

    def journals(self) -> JournalStore:
        return JournalStore(self.runs_dir, self.store)

    def lock(self, run_id: str, operator: str) -> RunLock:
        return RunLock(self.store, run_id, operator)


class RegionStates(Mapping[str, RegionState]):
    """Both regions' states, keyed by region (the home primary first)."""

    def __init__(self, config: Config, sessions: SessionFactory, runs_dir: Path) -> None:
        self.config = config
        self.sessions = sessions
        self.runs_dir = runs_dir
        self._by_region = {
            region: RegionState(
                ControlStore(sessions, config.project.name, region, config.regions.account_of(role)), runs_dir
            )
            for role, region in (("primary", config.regions.primary), ("standby", config.regions.standby))
        }

    @classmethod
    def of(cls, loaded: LoadedConfig, sessions: SessionFactory) -> RegionStates:
        """The states of a loaded configuration: local journal copies under its state directory."""
        return cls(loaded.config, sessions, loaded.state_dir / "runs")

    def __getitem__(self, region: str) -> RegionState:
        return self._by_region[region]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_region)

    def __len__(self) -> int:
        return len(self._by_region)

    def fast(self) -> RegionStates:
        """The same records through fast-failing clients: for reads that must not wait on a region that is down."""
        return RegionStates(self.config, self.sessions.fast_fail(), self.runs_dir)

    def other(self, region: str) -> str:
        return next(r for r in self if r != region)

    # -- the role assignment ----------------------------------------------------------------------------------

    def role_record(self) -> RoleRecord | None:
        """The newest role record readable in any region; unreachable regions are skipped."""
        found: list[RoleRecord] = []
        for state in self.values():
            try:
                record = state.role_record()
            except AWS_ERRORS as err:
                log.warning("cannot read the role record in %s: %s", state.region, err)
                continue
            if record is not None:
                found.append(record)
        return newest(found)

    def assignment(self) -> Assignment:
        record = self.role_record()
        return record.assignment if record is not None else Assignment.home(self.config)

    def record_assignment(self, assignment: Assignment, run_id: str | None, *, required: str) -> RoleRecord:
        """Record a new assignment (next generation) in every reachable region; the ``required`` one must succeed."""
        previous = self.role_record()
        record = RoleRecord(
            generation=(previous.generation + 1) if previous else 1,
            primary=assignment.primary,
            standby=assignment.standby,
            changed_at=time.time(),
            run_id=run_id,
        )
        for region, state in self.items():
            try:
                state.save_role_record(record)
            except AWS_ERRORS:
                if region == required:
                    raise
                log.warning("the role record could not be written in %s (unreachable?)", region)
        return record

    # -- manifest ---------------------------------------------------------------------------------------------

    def save_manifest(self, manifest: Manifest) -> None:
        for state in self.values():
            state.save_manifest(manifest)


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
