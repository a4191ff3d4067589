"""Approval points and run reports end to end on the emulator, through the CLI in this process: a failover with
``approve_before = ["shift-traffic"]`` pauses with traffic still on the primary and the standby scaled out and
promoted (exit 9, the lock released); ``--resume RUN --approve`` completes it; the report shows the pause and the
approval; ``standby status --history`` lists it."""

from __future__ import annotations

import json
from pathlib import Path

from standby import judgements as j
from standby.aws import autoscaling, rds, route53
from standby.aws.session import SessionFactory
from standby.cli.main import main
from standby.config import load_config
from standby.state import RegionStates
from standby.state.lock import read_holder

EAST, WEST = "us-east-1", "us-west-2"


def traffic(sessions: SessionFactory, world) -> set[str | None]:
    records = route53.list_records(sessions.client("route53", WEST), world.zone_id)
    return set(j.traffic_target(records, world.manifest.dns.record_fqdns, (EAST, WEST)).values())


def gated_config(cli_config: Path, tmp_path: Path) -> Path:
    text = cli_config.read_text()
    assert "\n[failover]\n" in text
    text = text.replace(
        "\n[failover]\n",
        f'\n[failover]\napprove_before = ["shift-traffic"]\nreport_dir = "{tmp_path / "run-reports"}"\n'
        "drain_seconds = 0\n",
    )
    path = tmp_path / "gated-standby.toml"
    path.write_text(text)
    return path


def test_a_failover_pauses_before_shift_traffic_and_resumes_when_approved(
    world, cli_config, tmp_path, capsys, sessions
) -> None:
    config = gated_config(cli_config, tmp_path)
    args = ["--config", str(config), "--output", "json"]

    assert main([*args, "failover", "--yes"]) == 9
    doc = json.loads(capsys.readouterr().out)
    assert (doc["command"], doc["status"]) == ("failover", "paused")
    run_id = doc["result"]["run_id"]
    assert doc["result"]["status"] == "paused"
    assert doc["result"]["pending_approval"]["slug"] == "shift-traffic"
    assert doc["result"]["pending_approval"]["steps"] == ["shift-traffic"]
    steps = {s["key"]: s["status"] for s in doc["result"]["steps"]}
    assert steps["promote-db:webapp-db"] == "complete" and steps["wait-healthy:web"] == "complete"
    assert steps["shift-traffic"] == "pending" and steps["fence-primary"] == "pending"
    # Paused: traffic still on the primary, the standby scaled out and promoted, the old primary not fenced.
    assert traffic(sessions, world) == {EAST}
    west = autoscaling.describe_groups(sessions.client("autoscaling", WEST), [f"webapp-web-{WEST}"])[0]
    assert (west.desired_capacity, west.in_service) == (4, 4)
    east = autoscaling.describe_groups(sessions.client("autoscaling", EAST), [f"webapp-web-{EAST}"])[0]
    assert east.desired_capacity == 4
    (west_db,) = rds.describe_instances(sessions.client("rds", WEST), ["webapp-db"])
    assert j.promotion_state(west_db) == j.Promotion.PROMOTED
    # The paused run holds no lock; its report says paused, with the command to continue.
    loaded = load_config(config)
    states = RegionStates.of(loaded, sessions)
    assert read_holder(states[WEST].store) is None
    paused = json.loads((tmp_path / "run-reports" / f"{run_id}.json").read_text())
    assert (paused["status"], paused["pending_approval"]) == ("paused", "shift-traffic")
    assert "--approve" in (tmp_path / "run-reports" / f"{run_id}.html").read_text()

    # Resuming without --approve refuses, with the same exit code, and runs nothing.
    assert main([*args, "failover", "--yes", "--resume", run_id]) == 9
    refused = json.loads(capsys.readouterr().out)
    assert refused["status"] == "error" and refused["error"]["type"] == "RunPaused"
    assert traffic(sessions, world) == {EAST}

    assert main([*args, "failover", "--yes", "--resume", run_id, "--approve"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert (done["status"], done["result"]["status"]) == ("ok", "complete")
    assert traffic(sessions, world) == {WEST}
    journal = states[WEST].journals().load(run_id)
    assert journal is not None and journal.status == "complete"
    (approval,) = journal.approvals
    assert approval["slug"] == "shift-traffic" and approval["approved_by"]
    assert approval["paused_at"] <= approval["approved_at"]
    assert journal.command_started_at is not None and journal.command_started_at < journal.started_at
    assert journal.rto_seconds == journal.traffic_moved_at - journal.command_started_at

    # The report, locally and in the activated region's control store.
    files = done["result"]["report"]["files"]
    report = json.loads(Path(files["json"]).read_text())
    assert done["result"]["report"]["stored_in"] == WEST
    assert states[WEST].store.get(f"reports/{run_id}.json") == report
    assert (report["kind"], report["status"], report["pending_approval"]) == ("failover", "complete", None)
    events = [e["event"] for e in report["timeline"]]
    assert events[:3] == ["planned", "started", "paused"]
    assert events.index("paused") < events.index("approved") < events.index("complete")
    assert report["paused_seconds"] > 0
    assert report["objectives"]["rto"]["measured_seconds"] == round(journal.rto_seconds, 3)
    assert report["phases"][0]["name"] == "planning"
    changed = {c["key"] for c in report["changes"]}
    assert {"scale-out:web", "promote-db:webapp-db", "shift-traffic"} <= changed
    html = Path(files["html"]).read_text()
    assert 'class="event-paused"' in html and 'class="event-approved"' in html
    assert "approved" in Path(files["markdown"]).read_text()

    assert main([*args, "status", "--history"]) == 0
    rows = json.loads(capsys.readouterr().out)["result"]["history"]
    assert rows[0]["run_id"] == run_id
    assert (rows[0]["kind"], rows[0]["status"]) == ("failover", "complete")
    assert rows[0]["rto_seconds"] == report["objectives"]["rto"]["measured_seconds"]
