"""Data-plane traffic moves: the failover flips a traffic switch (a CloudWatch alarm in the standby region
that the primary's Route53 health check follows) and makes no Route53 call at all."""

from __future__ import annotations

import time

from standby.aws.session import SessionFactory
from standby.failover.controller import Controller
from standby.state import RegionStates
from standby.traffic_switch import ensure_switches, is_evacuated, switches
from tests.fakes.aws_faults import CallRecorder, RegionOutage, combine
from tests.fakes.clock import FakeClock

EAST, WEST = "us-east-1", "us-west-2"


def health_check_mode(loaded):
    failover = loaded.config.failover.model_copy(update={"traffic_mode": "health-check"})
    return loaded.model_copy(update={"config": loaded.config.model_copy(update={"failover": failover})})


def test_switches_are_created_once(world, loaded, sessions) -> None:
    config = health_check_mode(loaded).config
    first = ensure_switches(sessions, config)
    again = ensure_switches(sessions, config)
    assert first == again and set(first) == {EAST, WEST}
    checks = sessions.client("route53", EAST).list_health_checks()["HealthChecks"]
    assert sum(1 for c in checks if c["CallerReference"].startswith("standby-webapp-evacuate-")) == 2
    east = switches(config)[EAST]
    assert (east.alarm_region, east.alarm_name) == (WEST, "standby-webapp-evacuate-us-east-1")


def test_failover_in_health_check_mode_makes_no_route53_call(world, loaded, target, sessions) -> None:
    loaded = health_check_mode(loaded)
    ensure_switches(sessions, loaded.config)
    recorder = CallRecorder()
    clock = FakeClock(time.time())
    factory = SessionFactory(target=target, on_client=combine(recorder, RegionOutage([EAST])))
    ctl = Controller(loaded, factory, RegionStates.of(loaded, factory), clock=clock)
    planned = ctl.plan("failover")
    assert planned.plan.step("shift-traffic").intent.startswith("evacuate us-east-1 with its traffic switch")
    journal = ctl.execute(planned)

    assert journal.status == "complete", {k: (s.status, s.error) for k, s in journal.steps.items()}
    # Only verify's best-effort reads of the switches' health checks go to Route53; unanswered, it judges the alarms.
    assert {c[2] for c in recorder.calls if c[1] == "route53"} <= {"ListHealthChecks", "GetHealthCheckStatus"}
    assert "Route53 health checks unreadable" in journal.steps["verify"].detail
    assert journal.steps["shift-traffic"].detail.startswith("us-east-1 evacuated")
    assert is_evacuated(sessions, switches(loaded.config)[EAST]) is True
    alarms = sessions.client("cloudwatch", WEST).describe_alarms(AlarmNames=["standby-webapp-evacuate-us-east-1"])
    assert alarms["MetricAlarms"][0]["StateValue"] == "ALARM"

    fresh = SessionFactory(target=target)
    again = Controller(loaded, fresh, RegionStates.of(loaded, fresh), clock=clock).plan("failover")
    assert again.plan.step("shift-traffic").nochange
