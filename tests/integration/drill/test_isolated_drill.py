"""Isolated drills against the emulator: measured, reported, and nothing in production changed."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from html.parser import HTMLParser

import pytest

from standby.aws import rds, route53
from standby.aws.session import SessionFactory
from standby.cli.main import main
from standby.drill.runner import DrillRunner
from standby.failover.controller import Controller
from standby.state import RegionStates
from tests.fakes.aws_faults import FailOperation, combine
from tests.fakes.clock import FakeClock

EAST, WEST = "us-east-1", "us-west-2"


def put_replica_lag(sessions: SessionFactory, seconds: float) -> None:
    """The emulator has no metrics: the test writes the ReplicaLag datapoint CloudWatch would have."""
    sessions.client("cloudwatch", WEST).put_metric_data(
        Namespace="AWS/RDS",
        MetricData=[
            {
                "MetricName": "ReplicaLag",
                "Value": seconds,
                "Timestamp": dt.datetime.now(tz=dt.UTC),
                "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": "webapp-db"}],
            }
        ],
    )


def production_state(sessions: SessionFactory, world) -> dict:
    records = route53.list_records(sessions.client("route53", EAST), world.zone_id)
    groups = {
        r: sessions.client("autoscaling", r).describe_auto_scaling_groups()["AutoScalingGroups"] for r in (EAST, WEST)
    }
    return {
        "records": sorted((r.name, r.type, r.set_identifier, r.failover, r.values) for r in records),
        "capacity": {
            r: [
                (
                    g["AutoScalingGroupName"],
                    g["MinSize"],
                    g["MaxSize"],
                    g["DesiredCapacity"],
                    sorted((t["Key"], t["Value"]) for t in g.get("Tags", [])),
                )
                for g in gs
            ]
            for r, gs in groups.items()
        },
        "databases": {
            r: sorted((d.identifier, d.replica_source) for d in rds.describe_instances(sessions.client("rds", r)))
            for r in (EAST, WEST)
        },
    }


class Bars(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.bars: dict[str, float] = {}
        self.verdict = ""
        self._in_verdict = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "rect" and "data-phase" in a:
            self.bars[a["data-phase"]] = float(a["data-seconds"])
        self._in_verdict = a.get("id") == "verdict"

    def handle_data(self, data):
        if self._in_verdict:
            self.verdict += data.strip()


def runner(loaded, target, *hooks) -> DrillRunner:
    sessions = SessionFactory(target=target, on_client=combine(*hooks) if hooks else None)
    return DrillRunner(Controller(loaded, sessions, RegionStates.of(loaded, sessions), clock=FakeClock(time.time())))


def test_isolated_drill_changes_nothing_in_production(world, loaded, target, sessions, tmp_path) -> None:
    put_replica_lag(sessions, 2.5)
    before = production_state(sessions, world)
    result = runner(loaded, target).run("isolated", tmp_path / "reports")
    report = result.report.to_dict()
    assert production_state(sessions, world) == before
    assert report["status"] == "passed", report
    assert report["left_behind"] == []
    assert [p["name"] for p in report["phases"]] == ["preflight", "promote", "scale", "healthy", "traffic", "verify"]
    assert report["objectives"]["rpo"]["measured_seconds"] == 2.5
    assert 0 < report["objectives"]["rto"]["measured_seconds"] <= report["objectives"]["rto"]["objective_seconds"]
    keys = {s["key"]: s["status"] for s in report["steps"]}
    assert keys["delete-copy:webapp-db-drill"] == "complete"
    assert keys["delete-drill-record"] == "complete"
    assert keys["scale-in:web"] == "complete"
    assert not rds.describe_instances(sessions.client("rds", WEST), ["webapp-db-drill"])

    doc = json.loads(result.files["json"].read_text())
    assert doc == report and doc["schema_version"] == 1
    bars = Bars()
    bars.feed(result.files["html"].read_text())
    assert bars.verdict == "PASSED"
    assert bars.bars == {p["name"]: p["seconds"] for p in report["phases"]}
    md = result.files["markdown"].read_text()
    assert "**PASSED**" in md and "Nothing left behind" in md
    assert result.stored_in == WEST


def test_a_failed_step_still_restores_everything(world, loaded, target, sessions, tmp_path) -> None:
    put_replica_lag(sessions, 1.0)
    before = production_state(sessions, world)
    fault = FailOperation("ChangeResourceRecordSets", "InvalidChangeBatch", times=1)
    result = runner(loaded, target, fault).run("isolated", tmp_path / "reports")
    report = result.report.to_dict()
    assert report["status"] == "failed"
    assert re.search(r"step shift-traffic failed: .*InvalidChangeBatch", report["error"])
    assert report["left_behind"] == []
    assert production_state(sessions, world) == before
    assert {s["key"]: s["status"] for s in report["steps"]}["verify"] == "not-run"


def test_unknown_replica_lag_fails_the_rpo(world, loaded, target, tmp_path) -> None:
    report = runner(loaded, target).run("isolated", tmp_path / "reports").report.to_dict()
    assert report["objectives"]["rpo"] == {
        "status": "not-met",
        "measured_seconds": None,
        "objective_seconds": 60,
        "met": False,
        "source": "CloudWatch ReplicaLag read at promotion",
    }
    assert report["status"] == "failed"


def test_drill_cli_exit_codes_and_history(world, cli_config, sessions, capsys, tmp_path) -> None:
    put_replica_lag(sessions, 2.0)
    assert main(["--config", str(cli_config), "drill", "--report", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert "PASSED" in out and "left behind: nothing" in out and "report (html)" in out
    sessions.client("cloudwatch", WEST).put_metric_data(
        Namespace="AWS/RDS",
        MetricData=[
            {
                "MetricName": "ReplicaLag",
                "Value": 500.0,
                "Timestamp": dt.datetime.now(tz=dt.UTC),
                "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": "webapp-db"}],
            }
        ],
    )
    # Lag above the RPO: the preflight refuses, the drill fails with exit 1, and still leaves nothing behind.
    assert main(["--config", str(cli_config), "drill", "--report", str(tmp_path / "r")]) == 1
    assert "FAILED" in capsys.readouterr().out
    assert main(["--config", str(cli_config), "--output", "json", "drill", "--history"]) == 0
    rows = json.loads(capsys.readouterr().out)["result"]["history"]
    assert [r["status"] for r in rows] == ["passed", "failed"]
    assert rows[0]["rto_seconds"] > 0


@pytest.mark.parametrize("mode", ["isolated"])
def test_report_phases_are_ordered_in_time(world, loaded, target, sessions, tmp_path, mode) -> None:
    put_replica_lag(sessions, 1.0)
    phases = runner(loaded, target).run(mode, tmp_path).report.to_dict()["phases"]
    assert all(p["start"] <= p["end"] for p in phases)
    assert phases[0]["name"] == "preflight" and phases[-1]["name"] == "verify"
    assert phases[-1]["end"] >= max(p["end"] for p in phases[:-1])
