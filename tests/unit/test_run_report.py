"""The failover's and failback's run report (pure, from a journal), the history rows, the approval points' config,
and the RTO from the command's start."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from standby.cli.main import main
from standby.config import parse_config
from standby.config.schema import STEP_SLUGS
from standby.errors import ConfigError
from standby.failover import model
from standby.report.html import render_html
from standby.report.markdown import render_markdown
from standby.report.run import build_run_report, history
from standby.state.journal import Journal, StepRecord
from tests.unit.test_config import VALID

T0 = 1_800_000_000.0


def journal() -> Journal:
    """A failover planned at T0, executed from T0+5, paused before shift-traffic at T0+30, approved at T0+90."""
    j = Journal(
        run_id="20270115T080000Z-failover-ab12",
        kind="failover",
        activate="eu-central-1",
        demote="eu-west-1",
        started_at=T0 + 5,
        command_started_at=T0,
        operator="alice@host",
    )
    j.steps = {
        "preflight": StepRecord("preflight", "preflight", "eu-central-1", "complete", T0 + 5, T0 + 6),
        "scale-out:web": StepRecord(
            "scale-out:web",
            "scale-out",
            "eu-central-1",
            "complete",
            T0 + 6,
            T0 + 8,
            before={"desired_capacity": 1},
            after={"desired_capacity": 4},
        ),
        "wait-healthy:web": StepRecord("wait-healthy:web", "wait-healthy", "eu-central-1", "complete", T0 + 8, T0 + 20),
        "promote-db:db": StepRecord(
            "promote-db:db",
            "promote-db",
            "eu-central-1",
            "complete",
            T0 + 20,
            T0 + 30,
            before={"replica_lag_seconds": 2.5},
        ),
        "shift-traffic": StepRecord("shift-traffic", "shift-traffic", "eu-central-1", "complete", T0 + 91, T0 + 100),
    }
    j.approvals = [
        {
            "slug": "shift-traffic",
            "steps": ["shift-traffic"],
            "paused_at": T0 + 30,
            "approved_at": T0 + 90,
            "approved_by": "bob@host",
        }
    ]
    j.resumes = [T0 + 89]
    j.status = "complete"
    j.ended_at = T0 + 101
    return j


def test_the_rto_runs_from_the_command_start_and_the_report_shows_the_pause_and_the_approval() -> None:
    j = journal()
    assert j.rto_seconds == 100.0  # planning included; without command_started_at it would be 95
    report = build_run_report(parse_config(VALID, Path("standby.toml")).config, j, now=T0 + 200)
    doc = report.to_dict()
    assert doc["kind"] == "failover" and doc["started_at"] == T0 and doc["finished_at"] == T0 + 101
    assert doc["objectives"]["rto"] == {
        "status": "met",
        "measured_seconds": 100.0,
        "objective_seconds": 600,
        "met": True,
        "source": "command start -> traffic on the standby with capacity healthy",
    }
    assert doc["objectives"]["rpo"]["measured_seconds"] == 2.5
    assert [(p["name"], p["start"], p["end"]) for p in doc["phases"]] == [
        ("planning", 0.0, 5.0),
        ("preflight", 5.0, 6.0),
        ("promote", 20.0, 30.0),
        ("scale", 6.0, 8.0),
        ("healthy", 8.0, 20.0),
        ("traffic", 91.0, 100.0),
    ]
    assert [(e["at"], e["event"]) for e in doc["timeline"]] == [
        (0.0, "planned"),
        (5.0, "started"),
        (30.0, "paused"),
        (89.0, "resumed"),
        (90.0, "approved"),
        (101.0, "complete"),
    ]
    assert "bob@host" in doc["timeline"][4]["detail"]
    assert doc["paused_seconds"] == 60.0 and doc["pending_approval"] is None
    assert [c["key"] for c in doc["changes"]] == ["scale-out:web", "promote-db:db"]
    assert doc["changes"][0]["after"] == {"desired_capacity": 4}
    html = render_html(doc)
    assert "Failover of shop" in html and 'class="event-approved"' in html and "desired_capacity" in html
    assert "approved: shift-traffic approved by bob@host" in render_markdown(doc)


def test_a_paused_run_reports_what_it_waits_for_and_how_to_continue() -> None:
    j = journal()
    del j.steps["shift-traffic"]
    j.approvals[0].update(approved_at=None, approved_by=None)
    j.resumes = []
    j.status, j.ended_at = "paused", T0 + 30
    doc = build_run_report(parse_config(VALID, Path("standby.toml")).config, j, now=T0 + 50).to_dict()
    assert (doc["status"], doc["pending_approval"], doc["paused_seconds"]) == ("paused", "shift-traffic", 20.0)
    assert doc["objectives"]["rto"]["measured_seconds"] is None and doc["objectives"]["rto"]["met"] is False
    assert [e["event"] for e in doc["timeline"]] == ["planned", "started", "paused"]
    command = "standby failover --resume 20270115T080000Z-failover-ab12 --approve"
    assert command in render_html(doc) and command in render_markdown(doc)


def test_the_history_is_newest_first_and_includes_drills() -> None:
    rto = {"rto": {"measured_seconds": 42.0}, "rpo": {"measured_seconds": None}}
    docs = [
        {
            "kind": "drill",
            "mode": "isolated",
            "run_id": "d1",
            "started_at": 10.0,
            "status": "passed",
            "objectives": rto,
        },
        {
            "kind": "failover",
            "mode": "failover",
            "run_id": "f1",
            "started_at": 30.0,
            "status": "paused",
            "objectives": rto,
        },
        {
            "kind": "failback",
            "mode": "failback",
            "run_id": "b1",
            "started_at": 20.0,
            "status": "failed",
            "objectives": rto,
        },
        {
            "kind": "failover",
            "mode": "failover",
            "run_id": "f1",
            "started_at": 30.0,
            "status": "complete",
            "objectives": rto,
        },
    ]
    rows = history(docs)
    assert [(r["run_id"], r["kind"], r["status"]) for r in rows] == [
        ("f1", "failover", "complete"),
        ("b1", "failback", "failed"),
        ("d1", "drill-isolated", "passed"),
    ]
    assert rows[0]["rto_seconds"] == 42.0 and rows[0]["rpo_seconds"] is None


def test_approve_before_names_known_step_slugs_only() -> None:
    loaded = parse_config(VALID + '\n[failover]\napprove_before = ["shift-traffic", "promote-db"]\n', Path("x.toml"))
    assert loaded.config.failover.approve_before == ["shift-traffic", "promote-db"]
    assert loaded.config.failover.report_dir == "run-reports"
    with pytest.raises(ConfigError) as caught:
        parse_config(VALID + '\n[failover]\napprove_before = ["shift-trafic"]\n', Path("standby.toml"))
    (problem,) = caught.value.problems
    assert "failover.approve_before" in problem and "unknown step slug(s) 'shift-trafic'" in problem


def test_the_config_knows_every_step_slug_the_planner_uses() -> None:
    slugs = {
        value
        for name, value in vars(model).items()
        if name.isupper() and isinstance(value, str) and not name.startswith("_")
    }
    assert set(STEP_SLUGS) == slugs


@pytest.mark.parametrize("kind", ["failover", "failback"])
def test_approve_without_resume_is_a_usage_error(kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--output", "json", kind, "--approve", "--yes"]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert doc["error"]["type"] == "UsageError" and "--resume RUN_ID" in doc["error"]["message"]
