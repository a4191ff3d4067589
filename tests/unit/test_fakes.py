"""The small named fakes the tests rely on behave as documented."""

from tests.fakes.clock import FakeClock


def test_fake_clock_moves_only_when_asked() -> None:
    clock = FakeClock(100.0)
    assert clock.now() == 100.0
    clock.sleep(2.5)
    clock.advance(1)
    assert clock.now() == 103.5
    assert clock.sleeps == [2.5]
