"""Run the drift checks: resolve the scope, inventory both regions (I/O), compare and judge (pure), report.

The IaC check (Terraform, seconds per region) starts first and runs beside the parity and readiness checks (API
calls, well under a second for a small stack), which run beside each other; its stacks' refresh-only plans run
concurrently too, so a full run costs about one refresh-only plan. A check that cannot run becomes a CheckError
in the report, not an exception: the other checks still report.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from standby.aws import route53
from standby.aws.errors import error_code
from standby.aws.session import SessionFactory
from standby.config.drift_schema import CHECKS
from standby.config.schema import Config, LoadedConfig
from standby.drift import iac, readiness
from standby.drift.compare import Allowed, apply_ignores, compare_states
from standby.drift.dns import RegionEndpoints, record_states
from standby.drift.inventory import RegionInventory, read_records, read_region
from standby.drift.model import CheckError, DriftReport, Finding
from standby.drift.normalise import Localiser, NamePatterns, region_state
from standby.drift.scope import Scope, scope_from_manifest, scope_from_outputs
from standby.errors import ExitCode, StandbyError, UsageError
from standby.progress import Event, Reporter, silent
from standby.stacks import Stacks, StackTarget
from standby.state import Assignment, RegionState, RegionStates

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Observed:
    """What the parity and readiness checks share: the scope and both regions' inventories."""

    scope: Scope
    primary: RegionInventory
    standby: RegionInventory
    records: tuple[route53.Record, ...]  # the hosted zone's, read once for the parity of the DNS records


