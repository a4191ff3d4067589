"""Semantic waits: backoff on a fake clock, a deadline, never a tight loop."""

from __future__ import annotations

import pytest

from standby.errors import StepFailed
from standby.failover.waits import wait_until
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
