"""Run a drill: fingerprint both regions, run the measured part, always restore, fingerprint again, report.

The rollback (the isolated drill's restore, the full drill's failback) runs whatever happens to the measured
part: a failed step, any other exception, Ctrl-C, SIGTERM or SIGHUP (turned into ``Terminated`` for the drill's
duration: ``standby.interruption``). The report says what happened and that the rollback ran; an interruption or
an unexpected exception is raised again once the report is saved.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from standby import judgements as j
from standby.aws import rds
from standby.drill.canary import Canary, CanaryFactory
from standby.drill.fingerprint import Difference, differences, fingerprint
from standby.drill.isolated import plan_isolated_drill
from standby.drill.report import DrillReport, build_report, history_rows, promotion_moment
from standby.errors import StandbyError
from standby.failover.controller import Controller, new_run_id
from standby.failover.model import PREFLIGHT, Observation
from standby.interruption import StopSignals, interruption
from standby.report.store import DRILL_REPORTS, save, stored_reports
from standby.state import AWS_ERRORS, Journal

log = logging.getLogger(__name__)

REPORTS_PREFIX = DRILL_REPORTS


@dataclass(frozen=True)
class DrillResult:
    report: DrillReport
    files: dict[str, Path]
    stored_in: str | None  # the control store's region, when the report was saved there


@dataclass(frozen=True)
class DrillResume:
    """A resumed isolated drill: its measured run and its restore, as their journals now tell."""

    measured: Journal
    restore: Journal
    error: str | None

    @property
    def complete(self) -> bool:
        return self.error is None and self.measured.status == "complete" and self.restore.status == "complete"


@dataclass(frozen=True)
class Measured:
    """What the measured part and its rollback left: journals, the error for the report, an interruption (or an
    unexpected exception) to raise again once the report is saved."""

    journal: Journal
    restores: list[Journal]
    error: str | None
    reraise: BaseException | None = None


def _what(err: BaseException) -> str:
    if isinstance(err, StandbyError):
        return err.message
    return interruption(err) or f"{type(err).__name__}: {err}"


def _join(*parts: str | None) -> str | None:
    found = [p for p in parts if p]
    return "; ".join(found) if found else None


class DrillRunner:
    def __init__(self, controller: Controller, *, canary_factory: CanaryFactory = Canary.for_drill) -> None:
        self.ctl = controller
        self.config = controller.config
        self.clock = controller.clock
        self.canary_factory = canary_factory

    def _fingerprint(self) -> dict[str, str]:
        regions = (self.config.regions.primary, self.config.regions.standby)
        return fingerprint(self.ctl.sessions, regions, self.config.traffic.hosted_zone, self._db_role)

    def _db_role(self, region: str, db: rds.DbInstance) -> str:
        state = j.promotion_state(db)  # the fingerprint's own description of it: judged as everywhere else
        if state == j.Promotion.PROMOTED:
            return "primary"
        return f"replica of {db.replica_source}" if state == j.Promotion.REPLICA else "promoting"

    def run(self, mode: str, report_dir: Path) -> DrillResult:
        run_id = new_run_id(f"drill-{mode}", self.clock.now())
        guard = StopSignals(after="the rollback and the report finish first")
        with guard.installed():
            guard.armed = True  # a stop signal ends the drill at once until its rollback starts, then awaits the report
            before = self._fingerprint()
            canary = self.canary_factory(self.config, self.ctl.sessions, self.ctl.assignment(), run_id, self.clock)
            canary_left: list[Difference] = []
            try:
                if canary is not None:
                    self._start_canary(canary)
                outcome = self._isolated(run_id, guard) if mode == "isolated" else self._full(run_id, guard)
            finally:
                guard.armed = False
                if canary is not None:
                    canary_left = canary.stop()
            reading = canary.observe(promotion_moment(outcome.journal)) if canary is not None else None
            after = self._fingerprint()
            report = build_report(
                self.config,
                mode=mode,
                run_id=run_id,
                measured=outcome.journal,
                restores=outcome.restores,
                before=before,
                after=after,
                left_behind=differences(before, after) + canary_left,
                error=outcome.error,
                finished_at=self.clock.now(),
                canary=reading,
            )
            result = self._save(report, report_dir)
        if outcome.reraise is not None:
            log.warning("drill %s: %s; report: %s", run_id, outcome.error, result.files["json"])
            raise outcome.reraise
        if guard.pending is not None:
            log.warning("drill %s: terminated after its rollback; report: %s", run_id, result.files["json"])
            guard.raise_pending()
        return result

    def _start_canary(self, canary: Canary) -> None:
        """Start the canary and let its first marker reach the standby before anything is measured: a marker
        that has not had the time to replicate says nothing about the data a promotion loses."""
        try:
            canary.start()
            settings = canary.settings
            if not canary.wait_replicated(settings.warmup_timeout_seconds):
                log.warning(
                    "canary: no marker reached %s within %ss; measuring anyway",
                    canary.standby_bucket,
                    settings.warmup_timeout_seconds,
                )
        except AWS_ERRORS as err:
            canary.problem = f"canary could not run: {err}"
            log.warning("%s", canary.problem)

    def _isolated(self, run_id: str, guard: StopSignals) -> Measured:
        assignment = self.ctl.assignment()
        region, other = assignment.standby, assignment.primary
        manifest = self.ctl.manifest(region)
        obs = self.ctl.observe(region, other, manifest)
        plan = plan_isolated_drill(self.config, manifest, obs, run_id=run_id)
        measured = self.ctl.start_journal(plan.run)
        restore = self.ctl.start_journal(plan.restore)
        error: str | None = None
        reraise: BaseException | None = None
        with self.ctl.locked(region, run_id, measured.operator, journal=measured, finished_by=restore.run_id):
            try:
                guard.armed = True
                self.ctl.run_plan(plan.run, measured)
            except StandbyError as err:
                error = err.message
            except BaseException as err:  # noqa: BLE001 - anything, a stop signal too: restore, then re-raise
                error, reraise = _what(err), err
            finally:
                guard.armed = False
            restore.started_at = self.clock.now()
            rolled_back = self._rollback(lambda: self.ctl.run_plan(plan.restore, restore), "restore")
        if reraise is not None:
            rolled_back = rolled_back or f"the restore ran ({restore.status})"
        return Measured(measured, [restore], _join(error, rolled_back), reraise)

    def _rollback(self, run: Callable[[], object], what: str) -> str | None:
        """Run a rollback; a failure of it is reported (an error text), never raised, except a new Ctrl-C."""
        try:
            run()
        except StandbyError as err:
            return f"{what}: {err.message}"
        except Exception as err:  # the report must still be written, and say the rollback failed
            log.warning("%s failed", what, exc_info=True)
            return f"{what}: {_what(err)}"
        return None

    def _full(self, run_id: str, guard: StopSignals) -> Measured:
        planned = self.ctl.plan("failover", run_id=run_id)
        activate = planned.plan.activate
        error: str | None = None
        reraise: BaseException | None = None
        measured: Journal | None = None
        try:
            guard.armed = True
            measured = self.ctl.execute(planned, command=False)  # a drill neither pauses nor reports per run
            hold = self.config.drill.hold_seconds
            log.info("holding on %s for %ss before failing back", activate, hold)
            self.clock.sleep(hold)
        except StandbyError as err:
            error = err.message
        except BaseException as err:  # noqa: BLE001 - anything, a stop signal too: fail back, then re-raise
            error, reraise = _what(err), err
        finally:
            guard.armed = False
        restores: list[Journal] = []
        failback_id = f"{run_id}-failback"
        if self._changed_anything(activate, run_id):
            failed = self._rollback(lambda: restores.append(self._failback(failback_id)), "failback")
            if failed:
                error = _join(error, failed)
                latest = self.ctl.journals(self.config.regions.primary).load(failback_id)
                if latest is not None:
                    restores.append(latest)
            if reraise is not None:
                status = restores[-1].status if restores else "not started"
                error = _join(error, f"the failback ran ({status})")
        elif reraise is not None:
            error = _join(error, "nothing had changed: no failback needed")
        if measured is None:
            measured = self.ctl.journals(activate).load(run_id) or Journal(
                run_id, "failover", activate, planned.plan.demote, self.clock.now(), status="refused"
            )
        return Measured(measured, restores, error, reraise)

    def _failback(self, run_id: str) -> Journal:
        return self.ctl.execute(self.ctl.plan("failback", run_id=run_id), command=False)

    def _changed_anything(self, region: str, run_id: str) -> bool:
        """Whether the failover started any step past its preflight (its journal, kept locally first, says)."""
        try:
            journal = self.ctl.journals(region).load(run_id)
        except AWS_ERRORS as err:
            log.warning("journal of %s unreadable (%s): failing back in case", run_id, err)
            return True
        return journal is not None and any(
            s.started_at is not None and s.slug != PREFLIGHT for s in journal.steps.values()
        )

    def resume(self, run_id: str) -> DrillResume:
        """Continue an isolated drill (by its run id or its restore's) from its journals: the measured part if it
        did not finish, then always its restore. Planned again with the same run id; completed steps are not
        repeated. The restore puts groups back to the capacity recorded before the drill scaled them out."""
        run_id = run_id.removesuffix("-restore")
        journal = self.ctl.load_journal(run_id)
        if journal.kind != "drill":
            raise StandbyError(
                f"run {run_id} is a {journal.kind}, not an isolated drill",
                hint=f"`standby {journal.kind} --resume {run_id}` continues it",
            )
        region, other = journal.activate, journal.demote
        manifest = self.ctl.manifest(region)
        obs = self.ctl.observe(region, other, manifest)
        plan = plan_isolated_drill(self.config, manifest, obs, run_id=run_id)
        back = plan_isolated_drill(self.config, manifest, self._before_drill(obs, region), run_id=run_id).restore
        previous = self.ctl.journals(region).load(back.run_id)
        measured = self.ctl.start_journal(plan.run, journal) if journal.status != "complete" else journal
        restore = self.ctl.start_journal(back, previous)
        error: str | None = None
        failed: str | None = None
        with self.ctl.locked(region, run_id, measured.operator, resumed=True, finished_by=back.run_id):
            try:
                if journal.status != "complete":
                    self.ctl.run_plan(plan.run, measured)
            except StandbyError as err:
                error = err.message
            finally:
                failed = self._rollback(lambda: self.ctl.run_plan(back, restore), "restore")
        return DrillResume(measured, restore, _join(error, failed))

    def _before_drill(self, obs: Observation, region: str) -> Observation:
        """The observation with each group at the capacity noted before the drill scaled it out (where noted)."""
        noted = self.ctl.states[region].notes().all("asg")
        groups = {}
        for name, state in obs.activate.groups.items():
            prior = (noted.get(name) or {}).get(j.PRIOR_CAPACITY)
            groups[name] = replace(state, **prior) if prior else state
        return replace(obs, activate=replace(obs.activate, groups=groups))

    def _save(self, report: DrillReport, report_dir: Path) -> DrillResult:
        region = self.ctl.assignment().standby
        written = save(report.to_dict(), report_dir, self.ctl.states[region].store, REPORTS_PREFIX)
        return DrillResult(report, written.files, written.stored_in)

    def history(self) -> list[dict[str, Any]]:
        stores = [state.store for _, state in self.ctl.fast_states.items()]
        reports = {doc["run_id"]: doc for doc in stored_reports(stores, (REPORTS_PREFIX,))}
        return history_rows(reports.values())
