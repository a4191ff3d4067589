"""Group notes in one document per region: the notes of steps running at the same time are written together, the
first value noted is kept, and notes written one per group by an earlier version are still read."""

from __future__ import annotations

import threading

from standby.aws.session import SessionFactory, Target
from standby.state.notes import PRIOR_CAPACITY, Notes
from standby.state.store import ControlStore
from tests.fakes.aws_faults import CallRecorder

REGION = "us-west-2"


def _store(target: Target, recorder: CallRecorder | None = None) -> ControlStore:
    return ControlStore(SessionFactory(target=target, on_client=recorder), "webapp", REGION)


def test_notes_made_at_the_same_time_are_written_together(clean_emulator, target) -> None:
    recorder = CallRecorder()
    store = _store(target, recorder)
    store.ensure()
    start = threading.Barrier(40)

    def note(i: int) -> None:
        start.wait(5)
        Notes(store).keep_first("asg", {f"g{i:02d}": {PRIOR_CAPACITY: {"desired_capacity": i}}})

    threads = [threading.Thread(target=note, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    noted = Notes(_store(target)).all("asg")
    assert {name: n[PRIOR_CAPACITY]["desired_capacity"] for name, n in noted.items()} == {
        f"g{i:02d}": i for i in range(40)
    }
    puts = recorder.operations(REGION).count("PutObject")
    assert 1 <= puts < 20, puts  # batches, not one read and write per group


def test_the_first_capacity_noted_is_kept_and_forget_removes_it(clean_emulator, target) -> None:
    notes = Notes(_store(target))
    notes.keep_first("asg", {"web": {PRIOR_CAPACITY: {"desired_capacity": 1}}})
    notes.keep_first("asg", {"web": {PRIOR_CAPACITY: {"desired_capacity": 6}}, "api": {PRIOR_CAPACITY: {"x": 2}}})
    assert notes.get("asg", "web")[PRIOR_CAPACITY] == {"desired_capacity": 1}
    assert notes.get("asg", "api")[PRIOR_CAPACITY] == {"x": 2}
    notes.forget("asg", "web", PRIOR_CAPACITY)
    assert notes.get("asg", "web") == {}
    assert set(notes.all("asg")) == {"api"}


def test_notes_of_an_earlier_version_are_read_then_folded_into_the_document(clean_emulator, target) -> None:
    store = _store(target)
    store.put("notes/asg/web.json", {PRIOR_CAPACITY: {"desired_capacity": 2}})  # one document per group
    notes = Notes(store)
    assert notes.get("asg", "web") == {PRIOR_CAPACITY: {"desired_capacity": 2}}
    notes.keep_first("asg", {"api": {PRIOR_CAPACITY: {"desired_capacity": 3}}})
    assert store.get("notes/asg.json") == {
        "web": {PRIOR_CAPACITY: {"desired_capacity": 2}},
        "api": {PRIOR_CAPACITY: {"desired_capacity": 3}},
    }


def test_a_change_that_changes_nothing_writes_nothing(clean_emulator, target) -> None:
    recorder = CallRecorder()
    notes = Notes(_store(target, recorder))
    notes.keep_first("asg", {"web": {PRIOR_CAPACITY: {"desired_capacity": 2}}})
    before = recorder.operations(REGION).count("PutObject")
    notes.keep_first("asg", {"web": {PRIOR_CAPACITY: {"desired_capacity": 5}}})
    notes.forget("asg", "absent", PRIOR_CAPACITY)
    assert recorder.operations(REGION).count("PutObject") == before
