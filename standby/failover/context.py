"""What every step handler shares: its context, its outcome, and the best-effort run of a step that goes to the
demoted region (time-boxed, never waited on beyond its budget)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from standby import judgements as j
from standby.aws import autoscaling
from standby.aws.budget import Budget, BudgetSpent
from standby.aws.session import SessionFactory
from standby.batching import Coalescer
from standby.clock import Clock
from standby.config.schema import Capacity, Config
from standby.errors import StepFailed
from standby.failover.capacity_polls import CapacityPolls
from standby.state import Notes, RegionStates

AWS_ERRORS = (ClientError, BotoCoreError)
# How long the first of the steps describing their groups at once waits for the others' asks (steps started by the
# executor a moment apart): they then share a batch of 50 names instead of going one or two a call.
DESCRIBE_GATHER_SECONDS = 0.05
# Pauses of that length the first of them takes at most while more keep asking (steps the executor starts one after
# another over a second): one describe of 50 names, and one notes write, instead of several small ones.
GATHER_ROUNDS = 20


@dataclass(frozen=True)
class Outcome:
    status: str  # complete | skipped
    detail: str = ""
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)


NOCHANGE = "nochange"

# (region to re-seed, region of the primary, run id) -> the outcome (or its detail), None: nochange
Reseeder = Callable[[str, str, str], Outcome | str | None]


@dataclass
class StepContext:
    config: Config
    sessions: SessionFactory  # the activated region, and Route53
    demote_sessions: SessionFactory  # the other region: fast-failing clients
    states: RegionStates  # standby's records in each region
    clock: Clock
    run_id: str
    reseed: Reseeder | None = None
    _capacity_polls: dict[str, CapacityPolls] = field(default_factory=dict, repr=False)
    _polls_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _group_reads: dict[str, Coalescer[str, autoscaling.GroupState | None]] = field(default_factory=dict, repr=False)
    _scaled_out: dict[tuple[str, str], int] = field(default_factory=dict, repr=False)  # (region, group) -> desired
    _prior_notes: dict[str, Coalescer[tuple[str, dict[str, Any]], None]] = field(default_factory=dict, repr=False)

    def note_prior_capacity(self, region: str, group: str, capacity: dict[str, Any]) -> None:
        """Note ``group``'s capacity before this run scales it out (kept if one is noted already), returning once
        written: the steps noting at the same time share one write of the region's notes."""
        with self._polls_lock:
            writes = self._prior_notes.get(region)
            if writes is None:
                gather = partial(self.clock.sleep, DESCRIBE_GATHER_SECONDS)
                writes = self._prior_notes[region] = Coalescer(
                    lambda asked: _keep_first(self.notes(region), asked), gather, rounds=GATHER_ROUNDS
                )
        writes.submit((group, capacity))

    def note_scaled_out(self, region: str, group: str, desired: int) -> None:
        """This run raised ``group``'s desired capacity to ``desired`` (AWS's describe after the call said so)."""
        with self._polls_lock:
            self._scaled_out[(region, group)] = desired

    def scaled_out(self, region: str, group: str, desired: int) -> bool:
        """Whether this run raised ``group`` to ``desired`` (so its new instances are still launching): a wait on
        it needs no reading at once. False after a resume: nothing of an earlier process is assumed."""
        with self._polls_lock:
            return self._scaled_out.get((region, group)) == desired

    def capacity_polls(self, region: str) -> CapacityPolls:
        """The capacity readings shared by this run's wait-healthy steps in ``region`` (one describe per round)."""
        with self._polls_lock:
            if region not in self._capacity_polls:
                asg, elb = self.sessions.client("autoscaling", region), self.sessions.client("elbv2", region)
                self._capacity_polls[region] = CapacityPolls(asg, elb, self.clock)
            return self._capacity_polls[region]

    def describe_group(self, region: str, name: str) -> autoscaling.GroupState:
        """The group as AWS describes it now (StepFailed when there is none): the steps asking at the same time
        share the describes, 50 groups a call (``standby.batching``)."""
        with self._polls_lock:
            reads = self._group_reads.get(region)
            if reads is None:
                client = self.sessions.client("autoscaling", region)
                gather = partial(self.clock.sleep, DESCRIBE_GATHER_SECONDS)
                reads = self._group_reads[region] = Coalescer(
                    lambda names: _describe_each(client, names),
                    gather,
                    rounds=GATHER_ROUNDS,
                    fill=autoscaling.NAMES_PER_DESCRIBE,
                )
        found = reads.submit(name)
        if found is None:
            raise StepFailed(f"auto scaling group {name} not found")
        return found

    def notes(self, region: str) -> Notes:
        return self.states[region].notes()

    def regions(self, first: str) -> tuple[str, ...]:
        return (first, *[r for r in self.states if r != first])


def capacity_dict(c: Capacity | None) -> dict[str, int]:
    return c.model_dump() if c is not None else {}


def _keep_first(notes: Notes, asked: Sequence[tuple[str, dict[str, Any]]]) -> list[None]:
    notes.keep_first("asg", {group: {j.PRIOR_CAPACITY: capacity} for group, capacity in asked})
    return [None] * len(asked)


def _describe_each(client: Any, names: Sequence[str]) -> list[autoscaling.GroupState | None]:
    found = {g.name: g for g in autoscaling.describe_groups(client, list(names))}
    return [found.get(name) for name in names]


S = TypeVar("S")


def best_effort(
    ctx: StepContext, step: S, seconds: float, what: str, act: Callable[[StepContext, S], Outcome]
) -> Outcome:
    """Run ``act`` within ``seconds`` (``what`` names it in the budget's error); a region that does not answer in
    time, or refuses, makes the step skipped, never failed."""
    try:
        return Budget(seconds, what).run(act, ctx, step)
    except BudgetSpent:
        return Outcome("skipped", f"no answer within {seconds:.0f}s (best effort)")
    except AWS_ERRORS as err:
        return Outcome("skipped", f"region unreachable or refused: {str(err).splitlines()[0][:160]}")
