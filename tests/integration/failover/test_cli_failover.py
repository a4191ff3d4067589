"""The failover commands end to end through the CLI: exit codes, JSON documents, a crash and a resume."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from standby.aws import autoscaling
from standby.aws.session import SessionFactory
from standby.cli.main import main
from standby.config import load_config
from standby.failover.controller import Controller
from standby.state import JournalStore, RegionStates
from standby.state.lock import TTL_ENV, read_holder
from tests.fakes.aws_faults import CallRecorder
from tests.fakes.clock import FakeClock
from tests.fakes.run_cli_with_faults import scaled_controller

REPO = Path(__file__).resolve().parents[3]
EAST, WEST = "us-east-1", "us-west-2"


def test_dry_run_prints_the_plan_and_changes_nothing(world, cli_config, capsys, sessions) -> None:
    assert main(["--config", str(cli_config), "--output", "json", "failover", "--dry-run"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["command"], doc["status"]) == ("failover", "ok")
    assert doc["result"]["dry_run"] is True and doc["result"]["refused"] is False
    steps = doc["result"]["plan"]["steps"]
    assert [s["slug"] for s in steps] == [
        "preflight",
        "scale-out",
        "wait-healthy",
        "fence-writes",
        "promote-db",
        "shift-traffic",
        "verify",
        "record",
        "drain",
        "fence-primary",
    ]
    assert set(steps[0]) == {"key", "slug", "region", "depends_on", "intent", "nochange", "skip_reason"}
    group = autoscaling.describe_groups(sessions.client("autoscaling", WEST), [f"webapp-web-{WEST}"])[0]
    assert group.desired_capacity == 1


def test_dry_run_text_and_refusal_exit_code(world, cli_config, capsys, sessions) -> None:
    sessions.client("autoscaling", WEST).delete_auto_scaling_group(
        AutoScalingGroupName=f"webapp-web-{WEST}", ForceDelete=True
    )
    assert main(["--config", str(cli_config), "failover", "--dry-run"]) == 4
    out = capsys.readouterr().out
    assert "Failover plan" in out and "refused: auto scaling group webapp-web-us-west-2" in out


def test_failover_without_yes_and_without_a_terminal_refuses(world, cli_config, capsys, monkeypatch) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert main(["--config", str(cli_config), "failover"]) == 10
    assert "refused: no terminal to confirm on" in capsys.readouterr().err


def test_failover_status_and_iam_policy(world, cli_config, capsys, monkeypatch) -> None:
    # the controller the CLI builds waits on a clock 50 times faster (the DNS drain: TTL + 30 s)
    monkeypatch.setattr("standby.failover.controller.Controller", scaled_controller(0.02))
    assert main(["--config", str(cli_config), "--output", "json", "failover", "--yes"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["result"]["status"] == "complete"
    assert doc["result"]["rto_seconds"] > 0
    assert main(["--config", str(cli_config), "status"]) == 0
    out = capsys.readouterr().out
    assert "primary: us-west-2, standby: us-east-1 (failed over)" in out
    assert "last run: failover" in out and ": complete" in out
    assert main(["--output", "json", "iam-policy"]) == 0
    policy = json.loads(capsys.readouterr().out)["result"]
    actions = {a for s in policy["Statement"] for a in s["Action"]}
    assert {
        "autoscaling:UpdateAutoScalingGroup",
        "rds:PromoteReadReplica",
        "route53:ChangeResourceRecordSets",
        "dynamodb:PutItem",
        "s3:PutObject",
    } <= actions


def failover_with_faults(where: str, config: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`standby failover --yes` in another process, with the fault harness's ``where`` (tests/fakes)."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.fakes.run_cli_with_faults",
            where,
            "--",
            "--config",
            str(config),
            "failover",
            "--yes",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, **env},
    )


def test_killed_mid_run_then_resume_converges(world, cli_config, target) -> None:
    crashed = failover_with_faults("us-west-2:UpdateAutoScalingGroup", cli_config)
    assert crashed.returncode == 137, crashed.stderr
    loaded = load_config(cli_config)
    runs = sorted((loaded.state_dir / "runs").glob("*.json"))
    assert len(runs) == 1
    run_id = runs[0].stem
    assert json.loads(runs[0].read_text())["status"] == "running"  # the whole document, saved when the run started
    crashed_journal = JournalStore(runs[0].parent, None).load(run_id)  # with the step records appended since
    assert crashed_journal is not None and crashed_journal.steps["scale-out:web"].status == "running"

    recorder = CallRecorder()
    sessions = SessionFactory(target=target, on_client=recorder)
    ctl = Controller(loaded, sessions, RegionStates.of(loaded, sessions), clock=FakeClock(time.time() + 60))
    planned, old = ctl.resume(run_id)
    finished = ctl.execute(planned, old)  # takes over the crashed run's lock: same run id
    assert finished.status == "complete"
    assert recorder.operations(WEST).count("UpdateAutoScalingGroup") == 1
    assert finished.steps["scale-out:web"].attempts == 2
    assert finished.steps["preflight"].attempts == 1
    group = autoscaling.describe_groups(ctl.sessions.client("autoscaling", WEST), [f"webapp-web-{WEST}"])[0]
    assert group.desired_capacity == 4


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGHUP"])
def test_a_failover_stopped_by_a_signal_saves_where_it_stopped_and_frees_the_lock(
    world, cli_config, tmp_path, sessions, stop, monkeypatch
) -> None:
    """SIGTERM (a supervisor, a cancelled job) and SIGHUP (the terminal closed) stop a failover as Ctrl-C does:
    the running step finishes, the journal says failed, the lock is released at once (no lease to wait out), the
    report names the signal, and `--resume` completes the run. At their defaults they would end the process
    mid-step, with the journal saying running and the lock taken."""
    config = tmp_path / "signalled-standby.toml"
    config.write_text(
        cli_config.read_text().replace(
            "\n[failover]\n", f'\n[failover]\nreport_dir = "{tmp_path / "run-reports"}"\ndrain_seconds = 0\n'
        )
    )
    # A lease no test waits out: the lock must be released, not expire.
    stopped = failover_with_faults(
        f"signal-after:{WEST}:autoscaling:UpdateAutoScalingGroup:1:{stop}", config, **{TTL_ENV: "600"}
    )
    assert stopped.returncode == 130, stopped.stderr
    assert f"terminated ({stop})" in stopped.stderr
    loaded = load_config(config)
    (journal_path,) = (loaded.state_dir / "runs").glob("*.json")
    run_id = journal_path.stem
    journal = JournalStore(journal_path.parent, None).load(run_id)
    assert journal is not None and journal.status == "failed"  # not "running": it says where it stopped
    assert journal.steps["scale-out:web"].status == "complete"  # the step that was running finished
    assert journal.steps["shift-traffic"].status == "not-run"
    states = RegionStates.of(loaded, sessions)
    assert [read_holder(states[r].store) for r in (EAST, WEST)] == [None, None]
    report = json.loads((tmp_path / "run-reports" / f"{run_id}.json").read_text())
    assert report["error"] == f"terminated ({stop})"

    monkeypatch.setattr("standby.failover.controller.Controller", scaled_controller(0.02))  # the drain: 1.2 s
    resumed = main(["--config", str(config), "failover", "--yes", "--resume", run_id])
    assert resumed == 0
    finished = JournalStore(journal_path.parent, None).load(run_id)
    assert finished is not None and finished.status == "complete"
    assert finished.steps["scale-out:web"].attempts == 1  # done before the signal: not run again
