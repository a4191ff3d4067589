"""Fail the provisioned example over and back, with the real stacks: Terraform must not undo the failover,
and failback (which re-seeds databases through Terraform) must return to the initial state."""

from __future__ import annotations

import json
import time

import pytest

from standby import judgements as j
from standby.aws import autoscaling, rds, route53
from standby.emulator import restore, set_outage
from standby.failover.controller import Controller
from standby.provision import Provisioner
from standby.stacks import Stacks, final_snapshot_id
from standby.state import RegionStates
from tests.fakes.clock import FakeClock

pytestmark = [pytest.mark.e2e, pytest.mark.fails_over]

EAST, WEST = "us-east-1", "us-west-2"


def traffic(env) -> dict[str, str | None]:
    client = env.sessions.client("route53", EAST)
    zone = route53.find_zone(client, "webapp.example.internal")
    names = ["www.webapp.example.internal", "api.webapp.example.internal"]
    return j.traffic_target(route53.list_records(client, zone.id), names, (EAST, WEST))


def group(env, region: str) -> autoscaling.GroupState:
    return autoscaling.describe_groups(env.sessions.client("autoscaling", region), ["webapp-web"])[0]


def promoted(env, region: str) -> j.Promotion:
    """The database's promotion, judged from AWS state alone."""
    [db] = rds.describe_instances(env.sessions.client("rds", region), ["webapp-db"])
    return j.promotion_state(db)


