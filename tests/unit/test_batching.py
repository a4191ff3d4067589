"""The group commit: requests made at the same time are answered by one batch, never by one made before them."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import pytest

from standby.batching import Coalescer


def test_one_caller_is_answered_by_a_batch_of_one() -> None:
    batches: list[list[int]] = []

    def run(items: Sequence[int]) -> list[int]:
        batches.append(list(items))
        return [i * 10 for i in items]

    assert Coalescer(run).submit(4) == 40
    assert batches == [[4]]


def test_requests_made_while_a_batch_runs_share_the_next_one() -> None:
    release = threading.Event()
    first_running = threading.Event()
    batches: list[list[int]] = []

    def run(items: Sequence[int]) -> list[int]:
        batches.append(list(items))
        if len(batches) == 1:
            first_running.set()
            release.wait(5)
        return [i + 1 for i in items]

    coalescer = Coalescer(run)
    answers: dict[int, int] = {}
    first = threading.Thread(target=lambda: answers.__setitem__(0, coalescer.submit(0)))
    first.start()
    assert first_running.wait(5)
    others = [threading.Thread(target=lambda i=i: answers.__setitem__(i, coalescer.submit(i))) for i in range(1, 21)]
    for t in others:
        t.start()
    while sum(len(q) for q in [coalescer._queued]) < 20:  # every other request queued behind the running batch
        threading.Event().wait(0.01)
    release.set()
    for t in [first, *others]:
        t.join(5)
    assert answers == {i: i + 1 for i in range(21)}
    assert batches[0] == [0]
    assert sorted(batches[1]) == list(range(1, 21))  # the 20 late requests: one batch, not 20
    assert coalescer.batches == 2


def test_an_error_of_a_batch_is_raised_to_every_caller_it_answers() -> None:
    def run(items: Sequence[str]) -> list[str]:
        raise ValueError("refused")

    coalescer = Coalescer(run)
    with pytest.raises(ValueError, match="refused"):
        coalescer.submit("a")
    with pytest.raises(ValueError, match="refused"):  # the next batch runs again, and fails again
        coalescer.submit("b")


def test_a_batch_that_answers_the_wrong_number_is_an_error() -> None:
    coalescer: Coalescer[int, int] = Coalescer(lambda items: [])
    with pytest.raises(RuntimeError, match="a batch of 1 answered 0"):
        coalescer.submit(1)


def test_requests_made_while_the_leader_gathers_join_its_batch() -> None:
    batches: list[list[int]] = []
    others_queued = threading.Event()

    def run(items: Sequence[int]) -> list[int]:
        batches.append(sorted(items))
        return [i * 2 for i in items]

    coalescer = Coalescer(run, gather=lambda: others_queued.wait(5))
    answers: dict[int, int] = {}
    threads = [threading.Thread(target=lambda i=i: answers.__setitem__(i, coalescer.submit(i))) for i in range(4)]
    threads[0].start()
    while not coalescer._running:  # the first is the leader, gathering
        threading.Event().wait(0.01)
    for thread in threads[1:]:
        thread.start()
    while len(coalescer._queued) < 3:  # the others are queued behind it
        threading.Event().wait(0.01)
    others_queued.set()
    for thread in threads:
        thread.join(5)
    assert batches == [[0, 1, 2, 3]]
    assert answers == {0: 0, 1: 2, 2: 4, 3: 6}


def test_a_gather_that_fails_fails_its_leader_and_leaves_the_others_to_the_next_batch() -> None:
    batches: list[list[int]] = []
    failing = [True]
    proceed = threading.Event()

    def gather() -> None:
        if failing[0]:
            failing[0] = False
            proceed.wait(5)
            raise KeyboardInterrupt  # what a leader's pause can end with

    coalescer = Coalescer(lambda items: batches.append(sorted(items)) or [i for i in items], gather=gather)
    errors: list[BaseException] = []
    answers: dict[int, int] = {}

    def leader() -> None:
        try:
            coalescer.submit(0)
        except KeyboardInterrupt as err:
            errors.append(err)

    first = threading.Thread(target=leader)
    first.start()
    while not coalescer._running:
        threading.Event().wait(0.01)
    second = threading.Thread(target=lambda: answers.__setitem__(1, coalescer.submit(1)))
    second.start()
    while len(coalescer._queued) < 1:
        threading.Event().wait(0.01)
    proceed.set()
    first.join(5)
    second.join(5)
    assert len(errors) == 1 and answers == {1: 1}
    assert batches == [[1]]  # the failed leader's own request never ran


def _arriving(coalescer: Coalescer[int, int], count: int, apart: float) -> dict[int, int]:
    """``count`` callers submitting one after another, ``apart`` seconds apart; their answers."""
    answers: dict[int, int] = {}
    threads = []
    for i in range(count):
        thread = threading.Thread(target=lambda i=i: answers.__setitem__(i, coalescer.submit(i)))
        thread.start()
        threads.append(thread)
        time.sleep(apart)
    for thread in threads:
        thread.join(10)
    return answers


def test_a_leader_gathers_again_while_requests_keep_coming() -> None:
    batches: list[list[int]] = []
    coalescer = Coalescer(
        lambda items: batches.append(sorted(items)) or list(items), gather=lambda: time.sleep(0.05), rounds=40
    )
    answers = _arriving(coalescer, 12, apart=0.02)  # 0.24 s of arrivals, never 0.05 s apart
    assert answers == {i: i for i in range(12)}
    assert batches == [list(range(12))]


def test_one_pause_suffices_when_it_brings_nothing_new() -> None:
    pauses: list[float] = []
    coalescer = Coalescer(lambda items: list(items), gather=lambda: pauses.append(time.monotonic()), rounds=40)
    assert coalescer.submit(7) == 7
    assert len(pauses) == 1  # alone: a single pause, not all the rounds


def test_a_leader_stops_gathering_once_its_batch_is_full() -> None:
    batches: list[list[int]] = []
    coalescer = Coalescer(
        lambda items: batches.append(sorted(items)) or list(items),
        gather=lambda: time.sleep(0.05),
        rounds=40,
        fill=4,
    )
    _arriving(coalescer, 12, apart=0.02)
    assert sorted(i for b in batches for i in b) == list(range(12))
    assert len(batches) >= 2 and all(len(b) <= 4 + 3 for b in batches[:-1])  # full (the last pause's arrivals)
