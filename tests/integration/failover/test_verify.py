"""Verify judges what clients get, on the emulator: healthy targets that are instances in service, the
activated region's health checks healthy, the demoted region not eligible, and the traffic switches' health
checks as Route53 reports them."""

from __future__ import annotations

import time

import pytest

from standby.aws import route53
from standby.aws.session import SessionFactory
from standby.errors import StepFailed
from standby.failover.model import VERIFY, Verify
from standby.failover.steps import StepContext, run_verify
from standby.state import RegionStates
from standby.traffic_switch import ROUTE53_REGION, ensure_switches, set_evacuated, switches
from tests.fakes.clock import FakeClock

EAST, WEST = "us-east-1", "us-west-2"


def context(loaded, sessions: SessionFactory) -> StepContext:
    return StepContext(
        config=loaded.config,
        sessions=sessions,
        demote_sessions=sessions.fast_fail(),
        states=RegionStates.of(loaded, sessions),
        clock=FakeClock(time.time()),
        run_id="test-verify",
    )


def verify_step(world, *, mode: str = "records", groups: tuple[tuple[str, int], ...] = ()) -> Verify:
    dns = world.manifest.dns
    return Verify(
        key=VERIFY,
        slug=VERIFY,
        region=WEST,
        activate=WEST,
        demote=EAST,
        groups=groups,
        zone_id=dns.zone_id if mode == "records" else None,
        names=dns.record_fqdns if mode == "records" else (),
        mode=mode,
    )


def route_to_west(sessions: SessionFactory, world, health_checks: dict[str, str | None], *, drop_east: bool = False):
    """Send every service name to WEST (PRIMARY), each region's records carrying its health check (or none)."""
    client = sessions.client("route53", WEST)
    changes = []
    for record in route53.list_records(client, world.zone_id):
        if record.set_identifier not in (EAST, WEST):
            continue
        doc = dict(record.raw)
        doc["Failover"] = "PRIMARY" if record.set_identifier == WEST else "SECONDARY"
        doc.pop("HealthCheckId", None)
        if health_checks.get(record.set_identifier):
            doc["HealthCheckId"] = health_checks[record.set_identifier]
        if drop_east and record.set_identifier == EAST:
            changes.append({"Action": "DELETE", "ResourceRecordSet": record.raw})
        else:
            changes.append({"Action": "UPSERT", "ResourceRecordSet": doc})
    route53.change_records(client, world.zone_id, changes, "test: traffic to west")


def evacuate(sessions: SessionFactory, loaded, region: str, evacuated: bool) -> None:
    set_evacuated(sessions, switches(loaded.config)[region], evacuated, "test")


@pytest.fixture
def checks(world, loaded, sessions) -> dict[str, str]:
    """Each region's health check (its traffic switch): healthy until the region is evacuated."""
    ids = ensure_switches(sessions, loaded.config)
    evacuate(sessions, loaded, EAST, False)
    evacuate(sessions, loaded, WEST, False)
    return ids


def test_stale_healthy_targets_do_not_count(world, loaded, sessions, checks) -> None:
    """Four in service and seven healthy targets: three of those are instances that no longer exist, and one
    instance in service is not a target at all. Only three clients' worth of capacity is served."""
    asg = sessions.client("autoscaling", WEST)
    name = f"webapp-web-{WEST}"
    for desired in (4, 0, 4):  # scaling in leaves the old instances' targets registered (and healthy) in moto
        asg.update_auto_scaling_group(AutoScalingGroupName=name, MinSize=0, DesiredCapacity=desired)
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
    in_service = [i["InstanceId"] for i in group["Instances"] if i["LifecycleState"] == "InService"]
    tg = world.manifest.region(WEST).groups["web"].target_group_arn
    elb = sessions.client("elbv2", WEST)
    elb.deregister_targets(TargetGroupArn=tg, Targets=[{"Id": in_service[0]}])
    targets = elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
    old = [t for t in targets if t["Target"]["Id"] not in in_service]
    elb.deregister_targets(TargetGroupArn=tg, Targets=[{"Id": old[0]["Target"]["Id"]}])
    healthy = [
        t
        for t in elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
        if t["TargetHealth"]["State"] == "healthy"
    ]
    assert (len(in_service), len(healthy)) == (4, 6)

    step = verify_step(world, mode="health-check", groups=((name, 4),))
    evacuate(sessions, loaded, EAST, True)
    with pytest.raises(StepFailed) as failed:
        run_verify(context(loaded, sessions), step)
    assert f"{name}: 3/4 in-service instances healthy" in failed.value.message
    assert "3 other healthy target(s) not counted" in failed.value.message

    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": in_service[0]}])
    outcome = run_verify(context(loaded, sessions), step)
    assert outcome.status == "complete"


