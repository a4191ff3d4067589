"""Semantic waits with a deadline: jittered exponential backoff, a log line per retry, an injectable clock.

Throttling is botocore's job (standard retry mode); these waits are for states that take time to reach
(instances InService, a change INSYNC, a database promoted). They never poll in a tight loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_result, wait_random_exponential

from standby.clock import Clock
from standby.errors import StepFailed

T = TypeVar("T")
log = logging.getLogger(__name__)


def wait_until(
    probe: Callable[[], T | None],
    *,
    what: str,
    timeout: float,
    clock: Clock,
    first_wait: float = 2.0,
    max_wait: float = 30.0,
) -> T:
    """Call ``probe`` until it returns something other than None, or raise StepFailed at the deadline."""
    started = clock.now()

    def past_deadline(state: RetryCallState) -> bool:
        return clock.now() - started >= timeout

    def note(state: RetryCallState) -> None:
        log.info("waiting for %s (attempt %d, %.0fs elapsed)", what, state.attempt_number, clock.now() - started)

    retrying = Retrying(
        retry=retry_if_result(lambda value: value is None),
        stop=past_deadline,
        wait=wait_random_exponential(multiplier=first_wait, max=max_wait),
        sleep=clock.sleep,
        before_sleep=note,
        retry_error_callback=lambda state: None,
        reraise=True,
    )
    result = retrying(probe)
    if result is None:
        raise StepFailed(
            f"timed out after {timeout:.0f}s waiting for {what}",
            hint="the step is safe to re-run: `standby failover --resume RUN_ID` continues from here",
        )
    return result