@dataclass
class DriftRun:
    loaded: LoadedConfig
    sessions: SessionFactory
    states: RegionStates
    stacks: Stacks | None = None  # None: no IaC check (e.g. in the scheduled Lambda)
    reporter: Reporter = silent
    clock: Callable[[], float] = time.time
    _region_outputs: dict[str, dict[str, Any]] | None = field(default=None, init=False, repr=False)
    _outputs_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def config(self) -> Config:
        return self.loaded.config

    def account(self, region: str) -> str | None:
        regions = self.config.regions
        return regions.primary_account if region == regions.primary else regions.standby_account

    # -- the run --------------------------------------------------------------------------------------------

    def run(self, checks: Sequence[str] | None = None) -> DriftReport:
        wanted = tuple(c for c in CHECKS if c in (checks or self.config.drift.checks))
        if "iac" in wanted and self.stacks is None:
            raise UsageError("the iac check needs Terraform; run it with the CLI, or leave it out of the checks")
        started = self.clock()
        stores = self.states
        assignment = stores.assignment()
        findings: list[Finding] = []
        errors: list[CheckError] = []
        compared: dict[str, int] = {}
        source = ""
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="drift") as pool:
            # The IaC check (Terraform: the long pole) starts first; the inventory, parity and readiness run beside.
            iac_future: Future[tuple[list[Finding], list[CheckError], int]] | None = None
            if "iac" in wanted:
                iac_future = pool.submit(self._iac, assignment)
            observed: Observed | None = None
            inventoried = [c for c in wanted if c in ("parity", "readiness")]
            if inventoried:
                try:
                    observed = self._observe(assignment, stores)
                    source = observed.scope.source
                except (StandbyError, ClientError, BotoCoreError) as err:
                    errors.extend(_check_error(check, None, err) for check in inventoried)
            readiness_future: Future[list[Finding]] | None = None
            if observed is not None and "readiness" in wanted:
                readiness_future = pool.submit(self._readiness, observed, stores[assignment.standby])
            if observed is not None and "parity" in wanted:
                try:
                    found, compared["parity"] = self._parity(observed)
                    findings.extend(found)
                except (StandbyError, ClientError, BotoCoreError) as err:
                    errors.append(_check_error("parity", None, err))
            if readiness_future is not None:
                try:
                    found = readiness_future.result()
                    compared["readiness"] = len(found)
                    findings.extend(found)
                except (StandbyError, ClientError, BotoCoreError) as err:
                    errors.append(_check_error("readiness", None, err))
            if iac_future is not None:
                found, failed, compared["iac"] = iac_future.result()
                findings.extend(found)
                errors.extend(failed)
        judged = sorted(apply_ignores(findings, self.config.drift), key=lambda f: f.sort_key)
        return DriftReport(
            project=self.config.project.name,
            assignment=assignment,
            checks=wanted,
            findings=tuple(judged),
            errors=tuple(errors),
            compared=compared,
            scope_source=source,
            started_at=started,
            seconds=round(self.clock() - started, 3),
            fail_on_unknown=self.config.drift.fail_on_unknown,
        )

    # -- scope and inventory ----------------------------------------------------------------------------------

    def resolve_scope(self, assignment: Assignment, stores: Mapping[str, RegionState]) -> Scope:
        """The stack's resources: the manifest (the standby's copy first), else the stacks' outputs."""
        for region in (assignment.standby, assignment.primary):
            try:
                manifest = stores[region].manifest()
            except (ClientError, BotoCoreError) as err:
                log.warning("no manifest readable in %s: %s", region, err)
                continue
            if manifest is not None and manifest.regions:
                return scope_from_manifest(self.config, assignment, manifest)
        if self.stacks is None:
            raise StandbyError(
                "no manifest in either region's control store, and no Terraform to read the stacks' outputs",
                hint="run `standby provision` first (it records the manifest)",
            )
        outputs = self.region_outputs(assignment)
        if not any(outputs.values()):
            raise StandbyError("the stacks have no outputs: nothing is provisioned", hint="run `standby provision`")
        return scope_from_outputs(self.config, assignment, outputs, self._global_outputs())

    def _observe(self, assignment: Assignment, stores: Mapping[str, RegionState]) -> Observed:
        scope = self.resolve_scope(assignment, stores)
        started = self.clock()
        with ThreadPoolExecutor(max_workers=3, thread_name_prefix="inventory") as pool:
            futures = {
                rs.role: pool.submit(read_region, self.sessions, rs, self.account(rs.region)) for rs in scope.regions
            }
            records = pool.submit(read_records, self.sessions, scope.zone_id, scope.zone_name)
            primary, standby = futures["primary"].result(), futures["standby"].result()
            observed = Observed(scope, primary, standby, tuple(records.result()))
        detail = f"{primary.resource_count} + {standby.resource_count} resources ({scope.source})"
        self.reporter(Event("drift", "inventory", "complete", self.clock() - started, detail))
        return observed

    def _localisers(self, observed: Observed) -> tuple[Localiser, Localiser]:
        p, s = observed.primary.region, observed.standby.region
        accounts = tuple(a for a in (self.account(p), self.account(s)) if a)
        names = NamePatterns.of(self.config.drift.name_patterns)
        return Localiser(p, s, accounts, names), Localiser(s, p, accounts, names)

    # -- checks -----------------------------------------------------------------------------------------------

    def _parity(self, observed: Observed) -> tuple[list[Finding], int]:
        loc_p, loc_s = self._localisers(observed)
        primary, standby = region_state(observed.primary, loc_p), region_state(observed.standby, loc_s)
        rec_p, rec_s = record_states(
            observed.records,
            observed.scope.record_fqdns,
            RegionEndpoints("primary", loc_p, observed.primary.lb_dns_names()),
            RegionEndpoints("standby", loc_s, observed.standby.lb_dns_names()),
        )
        primary.update(rec_p)
        standby.update(rec_s)
        result = compare_states(primary, standby, self.config.drift.parity, Allowed.from_config(self.config))
        return list(result.findings), result.compared

    def _readiness(self, observed: Observed, store: RegionState) -> list[Finding]:
        facts = readiness.gather(
            self.sessions,
            self.config,
            observed.primary,
            observed.standby,
            store,
            clock=self.clock,
            account=self.account(observed.standby.region),
        )
        return readiness.evaluate(facts)

    def _iac(self, assignment: Assignment) -> tuple[list[Finding], list[CheckError], int]:
        """Every stack's refresh-only plan: the regions' plans start at once; the global stack's plan starts as
        soon as the region stacks' outputs (its variables) are read, beside them. One at a time without
        ``[terraform] parallel``."""
        assert self.stacks is not None
        try:
            regions = self.stacks.region_targets(assignment, assignment.regions)
        except StandbyError as err:
            return [], [_check_error("iac", None, err)], 0
        workers = len(regions) + 1 if self.config.terraform.parallel else 1
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="drift-iac") as pool:
            futures = [pool.submit(self._iac_stack, target) for target in regions]
            futures.append(pool.submit(self._iac_global, assignment))
            results = [future.result() for future in futures]
        findings: list[Finding] = []
        errors: list[CheckError] = []
        resources = 0
        for result in results:
            if isinstance(result, CheckError):
                errors.append(result)
            elif result is not None:
                findings.extend(result.findings)
                resources += result.resources
        return findings, errors, resources

    def _iac_global(self, assignment: Assignment) -> iac.StackDrift | CheckError | None:
        """The global stack's drift (None: there is none), once the region stacks' outputs give its variables."""
        try:
            target = self.global_target(assignment)
        except (StandbyError, ClientError, BotoCoreError) as err:
            return _check_error("iac", None, err)
        return None if target is None else self._iac_stack(target)

    def _iac_stack(self, target: StackTarget) -> iac.StackDrift | CheckError:
        assert self.stacks is not None
        started = self.clock()
        self.reporter(Event(target.label, "drift-iac", "started", detail=target.stack))
        try:
            done = iac.check_stack(self.stacks.runner, target, self.config.drift.iac_ignore_attributes)
        except StandbyError as err:
            self.reporter(Event(target.label, "drift-iac", "failed", self.clock() - started, target.stack))
            return _check_error("iac", target.label, err)
        detail = f"{target.stack}: {len(done.findings)} drifted attribute(s)"
        self.reporter(Event(target.label, "drift-iac", "complete", self.clock() - started, detail))
        return done

    # -- Terraform targets and outputs --------------------------------------------------------------------------

    def iac_targets(self, assignment: Assignment) -> list[StackTarget]:
        """Every stack the IaC check plans: the region stacks in both regions, then the global stack."""
        assert self.stacks is not None
        targets = self.stacks.region_targets(assignment, assignment.regions)
        found = self.global_target(assignment)
        return [*targets, found] if found is not None else targets

    def global_target(self, assignment: Assignment) -> StackTarget | None:
        assert self.stacks is not None
        evicted = self.states.fast().evicted_regions()
        return self.stacks.global_target(assignment, self.region_outputs(assignment), evicted_regions=evicted)

    def region_outputs(self, assignment: Assignment) -> dict[str, dict[str, Any]]:
        """The region stack's outputs per region (read once per run)."""
        with self._outputs_lock:
            if self._region_outputs is None:
                assert self.stacks is not None
                self._region_outputs = self.stacks.region_outputs(assignment.regions)
            return self._region_outputs

    def _global_outputs(self) -> dict[str, Any] | None:
        return self.stacks.global_outputs() if self.stacks is not None else None


def _check_error(check: str, region: str | None, err: BaseException) -> CheckError:
    if isinstance(err, StandbyError):
        return CheckError(check, region, type(err).__name__, err.message, err.exit_code)
    code = error_code(err) or type(err).__name__
    return CheckError(check, region, code, str(err), ExitCode.FAILED)
