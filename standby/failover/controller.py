"""The failover controller: observe, plan (pure), execute (real or dry run), journal; failback; status.

A failover reads and writes only in the region it activates (its control store holds the manifest, the
capacity snapshot, the lock and the journal); the other region is fenced on a best-effort basis.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from standby.aws import rds
from standby.aws.session import SessionFactory
from standby.clock import Clock, SystemClock
from standby.config.schema import LoadedConfig
from standby.control import Notes
from standby.errors import PreflightFailed, StandbyError
from standby.failover import judgements as j
from standby.failover.executor import Executor
from standby.failover.journal import Journal, JournalStore
from standby.failover.lock import RunLock
from standby.failover.model import FailoverPlan, Observation
from standby.failover.observe import AWS_ERRORS, observe
from standby.failover.planner import plan_failback, plan_failover
from standby.failover.steps import StepContext
from standby.manifest import Manifest
from standby.progress import Reporter, silent
from standby.provision import Provisioner
from standby.records import control_stores, current_assignment, load_manifest
from standby.roles import Assignment

ProvisionerFactory = Callable[[Assignment], Provisioner]


def new_run_id(kind: str, now: float) -> str:
    return f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(now))}-{kind}-{secrets.token_hex(2)}"


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
        *,
        clock: Clock | None = None,
        reporter: Reporter = silent,
        provisioner_factory: ProvisionerFactory | None = None,
    ) -> None:
        self.loaded = loaded
        self.config = loaded.config
        self.sessions = sessions
        self.fast_sessions = sessions.fast_fail()
        self.clock = clock or SystemClock()
        self.report = reporter
        self.provisioner_factory = provisioner_factory
        self.stores = control_stores(sessions, self.config)
        self.fast_stores = control_stores(self.fast_sessions, self.config)

    # -- reading ----------------------------------------------------------------------------------------------

    def assignment(self) -> Assignment:
        return current_assignment(self.config, self.fast_stores.values())

    def manifest(self, region: str) -> Manifest | None:
        try:
            return load_manifest(self.stores[region])
        except AWS_ERRORS:
            return None

    def journals(self, region: str) -> JournalStore:
        return JournalStore(self.loaded.state_dir / "runs", self.stores[region])

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
        obs = observe(
            self.sessions,
            self.fast_sessions,
            self.stores[activate],
            manifest,
            activate=activate,
            demote=demote,
            clock=self.clock,
            config=self.config,
        )
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
                self.config, manifest, obs, run_id=run_id, current=current, region_stack=self._region_stack()
            )
        return Planned(plan, obs, current)

    def _region_stack(self) -> str:
        return next(name for name, s in self.config.stacks.items() if s.scope == "region")

    # -- running ----------------------------------------------------------------------------------------------

    def execute(self, planned: Planned, journal: Journal | None = None) -> Journal:
        """Run a plan under the lock; ``journal`` continues an earlier attempt of the same run."""
        plan = planned.plan
        preflight = plan.preflight
        store = self.journals(plan.activate)
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
        journal.warnings = list(preflight.warnings)
        journal.problems = list(preflight.problems)
        if preflight.problems:
            journal.status = "refused"
            journal.ended_at = self.clock.now()
            store.save(journal)
            raise PreflightFailed(
                f"{plan.kind} refused by preflight:\n" + "\n".join(f"  - {p}" for p in preflight.problems)
            )
        lock = RunLock(self.stores[plan.activate], plan.run_id, journal.operator)
        lock.acquire(self.clock.now())
        try:
            ctx = StepContext(
                config=self.config,
                sessions=self.sessions,
                demote_sessions=self.fast_sessions,
                stores=self.stores,
                clock=self.clock,
                run_id=plan.run_id,
                reseed=self._reseed if self.provisioner_factory is not None else None,
            )
            return Executor(ctx, journal, store, reporter=self.report).execute(plan)
        finally:
            lock.release()

    def resume(self, run_id: str) -> tuple[Planned, Journal]:
        """Re-plan a crashed or failed run from its journal (in either region, or locally)."""
        journal = None
        for region in self.stores:
            try:
                journal = self.journals(region).load(run_id)
            except AWS_ERRORS:
                journal = None
            if journal is not None:
                break
        if journal is None:
            raise StandbyError(f"no journal found for run {run_id}", hint="`standby status` lists the last run")
        if journal.status == "complete":
            raise StandbyError(f"run {run_id} is already complete; nothing to resume")
        planned = self.plan(journal.kind, run_id=run_id, direction=(journal.activate, journal.demote))
        return planned, journal

    def latest_journal(self) -> Journal | None:
        found = []
        for region in self.stores:
            try:
                j_ = JournalStore(self.loaded.state_dir / "runs", self.fast_stores[region]).latest()
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
        assert self.provisioner_factory is not None
        provisioner = self.provisioner_factory(Assignment(primary=primary_region, standby=region))
        stack = self._region_stack()
        target = next(t for t in provisioner.region_targets((region,)) if t.stack == stack)
        runner = provisioner.runner
        runner.init(target.workspace)
        addresses = [a for a, kind in runner.state_resources(target.workspace) if kind == "aws_db_instance"]
        plan = runner.plan(target.workspace, target.variables, replace=addresses)
        runner.apply(target.workspace, plan)
        notes = Notes(self.stores[region])
        for identifier in (
            (self.manifest(region) or Manifest(project="", written_at=0, regions={})).region(region).databases
        ):
            notes.forget("db", identifier, j.PROMOTION_REQUESTED_AT)
        return f"{len(addresses)} database(s) replaced with replicas of {primary_region}: {plan.summary()}"

    def _replicas_of(self, region: str, primary_region: str) -> bool:
        manifest = self.manifest(region)
        identifiers = manifest.region(region).databases if manifest is not None else ()
        if not identifiers:
            return False
        notes = Notes(self.stores[region])
        found = rds.describe_instances(self.sessions.client("rds", region), list(identifiers))
        return len(found) == len(identifiers) and all(
            db.replica_source is not None
            and f":{primary_region}:" in db.replica_source
            and not notes.get("db", db.identifier).get(j.PROMOTION_REQUESTED_AT)
            for db in found
        )

    def status(self) -> dict[str, Any]:
        current = self.assignment()
        home = Assignment.home(self.config)
        latest = self.latest_journal()
        return {
            "primary": current.primary,
            "standby": current.standby,
            "home": {"primary": home.primary, "standby": home.standby},
            "failed_over": current != home,
            "last_run": None
            if latest is None
            else {
                "run_id": latest.run_id,
                "kind": latest.kind,
                "status": latest.status,
                "started_at": latest.started_at,
                "ended_at": latest.ended_at,
                "rto_seconds": latest.rto_seconds,
                "steps": {k: s.status for k, s in latest.steps.items()},
            },
        }
