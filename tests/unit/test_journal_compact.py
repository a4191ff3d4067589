"""The journal's bytes in the control store: the plan's steps exist without records of their own, the document
omits its defaults and keeps times to the millisecond, and the background saver lets steps that end together
share a segment."""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path
from typing import Any

import pytest

from standby.aws.s3 import ungzipped
from standby.state import journal_store as journal_module
from standby.state.journal import Journal, StepRecord
from standby.state.journal_store import JournalStore
from tests.fakes.clock import FakeClock
from tests.fakes.journal_control_store import RUN, DictStore, run_steps, wait_until


def planned_journal(steps: int) -> Journal:
    plan = {
        "run_id": RUN,
        "steps": [
            {"key": f"s{i}", "slug": "scale-out", "region": "us-west-2", "depends_on": [], "intent": f"step {i}"}
            for i in range(steps)
        ],
    }
    return Journal(RUN, "failover", "us-west-2", "us-east-1", started_at=1000.0, plan=plan)


def execute_start(journal: Journal) -> None:
    """What the executor does when it starts: a record of every step of the plan, pending."""
    for step in journal.plan["steps"]:
        journal.steps[step["key"]] = StepRecord(step["key"], step["slug"], step["region"])


def lines(remote: DictStore, key: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in ungzipped(remote.objects[key]).decode().splitlines()]


def test_the_plans_steps_need_no_record_and_a_reader_adds_them_pending(tmp_path: Path) -> None:
    remote = DictStore()
    store = JournalStore(tmp_path / "runs", remote)  # type: ignore[arg-type]
    journal = planned_journal(3)
    store.save(journal)  # at the lock: no steps yet
    execute_start(journal)
    store.save(journal)
    run_steps(store, journal, ["s0"])
    journal.status = "paused"
    store.save(journal)
    [segment] = remote.segments()
    records = lines(remote, segment)
    assert [r.get("key") for r in records] == ["s0", None]  # s0's start and end, the run record: no pending steps
    assert "slug" not in records[0]["set"] and "region" not in records[0]["set"]  # the plan says them
    for found in (
        JournalStore(tmp_path / "elsewhere", remote).load(RUN),  # type: ignore[arg-type]
        JournalStore(tmp_path / "third", remote).latest(),  # type: ignore[arg-type]
    ):
        assert found is not None and found.to_dict() == journal.to_dict()
        assert list(found.steps) == ["s0", "s1", "s2"] and found.steps["s2"].status == "pending"


def test_records_that_create_the_plans_steps_an_earlier_form_still_load(tmp_path: Path) -> None:
    remote = DictStore()
    journal = planned_journal(2)
    remote.put_plain(f"runs/{RUN}.json", journal.to_dict())
    earlier = [
        {"number": 1, "key": "s0", "set": {"slug": "scale-out", "region": "us-west-2"}},
        {"number": 2, "key": "s1", "set": {"slug": "scale-out", "region": "us-west-2"}},
        {"number": 3, "key": "s0", "set": {"status": "complete", "started_at": 1000.0, "ended_at": 1001.0}},
    ]
    body = gzip.compress("".join(json.dumps(r) + "\n" for r in earlier).encode())
    remote.objects[f"runs/{RUN}/records-00000001-00000003.jsonl"] = body
    loaded = JournalStore(tmp_path / "elsewhere", remote).load(RUN)  # type: ignore[arg-type]
    assert loaded is not None and loaded.step_records == 3
    assert [(s.key, s.slug, s.status) for s in loaded.steps.values()] == [
        ("s0", "scale-out", "complete"),
        ("s1", "scale-out", "pending"),
    ]


def test_the_uploaded_document_omits_its_defaults_and_keeps_times_to_the_millisecond(tmp_path: Path) -> None:
    remote = DictStore()
    store = JournalStore(tmp_path / "runs", remote)  # type: ignore[arg-type]
    journal = planned_journal(2)
    journal.started_at = 1000.123456
    execute_start(journal)
    journal.steps["s0"].status, journal.steps["s0"].started_at = "running", 1000.2004999
    store.save(journal)
    doc = remote.doc(f"runs/{RUN}.json")
    for name in ("ended_at", "command_started_at", "rto_seconds", "warnings", "approvals", "step_records"):
        assert name not in doc
    assert doc["started_at"] == 1000.123 and doc["operator"] == journal.operator and doc["status"] == "running"
    assert doc["steps"]["s1"] == {"key": "s1", "slug": "scale-out", "region": "us-west-2"}
    assert doc["steps"]["s0"]["started_at"] == 1000.2
    local = json.loads((tmp_path / "runs" / f"{RUN}.json").read_text())
    assert local["started_at"] == 1000.123456 and local["ended_at"] is None  # the local file keeps every field
    loaded = JournalStore(tmp_path / "elsewhere", remote).load(RUN)  # type: ignore[arg-type]
    assert loaded is not None
    expected = journal.to_dict() | {"started_at": 1000.123}
    expected["steps"]["s0"]["started_at"] = 1000.2
    assert loaded.to_dict() == expected


def test_steps_that_end_together_share_a_segment_uploaded_within_an_interval_of_the_first_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(journal_module, "SAVE_INTERVAL_SECONDS", 10.0)  # of the fake clock
    monkeypatch.setattr(journal_module, "SAVER_WAKE_SECONDS", 0.01)  # real time
    clock = FakeClock(start=1000.0001234)
    remote = DictStore()
    store = JournalStore(tmp_path / "runs", remote)  # type: ignore[arg-type]
    journal = planned_journal(2)
    execute_start(journal)
    store.save(journal)
    with store.saving(journal, clock):
        clock.advance(20.0)  # the last upload is long past
        for key in ("s0", "s1"):
            step = journal.steps[key]
            step.status, step.started_at, step.attempts = "running", clock.now(), 1
            store.record(journal, key)
        journal.steps["s0"].status, journal.steps["s0"].ended_at = "complete", clock.now()
        store.record(journal, "s0")
        time.sleep(0.2)  # twenty wakes; the clock stands still: s0 ended less than the rest of an interval ago
        assert remote.segments() == []
        clock.advance(3.0)
        journal.steps["s1"].status, journal.steps["s1"].ended_at = "complete", clock.now()
        store.record(journal, "s1")
        clock.advance(5.0)  # s0 ended 8 s ago (the rest of an interval), s1 5 s ago: both, one segment
        assert wait_until(lambda: bool(remote.segments()))
        assert remote.segments() == [f"runs/{RUN}/records-00000001-00000004.jsonl"]
        records = lines(remote, remote.segments()[0])
        assert [r["key"] for r in records] == ["s0", "s1"]
        assert records[0]["set"]["started_at"] == 1020.0 and records[1]["set"]["ended_at"] == 1023.0  # to the ms
