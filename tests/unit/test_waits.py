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


def test_a_state_reached_well_before_the_expected_time_costs_at_most_half_the_remainder() -> None:
    overshoot, _ = _seen_after(30.0, expected=120.0, max_wait=60.0)
    assert overshoot <= (120.0 - 0.0) / 2  # polled at 0 then about 45-60 s: late, but bounded


def test_the_expectation_never_stretches_an_interval_past_max_wait() -> None:
    assert poll_interval(0, first_wait=2, max_wait=30, expected=600) == 30
    assert poll_interval(100, first_wait=2, max_wait=30, expected=120) == 10
    assert poll_interval(119, first_wait=2, max_wait=30, expected=120) == 2.0  # around the expected time: fine
    assert poll_interval(297, first_wait=5, max_wait=60, expected=300) == 2.0
    assert poll_interval(316, first_wait=5, max_wait=60, expected=300) == pytest.approx(6.32)  # past it: 2 %


def test_waits_sharing_an_origin_poll_at_the_same_moments() -> None:
    schedule = {"first_wait": 2.0, "max_wait": 30.0, "expected": 120.0}
    points = [next_poll_at(0.0, t, **schedule) for t in (0.0, 0.4, 0.9)]
    assert points == [30.0, 30.0, 30.0]  # three waits that started apart ask together
    assert next_poll_at(0.0, 30.0, **schedule) == 60.0
    assert 119.0 < next_poll_at(0.0, 119.0, **schedule) <= 119.0 + 0.02 * 121.0


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
