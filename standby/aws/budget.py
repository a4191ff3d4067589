"""A total time budget for the calls of one step to a region that may be down.

A ``Budget`` is a deadline. Work is handed to it (``submit`` / ``run``): it runs on a daemon thread, and the
caller waits for it at most until the deadline; the work is then abandoned, never joined, so it can hold up
neither the step nor the end of the process. Clients built with ``install`` (the fast-failing clients) consult
the budget of the work they run in before every attempt, so an abandoned piece of work makes no new request once
the budget is spent. Several consumers may share one budget: together they wait at most its seconds.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from botocore.exceptions import BotoCoreError

from standby.errors import StandbyError

T = TypeVar("T")
A = TypeVar("A")

_ACTIVE: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("standby_budget", default=None)
# The clock of a budget made without one: the monotonic clock, except under a benchmark whose simulated clock
# leaves out the emulator's own CPU time, which AWS would not spend against the budget.
CLOCK: Callable[[], float] = time.monotonic


class BudgetSpent(BotoCoreError, StandbyError):
    """The budget of calls to a region that may be down is spent: the region is treated as unreachable.

    A BotoCoreError too, so every caller that treats an unanswered AWS call as "unreachable" treats this alike.
    """

    fmt = "{what}: no answer within the {seconds:.1f}s budget for a region that may be down"

    def __init__(self, what: str, seconds: float) -> None:
        BotoCoreError.__init__(self, what=what, seconds=seconds)
        self.message = str(self)
        self.hint = "the region is treated as unreachable; what was skipped is done on the next run"


class Budget:
    """A deadline for the calls to a region that may be down; starts when created."""

    def __init__(self, seconds: float, what: str = "calls to a region that may be down", *, clock: Any = None) -> None:
        self.seconds = max(0.0, float(seconds))
        self.what = what
        self._clock: Callable[[], float] = clock or CLOCK
        self.deadline = self._clock() + self.seconds

    def remaining(self) -> float:
        return max(0.0, self.deadline - self._clock())

    @property
    def spent(self) -> bool:
        return self._clock() >= self.deadline

    def wait_for(self, event: threading.Event) -> bool:
        """Whether ``event`` was set before the deadline. The deadline is judged on the budget's clock, which a
        benchmark replaces with one that runs apart from real time: a real wait that ends first is resumed."""
        while not event.wait(self.remaining()):
            if self.spent:
                return False
        return True

    def check(self) -> None:
        """Raise BudgetSpent when the deadline has passed."""
        if self.spent:
            raise BudgetSpent(self.what, self.seconds)

    def submit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Pending[T]:
        """Start ``fn`` on a daemon thread under this budget; ``Pending.result()`` waits at most until the deadline."""
        pending: Pending[T] = Pending(self)
        context = contextvars.copy_context()

        def work() -> None:
            _ACTIVE.set(self)
            try:
                pending._finish(fn(*args, **kwargs), None)
            except BaseException as err:  # noqa: BLE001 - handed to the waiting caller, raised there
                pending._finish(None, err)

        threading.Thread(target=context.run, args=(work,), name="budget", daemon=True).start()
        return pending

    def map(self, fn: Callable[[A], T], items: Sequence[A], workers: int) -> list[T]:
        """``fn`` of each item, on at most ``workers`` daemon threads under this budget: the results in order. The
        first error is raised (no new item starts after it); at the deadline, BudgetSpent (the items left are
        abandoned: none starts once the budget is spent, and no thread is ever joined)."""
        items = list(items)
        results: list[Any] = [None] * len(items)
        errors: list[BaseException] = []
        lock, done = threading.Lock(), threading.Event()
        state = {"next": 0, "left": len(items)}
        if not items:
            return []

        def work() -> None:
            _ACTIVE.set(self)
            while True:
                with lock:
                    if errors or state["next"] >= len(items) or self.spent:
                        return
                    index = state["next"]
                    state["next"] += 1
                try:
                    results[index] = fn(items[index])
                except BaseException as err:  # noqa: BLE001 - handed to the waiting caller, raised there
                    with lock:
                        errors.append(err)
                    done.set()
                    return
                with lock:
                    state["left"] -= 1
                    if state["left"] == 0:
                        done.set()

        for _ in range(min(workers, len(items))):
            context = contextvars.copy_context()
            threading.Thread(target=context.run, args=(work,), name="budget", daemon=True).start()
        if not self.wait_for(done):
            raise BudgetSpent(self.what, self.seconds)
        if errors:
            raise errors[0]
        return results

    def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn``'s result, or BudgetSpent once the deadline passes without one."""
        return self.submit(fn, *args, **kwargs).result()


class Pending(Generic[T]):
    """Work started under a budget."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self._done = threading.Event()
        self._value: T | None = None
        self._error: BaseException | None = None

    def _finish(self, value: T | None, error: BaseException | None) -> None:
        self._value, self._error = value, error
        self._done.set()

    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, seconds: float) -> bool:
        """Whether the work finished within ``seconds`` (and the budget); never raises."""
        return self._done.wait(min(seconds, self.budget.remaining()))

    def result(self) -> T:
        """The work's result or its error; BudgetSpent when the deadline passes first (the work is abandoned)."""
        if not self.budget.wait_for(self._done):
            raise BudgetSpent(self.budget.what, self.budget.seconds)
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


def active() -> Budget | None:
    """The budget of the work running on this thread, if any."""
    return _ACTIVE.get()


def install(client: Any) -> None:
    """Make ``client`` refuse every attempt (first or retry) once the budget of the work it runs in is spent."""

    def before_send(**_: Any) -> None:
        budget = _ACTIVE.get()
        if budget is not None:
            budget.check()

    client.meta.events.register_first("before-send", before_send)
