"""Semantic waits with a deadline: a poll interval that grows with the time waited, a log line per retry, an
injectable clock.

Throttling is botocore's job (standard retry mode); these waits are for states that take time to reach
(instances InService, a change INSYNC, a database promoted). They never poll in a tight loop, and never sleep long
past the moment the state is reached: the interval is ``OVERSHOOT_RATIO`` of the time waited so far, at least
``first_wait`` and at most ``max_wait`` (slightly jittered below that, so that waits started together drift
apart). A wait that ends after ``t`` seconds has therefore overshot by at most max(``first_wait``, 2 % of ``t``):
a promotion of 300 s is seen at most 6 s late, where doubling backoff could see it 30 s late. A wait whose state
is known not reached yet (a request just accepted, which AWS takes minutes to carry out) makes its first poll at
the first point of its schedule, not at once.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_result

from standby.clock import Clock
from standby.errors import StepFailed

T = TypeVar("T")
log = logging.getLogger(__name__)

OVERSHOOT_RATIO = 0.02  # the poll interval, as a share of the time waited so far
JITTER = 0.2  # an interval is drawn from [1 - JITTER, 1] of its nominal value
# With an expected duration: the interval around it (at most), and how far past it (a share of it) it lasts.
FINE_WAIT = 2.0
EXPECTED_GRACE = 0.05
CLOSE_IN = 0.75  # until then, the interval as a share of the time expected to remain


def poll_interval(
    waited: float, *, first_wait: float, max_wait: float, expected: float | None = None, draw: float = 1.0
) -> float:
    """The sleep before the next poll after ``waited`` seconds: ``OVERSHOOT_RATIO`` of it, within
    [``first_wait``, ``max_wait``], times a ``draw`` in [1 - ``JITTER``, 1].

    With an ``expected`` duration (how long the state usually takes to reach, as measured by drills): until
    then, ``CLOSE_IN`` of the time expected to remain, at most ``max_wait``, so the polls close in on it in a
    few steps (a wait of 300 s with ``max_wait`` 60 polls at about 60, 120, 180, 240, 285, 296 and 299 s); from
    ``FINE_WAIT`` before it to ``EXPECTED_GRACE`` past it, every ``FINE_WAIT`` (or ``first_wait`` if shorter);
    then as without. A state reached when expected, or later, is seen within max(2 s, 2 %); reached earlier, at
    most ``max_wait`` late: AWS finishing sooner than the drills measured must not cost the RTO more than that."""
    nominal = min(max_wait, max(first_wait, OVERSHOOT_RATIO * waited))
    if expected is not None:
        fine = min(first_wait, FINE_WAIT)
        if waited < expected - fine:
            nominal = min(max_wait, max(fine, CLOSE_IN * (expected - waited)))
        elif waited < expected * (1 + EXPECTED_GRACE):
            nominal = fine
    return nominal * min(1.0, max(1.0 - JITTER, draw))


def next_poll_at(origin: float, now: float, *, first_wait: float, max_wait: float, expected: float | None) -> float:
    """The first point after ``now`` of the schedule that starts at ``origin`` and steps by ``poll_interval``
    (unjittered): waits that share an origin poll at the same moments, so one shared reading answers them all."""
    point = origin
    while point <= now:
        point += poll_interval(point - origin, first_wait=first_wait, max_wait=max_wait, expected=expected)
    return point


def wait_until(
    probe: Callable[[], T | None],
    *,
    what: str,
    timeout: float,
    clock: Clock,
    first_wait: float = 2.0,
    max_wait: float = 30.0,
    expected: float | None = None,
    origin: float | None = None,
    pending: bool = False,
) -> T:
    """Call ``probe`` until it returns something other than None, or raise StepFailed at the deadline; the polls
    follow ``poll_interval`` (``expected``: how long the state usually takes, None when unknown), jittered, or,
    given an ``origin`` shared with other waits (their readings shared too), at the points of its schedule
    (``next_poll_at``; ``expected`` then counts from the origin). ``pending``: the state is known not reached
    now (its request was just accepted and takes AWS longer than the schedule's first interval), so the first
    poll is at the schedule's first point instead of at once; the judgement stays the probe's."""
    started = clock.now()

    def next_sleep() -> float:
        now = clock.now()
        if origin is not None:
            return next_poll_at(origin, now, first_wait=first_wait, max_wait=max_wait, expected=expected) - now
        draw = random.uniform(1.0 - JITTER, 1.0)  # noqa: S311 - jitter
        return poll_interval(now - started, first_wait=first_wait, max_wait=max_wait, expected=expected, draw=draw)

    def past_deadline(state: RetryCallState) -> bool:
        return clock.now() - started >= timeout

    def note(state: RetryCallState) -> None:
        log.info("waiting for %s (attempt %d, %.0fs elapsed)", what, state.attempt_number, clock.now() - started)

    retrying = Retrying(
        retry=retry_if_result(lambda value: value is None),
        stop=past_deadline,
        wait=lambda state: next_sleep(),
        sleep=clock.sleep,
        before_sleep=note,
        retry_error_callback=lambda state: None,
        reraise=True,
    )
    if pending:
        clock.sleep(min(timeout, max(0.0, next_sleep())))
    result = retrying(probe)
    if result is None:
        raise StepFailed(
            f"timed out after {timeout:.0f}s waiting for {what}",
            hint="the step is safe to re-run: `standby failover --resume RUN_ID` continues from here",
        )
    return result
