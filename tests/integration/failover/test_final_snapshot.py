"""The re-seed's final snapshot against the emulator: made before anything is replaced, waited until RDS reports
it available, journaled; a resumed run reuses it instead of making another."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from standby.aws import rds
from standby.aws.session import SessionFactory
from standby.errors import StepFailed
from standby.failover.controller import Controller, new_run_id
from standby.failover.model import RESEED_DB, FailoverPlan, ReseedDb
from standby.progress import RecordingReporter
from standby.stacks import Stacks, final_snapshot_id
from standby.state import RegionStates
from standby.terraform import TerraformRunner
from standby.terraform.runner import Completed
from tests.fakes.aws_faults import CallRecorder, combine
from tests.fakes.clock import FakeClock

EAST, WEST = "us-east-1", "us-west-2"
DB = "module.database[0].aws_db_instance.this"
KEY = f"{RESEED_DB}:{EAST}"


class ReplacingTerraform:
    """An injectable ``execute``: the stack's state holds the one database, its plan replaces it; ``apply``
    fails while ``fail_apply`` is set (as a crash after the snapshot would leave the run)."""

    def __init__(self, identifier: str) -> None:
        self.state = {
            "version": 4,
            "resources": [
                {
                    "module": "module.database[0]",
                    "mode": "managed",
                    "type": "aws_db_instance",
                    "name": "this",
                    "instances": [{"attributes": {"identifier": identifier}}],
                }
            ],
        }
        self.plan = {
            "resource_changes": [
                {
                    "address": DB,
                    "mode": "managed",
                    "type": "aws_db_instance",
                    "name": "this",
                    "change": {"actions": ["delete", "create"], "before": {}, "after": {}},
                }
            ]
        }
        self.fail_apply = False
        self.applied = 0

    def __call__(self, argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> Completed:
        args = list(argv)
        if args[1:3] == ["state", "pull"]:
            return Completed(tuple(args), 0, json.dumps(self.state), "", 0.0)
        if args[1] == "show":
            return Completed(tuple(args), 0, json.dumps(self.plan), "", 0.0)
        if args[1] == "apply":
            if self.fail_apply:
                return Completed(tuple(args), 1, "", "Error: the apply was interrupted", 0.0)
            self.applied += 1
        return Completed(tuple(args), 0, "", "", 0.0)


class SnapshotsCreatingFirst:
    """DescribeDBSnapshots reports every snapshot ``creating`` for the first ``times`` calls (the emulator makes
    them available at once; RDS takes minutes)."""

    def __init__(self, times: int) -> None:
        self.left = times

    def __call__(self, client: Any) -> None:
        client.meta.events.register("after-call.rds.DescribeDBSnapshots", self._rewrite)

    def _rewrite(self, parsed: dict[str, Any], **_: Any) -> None:
        if self.left > 0 and parsed.get("DBSnapshots"):
            self.left -= 1
            for doc in parsed["DBSnapshots"]:
                doc["Status"] = "creating"


def reseed_plan(run_id: str) -> FailoverPlan:
    step = ReseedDb(key=KEY, slug=RESEED_DB, region=EAST, intent="re-seed", stack="region")
    return FailoverPlan(run_id, "failback", EAST, WEST, (step,))


@pytest.fixture
def setup(world, loaded, target):
    recorder = CallRecorder()
    creating = SnapshotsCreatingFirst(2)
    sessions = SessionFactory(target=target, on_client=combine(recorder, creating))
    terraform = ReplacingTerraform("webapp-db")
    clock = FakeClock(time.time())
    events = RecordingReporter()
    ctl = Controller(
        loaded,
        sessions,
        RegionStates.of(loaded, sessions),
        clock=clock,
        reporter=events,
        stacks=Stacks(loaded, TerraformRunner("terraform", execute=terraform), {}),
    )
    return ctl, sessions, terraform, recorder, clock, events


def creates(recorder: CallRecorder) -> int:
    return sum(1 for region, _, op in recorder.calls if (region, op) == (EAST, "CreateDBSnapshot"))


def test_final_snapshot_is_made_and_available_before_the_replace_and_reused_on_resume(setup) -> None:
    ctl, sessions, terraform, recorder, clock, events = setup
    run_id = new_run_id("failback", clock.now())
    snapshot_id = final_snapshot_id(run_id, "webapp-db")
    plan = reseed_plan(run_id)
    started = clock.now()

    terraform.fail_apply = True
    with pytest.raises(StepFailed):
        ctl.run_plan(plan)
    journal = ctl.load_journal(run_id)
    assert journal.steps[KEY].status == "failed"
    snapshot = rds.describe_snapshot(sessions.client("rds", EAST), snapshot_id)
    assert snapshot is not None and (snapshot.instance, snapshot.status) == ("webapp-db", "available")
    assert clock.now() > started  # it was reported creating: the run waited for it, on the clock
    assert creates(recorder) == 1 and terraform.applied == 0

    terraform.fail_apply = False
    resumed = ctl.run_plan(plan, journal)

    assert resumed.status == "complete"
    assert creates(recorder) == 1  # reused, not made twice
    assert terraform.applied == 1
    record = resumed.steps[KEY]
    assert record.before == {"databases": {"webapp-db": DB}}
    assert record.after["final_snapshots"] == {"webapp-db": snapshot_id}
    assert snapshot_id in record.detail
    lines = [e.line() for e in events.events if e.step == KEY and e.status == "final snapshot"]
    assert f"[{EAST}] {KEY} … final snapshot: {snapshot_id} of webapp-db started" in lines
    assert f"[{EAST}] {KEY} … final snapshot: {snapshot_id} of webapp-db reused (available)" in lines
    assert f"[{EAST}] {KEY} … final snapshot: {snapshot_id} available" in lines


def test_a_snapshot_of_another_instance_under_the_run_s_name_is_refused(setup) -> None:
    ctl, sessions, terraform, _, clock, _ = setup
    run_id = new_run_id("failback", clock.now())
    client = sessions.client("rds", EAST)
    client.create_db_instance(
        DBInstanceIdentifier="other-db",
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        MasterUsername="other",
        MasterUserPassword="not-a-secret-1",
        AllocatedStorage=20,
    )
    rds.create_snapshot(client, final_snapshot_id(run_id, "webapp-db"), "other-db")

    with pytest.raises(StepFailed, match="taken of other-db"):
        ctl.run_plan(reseed_plan(run_id))
    assert terraform.applied == 0  # nothing replaced
