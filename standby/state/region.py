"""One seam per region over standby's own records: manifest, capacity snapshot, role record, notes, journals, lock.

Orchestrations receive a ``RegionStates`` (both regions) from the composition root and never build raw stores.
Reads from a region that may be down go through the fast-failing view (``RegionStates.fast``). The role record is
read and written without waiting on a region that may be down: the preferred region (the one being activated) is
authoritative; the others are read and written through fast-failing clients within a time budget
(``[failover] demote_budget_seconds``), and a copy that could not be written is written by the next run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from standby.aws import autoscaling
from standby.aws.budget import Budget
from standby.aws.session import SessionFactory
from standby.config.schema import Capacity, Config, LoadedConfig
from standby.errors import StandbyError
from standby.state.journal_store import JournalStore
from standby.state.lock import DEFAULT_TTL_SECONDS, RunLock, finished_mark
from standby.state.manifest import CapacitySnapshot, Manifest
from standby.state.notes import EVICTED_RECORD, Notes
from standby.state.roles import Assignment, RoleRecord
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

    def create_notes_documents(self) -> None:
        """Create the notes documents this region has none of yet (``Notes.create_documents``): a deployment
        provisioned by this version reads its notes without listing the layout of earlier versions."""
        self.notes().create_documents()

    @cached_property
    def _journals(self) -> JournalStore:
        return JournalStore(self.runs_dir, self.store)

    def journals(self) -> JournalStore:
        """The region's journal store: one per region state, so that a run's saves know what its earlier saves
        uploaded (the whole document once, then segments of what changed)."""
        return self._journals

    def lock(
        self,
        run_id: str,
        operator: str,
        *,
        mirror: RegionState | None = None,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        journal: str | None = None,
    ) -> RunLock:
        """The run lock, authoritative here and mirrored in ``mirror`` (pass its fast-failing state) when it answers.

        A holder is finished when its journal, here or in the mirror's region, says so (``journal``: the run
        whose journal frees this one's lock; default ``run_id``)."""
        sources = [self.journals()] + ([mirror.journals()] if mirror is not None else [])

        def mark(holder_journal: str) -> str | None:
            for journals in sources:
                try:
                    found = journals.load(holder_journal)
                except (*AWS_ERRORS, StandbyError):  # unreachable, not a journal's id (provision), unreadable
                    continue
                if found is not None:
                    return finished_mark(found.status, found.ended_at)
            return None

        return RunLock(
            self.store,
            run_id,
            operator,
            ttl_seconds=ttl_seconds,
            mirror=mirror.store if mirror is not None else None,
            journal_mark=mark,
            journal=journal,
        )


@dataclass(frozen=True)
class Recorded:
    """What ``RegionStates.record_assignment`` did."""

    record: RoleRecord
    written: tuple[str, ...]  # regions whose role record this call wrote (the required one first)
    missed: dict[str, str] = field(default_factory=dict)  # region -> why its copy is not written (next run's)


