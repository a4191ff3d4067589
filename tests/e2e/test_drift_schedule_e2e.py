"""The drift-schedule module applied against the emulator: function, schedule, alarm and topic wired together."""

from __future__ import annotations

from pathlib import Path

import pytest

from standby.drift.package import build_package
from standby.drift.scheduled import required_actions
from standby.terraform import TerraformRunner, Workspace

pytestmark = pytest.mark.e2e

STACK = Path(__file__).resolve().parent / "stacks" / "drift-schedule"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "webapp" / "standby.toml"
REGION = "us-west-2"


def test_module_applies_and_wires_schedule_function_alarm(
    runner: TerraformRunner, sessions, clean_emulator, tmp_path
) -> None:
    package = build_package(EXAMPLE, tmp_path / "drift.zip")
    workspace = Workspace(
        "drift-schedule/us-west-2", STACK, tmp_path / "data", {"path": str(tmp_path / "drift.tfstate")}
    )
    variables = {
        "region": REGION,
        "package_path": str(package),
        "iam_actions": required_actions(),
        "endpoint": clean_emulator,
    }
    runner.init(workspace)
    runner.apply(workspace, runner.plan(workspace, variables))
    out = runner.output(workspace)["drift_schedule"]

    function = sessions.client("lambda", REGION).get_function(FunctionName=out["function_name"])["Configuration"]
    assert function["Handler"] == "standby.drift.scheduled.handler" and function["Runtime"] == "python3.11"
    assert function["Environment"]["Variables"] == {"STANDBY_AWS_ENDPOINT": clean_emulator}

    schedule = sessions.client("scheduler", REGION).get_schedule(Name="webapp-drift")
    assert schedule["ScheduleExpression"] == "rate(30 minutes)"
    assert schedule["Target"]["Arn"] == out["function_arn"]

    [alarm] = sessions.client("cloudwatch", REGION).describe_alarms(AlarmNames=[out["alarm_name"]])["MetricAlarms"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["TreatMissingData"]) == (
        "Standby/Drift",
        "Findings",
        "breaching",
    )
    assert alarm["AlarmActions"] == [out["sns_topic_arn"]]
    assert alarm["Dimensions"] == [{"Name": "Project", "Value": "webapp"}]

    again = runner.plan(workspace, variables)
    assert not again.has_changes, [c.address for c in again.changes]
