"""Requests made at the same time, answered by one batch: a group commit.

Many steps run at once and each wants the same kind of call for its own resource (describe my group, note my
group's capacity). A ``Coalescer`` queues each request; one of the waiting callers (the leader) takes everything
queued so far and runs it as one batch (``run_batch``), the others wait for its answer. Requests queued while a
batch runs go in the next one. A batch always starts after every request it answers was made, so an answer is
never older than its question. An error of a batch is raised to every caller it answers.

``gather`` (optional) runs on the leader before it takes the queue: a short pause in which the requests of steps
started a moment later join the same batch instead of the next one. With ``rounds`` above 1, the leader pauses
again while requests keep coming (each pause brought some), up to ``rounds`` pauses or until the batch holds
``fill`` requests: steps started one after another over a second join one batch, and one arriving alone waits a
single pause.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class _Slot(Generic[T, R]):
    __slots__ = ("done", "error", "item", "result")

    def __init__(self, item: T) -> None:
        self.item = item
        self.done = False
        self.result: R | None = None
        self.error: BaseException | None = None


class Coalescer(Generic[T, R]):
    """Answers ``submit(item)`` calls from concurrent threads with batches: ``run_batch(items)`` returns one answer
    per item, in order. The batch runs on the leader's thread (its context: budgets, credentials, apply)."""

    def __init__(
        self,
        run_batch: Callable[[Sequence[T]], Sequence[R]],
        gather: Callable[[], None] | None = None,
        *,
        rounds: int = 1,
        fill: int | None = None,
    ) -> None:
        self._run_batch = run_batch
        self._gather = gather
        self._rounds = max(1, rounds)
        self._fill = fill
        self._changed = threading.Condition()
        self._queued: list[_Slot[T, R]] = []
        self._running = False
        self.batches = 0  # how many batches ran (for tests and figures)

    def submit(self, item: T) -> R:
        slot: _Slot[T, R] = _Slot(item)
        with self._changed:
            self._queued.append(slot)
            while not slot.done and self._running:
                self._changed.wait()
            if slot.done:
                return self._answer(slot)
            self._running = True
            batch, self._queued = self._queued, []
        try:
            if self._gather is not None:
                batch = self._gathered(batch, slot)
            self._run(batch)
        finally:
            with self._changed:
                self._running = False
                self._changed.notify_all()
        return self._answer(slot)

    def _gathered(self, batch: list[_Slot[T, R]], own: _Slot[T, R]) -> list[_Slot[T, R]]:
        """``batch`` and the requests queued while ``gather`` ran (again while each pause brought some, up to
        ``rounds`` pauses or ``fill`` requests). Should it raise, they go back in the queue for the next leader,
        and the leader's own request is dropped (its caller gets the error)."""
        assert self._gather is not None
        for _ in range(self._rounds):
            try:
                self._gather()
            except BaseException:
                with self._changed:
                    self._queued = [s for s in batch if s is not own] + self._queued
                raise
            with self._changed:
                later, self._queued = self._queued, []
            batch = batch + later
            if not later or (self._fill is not None and len(batch) >= self._fill):
                break
        return batch

    def _run(self, batch: list[_Slot[T, R]]) -> None:
        try:
            answers = list(self._run_batch([s.item for s in batch]))
            if len(answers) != len(batch):
                raise RuntimeError(f"a batch of {len(batch)} answered {len(answers)}")
        except BaseException as err:  # noqa: BLE001 - every caller of the batch gets it
            for s in batch:
                s.error, s.done = err, True
            self.batches += 1
            return
        for s, answer in zip(batch, answers, strict=True):
            s.result, s.done = answer, True
        self.batches += 1

    @staticmethod
    def _answer(slot: _Slot[T, R]) -> R:
        if slot.error is not None:
            raise slot.error
        return slot.result  # type: ignore[return-value]
