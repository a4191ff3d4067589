"""JournalStore after a run's start: segments only, its pauses and end as run records, a step's records of one
upload merged into one line, uploads once a step ended."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from standby.aws.s3 import ungzipped
from standby.state import journal_segments
from standby.state import journal_store as journal_module
from standby.state.journal import Journal, JournalUnreadable, StepRecord
from standby.state.journal_store import JournalStore
from tests.fakes.journal_control_store import RUN, DictStore, new_journal, run_steps, wait_until


def test_a_run_after_its_start_uploads_segments_only_and_its_end_is_a_run_record(tmp_path: Path) -> None:
    remote = DictStore()
    store = JournalStore(tmp_path / "runs", remote)  # type: ignore[arg-type]
    journal = Journal(RUN, "failover", "us-west-2", "us-east-1", started_at=1000.0)
    store.save(journal)  # at the lock: no steps yet
    for i in range(2):  # execute start: the plan's steps, pending, with no record of their own
        journal.steps[f"s{i}"] = StepRecord(f"s{i}", "scale-out", "us-west-2")
    journal.warnings = ["the replica lags 3 s"]
    store.save(journal)
    run_steps(store, journal, ["s0", "s1"])
    journal.status, journal.ended_at = "complete", 1010.0
    store.save(journal)
    assert remote.doc(f"runs/{RUN}.json")["status"] == "running" and remote.puts == 3  # one document, 2 segments
    start, end = (ungzipped(remote.objects[k]).decode().splitlines() for k in remote.segments())
    assert [json.loads(line).get("key") for line in start] == ["s0", "s1", None]  # the steps, then the run record
    assert json.loads(start[0])["set"] == {"slug": "scale-out", "region": "us-west-2"}  # a new step: no defaults
    assert json.loads(start[-1])["run"] == {"warnings": ["the replica lags 3 s"]}
    assert json.loads(end[-1]) == {"number": 8, "run": {"ended_at": 1010.0, "status": "complete"}}
    assert [json.loads(line)["number"] for line in end] == [5, 7, 8]  # each step's start and end: one line
    assert json.loads(end[0])["set"] == {
        "after": {"desired_capacity": 4},
        "attempts": 1,
        "ended_at": 1001.0,
        "started_at": 1000.0,
        "status": "complete",
    }
    loaded = JournalStore(tmp_path / "elsewhere", remote).load(RUN)  # type: ignore[arg-type]
    latest = JournalStore(tmp_path / "third", remote).latest()  # type: ignore[arg-type]
    for found in (loaded, latest):
        assert found is not None and found.to_dict() == journal.to_dict() and found.step_records == 8


def test_a_save_that_only_adds_planned_steps_uploads_nothing_they_ride_along(tmp_path: Path) -> None:
    remote = DictStore()
    store = JournalStore(tmp_path / "runs", remote)  # type: ignore[arg-type]
    journal = Journal(RUN, "failover", "us-west-2", "us-east-1", started_at=1000.0)
    store.save(journal)
    journal.steps["s0"] = StepRecord("s0", "scale-out", "us-west-2")
    store.save(journal)  # execute start: the plan's steps, pending
    assert remote.puts == 1 and not remote.segments()
    journal.status = "complete"
    store.save(journal)
    assert remote.segments() == [f"runs/{RUN}/records-00000001-00000002.jsonl"]
    loaded = JournalStore(tmp_path / "elsewhere", remote).load(RUN)  # type: ignore[arg-type]
    assert loaded is not None and loaded.to_dict() == journal.to_dict()


def test_a_first_document_not_uploaded_is_uploaded_whole_by_the_next_save(tmp_path: Path) -> None:
    remote = DictStore()
    put_bytes = remote.put_bytes
    refused = ClientError({"Error": {"Code": "SlowDown", "Message": "slow down"}}, "PutObject")

    def refuse(key: str, body: bytes, content_type: str, content_encoding: str | None = None) -> None:
        raise refused

    store = JournalStore(tmp_path / "runs", remote)  # type: ignore[arg-type]
    journal = new_journal(1)
    remote.put_bytes = refuse  # type: ignore[method-assign]
    store.save(journal)
    remote.put_bytes = put_bytes  # type: ignore[method-assign]
    run_steps(store, journal, ["s0"])
    journal.status = "complete"
    store.save(journal)
    assert not remote.segments() and remote.doc(f"runs/{RUN}.json")["status"] == "complete"


def test_a_run_record_of_another_field_or_shape_makes_the_journal_unreadable(tmp_path: Path) -> None:
    remote = DictStore()
    store = JournalStore(tmp_path / "runs", remote)  # type: ignore[arg-type]
    store.save(new_journal(1))
    key = journal_segments.segment_key(RUN, 1, 1)
    for record, problem in (
        ({"number": 1, "run": {"run_id": "x"}}, "run record 1 sets \\['run_id'\\]"),
        ({"number": 1, "run": {"status": 3}}, "run record 1: 'status' is missing or not a string"),
    ):
        remote.objects[key] = journal_segments.segment_body([json.dumps(record)])
        remote.objects[journal_segments.segment_key(RUN, 2, 2)] = journal_segments.segment_body(
            [json.dumps({"number": 2, "key": "s0", "set": {}})]
        )  # so the bad one is not the last (a last one is skipped as cut short)
        with pytest.raises(JournalUnreadable, match=problem):
            JournalStore(tmp_path / "elsewhere", remote).load(RUN)  # type: ignore[arg-type]


def test_the_background_saver_waits_for_a_step_to_end_and_the_starts_ride_along(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(journal_module, "SAVE_INTERVAL_SECONDS", 0.01)
    remote = DictStore()
    store = JournalStore(tmp_path / "runs", remote)  # type: ignore[arg-type]
    journal = new_journal(2)
    store.save(journal)
    with store.saving(journal):
        for key in ("s0", "s1"):
            journal.steps[key].status, journal.steps[key].started_at = "running", 1000.0
            store.record(journal, key)
        time.sleep(0.2)  # twenty intervals: starts only, nothing uploaded (a started step is run again on resume)
        assert remote.segments() == []
        journal.steps["s0"].status = "complete"
        store.record(journal, "s0")
        assert wait_until(lambda: bool(remote.segments()))
    assert remote.segments() == [f"runs/{RUN}/records-00000001-00000003.jsonl"]
