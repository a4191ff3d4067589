"""The failover controller: observe, plan (pure), execute (real or dry run), journal; failback; status.

A failover reads and writes only in the region it activates (its control store holds the manifest, the
capacity snapshot, the lock and the journal); the other region is fenced on a best-effort basis. Every plan of
steps — failover, failback, and the drills' plans — runs through ``run_plan``: one executor, one journal, one lock.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from standby import judgements as j
from standby.aws import rds
from standby.aws.session import SessionFactory
from standby.clock import Clock, SystemClock
from standby.config.schema import LoadedConfig
from standby.errors import PreflightFailed, StandbyError
from standby.failover.executor import Executor
from standby.failover.model import FailoverPlan, Observation
from standby.failover.observe import observe
from standby.failover.planner import plan_failback, plan_failover
from standby.failover.steps import StepContext
from standby.progress import Reporter, silent
from standby.stacks import Stacks, region_stack
from standby.state import AWS_ERRORS, Assignment, Journal, JournalStore, Manifest, RegionStates


def new_run_id(kind: str, now: float) -> str:
    return f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(now))}-{kind}-{secrets.token_hex(2)}"


@dataclass(frozen=True)
class LastRun:
    """The latest failover or failback run, as its journal tells."""

    run_id: str
    kind: str
    status: str  # running | complete | failed | refused
    started_at: float
    ended_at: float | None
    rto_seconds: float | None
    steps: dict[str, str]  # step key -> its status


@dataclass(frozen=True)
class RunStatus:
    """Which region is primary now, which are home, and the last run."""

    primary: str
    standby: str
    home: Assignment
    failed_over: bool
    last_run: LastRun | None


@dataclass(frozen=True)
class Planned:
    plan: FailoverPlan
    observation: Observation
    assignment: Assignment


class Controller:
    def __init__(
        self,
        loaded: LoadedConfig,
        sessions: SessionFactory,
        states: RegionStates,
        *,
        clock: Clock | None = None,
        reporter: Reporter = silent,
        stacks: Stacks | None = None,
    ) -> None:
        self.loaded = loaded
        self.config = loaded.config
        self.sessions = sessions
        self.fast_sessions = sessions.fast_fail()
        self.clock = clock or SystemClock()
        self.report = reporter
        self.stacks = stacks  # Terraform, for re-seeding databases on failback
        self.states = states
        self.fast_states = states.fast()

    # -- reading ----------------------------------------------------------------------------------------------

    def assignment(self) -> Assignment:
        return self.fast_states.assignment()

    def manifest(self, region: str) -> Manifest | None:
        try:
            return self.states[region].manifest()
        except AWS_ERRORS:
            return None

    def journals(self, region: str) -> JournalStore:
        return self.states[region].journals()

    def observe(self, activate: str, demote: str, manifest: Manifest | None) -> Observation:
        """Read-only observation for planning, the activated region first."""
        return observe(
            self.sessions,
            self.fast_sessions,
            self.states[activate],
            manifest,
            activate=activate,
            demote=demote,
            clock=self.clock,
            config=self.config,
        )

    # -- planning ---------------------------------------------------------------------------------------------

    def plan(
        self,
        kind: str,
        *,
        run_id: str | None = None,
        accept_rpo_breach: bool = False,
        direction: tuple[str, str] | None = None,
    ) -> Planned:
        """Plan a failover (activate today's standby) or a failback (return to the home assignment)."""
        current = self.assignment()
        home = Assignment.home(self.config)
        # Fixed targets make both commands idempotent: failover always activates the home standby region,
        # failback the home primary region; re-running a finished one plans nothing but no-ops.
        if direction is not None:
            activate, demote = direction
        elif kind == "failover":
            activate, demote = home.standby, home.primary
        else:
            activate, demote = home.primary, home.standby
        manifest = self.manifest(activate)
        obs = self.observe(activate, demote, manifest)
        run_id = run_id or new_run_id(kind, self.clock.now())
        if kind == "failover":
            plan = plan_failover(
                self.config,
                manifest,
                obs,
                run_id=run_id,
                current=current,
                accept_rpo_breach=accept_rpo_breach,
            )
        else:
            plan = plan_failback(
                self.config, manifest, obs, run_id=run_id, current=current, region_stack=region_stack(self.config)[0]
            )
        return Planned(plan, obs, current)

    # -- running ----------------------------------------------------------------------------------------------

    def execute(self, planned: Planned, journal: Journal | None = None) -> Journal:
        """Run a failover or failback plan under the lock; ``journal`` continues an earlier attempt of the same run."""
        plan = planned.plan
        journal = self.start_journal(plan, journal)
        if plan.preflight.problems:
            journal.status = "refused"
            journal.ended_at = self.clock.now()
            self.journals(plan.activate).save(journal)
            raise PreflightFailed(
                f"{plan.kind} refused by preflight:\n" + "\n".join(f"  - {p}" for p in plan.preflight.problems)
            )
        with self.locked(plan.activate, plan.run_id, journal.operator):
            return self.run_plan(plan, journal)

    def start_journal(self, plan: FailoverPlan, journal: Journal | None = None) -> Journal:
        """A new journal for ``plan``, or ``journal`` marked as resumed."""
        if journal is None:
            journal = Journal(
                run_id=plan.run_id,
                kind=plan.kind,
                activate=plan.activate,
                demote=plan.demote,
                started_at=self.clock.now(),
                plan=plan.to_dict(),
            )
        else:
            journal.resumes.append(self.clock.now())
            journal.status = "running"
            journal.plan = plan.to_dict()
        journal.warnings = list(plan.preflight.warnings)
        journal.problems = list(plan.preflight.problems)
        return journal

    @contextmanager
    def locked(self, region: str, run_id: str, operator: str) -> Iterator[None]:
        """Hold the run lock in ``region``'s control store for the duration."""
        lock = self.states[region].lock(run_id, operator)
        lock.acquire(self.clock.now())
        try:
            yield
        finally:
            lock.release()

    def run_plan(self, plan: FailoverPlan, journal: Journal | None = None) -> Journal:
        """Run ``plan``'s steps with the one executor, journaling in the activated region (caller holds the lock)."""
        journal = journal or self.start_journal(plan)
        ctx = StepContext(
            config=self.config,
            sessions=self.sessions,
            demote_sessions=self.fast_sessions,
            states=self.states,
            clock=self.clock,
            run_id=plan.run_id,
            reseed=self._reseed if self.stacks is not None else None,
        )
        return Executor(ctx, journal, self.journals(plan.activate), reporter=self.report).execute(plan)

    def resume(self, run_id: str) -> tuple[Planned, Journal]:
        """Re-plan a crashed or failed run from its journal (in either region, or locally)."""
        journal = self.load_journal(run_id)
        if journal.status == "complete":
            raise StandbyError(f"run {run_id} is already complete; nothing to resume")
        planned = self.plan(journal.kind, run_id=run_id, direction=(journal.activate, journal.demote))
        return planned, journal

    def load_journal(self, run_id: str) -> Journal:
        """A run's journal, from this machine or either region's control store."""
        for region in self.states:
            try:
                journal = self.journals(region).load(run_id)
            except AWS_ERRORS:
                journal = None
            if journal is not None:
                return journal
        raise StandbyError(f"no journal found for run {run_id}", hint="`standby status` lists the last run")

    def latest_journal(self) -> Journal | None:
        found = []
        for region in self.states:
            try:
                j_ = self.fast_states[region].journals().latest()
            except AWS_ERRORS:
                j_ = None
            if j_ is not None:
                found.append(j_)
        return max(found, key=lambda x: x.started_at, default=None)

    # -- re-seeding through Terraform -------------------------------------------------------------------------

    def _reseed(self, region: str, primary_region: str) -> str | None:
        """Replace ``region``'s databases with fresh replicas of ``primary_region``'s, through Terraform.

        None when they already are such replicas (never promoted since): re-running is a no-op.
        """
        if self._replicas_of(region, primary_region):
            return None
        assert self.stacks is not None
        count, plan = self.stacks.replace_databases(region, Assignment(primary=primary_region, standby=region))
        notes = self.states[region].notes()
        for identifier in (
            (self.manifest(region) or Manifest(project="", written_at=0, regions={})).region(region).databases
        ):
            notes.forget("db", identifier, j.PROMOTION_REQUESTED_AT)
        return f"{count} database(s) replaced with replicas of {primary_region}: {plan.summary()}"

    def _replicas_of(self, region: str, primary_region: str) -> bool:
        manifest = self.manifest(region)
        identifiers = manifest.region(region).databases if manifest is not None else ()
        if not identifiers:
            return False
        notes = self.states[region].notes()
        found = rds.describe_instances(self.sessions.client("rds", region), list(identifiers))
        return len(found) == len(identifiers) and all(
            db.replica_source is not None
            and f":{primary_region}:" in db.replica_source
            and not notes.get("db", db.identifier).get(j.PROMOTION_REQUESTED_AT)
            for db in found
        )

    def status(self) -> RunStatus:
        current = self.assignment()
        home = Assignment.home(self.config)
        latest = self.latest_journal()
        return RunStatus(
            primary=current.primary,
            standby=current.standby,
            home=home,
            failed_over=current != home,
            last_run=None
            if latest is None
            else LastRun(
                run_id=latest.run_id,
                kind=latest.kind,
                status=latest.status,
                started_at=latest.started_at,
                ended_at=latest.ended_at,
                rto_seconds=latest.rto_seconds,
                steps={k: s.status for k, s in latest.steps.items()},
            ),
        )
