"""JournalStore: whole documents when a run starts and ends, appended step records between; loads merge them."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from standby.state.journal import Journal, JournalStore, JournalUnreadable, StepRecord

RUN = "20261128T000000Z-failover-ab12"


class DictStore:
    """A control store in memory: documents by key, every put counted with its size."""

    bucket = "standby-test"
    region = "us-west-2"

    def __init__(self) -> None:
        self.docs: dict[str, Any] = {}
        self.bytes_put = 0

    def put(self, key: str, document: Any) -> None:
        body = json.dumps(document, indent=2, sort_keys=True, default=str)
        self.bytes_put += len(body)
        self.docs[key] = json.loads(body)

    def put_text(self, key: str, text: str, content_type: str) -> None:
        assert content_type == "application/json"
        self.bytes_put += len(text)
        self.docs[key] = json.loads(text)

    def get(self, key: str) -> Any | None:
        return self.docs.get(key)

    def keys(self, prefix: str) -> list[str]:
        return sorted(k for k in self.docs if k.startswith(prefix))


def new_journal(steps: int) -> Journal:
    journal = Journal(RUN, "failover", "us-west-2", "us-east-1", started_at=1000.0)
    for i in range(steps):
        journal.steps[f"s{i}"] = StepRecord(f"s{i}", "scale-out", "us-west-2")
    return journal


def run_steps(store: JournalStore, journal: Journal, keys: list[str]) -> None:
    """Start and end each step as the executor does: the change, then its record."""
    for n, key in enumerate(keys):
        rec = journal.steps[key]
        rec.status, rec.started_at, rec.attempts = "running", 1000.0 + n, rec.attempts + 1
        store.record(journal, key)
        rec.status, rec.ended_at, rec.after = "complete", 1001.0 + n, {"desired_capacity": 4}
        store.record(journal, key)


def test_step_records_are_appended_and_merged_on_load_locally_and_remotely(tmp_path: Path) -> None:
    remote = DictStore()
    store = JournalStore(tmp_path / "runs", remote)  # type: ignore[arg-type]
    journal = new_journal(3)
    store.save(journal)
    run_steps(store, journal, ["s0", "s1"])
    assert journal.step_records == 4
    assert json.loads((tmp_path / "runs" / f"{RUN}.json").read_text())["steps"]["s0"]["status"] == "pending"
    local = store.load(RUN)
    assert local is not None and local.to_dict() == journal.to_dict()
    from_remote = JournalStore(tmp_path / "elsewhere", remote).load(RUN)  # type: ignore[arg-type]
    assert from_remote is not None and from_remote.to_dict() == journal.to_dict()
    assert [k for k in remote.keys("run-steps/")] == [f"run-steps/{RUN}/{n:08d}.json" for n in range(1, 5)]


def test_a_whole_save_includes_the_records_and_drops_the_local_ones(tmp_path: Path) -> None:
    remote = DictStore()
    store = JournalStore(tmp_path / "runs", remote)  # type: ignore[arg-type]
    journal = new_journal(2)
    store.save(journal)
    run_steps(store, journal, ["s0", "s1"])
    journal.status = "complete"
    store.save(journal)
    assert not (tmp_path / "runs" / f"{RUN}.steps.jsonl").exists()
    doc = json.loads((tmp_path / "runs" / f"{RUN}.json").read_text())
    assert doc["status"] == "complete" and doc["step_records"] == 4 and doc["steps"]["s1"]["status"] == "complete"
    for reader in (store, JournalStore(tmp_path / "elsewhere", remote)):  # type: ignore[arg-type]
        loaded = reader.load(RUN)
        assert loaded is not None and loaded.to_dict() == journal.to_dict()


def test_a_resumed_run_numbers_its_records_after_the_loaded_ones(tmp_path: Path) -> None:
    remote = DictStore()
    store = JournalStore(tmp_path / "runs", remote)  # type: ignore[arg-type]
    journal = new_journal(3)
    store.save(journal)
    run_steps(store, journal, ["s0"])
    resumed = JournalStore(tmp_path / "other", remote).load(RUN)  # type: ignore[arg-type]
    assert resumed is not None and resumed.step_records == 2
    again = JournalStore(tmp_path / "other", remote)  # type: ignore[arg-type]
    again.save(resumed)
    run_steps(again, resumed, ["s1"])
    loaded = JournalStore(tmp_path / "third", remote).load(RUN)  # type: ignore[arg-type]
    assert loaded is not None and loaded.step_records == 4
    assert {k: s.status for k, s in loaded.steps.items()} == {"s0": "complete", "s1": "complete", "s2": "pending"}


def test_bytes_written_grow_linearly_with_the_steps(tmp_path: Path) -> None:
    def written(steps: int) -> tuple[int, int]:
        remote = DictStore()
        store = JournalStore(tmp_path / f"runs-{steps}", remote)  # type: ignore[arg-type]
        journal = new_journal(steps)
        store.save(journal)
        run_steps(store, journal, list(journal.steps))
        store.save(journal)
        local = sum(p.stat().st_size for p in (tmp_path / f"runs-{steps}").iterdir())
        return remote.bytes_put, local

    small, large = written(50), written(500)
    assert large[0] < 12 * small[0]  # whole documents at every step would be ~100 times more
    assert large[0] / 500 < 2000  # bytes per step in the control store


def test_an_older_whole_document_journal_loads_as_it_is(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    doc = new_journal(1).to_dict()
    del doc["step_records"]
    doc["steps"]["s0"]["status"] = "complete"
    (runs / f"{RUN}.json").write_text(json.dumps(doc, indent=2))
    loaded = JournalStore(runs, None).load(RUN)
    assert loaded is not None and loaded.steps["s0"].status == "complete" and loaded.step_records == 0
    remote = DictStore()
    remote.docs[f"runs/{RUN}.json"] = doc
    from_remote = JournalStore(tmp_path / "elsewhere", remote).load(RUN)  # type: ignore[arg-type]
    assert from_remote is not None and from_remote.steps["s0"].status == "complete"


def test_a_record_cut_short_by_a_crash_is_ignored_one_in_the_middle_is_an_error(tmp_path: Path) -> None:
    store = JournalStore(tmp_path / "runs", None)
    journal = new_journal(2)
    store.save(journal)
    run_steps(store, journal, ["s0"])
    records = tmp_path / "runs" / f"{RUN}.steps.jsonl"
    assert records.stat().st_mode & 0o777 == 0o600
    with records.open("a") as out:
        out.write('{"number": 3, "step": {"key": "s1", "sl')
    loaded = store.load(RUN)
    assert loaded is not None and loaded.steps["s0"].status == "complete" and loaded.steps["s1"].status == "pending"
    with records.open("a") as out:
        out.write("\n" + json.dumps({"number": 4, "step": {"key": "s1"}}) + "\n")
    with pytest.raises(JournalUnreadable, match="line 3 is not valid JSON"):
        store.load(RUN)


def test_latest_reads_the_records_of_the_latest_run_from_the_control_store(tmp_path: Path) -> None:
    remote = DictStore()
    store = JournalStore(tmp_path / "runs", remote)  # type: ignore[arg-type]
    journal = new_journal(1)
    store.save(journal)
    run_steps(store, journal, ["s0"])
    latest = JournalStore(tmp_path / "elsewhere", remote).latest()  # type: ignore[arg-type]
    assert latest is not None and latest.steps["s0"].status == "complete"
    assert JournalStore(tmp_path / "runs", None).latest().steps["s0"].status == "complete"  # type: ignore[union-attr]


def test_step_records_stay_private_with_a_permissive_umask(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        store = JournalStore(tmp_path / "runs", None)
        journal = new_journal(1)
        run_steps(store, journal, ["s0"])
    finally:
        os.umask(previous)
    assert (tmp_path / "runs").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "runs" / f"{RUN}.steps.jsonl").stat().st_mode & 0o777 == 0o600
