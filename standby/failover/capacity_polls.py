"""Shared capacity readings for the wait-healthy steps of one region: one describe of every group still waited on
per round, instead of one per group.

Each WaitHealthy step keeps its own wait (deadline, backoff); its probe asks this region's ``CapacityPolls`` for a
reading of its group. A reading answers an ask only if its round took its snapshot of the groups after the ask,
so a step never judges from a state read before it asked. One asking step runs the round for all of them
(``probes.check_capacities``: the groups 50 names a call, target health only of groups already in service), the
others wait for its result; rounds start at least ``interval`` apart, so that the describes of a round are shared
by every step asking meanwhile. The judgement is ``probes``' (AWS state only), the same as a single check's.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from standby import judgements as j
from standby import probes
from standby.clock import Clock

ROUND_INTERVAL_SECONDS = 2.0  # the waits' first backoff: rounds closer than this would share nothing
# How long a round waits after the ask that starts it before it takes its snapshot: the waits poll at the same
# moments (``waits.next_poll_at`` from ``origin``), and their asks, a few milliseconds apart, join one round.
GATHER_SECONDS = 0.1


@dataclass(frozen=True)
class _Round:
    number: int  # rounds are numbered in the order they took their snapshot
    readings: dict[probes.CapacityWanted, j.Readiness] = field(default_factory=dict)
    error: BaseException | None = None


class CapacityPolls:
    """The rounds of one region's capacity readings, shared by every step waiting on a group there."""

    def __init__(
        self, asg: Any, elb: Any, clock: Clock, interval: float = ROUND_INTERVAL_SECONDS, gather: float = GATHER_SECONDS
    ) -> None:
        self._asg, self._elb, self._clock, self._interval, self._gather = asg, elb, clock, interval, gather
        self.origin = clock.now()  # where the schedule of every wait on these readings starts
        self._changed = threading.Condition()
        self._waited: Counter[probes.CapacityWanted] = Counter()  # what the asking steps wait on
        self._snapshots = 0  # rounds that took their snapshot of what is waited on
        self._running = False
        self._last: _Round | None = None
        self._last_started: float | None = None

    def readiness(self, group: str, target_group_arn: str | None, desired: int) -> j.Readiness:
        """The group's readiness from a round whose snapshot was taken after this call began (waiting for it, or
        running it); an AWS error of that round is raised here."""
        wanted = (group, target_group_arn, desired)
        lead = False
        with self._changed:
            self._waited[wanted] += 1
            asked = self._snapshots
            try:
                while self._last is None or self._last.number <= asked:
                    if not self._running:
                        self._running = lead = True
                        break
                    self._changed.wait()
            finally:
                if not lead:
                    self._forget(wanted)
            answer = self._last
        if lead:
            try:
                answer = self._run_round()
            finally:
                with self._changed:
                    self._forget(wanted)
        assert answer is not None
        return self._answer(answer, wanted)

    def _forget(self, wanted: probes.CapacityWanted) -> None:
        self._waited[wanted] -= 1
        if self._waited[wanted] <= 0:
            del self._waited[wanted]

    def _run_round(self) -> _Round:
        done = _Round(number=-1, error=RuntimeError("capacity round did not run"))
        try:
            due = self._clock.now() + self._gather  # the asks of the same moment join this round
            if self._last_started is not None:
                due = max(due, self._last_started + self._interval)
            self._clock.sleep(max(0.0, due - self._clock.now()))
            with self._changed:
                self._snapshots += 1
                number, snapshot = self._snapshots, list(self._waited)
            self._last_started = self._clock.now()
            try:
                done = _Round(number, probes.check_capacities(self._asg, self._elb, snapshot))
            except probes.AWS_ERRORS as err:  # every step reading this round fails with AWS's answer
                done = _Round(number, error=err)
        finally:
            with self._changed:
                self._last = done if done.number > 0 else self._last
                self._running = False
                self._changed.notify_all()
        return done

    @staticmethod
    def _answer(done: _Round, wanted: probes.CapacityWanted) -> j.Readiness:
        if done.error is not None:
            raise done.error
        return done.readings[wanted]
