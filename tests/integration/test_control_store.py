"""The control store's writes are optimistic: a store that exists costs no call to check it; a write that finds the
bucket or the lock table missing creates them (the bucket versioned) and is made once more; reads of a missing
bucket find nothing; any other error is raised as it is."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from standby.aws.session import SessionFactory, Target
from standby.state.lock import RunLock, read_holder
from standby.state.store import ControlStore
from tests.fakes.aws_faults import CallRecorder, FailOperation, combine

EAST, WEST = "us-east-1", "us-west-2"
CHECKS = ("HeadBucket", "DescribeTable", "CreateBucket", "CreateTable")


def _store(target: Target, region: str = WEST, *hooks) -> ControlStore:
    hook = combine(*hooks) if hooks else None
    return ControlStore(SessionFactory(target=target, on_client=hook), "webapp", region)


def test_a_write_to_an_existing_store_makes_no_call_to_check_it(clean_emulator, target) -> None:
    _store(target).ensure()
    recorder = CallRecorder()
    store = _store(target, WEST, recorder)
    store.put("a.json", {"a": 1})
    store.put_text("b.html", "<p>b</p>", "text/html")
    store.put_bytes("c.bin", b"c", "application/octet-stream")
    assert [op for op in recorder.operations() if op != "GetCallerIdentity"] == ["PutObject"] * 3


def test_a_write_that_finds_no_bucket_creates_the_store_and_writes(clean_emulator, target) -> None:
    recorder = CallRecorder()
    store = _store(target, WEST, recorder)
    assert store.get("a.json") is None  # a read of a missing bucket finds nothing, and creates nothing
    assert store.keys("notes/") == []
    assert not any(op in CHECKS for op in recorder.operations())
    store.put("a.json", {"a": 1})
    assert store.get("a.json") == {"a": 1}
    ops = recorder.operations()
    assert ops.count("PutObject") == 2 and ops.count("CreateBucket") == 1  # refused once, then written
    s3 = store.sessions.client("s3", WEST)
    assert s3.get_bucket_versioning(Bucket=store.bucket)["Status"] == "Enabled"
    store.sessions.client("dynamodb", WEST).describe_table(TableName=store.lock_table)  # the lock table too


def test_a_removed_bucket_is_created_again_by_the_next_write(clean_emulator, target) -> None:
    store = _store(target)
    store.put("a.json", {"a": 1})
    assert store.remove_bucket()
    assert store.get("a.json") is None
    store.put("b.json", {"b": 2})
    assert store.get("b.json") == {"b": 2}


def test_another_error_is_raised_without_creating_anything(clean_emulator, target) -> None:
    recorder = CallRecorder()
    store = _store(target, WEST, FailOperation("PutObject", "AccessDenied"), recorder)
    with pytest.raises(ClientError, match="AccessDenied"):
        store.put("a.json", {"a": 1})
    assert not any(op in CHECKS for op in recorder.operations())


def test_the_run_lock_creates_a_missing_lock_table_in_both_regions(clean_emulator, target) -> None:
    recorder = CallRecorder()
    west, east = _store(target, WEST, recorder), _store(target, EAST, recorder)
    lock = RunLock(west, "20261130T000000Z-failover-abcd", "alice@laptop", ttl_seconds=30, mirror=east)
    lock.acquire()
    try:
        assert lock.mirrored
        assert read_holder(west) is not None and read_holder(east) is not None
    finally:
        lock.release()
    assert recorder.operations().count("CreateTable") == 2


def test_the_run_lock_of_an_existing_store_makes_no_call_to_check_it(clean_emulator, target) -> None:
    _store(target, WEST).ensure()
    _store(target, EAST).ensure()
    recorder = CallRecorder()
    west, east = _store(target, WEST, recorder), _store(target, EAST, recorder)
    lock = RunLock(west, "20261130T000000Z-failover-abcd", "alice@laptop", ttl_seconds=30, mirror=east)
    lock.acquire()
    lock.release()
    assert not any(op in CHECKS for op in recorder.operations())
    assert recorder.operations().count("PutItem") == 2
