"""Semantic waits: backoff on a fake clock, a deadline, never a tight loop."""

from __future__ import annotations

import pytest

from standby.errors import StepFailed
from standby.failover.waits import JITTER, next_poll_at, poll_interval, wait_until
from tests.fakes.clock import FakeClock


def test_returns_as_soon_as_the_probe_answers() -> None:
    clock = FakeClock()
    answers = iter([None, None, "ready"])
    assert wait_until(lambda: next(answers), what="x", timeout=60, clock=clock) == "ready"
    assert len(clock.sleeps) == 2


def test_backs_off_with_jitter_and_a_cap() -> None:
    clock = FakeClock()
    with pytest.raises(StepFailed, match="timed out after 600s waiting for capacity"):
        wait_until(lambda: None, what="capacity", timeout=600, clock=clock, first_wait=2, max_wait=30)
    assert all(0 <= s <= 30 for s in clock.sleeps)
    assert 10 <= len(clock.sleeps) <= 400  # neither a tight loop nor a single long sleep
    assert clock.now() - 1_800_000_000.0 >= 600


def test_the_interval_follows_the_time_waited_within_its_bounds() -> None:
    assert poll_interval(0, first_wait=2, max_wait=30) == 2
    assert poll_interval(100, first_wait=2, max_wait=30) == 2
    assert poll_interval(300, first_wait=2, max_wait=30) == pytest.approx(6)
    assert poll_interval(200, first_wait=5, max_wait=60) == 5
    assert poll_interval(10_000, first_wait=2, max_wait=30) == 30
    assert poll_interval(300, first_wait=2, max_wait=30, draw=0.0) == pytest.approx(6 * (1 - JITTER))


@pytest.mark.parametrize("ready_at", [7.0, 121.0, 300.0, 333.3])
def test_a_state_reached_is_seen_within_two_seconds_or_two_percent(ready_at: float) -> None:
    clock = FakeClock()
    started = clock.now()
    seen = wait_until(
        lambda: clock.now() if clock.now() - started >= ready_at else None, what="x", timeout=900, clock=clock
    )
    overshoot = seen - started - ready_at
    assert 0 <= overshoot <= max(2.0, 0.02 * ready_at) + 1e-9
    assert len(clock.sleeps) <= ready_at / (2.0 * (1 - JITTER)) + 1  # never a tight loop


def _seen_after(ready_at: float, **kwargs: float) -> tuple[float, int]:
    clock = FakeClock()
    started = clock.now()
    seen = wait_until(
        lambda: clock.now() if clock.now() - started >= ready_at else None, what="x", timeout=900, clock=clock, **kwargs
    )
    return seen - started - ready_at, len(clock.sleeps)


@pytest.mark.parametrize(("ready_at", "expected"), [(120.0, 120.0), (131.0, 120.0), (300.0, 300.0), (400.0, 300.0)])
def test_an_expected_duration_saves_polls_and_is_never_later(ready_at: float, expected: float) -> None:
    overshoot, polls = _seen_after(ready_at, expected=expected)
    _, polls_without = _seen_after(ready_at)
    assert 0 <= overshoot <= max(2.0, 0.02 * ready_at) + 1e-9
    assert polls < polls_without
    if ready_at == expected:
        assert polls <= 16


def test_a_state_reached_well_before_the_expected_time_costs_at_most_max_wait() -> None:
    overshoot, _ = _seen_after(30.0, expected=600.0, max_wait=60.0)
    assert overshoot <= 60.0  # the remainder's share (450 s) is capped: AWS faster than expected is seen soon


def test_until_the_expected_time_the_interval_is_a_share_of_the_remainder_never_past_max_wait() -> None:
    assert poll_interval(0, first_wait=2, max_wait=30, expected=600) == 30  # CLOSE_IN of 600 s, capped
    assert poll_interval(100, first_wait=2, max_wait=30, expected=120) == 15
    assert poll_interval(119, first_wait=2, max_wait=30, expected=120) == 2.0  # around the expected time: fine
    assert poll_interval(298.5, first_wait=5, max_wait=60, expected=300) == 2.0
    assert poll_interval(316, first_wait=5, max_wait=60, expected=300) == pytest.approx(6.32)  # past it: 2 %
    assert poll_interval(10_000, first_wait=5, max_wait=60, expected=300) == 60


