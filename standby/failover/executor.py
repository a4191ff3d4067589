"""Run a plan's steps in dependency order, independent steps concurrently, journaling every transition.

The whole journal is saved (awaited) when the run starts, pauses and ends, on every way out: a failed step, an
interruption, an approval point. A step's start and end append its record locally (``JournalStore.record``, no API
call), written before the step is reported started or done, so a crashed run's local journal never shows a step done
whose dependencies it does not. While the steps run, the store's background saver uploads the journal to the control
store at most once per interval (``JournalStore.saving``), never making a step wait.

Steps already done in the journal (a resumed run) are not run again. When a step fails, no new step starts;
those running finish; the rest are marked not-run; the run's status is failed and StepFailed is raised, with a
hint naming the command that resumes this kind of run. An interruption (Ctrl-C, or any exception raised while
waiting for the steps) is journaled the same way before it propagates: the run reads failed, not running.

Approval points (``approve_before``, step slugs): a ready step whose slug is listed and not yet approved in the
journal is not started, and then no other step starts either; those running finish; the run is ``paused`` with
the pending approval recorded (the slug, its steps, when) and ``execute`` returns. Approving (the controller
records it in the journal) and executing again runs on, up to the next listed step.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from standby.errors import StandbyError, StepFailed
from standby.failover.model import FailoverPlan, Step
from standby.failover.steps import Outcome, StepContext, run_step
from standby.progress import Event, Reporter, silent
from standby.state.journal import DONE, Journal, StepRecord
from standby.state.journal_store import JournalStore

log = logging.getLogger(__name__)

# The command that resumes a run, by the run's kind (a drill's restore resumes with its drill).
RESUME_COMMANDS = {
    "failover": "standby failover --resume",
    "failback": "standby failback --resume",
    "drill": "standby drill --resume",
    "drill-restore": "standby drill --resume",
}


def resume_hint(kind: str, run_id: str) -> str:
    """What to run after fixing the cause of a failed run of ``kind``."""
    command = RESUME_COMMANDS.get(kind, RESUME_COMMANDS["drill"] if kind.startswith("drill") else "")
    if not command:
        return f"fix the cause, then resume run {run_id}; completed steps are not repeated"
    return f"fix the cause, then `{command} {run_id}` continues without repeating completed steps"


class Executor:
    def __init__(
        self,
        ctx: StepContext,
        journal: Journal,
        store: JournalStore,
        *,
        reporter: Reporter = silent,
        max_workers: int | None = None,
        approve_before: tuple[str, ...] = (),
    ) -> None:
        self.ctx = ctx
        self.approve_before = approve_before
        self.journal = journal
        self.store = store
        self.report = reporter
        self.max_workers = max_workers or ctx.config.failover.max_parallel  # [failover] max_parallel
        self._lock = threading.Lock()

    def _record(self, step: Step) -> StepRecord:
        with self._lock:
            if step.key not in self.journal.steps:
                self.journal.steps[step.key] = StepRecord(step.key, step.slug, step.region)
            return self.journal.steps[step.key]

    def _save(self) -> None:
        """The whole journal: when the run starts, pauses or ends."""
        self.store.save(self.journal)

    def _save_step(self, step: Step) -> None:
        """One step's record, appended locally at its start and end; uploaded by the background saver."""
        self.store.record(self.journal, step.key)

    def execute(self, plan: FailoverPlan) -> Journal:
        steps = {s.key: s for s in plan.steps}
        for step in plan.steps:
            self._record(step)
        done = self.journal.done_keys()
        for key in done & steps.keys():
            self.report(Event(steps[key].region, key, "skipped", detail="done in an earlier attempt"))
        failed: list[tuple[str, BaseException]] = []
        running: dict[Future[Outcome], Step] = {}
        held: list[Step] = []  # ready steps that wait for an approval: once there is one, nothing new starts
        approved = self.journal.approved_slugs
        self._save()
        with self.store.saving(self.journal, self.ctx.clock):
            try:
                with ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="step") as pool:
                    while True:
                        if not failed and not held:
                            started = {s.key for s in running.values()}
                            ready = [
                                step
                                for key, step in steps.items()
                                if key not in done and key not in started and all(d in done for d in step.depends_on)
                            ]
                            held = [s for s in ready if s.slug in self.approve_before and s.slug not in approved]
                            for step in [] if held else ready:
                                running[pool.submit(self._one, step)] = step
                        if not running:
                            break
                        finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
                        for future in finished:
                            step = running.pop(future)
                            error = future.exception()
                            if error is None:
                                done.add(step.key)
                            else:
                                failed.append((step.key, error))
            except BaseException as interruption:
                # Ctrl-C (or a signal turned into an exception) while steps ran: the pool has let the running steps
                # finish; the journal says where the run stopped, then the interruption goes on to the caller.
                for future, step in running.items():
                    if future.done() and not future.cancelled() and future.exception() is None:
                        done.add(step.key)
                self._finish(steps, done | {k for k, _ in failed}, failed=True)
                log.warning("run %s interrupted (%s)", self.journal.run_id, type(interruption).__name__)
                raise
            if held and not failed:
                self._pause(held)
                return self.journal
            self._finish(steps, done | {k for k, _ in failed}, failed=bool(failed))
        if failed:
            key, error = failed[0]
            message = error.message if isinstance(error, StandbyError) else f"{type(error).__name__}: {error}"
            raise StepFailed(
                f"step {key} failed: {message}", hint=resume_hint(self.journal.kind, self.journal.run_id)
            ) from error
        return self.journal

    def _pause(self, held: list[Step]) -> None:
        """Stop before ``held`` (steps of one or more listed slugs) until approved: the journal says paused."""
        now = self.ctx.clock.now()
        slug = held[0].slug
        keys = [s.key for s in held if s.slug == slug]
        self.journal.approvals.append(
            {"slug": slug, "steps": keys, "paused_at": now, "approved_at": None, "approved_by": None}
        )
        self.journal.status = "paused"
        self.journal.ended_at = now
        self._save()
        for step in held:
            if step.slug == slug:
                self.report(Event(step.region, step.key, "paused", detail="awaiting approval"))
        log.info("run %s paused before %s, awaiting approval", self.journal.run_id, slug)

    def _finish(self, steps: dict[str, Step], ended: set[str], *, failed: bool) -> None:
        """Mark the steps that never ran (or never finished), and the run's end."""
        for key in steps.keys() - ended:
            rec = self._record(steps[key])
            if rec.status not in DONE and rec.status != "failed":
                rec.status = "not-run"
        self.journal.status = "failed" if failed else "complete"
        self.journal.ended_at = self.ctx.clock.now()
        self._save()

    def _one(self, step: Step) -> Outcome:
        rec = self._record(step)
        clock = self.ctx.clock
        with self._lock:
            rec.status = "running"
            rec.started_at = clock.now()
            rec.attempts += 1
            rec.error = None
        self._save_step(step)
        self.report(Event(step.region, step.key, "started", detail=step.intent))
        try:
            # The plan's nochange is what the observation said before the run; earlier steps may have changed
            # the state since, so every handler observes again and skips by itself when there is nothing to do.
            outcome = run_step(self.ctx, step)
        except Exception as err:  # any failure is journaled, then re-raised
            with self._lock:
                rec.status = "failed"
                rec.ended_at = clock.now()
                rec.error = err.message if isinstance(err, StandbyError) else f"{type(err).__name__}: {err}"
            self._save_step(step)
            log.debug("step %s failed", step.key, exc_info=True)
            self.report(Event(step.region, step.key, "failed", rec.seconds, rec.error or ""))
            raise
        with self._lock:
            rec.status = outcome.status
            rec.ended_at = clock.now()
            rec.detail = outcome.detail
            rec.before = outcome.before
            rec.after = outcome.after
        self._save_step(step)
        status = "complete" if outcome.status == "complete" else f"skipped: {outcome.detail}"
        detail = outcome.detail if outcome.status == "complete" else ""
        self.report(Event(step.region, step.key, status, rec.seconds, detail))
        return outcome