# Two RDS re-seeds (each a Terraform replace of a replica, minutes on the emulator), their previews and three
# provision plans: the longest test of the suite.
@pytest.mark.timeout(2400)
def test_failover_then_provision_then_failback(provisioned_webapp) -> None:
    env = provisioned_webapp
    clock = FakeClock(time.time())

    stacks = Stacks(env.loaded, env.runner, env.secrets)
    states = RegionStates.of(env.loaded, env.sessions)

    def provisioner_for(assignment) -> Provisioner:
        return Provisioner(env.loaded, stacks, states, assignment=assignment)

    ctl = Controller(env.loaded, env.sessions, states, clock=clock, stacks=stacks)

    # The worst day: every request to the primary region hangs without an answer (Route53, global, still answers).
    # Nothing may wait on it: the failover completes with the old primary's fencing skipped, soon after traffic moves.
    set_outage(env.endpoint, EAST, "regional", "hang")
    try:
        started = time.monotonic()
        failover = ctl.execute(ctl.plan("failover"), command=True)
        wall = time.monotonic() - started
        failover_report = ctl.last_report
    finally:
        restore(env.endpoint)
    assert failover.status == "complete", {k: (s.status, s.error) for k, s in failover.steps.items()}
    assert {failover.steps[k].status for k in ("fence-writes", "fence-primary")} == {"skipped"}
    # Each step's calls to the hanging region are bounded by [failover] demote_budget_seconds (10 s): seconds, not
    # the quarter of an hour that retried read timeouts used to cost.
    assert wall < 150, wall
    print(f"failover with {EAST} hanging: {wall:.1f}s wall")
    assert promoted(env, WEST) == j.Promotion.PROMOTED
    assert (group(env, WEST).desired_capacity, group(env, WEST).min_size) == (4, 2)
    assert traffic(env) == {"www.webapp.example.internal.": WEST, "api.webapp.example.internal.": WEST}

    # The next provision plans for the recorded roles: nothing reverts the failover.
    assignment = RegionStates.of(env.loaded, env.sessions).assignment()
    assert (assignment.primary, assignment.standby) == (WEST, EAST)
    plan = provisioner_for(assignment).plan("all")
    asg = 'module.compute["web"].aws_autoscaling_group.this'
    db = "module.database[0].aws_db_instance.this"
    for planned in plan.stacks:
        assert planned.plan is not None
        changes = {c.address: c for c in planned.plan.changes}
        assert planned.plan.destroys == 0, sorted(changes)
        if db in changes:  # the promoted database takes the primary's settings in place, never a replacement
            assert changes[db].action == "update"
            assert "replicate_source_db" not in changes[db].attributes
        if planned.target.region == WEST:
            assert asg not in changes, changes[asg].attributes  # the new primary keeps its production capacity
        elif planned.target.region == EAST and asg in changes:
            # The old primary becomes the standby: its floor becomes the standby's; desired stays standby's own.
            assert "desired_capacity" not in changes[asg].attributes, changes[asg].attributes
            assert "max_size" not in changes[asg].attributes, changes[asg].attributes
        else:
            assert not changes, sorted(changes)  # DNS: records are keyed by region, routing belongs to standby

    # What the dry run and the confirmation show: the exact targeted replace of each region's database only.
    planned_failback = ctl.plan("failback")
    previews = ctl.reseed_preview(planned_failback)
    assert [p.region for p in previews] == [EAST, WEST]
    for preview in previews:
        assert preview.plan is not None and preview.problems == ()
        assert [(c.address, c.action) for c in preview.plan.changes] == [(db, "replace")], preview.to_dict()

    failback = ctl.execute(planned_failback, command=True)
    assert failback.status == "complete", {k: (s.status, s.error) for k, s in failback.steps.items()}
    # Both runs wrote their report (the failover's while the primary hung, stored in the activated region) and
    # `standby status --history` lists them, newest first.
    assert failover_report is not None and failover_report.stored_in == WEST
    assert ctl.last_report is not None and ctl.last_report.stored_in == EAST
    for written, run in ((failover_report, failover), (ctl.last_report, failback)):
        doc = json.loads(written.files["json"].read_text())
        assert (doc["run_id"], doc["kind"], doc["status"]) == (run.run_id, run.kind, "complete")
        assert doc["objectives"]["rto"]["measured_seconds"] is not None
        assert written.files["html"].exists() and written.files["markdown"].exists()
    rows = [(r["run_id"], r["kind"]) for r in ctl.history()]
    assert rows[:2] == [(failback.run_id, "failback"), (failover.run_id, "failover")], rows
    assert traffic(env) == {"www.webapp.example.internal.": EAST, "api.webapp.example.internal.": EAST}
    east, west = group(env, EAST), group(env, WEST)
    assert (east.min_size, east.max_size, east.desired_capacity) == (2, 8, 4)
    assert (west.min_size, west.max_size, west.desired_capacity) == (1, 8, 1)
    assert promoted(env, EAST) == j.Promotion.PROMOTED
    [replica] = rds.describe_instances(env.sessions.client("rds", WEST), ["webapp-db"])
    assert replica.replica_source == "arn:aws:rds:us-east-1:123456789012:db:webapp-db"
    assert promoted(env, WEST) == j.Promotion.REPLICA
    # Nothing lost: each re-seeded database was snapshotted first (made, available, its id journaled), the
    # demoted primary's included.
    for region in (EAST, WEST):
        step = failback.steps[f"reseed-db:{region}"]
        snapshot_id = final_snapshot_id(failback.run_id, "webapp-db")
        assert step.after["final_snapshots"] == {"webapp-db": snapshot_id}, (region, step.after)
        assert snapshot_id in step.detail
        snapshot = rds.describe_snapshot(env.sessions.client("rds", region), snapshot_id)
        assert snapshot is not None and snapshot.status == "available", (region, snapshot)
        assert snapshot.instance == "webapp-db"
        print(f"final snapshot in {region}: {snapshot_id} ({snapshot.status})")
    home = RegionStates.of(env.loaded, env.sessions).assignment()
    assert (home.primary, home.standby) == (EAST, WEST)
    again = Provisioner(env.loaded, stacks, states, assignment=home).plan("all")
    # Nothing to rebuild or move back; at most the promoted database takes the primary's settings in place
    # (e.g. its backup retention: the promotion set one day).
    for planned in again.stacks:
        for change in planned.plan.changes:
            assert (change.type, change.action) == ("aws_db_instance", "update"), (change.address, change.action)
            assert "replicate_source_db" not in change.attributes
