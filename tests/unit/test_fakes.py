"""The small named fakes the tests rely on behave as documented."""

import time

from tests.fakes.clock import FakeClock, PacedClock


def test_fake_clock_moves_only_when_asked() -> None:
    clock = FakeClock(100.0)
    assert clock.now() == 100.0
    clock.sleep(2.5)
    clock.advance(1)
    assert clock.now() == 103.5
    assert clock.sleeps == [2.5]


def test_paced_clock_lets_1_200th_of_a_sleep_pass_for_real_at_most_50_ms() -> None:
    clock = PacedClock(100.0)
    started = time.monotonic()
    clock.sleep(4.0)  # 20 ms real
    short = time.monotonic() - started
    clock.sleep(600.0)  # capped: 50 ms real
    long = time.monotonic() - started - short
    assert clock.now() == 704.0 and clock.sleeps == [4.0, 600.0]
    assert 0.02 <= short < 0.5 and 0.05 <= long < 0.5
