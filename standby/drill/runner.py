"""Run a drill: fingerprint both regions, run the measured part, always restore, fingerprint again, report.

The restore runs whatever happens to the measured part: a failed step, a refusal, or Ctrl-C.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from standby import judgements as j
from standby import probes
from standby.aws import rds
from standby.drill.canary import Canary, CanaryFactory
from standby.drill.fingerprint import Difference, differences, fingerprint
from standby.drill.isolated import plan_isolated_drill
from standby.drill.report import DrillReport, build_report, history_rows, promotion_moment
from standby.errors import StandbyError
from standby.failover.controller import Controller, new_run_id
from standby.report.html import render_html
from standby.report.markdown import render_markdown
from standby.state import AWS_ERRORS, Journal

log = logging.getLogger(__name__)

REPORTS_PREFIX = "drills/"


@dataclass(frozen=True)
class DrillResult:
    report: DrillReport
    files: dict[str, Path]
    stored_in: str | None  # the control store's region, when the report was saved there


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
        client = self.ctl.sessions.client("rds", region)
        settle = self.config.failover.promotion_settle_seconds
        check = probes.check_promotion(client, self.ctl.states[region].notes(), db.identifier, self.clock.now(), settle)
        if check.promoted:
            return "primary"
        return f"replica of {db.replica_source}" if check.state == j.Promotion.REPLICA else "promoting"

    def run(self, mode: str, report_dir: Path) -> DrillResult:
        run_id = new_run_id(f"drill-{mode}", self.clock.now())
        before = self._fingerprint()
        error: str | None = None
        canary = self.canary_factory(self.config, self.ctl.sessions, self.ctl.assignment(), run_id, self.clock)
        canary_left: list[Difference] = []
        try:
            if canary is not None:
                self._start_canary(canary)
            if mode == "isolated":
                measured, restores, error = self._isolated(run_id)
            else:
                measured, restores, error = self._full(run_id)
        finally:
            if canary is not None:
                canary_left = canary.stop()
        reading = canary.observe(promotion_moment(measured)) if canary is not None else None
        after = self._fingerprint()
        report = build_report(
            self.config,
            mode=mode,
            run_id=run_id,
            measured=measured,
            restores=restores,
            before=before,
            after=after,
            left_behind=differences(before, after) + canary_left,
            error=error,
            finished_at=self.clock.now(),
            canary=reading,
        )
        return self._save(report, report_dir)

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

    def _isolated(self, run_id: str) -> tuple[Journal, list[Journal], str | None]:
        assignment = self.ctl.assignment()
        region, other = assignment.standby, assignment.primary
        manifest = self.ctl.manifest(region)
        obs = self.ctl.observe(region, other, manifest)
        plan = plan_isolated_drill(self.config, manifest, obs, run_id=run_id)
        measured = self.ctl.start_journal(plan.run)
        restore = self.ctl.start_journal(plan.restore)
        error = None
        with self.ctl.locked(region, run_id, measured.operator):
            try:
                self.ctl.run_plan(plan.run, measured)
            except StandbyError as err:
                error = err.message
            except KeyboardInterrupt:
                error = "interrupted; everything was restored"
                raise
            finally:
                restore.started_at = self.clock.now()
                try:
                    self.ctl.run_plan(plan.restore, restore)
                except StandbyError as err:
                    error = (error + "; " if error else "") + f"restore: {err.message}"
        return measured, [restore], error

    def _full(self, run_id: str) -> tuple[Journal, list[Journal], str | None]:
        planned = self.ctl.plan("failover", run_id=run_id)
        error = None
        measured: Journal | None = None
        restores: list[Journal] = []
        failed_over = False
        try:
            try:
                measured = self.ctl.execute(planned)
                failed_over = True
                hold = self.config.drill.hold_seconds
                log.info("holding on %s for %ss before failing back", planned.plan.activate, hold)
                self.clock.sleep(hold)
            except StandbyError as err:
                error = err.message
                failed_over = True  # part of it may have run: the failback below puts it back
        finally:
            preflight_refused = bool(planned.plan.preflight.problems)
            if failed_over and not preflight_refused:
                try:
                    back = self.ctl.plan("failback", run_id=f"{run_id}-failback")
                    restores.append(self.ctl.execute(back))
                except StandbyError as err:
                    error = (error + "; " if error else "") + f"failback: {err.message}"
                    latest = self.ctl.journals(self.config.regions.primary).load(f"{run_id}-failback")
                    if latest is not None:
                        restores.append(latest)
        if measured is None:
            measured = self.ctl.journals(planned.plan.activate).load(run_id) or Journal(
                run_id, "failover", planned.plan.activate, planned.plan.demote, self.clock.now(), status="refused"
            )
        return measured, restores, error

    def _save(self, report: DrillReport, report_dir: Path) -> DrillResult:
        doc = report.to_dict()
        report_dir.mkdir(parents=True, exist_ok=True)
        base = report_dir / report.run_id
        files = {
            "json": base.with_suffix(".json"),
            "html": base.with_suffix(".html"),
            "markdown": base.with_suffix(".md"),
        }
        files["json"].write_text(json.dumps(doc, indent=2, sort_keys=True))
        files["html"].write_text(render_html(doc))
        files["markdown"].write_text(render_markdown(doc))
        region = self.ctl.assignment().standby
        stored_in = None
        try:
            store = self.ctl.states[region].store
            store.put(f"{REPORTS_PREFIX}{report.run_id}.json", doc)
            store.put_text(f"{REPORTS_PREFIX}{report.run_id}.html", files["html"].read_text(), "text/html")
            stored_in = region
        except AWS_ERRORS as err:
            log.warning("the drill report was not stored in %s: %s", region, err)
        return DrillResult(report, files, stored_in)

    def history(self) -> list[dict[str, Any]]:
        reports: dict[str, dict[str, Any]] = {}
        for region, state in self.ctl.fast_states.items():
            store = state.store
            try:
                keys = [k for k in store.keys(REPORTS_PREFIX) if k.endswith(".json")]
                for key in keys:
                    doc = store.get(key)
                    if doc:
                        reports[doc["run_id"]] = doc
            except AWS_ERRORS as err:
                log.warning("drill history in %s unreadable: %s", region, err)
        return history_rows(reports.values())
