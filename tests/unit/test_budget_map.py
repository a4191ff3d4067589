"""Budget.map: calls several at a time under one deadline, never joined, nothing started once it is spent."""

from __future__ import annotations

import threading
import time

import pytest

from standby.aws import budget as budget_module
from standby.aws.budget import Budget, BudgetSpent, active


def test_the_results_come_in_order_and_each_call_runs_under_the_budget() -> None:
    budget = Budget(5, "fencing")
    seen: list[Budget | None] = []

    def call(i: int) -> int:
        seen.append(active())
        return i * i

    assert budget.map(call, range(10), workers=3) == [i * i for i in range(10)]
    assert seen and all(b is budget for b in seen)


def test_the_first_error_is_raised_and_no_new_item_starts_after_it() -> None:
    started: list[int] = []

    def call(i: int) -> int:
        started.append(i)
        if i == 2:
            raise ValueError("refused")
        return i

    with pytest.raises(ValueError, match="refused"):
        Budget(5).map(call, range(50), workers=1)
    assert started == [0, 1, 2]


def test_a_hanging_call_costs_the_budget_and_no_more_and_nothing_starts_after_it() -> None:
    release = threading.Event()
    started: list[int] = []

    def call(i: int) -> int:
        started.append(i)
        release.wait(30)  # a region that hangs rather than refuses
        return i

    began = time.monotonic()
    with pytest.raises(BudgetSpent):
        Budget(0.3, "fencing").map(call, range(100), workers=4)
    assert time.monotonic() - began < 2
    assert len(started) == 4  # the workers' first calls; the rest never started
    release.set()
    time.sleep(0.1)
    assert len(started) == 4  # released after the deadline: the budget is spent, so no worker takes another item


def test_nothing_to_do_is_an_empty_answer() -> None:
    assert Budget(1).map(lambda i: i, [], workers=8) == []


def test_a_budget_made_without_a_clock_counts_the_module_clock(monkeypatch) -> None:
    """A benchmark replaces the clock so that time the emulator's CPU takes is not spent from the budget."""
    now = [100.0]
    monkeypatch.setattr(budget_module, "CLOCK", lambda: now[0])
    spending = Budget(10.0)
    assert spending.remaining() == 10.0
    time.sleep(0.02)  # real time passes; the budget's clock does not
    assert not spending.spent
    now[0] += 10.0
    assert spending.spent
    with pytest.raises(BudgetSpent):
        spending.check()

    # The waits judge the deadline on that clock too: work taking longer in real time than the budget has on its
    # clock still finishes, in a map and for one piece of work alike.
    slow = Budget(0.05)
    assert slow.map(lambda n: time.sleep(0.2) or n, [1, 2], workers=2) == [1, 2]
    assert slow.run(lambda: time.sleep(0.2) or "done") == "done"
    assert not slow.spent