@pytest.mark.parametrize(
    ("expected", "first_wait", "max_wait", "most"), [(120, 2, 30, 7), (300, 5, 60, 9), (30, 2, 10, 6)]
)
def test_a_state_reached_when_expected_takes_a_few_polls(
    expected: float, first_wait: float, max_wait: float, most: int
) -> None:
    """The schedules of the failover's waits (healthy, promotion, DNS): the state is seen within max(2 s, 2 %) in
    a handful of polls (half the remainder, capped at max_wait, took 9, 11 and 6 without jitter; three quarters,
    capped the same, 7, 9 and 6)."""
    schedule = {"first_wait": first_wait, "max_wait": max_wait, "expected": expected}
    points, now = [], 0.0
    while now < expected + 0.1:
        now = next_poll_at(0.0, now, **schedule)
        points.append(now)
    assert now - expected - 0.1 <= max(2.0, 0.02 * expected)
    assert len(points) + 1 <= most  # the poll at once, then these


def test_waits_sharing_an_origin_poll_at_the_same_moments() -> None:
    schedule = {"first_wait": 2.0, "max_wait": 30.0, "expected": 120.0}
    points = [next_poll_at(0.0, t, **schedule) for t in (0.0, 0.4, 0.9)]
    assert points == [30.0, 30.0, 30.0]  # three waits that started apart ask together
    assert next_poll_at(0.0, 30.0, **schedule) == 60.0
    assert next_poll_at(0.0, 90.0, **schedule) == 112.5  # three quarters of the 30 s expected to remain
    assert 119.0 < next_poll_at(0.0, 119.0, **schedule) <= 119.0 + 0.02 * 121.0


def test_a_pending_wait_makes_its_first_poll_at_the_first_point_of_its_schedule() -> None:
    clock = FakeClock()
    started = clock.now()
    polled: list[float] = []

    def probe() -> float | None:
        polled.append(clock.now() - started)
        return clock.now() if clock.now() - started >= 300.0 else None

    seen = wait_until(probe, what="x", timeout=900, clock=clock, first_wait=5, max_wait=60, expected=300, pending=True)
    assert 60 * (1 - JITTER) <= polled[0] <= 60  # not at once: after the first interval (max_wait)
    assert seen - started - 300.0 <= 2.0
    assert len(polled) <= 10


def test_a_pending_wait_with_an_origin_polls_at_the_schedule_shared_with_the_others() -> None:
    clock = FakeClock()
    origin = clock.now()
    clock.sleep(0.7)
    polled: list[float] = []

    def probe() -> bool | None:
        polled.append(clock.now() - origin)
        return True if clock.now() - origin >= 120.0 else None

    wait_until(probe, what="x", timeout=900, clock=clock, expected=120.0, origin=origin, pending=True)
    assert polled[:5] == [30.0, 60.0, 90.0, 112.5, 118.125]
    assert polled[-1] - 120.0 <= 2.0


def test_a_wait_not_pending_polls_at_once() -> None:
    clock = FakeClock()
    started = clock.now()
    polled: list[float] = []
    wait_until(lambda: polled.append(clock.now() - started) or True, what="x", timeout=60, clock=clock, expected=300)
    assert polled == [0.0] and clock.sleeps == []


def test_a_pending_wait_never_sleeps_past_its_timeout_before_the_first_poll() -> None:
    clock = FakeClock()
    with pytest.raises(StepFailed, match="timed out after 10s"):
        wait_until(lambda: None, what="x", timeout=10, clock=clock, expected=300, pending=True)
    assert clock.sleeps[0] == 10


def test_a_wait_with_an_origin_sees_the_state_within_the_bound() -> None:
    clock = FakeClock()
    origin = clock.now()
    clock.sleep(0.7)  # this wait starts after the first one
    started = clock.now()
    seen = wait_until(
        lambda: clock.now() if clock.now() - origin >= 121.0 else None,
        what="x",
        timeout=900,
        clock=clock,
        expected=120.0,
        origin=origin,
    )
    assert seen - origin - 121.0 <= max(2.0, 0.02 * 121.0)
    assert len(clock.sleeps) - 1 <= 12 and started > origin
