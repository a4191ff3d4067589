"""Tables for what verify judges clients get: health-check verdicts, the demoted region's eligibility, and healthy
targets counted against the instances in service."""

from __future__ import annotations

from typing import Any

import pytest

from standby import judgements as j
from standby.aws.route53 import Record

EAST, WEST = "us-east-1", "us-west-2"
WWW = "www.webapp.example.internal."


def record(
    region: str, *, failover: str | None = "SECONDARY", weight: int | None = None, hc: str | None = None
) -> Record:
    raw: dict[str, Any] = {"Name": WWW, "Type": "CNAME", "SetIdentifier": region}
    return Record(WWW, "CNAME", region, failover, weight, 60, (f"lb-{region}",), None, hc, raw)


@pytest.mark.parametrize(
    ("successes", "healthy"),
    [
        ([], None),  # nothing reported: unknown
        ([True], True),
        ([False], False),
        ([True, False, False, False, False], True),  # 20% > 18%
        ([True] + [False] * 5, False),  # 16.7%
        ([False, False, False], False),
    ],
)
def test_health_check_verdict(successes: list[bool], healthy: bool | None) -> None:
    assert j.health_check_healthy(successes) is healthy


@pytest.mark.parametrize(
    ("records", "health", "eligible"),
    [
        ([], {}, False),  # no record for the demoted region
        ([record(EAST, failover="PRIMARY", hc="hc-east")], {"hc-east": True}, False),  # only the activated one
        ([record(WEST)], {}, True),  # a SECONDARY with no health check is always answerable
        ([record(WEST, hc="hc-west")], {"hc-west": False}, False),
        ([record(WEST, hc="hc-west")], {"hc-west": True}, True),
        ([record(WEST, hc="hc-west")], {"hc-west": None}, True),  # unknown proves nothing
        ([record(WEST, hc="hc-west")], {}, True),  # unread proves nothing either
        ([record(WEST, failover=None, weight=0)], {}, True),  # weight 0 is still the fallback
        ([record(WEST, failover=None, weight=0, hc="hc-west")], {"hc-west": False}, False),
    ],
)
def test_demoted_region_eligibility(records: list[Record], health: dict[str, bool | None], eligible: bool) -> None:
    problems = j.demoted_eligible(records, [WWW.rstrip(".")], WEST, health)
    assert bool(problems) is eligible
    assert all(WEST in p for p in problems)


def test_demoted_eligibility_ignores_other_names() -> None:
    other = Record("api.other.", "CNAME", WEST, "SECONDARY", None, 60, ("x",), None, None, {})
    assert j.demoted_eligible([other], [WWW], WEST, {}) == []


@pytest.mark.parametrize(
    ("in_service", "targets", "desired", "counted", "ignored", "ready"),
    [
        # four in service, seven healthy targets (three left from terminated instances): only four count
        (
            ["i-1", "i-2", "i-3", "i-4"],
            [(f"i-{n}", "healthy") for n in range(1, 8)],
            4,
            4,
            3,
            True,
        ),
        # stale healthy targets never make up for unhealthy instances in service
        (
            ["i-1", "i-2", "i-3", "i-4"],
            [("i-1", "healthy"), ("i-2", "unhealthy"), ("i-3", "initial"), ("i-4", "healthy")]
            + [(f"i-old{n}", "healthy") for n in range(5)],
            4,
            2,
            5,
            False,
        ),
        (["i-1", "i-2"], [("i-1", "healthy"), ("i-1", "healthy"), ("i-2", "draining")], 2, 1, 0, False),
        ([], [("i-9", "healthy")], 1, 0, 1, False),
        (["i-1"], [("i-1", "healthy")], 0, 1, 0, True),
    ],
)
def test_healthy_targets_counted_against_instances_in_service(
    in_service: list[str], targets: list[tuple[str, str]], desired: int, counted: int, ignored: int, ready: bool
) -> None:
    count = j.healthy_in_service(in_service, targets)
    assert (count.healthy, count.ignored) == (counted, ignored)
    verdict = j.targets_ready("webapp-web", "arn:aws:elasticloadbalancing:r:1:targetgroup/web/abc", count, desired)
    assert verdict.ready is ready
    assert f"{counted}" in verdict.reason
