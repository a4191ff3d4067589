"""Group notes, evicted records and fence notes in one document per kind and region: the notes of steps running at
the same time are written together, the first value noted is kept, notes written one per resource by an earlier
version are still read, and the documents `standby provision` creates never overwrite one."""

from __future__ import annotations

import threading

from standby.aws.session import SessionFactory, Target
from standby.state.notes import EVICTED_RECORD, FENCE_NOTES, PRIOR_CAPACITY, Notes
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


def test_evicted_records_and_fence_notes_are_combined_one_read_and_one_write_for_many(clean_emulator, target) -> None:
    _store(target).ensure()
    recorder = CallRecorder()
    notes = Notes(_store(target, recorder))
    notes.update_many(EVICTED_RECORD, {f"r{i}": {"record": {"Name": f"n{i}"}} for i in range(5)})
    notes.update_many(FENCE_NOTES, {"us-east-1-db": {"security_groups": ["sg-1"]}, "us-east-1-db2": {"x": 1}})
    notes.forget_many(EVICTED_RECORD, {"r0": ("record",), "r1": ("record",)})
    ops = [op for op in recorder.operations(REGION) if op in ("GetObject", "PutObject", "ListObjectsV2")]
    # Each change: a read (none there yet: the listing of the earlier layout, once per kind) and a write.
    assert ops == ["GetObject", "ListObjectsV2", "PutObject"] * 2 + ["GetObject", "PutObject"]
    store = _store(target)
    assert set(store.get("notes/evicted-record.json")) == {"r2", "r3", "r4"}
    assert store.get("notes/fence.json")["us-east-1-db"] == {"security_groups": ["sg-1"]}
    assert store.keys("notes/evicted-record/") == store.keys("notes/fence/") == []


def test_evicted_records_and_fence_notes_of_an_earlier_version_are_read_then_folded(clean_emulator, target) -> None:
    store = _store(target)
    store.put("notes/evicted-record/us-east-1-www.example-CNAME.json", {"record": {"SetIdentifier": "us-east-1"}})
    store.put("notes/fence/us-east-1-db.json", {"database": "db", "security_groups": ["sg-1"]})
    notes = Notes(store)
    assert notes.all(EVICTED_RECORD) == {"us-east-1-www.example-CNAME": {"record": {"SetIdentifier": "us-east-1"}}}
    assert notes.names(FENCE_NOTES) == ["us-east-1-db"]
    assert notes.get(FENCE_NOTES, "us-east-1-db")["security_groups"] == ["sg-1"]
    notes.update_many(FENCE_NOTES, {"us-east-1-db2": {"database": "db2"}})
    assert set(store.get("notes/fence.json")) == {"us-east-1-db", "us-east-1-db2"}


def test_created_documents_are_empty_keep_legacy_notes_and_never_overwrite(clean_emulator, target) -> None:
    store = _store(target)
    store.put("notes/asg.json", {"web": {PRIOR_CAPACITY: {"desired_capacity": 2}}})  # a document already there
    store.put("notes/fence/us-east-1-db.json", {"database": "db"})  # an earlier version's note, no document
    Notes(store).create_documents()
    assert store.get("notes/asg.json") == {"web": {PRIOR_CAPACITY: {"desired_capacity": 2}}}
    assert store.get("notes/evicted-record.json") == {}
    assert store.get("notes/fence.json") == {"us-east-1-db": {"database": "db"}}
    recorder = CallRecorder()
    again = Notes(_store(target, recorder))
    again.create_documents()  # every document exists: read, never written
    assert again.all(FENCE_NOTES) == {"us-east-1-db": {"database": "db"}}
    assert "PutObject" not in recorder.operations() and "ListObjectsV2" not in recorder.operations()
