"""A full drill on the provisioned example: fail over for real, then fail back — and when a step fails
mid-drill, the rollback (the failback) still runs and restores the initial state."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from standby.aws.session import SessionFactory, Target
from standby.drill.runner import DrillRunner
from standby.failover.controller import Controller
from standby.stacks import Stacks
from standby.state import RegionStates
from tests.fakes.aws_faults import FailOperation
from tests.fakes.clock import FakeClock

pytestmark = [pytest.mark.e2e, pytest.mark.fails_over]


@pytest.mark.timeout(2400)
def test_full_drill_with_a_failing_step_restores_the_initial_state(provisioned_webapp, tmp_path) -> None:
    env = provisioned_webapp
    env.sessions.client("cloudwatch", "us-west-2").put_metric_data(
        Namespace="AWS/RDS",
        MetricData=[
            {
                "MetricName": "ReplicaLag",
                "Value": 1.2,
                "Timestamp": dt.datetime.now(tz=dt.UTC),
                "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": "webapp-db"}],
            }
        ],
    )
    # Reading the records from the standby region fails twice (the planning observation, then shift-traffic):
    # the failover half of the drill fails mid-way, after promotion and scale-out have run.
    fault = FailOperation("ListResourceRecordSets", "InvalidInput", times=2, region="us-west-2")
    sessions = SessionFactory(target=Target(env.endpoint, emulator=True), on_client=fault)

    stacks = Stacks(env.loaded, env.runner, env.secrets)
    states = RegionStates.of(env.loaded, sessions)
    controller = Controller(env.loaded, sessions, states, clock=FakeClock(time.time()), stacks=stacks)
    result = DrillRunner(controller).run("full", tmp_path / "reports")
    report = result.report.to_dict()

    assert report["status"] == "failed"
    assert report["error"].startswith("step shift-traffic failed"), report["error"]
    assert fault.remaining == 0
    assert report["restored"] is True, report["steps"]
    assert report["left_behind"] == [], report["left_behind"]
    statuses = {s["key"]: s["status"] for s in report["steps"] if s["run"].endswith("-failback")}
    # The roles were never switched and traffic never moved: the rollback re-seeds the promoted standby database
    # and puts the capacities back; it never replaces the primary's database.
    assert statuses["reseed-db:us-west-2"] == "complete"
    assert "reseed-db:us-east-1" not in statuses
    # The primary was never scaled in (that waits for traffic to move and drain): nothing to scale back out. Its
    # database was fenced before the promotion, and the rollback gave it its security groups back.
    assert statuses["scale-in:web"] == "complete" and statuses["scale-out:web"] == "skipped"
    assert statuses["restore-writes:us-east-1"] == "complete"
    assert statuses["record"] == "skipped" and statuses["shift-traffic"] == "skipped"
