"""The failover controller: observe, plan (pure), execute (real or dry run), journal; failback; status.

A failover reads and writes only in the region it activates (its control store holds the manifest, the
capacity snapshot, the lock and the journal); the other region is fenced on a best-effort basis. Every plan of
steps — failover, failback, and the drills' plans — runs through ``run_plan``: one executor, one journal, one lock.
What the runs left (status, history, reports) is read and written in ``status``; the failback's re-seed through
Terraform is ``reseeding``.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from standby.aws.budget import Budget
from standby.aws.session import SessionFactory
from standby.clock import Clock, SystemClock
from standby.config.schema import LoadedConfig
from standby.errors import LockHeld, PreflightFailed, RunPaused, StandbyError, UsageError
from standby.failover import fencing  # noqa: F401  (registers the fencing steps' handlers)
from standby.failover import status as runs
from standby.failover.executor import Executor
from standby.failover.model import FailoverPlan, Observation
from standby.failover.observe import observe
from standby.failover.planner import plan_failback, plan_failover
from standby.failover.reseeding import Reseeder
from standby.failover.status import RunStatus
from standby.failover.steps import StepContext
from standby.interruption import interruption
from standby.owner import operator
from standby.progress import Event, Reporter, silent
from standby.report.store import Written
from standby.stacks import Reseed, Stacks, region_stack
from standby.state import AWS_ERRORS, Assignment, Journal, JournalStore, Manifest, RegionStates
from standby.state.journal import check_run_id
from standby.state.lock import effective_ttl


def new_run_id(kind: str, now: float) -> str:
    return f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(now))}-{kind}-{secrets.token_hex(2)}"


@dataclass(frozen=True)
class Planned:
    """``Controller.plan``'s answer: the plan, the observation it was made from and the assignment then."""

    plan: FailoverPlan
    observation: Observation
    assignment: Assignment
    planned_at: float | None = None  # when planning started: the command's start, where the RTO starts


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
        self.clock = clock or SystemClock()
        self.report = reporter
        self.stacks = stacks  # Terraform, for re-seeding databases on failback
        self.states = states
        self.fast_states = states.fast()
        self.fast_sessions = self.fast_states.sessions  # bounded by [failover] demote_budget_seconds
        self.last_report: Written | None = None  # the report of the last run ``execute`` ran as a command

    # -- reading ----------------------------------------------------------------------------------------------

    def assignment(self, prefer: str | None = None, budget: Budget | None = None) -> Assignment:
        """The recorded assignment: ``prefer``'s record (the region being activated) read and waited for, the
        other regions' only within ``budget`` (``[failover] demote_budget_seconds``); ``prefer``'s wins a tie."""
        return self.fast_states.assignment(prefer, budget)

    def manifest(self, region: str) -> Manifest | None:
        try:
            return self.states[region].manifest()
        except AWS_ERRORS:
            return None

    def journals(self, region: str) -> JournalStore:
        return self.states[region].journals()

    def observe(
        self, activate: str, demote: str, manifest: Manifest | None, budget: Budget | None = None
    ) -> Observation:
        """Read-only observation for planning, the activated region first; ``demote`` waited for within ``budget``."""
        return observe(
            self.sessions,
            self.fast_sessions,
            self.states[activate],
            manifest,
            activate=activate,
            demote=demote,
            clock=self.clock,
            config=self.config,
            budget=budget,
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
        planned_at = self.clock.now()
        home = Assignment.home(self.config)
        # Fixed targets make both commands idempotent: failover always activates the home standby region,
        # failback the home primary region; re-running a finished one plans nothing but no-ops.
        if direction is not None:
            activate, demote = direction
        elif kind == "failover":
            activate, demote = home.standby, home.primary
        else:
            activate, demote = home.primary, home.standby
        # Planning waits on the demoted region (which may be down) within one budget: the role record there and
        # the observation's reads there run at the same time as the activated region's reads, on that budget.
        budget = self.fast_states.budget(f"planning: reading {demote}")
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="plan") as pool:
            assigned = pool.submit(self.assignment, activate, budget)
            manifest = self.manifest(activate)
            obs = self.observe(activate, demote, manifest, budget)
            current = assigned.result()
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
        return Planned(plan, obs, current, planned_at)

    # -- running ----------------------------------------------------------------------------------------------

    def execute(
        self,
        planned: Planned,
        journal: Journal | None = None,
        *,
        approve: bool = False,
        command: bool = True,
    ) -> Journal:
        """Run a failover or failback plan under the lock; ``journal`` continues an earlier attempt of the same run.

        A new run's journal is saved before the lock is taken; a resumed run's is saved once the lock is held
        (until then it tells whether the earlier attempt finished), and its preflight is judged under the lock.

        ``command``: a run of `standby failover`/`failback` (a drill's failover and failback are not): it pauses
        before the steps of ``[failover] approve_before`` (status ``paused``; the lock is released) and writes its
        run report (``last_report``) however it ends. ``approve`` approves the pause a resumed run waits at,
        recording who and when in the journal under the lock.
        """
        plan = planned.plan
        resumed = journal is not None
        if journal is not None and journal.pending_approval is not None and not approve:
            slug = journal.pending_approval["slug"]
            raise RunPaused(
                f"run {journal.run_id} is paused before {slug}, awaiting approval",
                hint=f"`standby {journal.kind} --resume {journal.run_id} --approve` approves {slug} and continues",
            )
        journal = self.start_journal(plan, journal)
        if journal.command_started_at is None and not resumed:
            journal.command_started_at = planned.planned_at
        error: str | None = None
        try:
            if plan.preflight.problems and not resumed:
                self._refuse(plan, journal)
            with self.locked(plan.activate, plan.run_id, journal.operator, journal=journal, resumed=resumed):
                if plan.preflight.problems:
                    self._refuse(plan, journal)
                if approve:
                    self._approve(journal)
                gates = tuple(self.config.failover.approve_before) if command else ()
                return self.run_plan(plan, journal, approve_before=gates)
        except StandbyError as err:
            error = err.message
            raise
        except BaseException as err:  # Ctrl-C; SIGTERM or SIGHUP from the command line (standby.interruption)
            error = interruption(err) or f"interrupted ({type(err).__name__})"
            raise
        finally:
            if command:
                self.last_report = self.write_report(journal, error)

    def _approve(self, journal: Journal) -> None:
        """Record the approval of the step ``journal`` is paused before: who, when (saved before anything runs)."""
        pending = journal.pending_approval
        if pending is None:
            return
        pending["approved_at"] = self.clock.now()
        pending["approved_by"] = operator()
        self.journals(journal.activate).save(journal)
        self.report(Event(journal.activate, str(pending["slug"]), "approved", detail=f"by {pending['approved_by']}"))

    def write_report(self, journal: Journal, error: str | None = None) -> Written | None:
        """The run's report (``status.write_report``); None (logged) when it could not be written."""
        return runs.write_report(self.loaded, self.states, journal, error, self.clock.now())

    def history(self) -> list[dict[str, Any]]:
        """Every stored report's row (failovers, failbacks and drills), newest first (``status.history``)."""
        return runs.history(self.fast_states)

    def _refuse(self, plan: FailoverPlan, journal: Journal) -> None:
        journal.status = "refused"
        journal.ended_at = self.clock.now()
        self.journals(plan.activate).save(journal)
        raise PreflightFailed(
            f"{plan.kind} refused by preflight:\n" + "\n".join(f"  - {p}" for p in plan.preflight.problems)
        )

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
    def locked(
        self,
        region: str,
        run_id: str,
        operator: str,
        *,
        journal: Journal | None = None,
        resumed: bool = False,
        finished_by: str | None = None,
    ) -> Iterator[None]:
        """Hold the run lock for the duration: authoritative in ``region``, mirrored in the other region when it
        answers, renewed by a heartbeat (``standby.state.lock``); LockHeld when a live run holds it.

        ``journal`` (a new run's) is saved before the lock is taken, so a lock that outlives a crash names a run
        with a journal, and is marked refused when the lock is refused; a ``resumed`` one is left as it is (the
        caller saves it under the lock). ``finished_by``: the run whose finished journal frees this lock
        (default ``run_id``).
        """
        journals = self.journals(region)
        if journal is not None and not resumed:
            journals.save(journal)
        lock = self.states[region].lock(
            run_id,
            operator,
            mirror=self.fast_states[self.states.other(region)],
            ttl_seconds=effective_ttl(self.config.lock.ttl_seconds),
            journal=finished_by,
        )
        try:
            lock.acquire()
        except LockHeld as refused:
            if journal is not None and not resumed:
                journal.status = "refused"
                journal.ended_at = self.clock.now()
                journal.problems.append(refused.message)
                journals.save(journal)
            raise
        try:
            yield
        finally:
            lock.release()

    def run_plan(
        self, plan: FailoverPlan, journal: Journal | None = None, *, approve_before: tuple[str, ...] = ()
    ) -> Journal:
        """Run ``plan``'s steps with the one executor, journaling in the activated region (caller holds the lock);
        it pauses before the steps whose slugs are in ``approve_before`` until the journal records their approval."""
        journal = journal or self.start_journal(plan)
        reseeder = self.reseeder()
        ctx = StepContext(
            config=self.config,
            sessions=self.sessions,
            demote_sessions=self.fast_sessions,
            states=self.states,
            clock=self.clock,
            run_id=plan.run_id,
            reseed=reseeder.reseed if reseeder is not None else None,
        )
        executor = Executor(
            ctx, journal, self.journals(plan.activate), reporter=self.report, approve_before=approve_before
        )
        return executor.execute(plan)

    def resume(self, run_id: str) -> tuple[Planned, Journal]:
        """Re-plan a crashed or failed run from its journal (in either region, or locally).

        A complete run is re-planned too: its steps are all done, so executing it again runs none of them and
        frees what a crash after its final journal save left behind (its lock)."""
        check_run_id(run_id)
        journal = self.load_journal(run_id)
        planned = self.plan(journal.kind, run_id=run_id, direction=(journal.activate, journal.demote))
        return planned, journal

    def load_journal(self, run_id: str) -> Journal:
        """A run's journal, from this machine or either region's control store; a UsageError for an id that is
        not a run id or names no journal, JournalUnreadable for one that is corrupt."""
        check_run_id(run_id)
        for region in self.states:
            try:
                journal = self.journals(region).load(run_id)
            except AWS_ERRORS:
                journal = None
            if journal is not None:
                return journal
        raise UsageError(f"no journal found for run {run_id}", hint="`standby status` lists the last run")

    def latest_journal(self) -> Journal | None:
        """The latest journal, here or in either region; a region is waited for only within one budget."""
        return runs.latest_journal(self.fast_states)

    def status(self) -> RunStatus:
        """The recorded roles, the home ones and the last run."""
        return runs.run_status(self.assignment(), Assignment.home(self.config), self.latest_journal())

    # -- re-seeding through Terraform -------------------------------------------------------------------------

    def reseeder(self) -> Reseeder | None:
        """The failback's re-seed through this controller's Terraform runner; None when it has none."""
        if self.stacks is None:
            return None
        return Reseeder(self.config, self.sessions, self.stacks, self.clock, self.report, self.manifest)

    def reseed_preview(self, planned: Planned) -> list[Reseed]:
        """The exact targeted replace each pending re-seed step of ``planned`` would apply, planned now and never
        applied (the dry run and the confirmation show it). Empty, without starting Terraform, when the plan has
        no re-seed step to run, is refused, or this controller has no runner."""
        reseeder = self.reseeder()
        return reseeder.preview(planned.plan) if reseeder is not None else []
