"""Fencing on the emulator: the old primary's writes are fenced only once the standby's capacity is healthy, the
serving side is untouched when anything before the traffic shift fails, and it loses capacity only after the
TTL and drain time have passed since traffic moved."""

from __future__ import annotations

import time

from standby import judgements as j
from standby.aws import autoscaling, route53
from standby.aws.session import SessionFactory
from standby.errors import StepFailed
from standby.failover.controller import Controller
from standby.failover.fencing import FENCE_NOTES
from standby.failover.model import RESTORE_WRITES
from standby.state import RegionStates
from tests.fakes.aws_faults import FailOperation, combine
from tests.fakes.clock import FakeClock
from tests.integration.failover.world import restore_writes_plan

EAST, WEST = "us-east-1", "us-west-2"


def controller(loaded, target, *hooks) -> tuple[Controller, SessionFactory, FakeClock]:
    sessions = SessionFactory(target=target, on_client=combine(*hooks) if hooks else None)
    clock = FakeClock(time.time())
    return Controller(loaded, sessions, RegionStates.of(loaded, sessions), clock=clock), sessions, clock


def guard_primary_database(sessions: SessionFactory) -> str:
    """Give the old primary's database its own security group, open to the application's network."""
    client = sessions.client("ec2", EAST)
    vpc = client.describe_vpcs()["Vpcs"][0]["VpcId"]
    group = client.create_security_group(GroupName="webapp-db", Description="database", VpcId=vpc)["GroupId"]
    client.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}
        ],
    )
    sessions.client("rds", EAST).modify_db_instance(
        DBInstanceIdentifier="webapp-db", VpcSecurityGroupIds=[group], ApplyImmediately=True
    )
    return group


def db_groups(sessions: SessionFactory) -> list[str]:
    [db] = sessions.client("rds", EAST).describe_db_instances(DBInstanceIdentifier="webapp-db")["DBInstances"]
    return [g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]]


def traffic(sessions: SessionFactory, world) -> dict[str, str | None]:
    records = route53.list_records(sessions.client("route53", WEST), world.zone_id)
    return j.traffic_target(records, world.manifest.dns.record_fqdns, (EAST, WEST))


def test_the_old_primary_is_fenced_and_the_failback_restores_it(world, loaded, target) -> None:
    ctl, sessions, _ = controller(loaded, target)
    group = guard_primary_database(sessions)
    assert db_groups(sessions) == [group]

    journal = ctl.execute(ctl.plan("failover"))

    assert journal.status == "complete", {k: (s.status, s.error) for k, s in journal.steps.items()}
    assert journal.steps["fence-writes"].status == "complete"
    [fence] = db_groups(sessions)
    assert fence != group
    [fence_group] = sessions.client("ec2", EAST).describe_security_groups(GroupIds=[fence])["SecurityGroups"]
    assert fence_group["IpPermissions"] == []  # nothing may reach the old primary's database
    note = ctl.states[WEST].notes().get(FENCE_NOTES, f"{EAST}-webapp-db")
    assert note["security_groups"] == [group] and note["run_id"] == journal.run_id

    restore = restore_writes_plan("20261129T000000Z-failback-ab12", EAST, WEST)
    done = ctl.run_plan(restore)
    assert done.steps[f"{RESTORE_WRITES}:{EAST}"].status == "complete"
    assert db_groups(sessions) == [group]
    assert ctl.states[WEST].notes().names(FENCE_NOTES) == []
    again = ctl.run_plan(restore)  # nothing left to restore: a no-op
    assert again.steps[f"{RESTORE_WRITES}:{EAST}"].detail == "nochange"


def test_a_failed_scale_out_leaves_the_serving_side_exactly_as_it_was(world, loaded, target) -> None:
    fault = FailOperation("UpdateAutoScalingGroup", "ValidationError", times=10, region=WEST)
    ctl, sessions, _ = controller(loaded, target, fault)
    group = guard_primary_database(sessions)
    east = autoscaling.describe_groups(sessions.client("autoscaling", EAST), [f"webapp-web-{EAST}"])[0]

    try:
        ctl.execute(ctl.plan("failover"))
        raise AssertionError("the failover should have failed at scale-out")
    except StepFailed as err:
        assert "scale-out:web" in err.message

    journal = ctl.latest_journal()
    assert journal is not None and journal.status == "failed"
    assert {k for k, s in journal.steps.items() if s.status == "complete"} == {"preflight"}
    after = autoscaling.describe_groups(sessions.client("autoscaling", EAST), [f"webapp-web-{EAST}"])[0]
    assert (after.min_size, after.max_size, after.desired_capacity) == (
        east.min_size,
        east.max_size,
        east.desired_capacity,
    )
    assert db_groups(sessions) == [group]
    assert set(traffic(sessions, world).values()) == {EAST}
    [db] = sessions.client("rds", EAST).describe_db_instances(DBInstanceIdentifier="webapp-db")["DBInstances"]
    assert db["DBInstanceStatus"] == "available"


def test_the_old_primary_keeps_its_capacity_until_traffic_has_left_and_drained(world, loaded, target) -> None:
    ctl, _, _ = controller(loaded, target)
    journal = ctl.execute(ctl.plan("failover"))
    steps = journal.steps
    shifted = steps["shift-traffic"].ended_at
    fenced = steps["fence-primary"].started_at
    assert shifted is not None and fenced is not None
    wait = loaded.config.traffic.ttl + loaded.config.failover.drain_seconds
    assert fenced - shifted >= wait, (fenced - shifted, wait)
    assert steps["fence-writes"].started_at >= steps["wait-healthy:web"].ended_at