def test_records_mode_passes_when_only_the_activated_region_is_answerable(world, loaded, sessions, checks) -> None:
    route_to_west(sessions, world, checks)
    evacuate(sessions, loaded, EAST, True)  # east's health check fails: its SECONDARY cannot be answered
    assert run_verify(context(loaded, sessions), verify_step(world)).status == "complete"


def test_records_mode_passes_when_the_demoted_record_is_gone(world, loaded, sessions, checks) -> None:
    route_to_west(sessions, world, {WEST: checks[WEST]}, drop_east=True)
    assert run_verify(context(loaded, sessions), verify_step(world)).status == "complete"


def test_a_demoted_record_with_a_healthy_check_fails_verify(world, loaded, sessions, checks) -> None:
    route_to_west(sessions, world, checks)
    with pytest.raises(StepFailed) as failed:
        run_verify(context(loaded, sessions), verify_step(world))
    message = failed.value.message
    for name in world.manifest.dns.record_fqdns:
        assert f"{name}. (failover SECONDARY, {EAST}): its health check {checks[EAST]} is healthy" in message


def test_a_demoted_record_without_a_health_check_fails_verify(world, loaded, sessions, checks) -> None:
    route_to_west(sessions, world, {WEST: checks[WEST]})
    with pytest.raises(StepFailed) as failed:
        run_verify(context(loaded, sessions), verify_step(world))
    assert "has no health check: Route53 can still answer with it" in failed.value.message


def test_an_unhealthy_activated_region_fails_verify(world, loaded, sessions, checks) -> None:
    route_to_west(sessions, world, checks)
    evacuate(sessions, loaded, EAST, True)
    evacuate(sessions, loaded, WEST, True)
    with pytest.raises(StepFailed) as failed:
        run_verify(context(loaded, sessions), verify_step(world))
    assert f"({WEST}): its health check {checks[WEST]} is unhealthy" in failed.value.message


def test_health_check_mode_reads_the_switches_health_from_route53(world, loaded, sessions, checks) -> None:
    step = verify_step(world, mode="health-check")
    evacuate(sessions, loaded, EAST, True)
    assert run_verify(context(loaded, sessions), step).status == "complete"

    # The alarm says east is evacuated, but Route53 answers for east all the same (its check is disabled):
    # clients can still be sent there, and verify says so.
    r53 = sessions.client("route53", ROUTE53_REGION)
    r53.update_health_check(HealthCheckId=checks[EAST], Disabled=True)
    with pytest.raises(StepFailed) as failed:
        run_verify(context(loaded, sessions), step)
    assert f"{EAST}'s switch health check {checks[EAST]} is not unhealthy" in failed.value.message

    r53.update_health_check(HealthCheckId=checks[EAST], Disabled=False)
    r53.update_health_check(HealthCheckId=checks[WEST], Inverted=True)  # west's own check now fails
    with pytest.raises(StepFailed) as failed:
        run_verify(context(loaded, sessions), step)
    assert f"{WEST}'s switch health check {checks[WEST]} is not healthy" in failed.value.message
