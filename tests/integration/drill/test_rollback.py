"""The rollback always runs: after a failed step, any other exception, Ctrl-C and SIGTERM, a full drill fails
back and an isolated drill restores, on the real executor against the emulator; the report says so. Failed
runs name the command that resumes their kind; `standby drill --resume` finishes an isolated drill's restore.

Full drills run on a world whose manifest lists no databases: the failover promotes nothing and the failback
plans no re-seed (which needs Terraform), so the whole rollback runs here.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from standby.aws import autoscaling, rds
from standby.aws.session import SessionFactory
from standby.cli.main import main
from standby.drill.runner import DrillRunner
from standby.errors import StandbyError, StepFailed
from standby.failover.controller import Controller
from standby.failover.executor import Executor
from standby.failover.model import FailoverPlan, Step
from standby.failover.steps import HANDLERS, Outcome, StepContext
from standby.interruption import Terminated
from standby.state import Journal, RegionStates
from standby.state.journal_store import JournalStore
from tests.fakes.aws_faults import FailOperation, combine
from tests.fakes.clock import FakeClock

EAST, WEST = "us-east-1", "us-west-2"


class RaiseOnOperation:
    """A botocore hook: the first call of ``operation`` (in ``region``) raises ``error`` — not a StandbyError,
    not an AWS error: a fault standby has no handler for."""

    def __init__(self, operation: str, error: BaseException, region: str | None = None) -> None:
        self.operation, self.error, self.region = operation, error, region
        self.raised = 0
        self._lock = threading.Lock()

    def __call__(self, client: Any) -> None:
        if self.region is not None and client.meta.region_name != self.region:
            return

        def maybe_raise(model: Any, **_: Any) -> None:
            if model.name != self.operation:
                return
            with self._lock:
                if self.raised:
                    return
                self.raised += 1
            raise self.error

        client.meta.events.register_first("before-call", maybe_raise)


class SignalOnOperation:
    """A botocore hook: the first call of ``operation`` (in ``region``) sends ``signum`` to this process, as an
    operator's Ctrl-C (SIGINT) or a supervisor's SIGTERM would, from whichever thread runs the step."""

    def __init__(self, operation: str, signum: int, region: str | None = None) -> None:
        self.operation, self.signum, self.region = operation, signum, region
        self.sent = 0
        self._lock = threading.Lock()

    def __call__(self, client: Any) -> None:
        if self.region is not None and client.meta.region_name != self.region:
            return

        def maybe_signal(model: Any, **_: Any) -> None:
            if model.name != self.operation:
                return
            with self._lock:
                if self.sent:
                    return
                self.sent += 1
            os.kill(os.getpid(), self.signum)
            time.sleep(0.2)  # the main thread takes the signal while this step is still running

        client.meta.events.register_first("before-call", maybe_signal)


class RaisingHold(FakeClock):
    """A clock whose sleep of ``hold`` seconds in the main thread (the full drill's hold) raises ``error``."""

    def __init__(self, hold: float, error: BaseException) -> None:
        super().__init__(time.time())
        self.hold, self.error = hold, error

    def sleep(self, seconds: float) -> None:
        if seconds == self.hold and threading.current_thread() is threading.main_thread():
            raise self.error
        super().sleep(seconds)


@pytest.fixture
def no_databases(world, loaded, sessions):
    """The world with a manifest that lists no databases in either region."""
    regions = {r: res.model_copy(update={"databases": ()}) for r, res in world.manifest.regions.items()}
    manifest = world.manifest.model_copy(update={"regions": regions})
    states = RegionStates.of(loaded, sessions)
    for region in (EAST, WEST):
        states[region].save_manifest(manifest)
    return replace(world, manifest=manifest)


@pytest.fixture
def ctrl_c_raises() -> Any:
    """SIGINT raises KeyboardInterrupt in the main thread, as Python sets it up when it starts with SIGINT at its
    default; a test run launched in the background by a shell without job control inherits SIGINT ignored."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def drill_runner(loaded, target, *hooks, clock: FakeClock | None = None) -> DrillRunner:
    sessions = SessionFactory(target=target, on_client=combine(*hooks) if hooks else None)
    ctl = Controller(loaded, sessions, RegionStates.of(loaded, sessions), clock=clock or FakeClock(time.time()))
    return DrillRunner(ctl, canary_factory=lambda *_: None)


def only_report(report_dir: Path) -> dict[str, Any]:
    found = list(report_dir.glob("*.json"))
    assert len(found) == 1, found
    return json.loads(found[0].read_text())


def group(sessions: SessionFactory, region: str) -> autoscaling.GroupState:
    return autoscaling.describe_groups(sessions.client("autoscaling", region), [f"webapp-web-{region}"])[0]


def assert_failed_back(loaded, sessions: SessionFactory, report: dict[str, Any]) -> None:
    """The failback ran to its end (its journal says so), and the regions are back as they were."""
    failback = RegionStates.of(loaded, sessions)[EAST].journals().load(f"{report['run_id']}-failback")
    assert failback is not None and failback.kind == "failback"
    assert failback.status == "complete", [(k, s.status, s.error) for k, s in failback.steps.items()]
    assert report["restored"] is True
    assert [s["status"] for s in report["steps"] if s["run"] == failback.run_id and s["key"] == "verify"] == [
        "complete"
    ]
    assert RegionStates.of(loaded, sessions).assignment().primary == EAST
    assert group(sessions, EAST).desired_capacity == 4
    assert group(sessions, WEST).desired_capacity == 1


# -- full drills ------------------------------------------------------------------------------------------------


def test_an_exception_in_a_failover_step_fails_back(no_databases, loaded, target, sessions, tmp_path) -> None:
    fault = RaiseOnOperation("UpdateAutoScalingGroup", RuntimeError("injected: not a StandbyError"), region=WEST)
    result = drill_runner(loaded, target, fault).run("full", tmp_path / "r")
    report = result.report.to_dict()
    assert fault.raised == 1
    assert report["status"] == "failed"
    assert "RuntimeError: injected: not a StandbyError" in report["error"]
    assert_failed_back(loaded, sessions, report)


def test_an_exception_outside_the_steps_fails_back_then_is_raised(
    no_databases, loaded, target, sessions, tmp_path
) -> None:
    """The failover finished; the hold raised something standby has no handler for: the failback still runs,
    the report is saved, and the exception goes on to the caller."""
    clock = RaisingHold(loaded.config.drill.hold_seconds, RuntimeError("injected during the hold"))
    with pytest.raises(RuntimeError, match="injected during the hold"):
        drill_runner(loaded, target, clock=clock).run("full", tmp_path / "r")
    report = only_report(tmp_path / "r")
    measured = RegionStates.of(loaded, sessions)[WEST].journals().load(report["run_id"])
    assert measured is not None and measured.status == "complete"  # it had failed over for real
    assert report["error"] == "RuntimeError: injected during the hold; the failback ran (complete)"
    assert_failed_back(loaded, sessions, report)


def test_ctrl_c_during_the_failover_fails_back(no_databases, loaded, target, sessions, tmp_path, ctrl_c_raises) -> None:
    interrupt = SignalOnOperation("UpdateAutoScalingGroup", signal.SIGINT, region=WEST)
    with pytest.raises(KeyboardInterrupt) as raised:
        drill_runner(loaded, target, interrupt).run("full", tmp_path / "r")
    assert not isinstance(raised.value, Terminated)
    assert interrupt.sent == 1
    report = only_report(tmp_path / "r")
    measured = RegionStates.of(loaded, sessions)[WEST].journals().load(report["run_id"])
    assert measured is not None and measured.status == "failed"  # journaled as stopped, not left running
    assert measured.steps["record"].status == "not-run"
    assert report["error"] == "interrupted (Ctrl-C); the failback ran (complete)"
    assert_failed_back(loaded, sessions, report)


def test_sigterm_during_the_failover_fails_back(no_databases, loaded, target, sessions, tmp_path) -> None:
    before = signal.getsignal(signal.SIGTERM)
    term = SignalOnOperation("UpdateAutoScalingGroup", signal.SIGTERM, region=WEST)
    with pytest.raises(Terminated):
        drill_runner(loaded, target, term).run("full", tmp_path / "r")
    assert term.sent == 1
    assert signal.getsignal(signal.SIGTERM) is before  # the drill's handler is gone again
    report = only_report(tmp_path / "r")
    assert report["error"] == "terminated (SIGTERM); the failback ran (complete)"
    assert_failed_back(loaded, sessions, report)


def test_nothing_to_fail_back_when_interrupted_before_any_step(
    no_databases, loaded, target, sessions, tmp_path
) -> None:
    """Ctrl-C while planning, before the failover changed anything: no failback is run (and none is needed)."""
    runner = drill_runner(loaded, target)
    planned = runner.ctl.plan

    def interrupted_plan(kind: str, **kwargs: Any) -> Any:
        if kind == "failover":
            result = planned(kind, **kwargs)
            runner.ctl.execute = _raise_keyboard_interrupt  # type: ignore[method-assign]
            return result
        return planned(kind, **kwargs)

    runner.ctl.plan = interrupted_plan  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        runner.run("full", tmp_path / "r")
    report = only_report(tmp_path / "r")
    assert report["error"] == "interrupted (Ctrl-C); nothing had changed: no failback needed"
    assert RegionStates.of(loaded, sessions)[EAST].journals().load(f"{report['run_id']}-failback") is None


def _raise_keyboard_interrupt(*_: Any, **__: Any) -> Journal:
    raise KeyboardInterrupt


# -- isolated drills --------------------------------------------------------------------------------------------


def assert_restored(loaded, sessions: SessionFactory, report: dict[str, Any]) -> None:
    restore = RegionStates.of(loaded, sessions)[WEST].journals().load(f"{report['run_id']}-restore")
    assert restore is not None and restore.kind == "drill-restore"
    assert restore.status == "complete", {k: (s.status, s.error) for k, s in restore.steps.items()}
    assert report["restored"] is True and report["left_behind"] == []
    assert group(sessions, WEST).desired_capacity == 1
    assert not rds.describe_instances(sessions.client("rds", WEST), ["webapp-db-drill"])


def test_sigterm_during_an_isolated_drill_restores(world, loaded, target, sessions, tmp_path) -> None:
    before = signal.getsignal(signal.SIGTERM)
    term = SignalOnOperation("UpdateAutoScalingGroup", signal.SIGTERM, region=WEST)
    with pytest.raises(Terminated):
        drill_runner(loaded, target, term).run("isolated", tmp_path / "r")
    assert signal.getsignal(signal.SIGTERM) is before
    report = only_report(tmp_path / "r")
    assert report["error"] == "terminated (SIGTERM); the restore ran (complete)"
    assert_restored(loaded, sessions, report)


def test_ctrl_c_during_an_isolated_drill_restores(world, loaded, target, sessions, tmp_path, ctrl_c_raises) -> None:
    interrupt = SignalOnOperation("UpdateAutoScalingGroup", signal.SIGINT, region=WEST)
    with pytest.raises(KeyboardInterrupt):
        drill_runner(loaded, target, interrupt).run("isolated", tmp_path / "r")
    report = only_report(tmp_path / "r")
    assert report["error"] == "interrupted (Ctrl-C); the restore ran (complete)"
    assert_restored(loaded, sessions, report)


def test_an_exception_in_an_isolated_drill_step_restores(world, loaded, target, sessions, tmp_path) -> None:
    fault = RaiseOnOperation("CreateDBInstanceReadReplica", ValueError("injected"), region=WEST)
    report = drill_runner(loaded, target, fault).run("isolated", tmp_path / "r").report.to_dict()
    assert "ValueError: injected" in report["error"]
    assert_restored(loaded, sessions, report)


# -- resume hints and `standby drill --resume` ------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Breaks(Step):
    """A step that always fails."""


def _run_breaks(ctx: StepContext, step: Breaks) -> Outcome:
    raise RuntimeError("broken on purpose")


@pytest.mark.parametrize(
    ("kind", "command"),
    [
        ("failover", "standby failover --resume"),
        ("failback", "standby failback --resume"),
        ("drill", "standby drill --resume"),
        ("drill-restore", "standby drill --resume"),
    ],
)
def test_a_failed_run_names_the_command_that_resumes_its_kind(
    loaded, tmp_path, monkeypatch: pytest.MonkeyPatch, kind: str, command: str
) -> None:
    monkeypatch.setitem(HANDLERS, Breaks, _run_breaks)  # for this test only: no other test sees the step type
    plan = FailoverPlan("run-1", kind, WEST, EAST, (Breaks(key="breaks", slug="breaks", region=WEST),))
    journal = Journal("run-1", kind, WEST, EAST, time.time())
    ctx = StepContext(
        config=loaded.config,
        sessions=SessionFactory(),
        demote_sessions=SessionFactory(),
        states=None,  # type: ignore[arg-type] - the step reads no state
        clock=FakeClock(),
        run_id="run-1",
    )
    with pytest.raises(StepFailed) as failed:
        Executor(ctx, journal, JournalStore(tmp_path / "runs", None)).execute(plan)
    assert failed.value.hint == f"fix the cause, then `{command} run-1` continues without repeating completed steps"
    assert journal.status == "failed" and journal.steps["breaks"].status == "failed"


def test_drill_resume_finishes_a_failed_restore(world, loaded, target, cli_config, sessions, tmp_path, capsys) -> None:
    fault = FailOperation("DeleteDBInstance", "InvalidDBInstanceState", times=1, region=WEST)
    report = drill_runner(loaded, target, fault).run("isolated", tmp_path / "r").report.to_dict()
    run_id = report["run_id"]
    assert report["restored"] is False and "restore: step delete-copy:webapp-db-drill failed" in report["error"]
    assert rds.describe_instances(sessions.client("rds", WEST), ["webapp-db-drill"])  # the copy was left

    assert main(["--config", str(cli_config), "drill", "--resume", f"{run_id}-restore"]) == 0
    out = capsys.readouterr().out
    assert f"drill {run_id}: complete" in out and f"restore {run_id}-restore: complete" in out
    assert not rds.describe_instances(sessions.client("rds", WEST), ["webapp-db-drill"])
    # The CLI ran with its own state directory: its journal is the one in the standby's control store.
    store = RegionStates.of(loaded, sessions)[WEST].store
    restore = JournalStore(tmp_path / "elsewhere", store).load(f"{run_id}-restore")
    assert restore is not None and restore.status == "complete" and restore.resumes
    assert restore.steps["delete-copy:webapp-db-drill"].attempts == 2
    assert group(sessions, WEST).desired_capacity == 1


def test_drill_resume_refuses_a_failover_run(world, loaded, target, sessions) -> None:
    runner = drill_runner(loaded, target)
    run_id = "20261128T000000Z-failover-ab12"
    runner.ctl.journals(WEST).save(Journal(run_id, "failover", WEST, EAST, time.time()))
    with pytest.raises(StandbyError, match=f"run {run_id} is a failover, not an isolated drill") as refused:
        runner.resume(run_id)
    assert f"standby failover --resume {run_id}" in refused.value.hint
