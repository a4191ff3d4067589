"""`standby destroy` against the emulator's RDS: a database a stack's destroy plan removes with its data gets a
final snapshot of standby's own, and that stack is destroyed only once RDS reports the snapshot available; a
snapshot that cannot be taken stops the teardown before that stack.

Terraform is a stand-in (the destroy plans of ``tests/unit/test_teardown.py``); RDS is the emulator's, whose
snapshots are ``creating`` for a modelled while, as on AWS.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from standby.aws import rds
from standby.aws.session import SessionFactory
from standby.cli.cmd_destroy import plan_lines
from standby.errors import StandbyError
from standby.progress import RecordingReporter
from standby.stacks import Stacks
from standby.state.roles import Assignment
from standby.teardown import Teardown
from standby.terraform import TerraformRunner
from standby.terraform.runner import Completed
from tests.fakes.aws_faults import CallRecorder
from tests.fakes.clock import PacedClock
from tests.unit.test_teardown import DestroyingTerraform, States, database, lb_outputs
from tests.unit.test_teardown import loaded as loaded  # the example's config, as a fixture

EAST, WEST = "us-east-1", "us-west-2"


class SnapshotCheckingTerraform(DestroyingTerraform):
    """The stand-in that also reads, at each apply, the final snapshots RDS holds of the primary's database."""

    def __init__(self, sessions: SessionFactory, identifier: str) -> None:
        super().__init__(
            {f"region-{WEST}": ["aws_db_instance.this"], f"region-{EAST}": ["aws_db_instance.this", "aws_lb.web"]},
            {f"region-{EAST}": lb_outputs(EAST), f"region-{WEST}": lb_outputs(WEST)},
            {
                f"region-{WEST}": [database("aws_db_instance.this", "replica", skip_final_snapshot=True, source="db")],
                f"region-{EAST}": [database("aws_db_instance.this", identifier, skip_final_snapshot=False)],
            },
        )
        self.client = sessions.client("rds", EAST)
        self.identifier = identifier
        self.snapshots_at_apply: dict[str, list[tuple[str, str, str]]] = {}

    def __call__(self, argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> Completed:
        if argv[1] == "apply":
            key = Path(env["TF_DATA_DIR"]).parent.name
            found = self.client.describe_db_snapshots(DBInstanceIdentifier=self.identifier, SnapshotType="manual")
            found = found["DBSnapshots"]
            self.snapshots_at_apply[key] = [
                (s["DBSnapshotIdentifier"], s["DBInstanceIdentifier"], s["Status"]) for s in found
            ]
        return super().__call__(argv, cwd, env)


def create_database(sessions: SessionFactory, identifier: str) -> None:
    sessions.client("rds", EAST).create_db_instance(
        DBInstanceIdentifier=identifier,
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        MasterUsername="app",
        MasterUserPassword="not-a-secret-1",
        AllocatedStorage=20,
    )


def teardown(loaded, sessions: SessionFactory, terraform: DestroyingTerraform, removed: list[str]) -> Teardown:
    work = Teardown(
        loaded,
        Stacks(loaded, TerraformRunner("terraform", execute=terraform), {"db_password": "pw"}),
        States(removed),  # type: ignore[arg-type]
        assignment=Assignment.home(loaded.config),
        reporter=RecordingReporter(),
        sessions=sessions,
    )
    work.wait_clock = PacedClock(time.time())  # polls on fake time while the emulator's snapshot is made
    return work


def test_the_primary_database_is_destroyed_only_after_its_final_snapshot_is_available(
    clean_emulator, target, loaded
) -> None:
    recorder = CallRecorder()
    sessions = SessionFactory(target=target, on_client=recorder)
    create_database(sessions, "webapp-db")
    terraform = SnapshotCheckingTerraform(sessions, "webapp-db")
    removed: list[str] = []
    work = teardown(loaded, sessions, terraform, removed)

    plan = work.plan(include_primary=True)
    by_region = {p.stage.region: [db.identifier for db in p.snapshots] for p in plan.stages if p.stage.stack}
    assert by_region == {None: [], WEST: [], EAST: ["webapp-db"]}  # the replica's data lives in its source
    shown = "      first: a final snapshot of database webapp-db, destroyed only once it is available"
    assert shown in plan_lines(plan)
    done = work.execute(plan)

    snapshot_id = f"standby-final-{plan.run_id}-webapp-db".lower()
    # The standby's stack went first, before any snapshot; the primary's only once its snapshot was available.
    assert terraform.snapshots_at_apply[f"region-{WEST}"] == []
    assert terraform.snapshots_at_apply[f"region-{EAST}"] == [(snapshot_id, "webapp-db", "available")]
    assert sum(1 for region, _, op in recorder.calls if (region, op) == (EAST, "CreateDBSnapshot")) == 1
    assert work.wait_clock.sleeps  # type: ignore[attr-defined] - polled while RDS said creating
    east = next(r for r in done if r.stage.region == EAST and r.stage.stack)
    assert east.detail.endswith(f"final snapshots: {snapshot_id}")
    assert rds.describe_snapshot(sessions.client("rds", EAST), snapshot_id).status == "available"  # type: ignore[union-attr]


def test_a_final_snapshot_that_cannot_be_taken_stops_the_teardown_before_that_stack(
    clean_emulator, sessions, loaded
) -> None:
    terraform = SnapshotCheckingTerraform(sessions, "gone-db")  # in the state, not in RDS
    removed: list[str] = []
    work = teardown(loaded, sessions, terraform, removed)
    plan = work.plan(include_primary=True)

    with pytest.raises(StandbyError, match=r"cannot take the final snapshot .* database gone-db not found") as err:
        work.execute(plan)
    assert err.value.hint.startswith(f"nothing of region in {EAST} was destroyed")
    assert [key for verb, key in terraform.calls if verb == "apply"] == [f"region-{WEST}"]  # not the primary's
    assert removed == []  # the control stores are kept too