class RegionStates(Mapping[str, RegionState]):
    """Both regions' states, keyed by region (the home primary first)."""

    def __init__(self, config: Config, sessions: SessionFactory, runs_dir: Path) -> None:
        self.config = config
        self.sessions = sessions
        self.runs_dir = runs_dir
        regions = (config.regions.primary, config.regions.standby)
        self._by_region = {
            region: RegionState(
                ControlStore(
                    sessions,
                    config.project.name,
                    region,
                    config.regions.account_of(role),
                    peers=tuple(r for r in regions if r != region),
                ),
                runs_dir,
            )
            for role, region in (("primary", config.regions.primary), ("standby", config.regions.standby))
        }
        self._fast: RegionStates | None = self if sessions.budgeted else None

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
        if self._fast is None:
            self._fast = RegionStates(
                self.config, self.sessions.fast_fail(self.config.failover.demote_budget_seconds), self.runs_dir
            )
        return self._fast

    def budget(self, what: str) -> Budget:
        """A new budget (``[failover] demote_budget_seconds``) for the calls to a region that may be down."""
        return Budget(self.config.failover.demote_budget_seconds, what)

    def other(self, region: str) -> str:
        return next(r for r in self if r != region)

    # -- the role assignment ----------------------------------------------------------------------------------

    def role_records(self, prefer: str | None = None, budget: Budget | None = None) -> dict[str, RoleRecord | None]:
        """Each region's role record (None: it has none); a region that does not answer is left out.

        ``prefer``'s is read as any read, and waited for; every other region's is read at the same time through
        fast-failing clients and waited for only within ``budget`` (a new one when None).
        """
        budget = budget or self.budget("reading the role record")
        fast = self.fast()
        pending = {region: budget.submit(fast[region].role_record) for region in self if region != prefer}
        found: dict[str, RoleRecord | None] = {}
        if prefer is not None:
            try:
                found[prefer] = self[prefer].role_record()
            except AWS_ERRORS as err:
                log.warning("cannot read the role record in %s: %s", prefer, err)
        for region, answer in pending.items():
            try:
                found[region] = answer.result()
            except AWS_ERRORS as err:
                log.warning("cannot read the role record in %s: %s", region, _short(err))
        return found

    def role_record(self, prefer: str | None = None, budget: Budget | None = None) -> RoleRecord | None:
        """The newest role record readable (``role_records``); ``prefer``'s wins a tie of generations."""
        return _newest(self.role_records(prefer, budget), prefer)

    def assignment(self, prefer: str | None = None, budget: Budget | None = None) -> Assignment:
        record = self.role_record(prefer, budget)
        return record.assignment if record is not None else Assignment.home(self.config)

    def record_assignment(
        self, assignment: Assignment, run_id: str | None, *, required: str, budget: Budget | None = None
    ) -> Recorded:
        """Record ``assignment``: first in ``required`` (authoritative: its error is raised), then a copy in every
        other region, best effort, within ``budget`` (a new one when None).

        A new record (the next generation) only when the newest one says otherwise; a region whose record is
        already the newest is not written again, so running this twice writes nothing, and a copy missed earlier
        (its region was down) is written now.
        """
        budget = budget or self.budget("writing the role record")
        found = self.role_records(required, budget)
        current = _newest(found, required)
        if current is None and assignment == Assignment.home(self.config):
            # No record anywhere means the home assignment: recording it would change nothing.
            home = RoleRecord(generation=0, primary=assignment.primary, standby=assignment.standby, changed_at=0.0)
            return Recorded(home, (), {})
        if current is not None and current.assignment == assignment:
            record = current
        else:
            record = RoleRecord(
                generation=(current.generation + 1) if current else 1,
                primary=assignment.primary,
                standby=assignment.standby,
                changed_at=time.time(),
                run_id=run_id,
            )
        written: list[str] = []
        if found.get(required) != record:
            self[required].save_role_record(record)
            written.append(required)
        fast = self.fast()
        copies = {
            region: budget.submit(fast[region].save_role_record, record)
            for region in self
            if region != required and found.get(region) != record
        }
        missed: dict[str, str] = {}
        for region, copy in copies.items():
            try:
                copy.result()
                written.append(region)
            except AWS_ERRORS as err:
                missed[region] = _short(err)
                log.warning("the role record could not be written in %s (unreachable?): %s", region, missed[region])
        return Recorded(record, tuple(written), missed)

    def evicted_regions(self) -> set[str]:
        """Regions whose failover records a failover deleted (readable in any region; unreachable ones skipped),
        so that provisioning does not bring a demoted region back as a live SECONDARY."""
        found: set[str] = set()
        for state in self.values():
            try:
                for note in state.notes().all(EVICTED_RECORD).values():
                    found.add(str((note.get("record") or {}).get("SetIdentifier") or ""))
            except AWS_ERRORS as err:
                log.warning("evicted records unreadable in %s: %s", state.region, err)
        return found - {""}

    # -- manifest ---------------------------------------------------------------------------------------------

    def save_manifest(self, manifest: Manifest) -> None:
        for state in self.values():
            state.save_manifest(manifest)

    def create_notes_documents(self) -> None:
        """Every region's missing notes documents (``RegionState.create_notes_documents``); none is overwritten."""
        for state in self.values():
            state.create_notes_documents()


def _newest(found: dict[str, RoleRecord | None], prefer: str | None) -> RoleRecord | None:
    """The highest generation; on a tie, ``prefer``'s record."""
    records = [(region, record) for region, record in found.items() if record is not None]
    if not records:
        return None
    return max(records, key=lambda pair: (pair[1].generation, pair[0] == prefer))[1]


def _short(err: BaseException) -> str:
    return str(err).splitlines()[0][:200] if str(err) else type(err).__name__


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
