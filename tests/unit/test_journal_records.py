"""JournalStore: the whole document locally at each save and in the control store once, appended local step
records between (their changed fields only), uploaded by one background saver at most once per interval as a
segment of the records since its last upload; loads merge them. After a run's start: test_journal_run_records."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from standby.state import journal_segments
from standby.state import journal_store as journal_module
from standby.state.journal import Journal, JournalUnreadable, StepRecord
from standby.state.journal_store import JournalStore
from tests.fakes.journal_control_store import RUN, DictStore, new_journal, run_steps, wait_until


def test_step_records_are_appended_locally_without_an_upload_and_merged_on_load(tmp_path: Path) -> None:
    remote = DictStore()
    store = JournalStore(tmp_path / "runs", remote)  # type: ignore[arg-type]
    journal = new_journal(3)
    store.save(journal)
    run_steps(store, journal, ["s0", "s1"])
    assert journal.step_records == 4
    assert remote.puts == 1 and list(remote.objects) == [f"runs/{RUN}.json"]  # the start's save only
    assert json.loads((tmp_path / "runs" / f"{RUN}.json").read_text())["steps"]["s0"]["status"] == "pending"
    local = store.load(RUN)
    assert local is not None and local.to_dict() == journal.to_dict()
    from_remote = JournalStore(tmp_path / "elsewhere", remote).load(RUN)  # type: ignore[arg-type]
    assert from_remote is not None and from_remote.steps["s0"].status == "pending"  # lags until the next upload


def test_a_step_record_holds_only_the_fields_that_changed(tmp_path: Path) -> None:
    store = JournalStore(tmp_path / "runs", None)
    journal = new_journal(1)
    store.save(journal)
    run_steps(store, journal, ["s0"])
    lines = [json.loads(line) for line in (tmp_path / "runs" / f"{RUN}.steps.jsonl").read_text().splitlines()]
    assert lines == [
        {"number": 1, "key": "s0", "set": {"status": "running", "started_at": 1000.0, "attempts": 1}},
        {"number": 2, "key": "s0", "set": {"status": "complete", "ended_at": 1001.0, "after": {"desired_capacity": 4}}},
    ]


def test_the_background_saver_coalesces_records_into_one_upload_per_interval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(journal_module, "SAVE_INTERVAL_SECONDS", 0.05)
    remote = DictStore()
    uploaded = threading.Event()
    put_bytes = remote.put_bytes

    def put_and_tell(key: str, body: bytes, content_type: str, content_encoding: str | None = None) -> None:
        put_bytes(key, body, content_type, content_encoding)
        uploaded.set()

    remote.put_bytes = put_and_tell  # type: ignore[method-assign]
    store = JournalStore(tmp_path / "runs", remote)  # type: ignore[arg-type]
    journal = new_journal(3)
    store.save(journal)
    uploaded.clear()
    with store.saving(journal):
        run_steps(store, journal, ["s0", "s1", "s2"])
        assert uploaded.wait(5)
        from_remote = JournalStore(tmp_path / "elsewhere", remote).load(RUN)  # type: ignore[arg-type]
        assert from_remote is not None and from_remote.to_dict() == journal.to_dict()
        assert remote.puts == 2  # the start's save, then one segment of the six records
        assert remote.segments() == [f"runs/{RUN}/records-00000001-00000006.jsonl"]
        assert remote.doc(f"runs/{RUN}.json").get("step_records", 0) == 0  # the document is not uploaded again
        uploaded.clear()
        assert not uploaded.wait(0.3)  # nothing changed: nothing uploaded
    assert f"run-steps/{RUN}" not in "".join(remote.objects)


def test_a_failed_background_upload_is_retried_at_the_next_interval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(journal_module, "SAVE_INTERVAL_SECONDS", 0.05)
    remote = DictStore()
    failures = [ClientError({"Error": {"Code": "SlowDown", "Message": "slow down"}}, "PutObject")]
    put_bytes = remote.put_bytes

    def flaky_put(key: str, body: bytes, content_type: str, content_encoding: str | None = None) -> None:
        if failures:
            raise failures.pop()
        put_bytes(key, body, content_type, content_encoding)

    store = JournalStore(tmp_path / "runs", remote)  # type: ignore[arg-type]
    journal = new_journal(1)
    store.save(journal)
    remote.put_bytes = flaky_put  # type: ignore[method-assign]
    with store.saving(journal):
        run_steps(store, journal, ["s0"])
        assert wait_until(lambda: bool(remote.segments()))
    assert not failures  # the first upload failed; a later one carried the records
    assert remote.segments() == [f"runs/{RUN}/records-00000001-00000002.jsonl"]
    from_remote = JournalStore(tmp_path / "elsewhere", remote).load(RUN)  # type: ignore[arg-type]
    assert from_remote is not None and from_remote.steps["s0"].status == "complete"


def test_an_upload_in_flight_never_blocks_a_step_and_the_final_save_lands_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(journal_module, "SAVE_INTERVAL_SECONDS", 0.05)
    remote = DictStore()
    in_flight, release = threading.Event(), threading.Event()
    put_bytes = remote.put_bytes

    def slow_put(key: str, body: bytes, content_type: str, content_encoding: str | None = None) -> None:
        if not in_flight.is_set():
            in_flight.set()
            assert release.wait(5)
        put_bytes(key, body, content_type, content_encoding)

    store = JournalStore(tmp_path / "runs", remote)  # type: ignore[arg-type]
    journal = new_journal(2)
    store.save(journal)
    remote.put_bytes = slow_put  # type: ignore[method-assign]
    with store.saving(journal):
        run_steps(store, journal, ["s0"])
        assert in_flight.wait(5)
        began = time.monotonic()
        run_steps(store, journal, ["s1"])  # recorded while the upload hangs
        assert time.monotonic() - began < 1
        journal.status = "complete"
        threading.Timer(0.2, release.set).start()
        store.save(journal)  # waits for the upload in flight, then uploads the end
    assert remote.doc(f"runs/{RUN}.json")["status"] == "running"  # the start's document, never uploaded again
    assert remote.segments()[-1].endswith("-00000005.jsonl")  # the end: s1's records and the run's
    loaded = JournalStore(tmp_path / "elsewhere", remote).load(RUN)  # type: ignore[arg-type]
    assert loaded is not None and loaded.status == "complete" and loaded.steps["s1"].status == "complete"
    assert loaded.step_records == 5 and loaded.to_dict() == journal.to_dict()


def test_a_final_save_behind_a_hung_upload_gives_up_after_its_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(journal_module, "SAVE_INTERVAL_SECONDS", 0.05)
    monkeypatch.setattr(journal_module, "FINAL_SAVE_WAIT_SECONDS", 0.2)
    remote = DictStore()
    in_flight, release = threading.Event(), threading.Event()

    def hung_put(key: str, body: bytes, content_type: str, content_encoding: str | None = None) -> None:
        in_flight.set()
        release.wait(5)

    store = JournalStore(tmp_path / "runs", remote)  # type: ignore[arg-type]
    journal = new_journal(1)
    store.save(journal)
    remote.put_bytes = hung_put  # type: ignore[method-assign]
    try:
        with store.saving(journal):
            run_steps(store, journal, ["s0"])
            assert in_flight.wait(5)
            journal.status = "complete"
            began = time.monotonic()
            store.save(journal)
            assert time.monotonic() - began < 2
    finally:
        release.set()
    assert remote.doc(f"runs/{RUN}.json")["status"] == "running"
    assert not remote.segments()  # neither later upload landed
    assert store.load(RUN).status == "complete"  # type: ignore[union-attr]  # the local copy has it all


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
    assert doc["status"] == "complete" and doc["step_records"] == 5 and doc["steps"]["s1"]["status"] == "complete"
    for reader in (store, JournalStore(tmp_path / "elsewhere", remote)):  # type: ignore[arg-type]
        loaded = reader.load(RUN)
        assert loaded is not None and loaded.to_dict() == journal.to_dict()


def test_a_resumed_run_numbers_its_records_after_the_loaded_ones(tmp_path: Path) -> None:
    remote = DictStore()
    store = JournalStore(tmp_path / "runs", remote)  # type: ignore[arg-type]
    journal = new_journal(3)
    store.save(journal)
    run_steps(store, journal, ["s0"])
    journal.status = "failed"
    store.save(journal)
    resumed = JournalStore(tmp_path / "other", remote).load(RUN)  # type: ignore[arg-type]
    assert resumed is not None and resumed.step_records == 3  # s0's two records, then the run's (failed)
    again = JournalStore(tmp_path / "other", remote)  # type: ignore[arg-type]
    again.save(resumed)
    run_steps(again, resumed, ["s1"])
    loaded = again.load(RUN)
    assert loaded is not None and loaded.step_records == 5
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
    assert large[1] < 12 * small[1]  # the local document and records
    assert large[1] / 500 < 2000


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
    remote.put_plain(f"runs/{RUN}.json", doc)
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


def test_latest_reads_the_uploaded_document_from_the_control_store_and_folds_local_records(tmp_path: Path) -> None:
    remote = DictStore()
    store = JournalStore(tmp_path / "runs", remote)  # type: ignore[arg-type]
    journal = new_journal(1)
    store.save(journal)
    run_steps(store, journal, ["s0"])
    assert JournalStore(tmp_path / "runs", None).latest().steps["s0"].status == "complete"  # type: ignore[union-attr]
    journal.status = "complete"
    store.save(journal)
    latest = JournalStore(tmp_path / "elsewhere", remote).latest()  # type: ignore[arg-type]
    assert latest is not None and latest.steps["s0"].status == "complete"


def test_whole_step_records_of_an_earlier_form_apply_and_run_steps_objects_are_ignored(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    journal = new_journal(2)
    (runs / f"{RUN}.json").write_text(json.dumps(journal.to_dict()))
    whole = StepRecord("s0", "scale-out", "us-west-2", status="complete", attempts=1)
    (runs / f"{RUN}.steps.jsonl").write_text(json.dumps({"number": 1, "step": whole.__dict__}) + "\n")
    loaded = JournalStore(runs, None).load(RUN)
    assert loaded is not None and loaded.steps["s0"] == whole and loaded.step_records == 1
    remote = DictStore()
    remote.put_plain(f"runs/{RUN}.json", journal.to_dict())
    remote.put_plain(f"run-steps/{RUN}/00000001.json", {"number": 1, "step": whole.__dict__})
    loaded_remotely = JournalStore(tmp_path / "elsewhere", remote).load(RUN)  # type: ignore[arg-type]
    latest = JournalStore(tmp_path / "third", remote).latest()  # type: ignore[arg-type]
    for found in (loaded_remotely, latest):
        assert found is not None and found.steps["s0"].status == "pending" and found.step_records == 0


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


def run_in_batches(store: JournalStore, remote: DictStore, journal: Journal, batch: int) -> None:
    """Run every step of ``journal`` under the background saver, ``batch`` steps at a time, each batch's records
    uploaded (one segment) before the next batch starts: a run lasting several intervals."""
    keys = list(journal.steps)
    with store.saving(journal):
        for start in range(0, len(keys), batch):
            run_steps(store, journal, keys[start : start + batch])
            last = f"-{journal.step_records:08d}.jsonl"
            assert wait_until(lambda last=last: any(k.endswith(last) for k in remote.segments()))


def test_a_resume_from_another_machine_sees_the_uploaded_segments(tmp_path: Path) -> None:
    remote = DictStore()
    store = JournalStore(tmp_path / "runs", remote, save_interval=0.01)  # type: ignore[arg-type]
    journal = new_journal(6)
    store.save(journal)
    run_in_batches(store, remote, journal, 2)  # then the machine is lost: no final save
    assert remote.segments() == [
        f"runs/{RUN}/records-00000001-00000004.jsonl",
        f"runs/{RUN}/records-00000005-00000008.jsonl",
        f"runs/{RUN}/records-00000009-00000012.jsonl",
    ]
    elsewhere = JournalStore(tmp_path / "elsewhere", remote)  # type: ignore[arg-type]
    resumed = elsewhere.load(RUN)
    assert resumed is not None and resumed.to_dict() == journal.to_dict()
    latest = JournalStore(tmp_path / "third", remote).latest()  # type: ignore[arg-type]
    assert latest is not None and latest.to_dict() == journal.to_dict()

    resumed.steps["s0"].status = "pending"  # the resumed run goes on, numbering after the loaded records
    elsewhere.save(resumed)
    run_steps(elsewhere, resumed, ["s0"])
    resumed.status = "complete"
    elsewhere.save(resumed)
    remote.gets = 0
    final = JournalStore(tmp_path / "fourth", remote).load(RUN)  # type: ignore[arg-type]
    assert final is not None and final.to_dict() == resumed.to_dict() and final.step_records == 15
    # The resumed run's document (records 1-14 included) and its end's segment; the first run's are skipped unread.
    assert remote.gets == 2


def test_a_garbled_trailing_segment_is_skipped_with_a_warning_one_before_it_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warnings: list[str] = []  # not caplog: the CLI's logging setup in an earlier test may stop propagation
    monkeypatch.setattr(journal_segments.log, "warning", lambda msg, *args: warnings.append(msg % args))
    remote = DictStore()
    store = JournalStore(tmp_path / "runs", remote, save_interval=0.01)  # type: ignore[arg-type]
    journal = new_journal(3)
    store.save(journal)
    run_in_batches(store, remote, journal, 1)
    first, second, third = remote.segments()
    remote.objects[third] = remote.objects[third][:-10]  # an upload cut short
    loaded = JournalStore(tmp_path / "elsewhere", remote).load(RUN)  # type: ignore[arg-type]
    assert loaded is not None and loaded.step_records == 4
    assert {k: s.status for k, s in loaded.steps.items()} == {"s0": "complete", "s1": "complete", "s2": "pending"}
    assert len(warnings) == 1 and "are unreadable and ignored" in warnings[0] and third in warnings[0]
    del remote.objects[third]  # a missing one is the same
    assert JournalStore(tmp_path / "again", remote).load(RUN).step_records == 4  # type: ignore[arg-type,union-attr]
    remote.objects[third] = b'{"number": 5, "key": "s2", "set": {}}\nnot json\n'
    remote.objects[second] = b"not json"
    with pytest.raises(JournalUnreadable, match="line 1 is not valid JSON"):
        JournalStore(tmp_path / "third", remote).load(RUN)  # type: ignore[arg-type]
    del remote.objects[second]  # records 3 and 4 lost: a gap, not a lag
    with pytest.raises(JournalUnreadable, match="records 3 to 4 are missing"):
        JournalStore(tmp_path / "fourth", remote).load(RUN)  # type: ignore[arg-type]
    assert JournalStore(tmp_path / "fifth", remote).latest() is None  # type: ignore[arg-type]  # skipped
    assert first in remote.objects


def test_bytes_uploaded_per_step_stay_constant_through_background_intervals(tmp_path: Path) -> None:
    def uploaded(steps: int) -> tuple[int, int]:
        remote = DictStore()
        store = JournalStore(tmp_path / f"runs-{steps}", remote, save_interval=0.01)  # type: ignore[arg-type]
        journal = new_journal(steps)
        store.save(journal)
        run_in_batches(store, remote, journal, max(1, steps // 5))
        journal.status = "complete"
        store.save(journal)
        return remote.bytes_put, len(remote.segments())

    (small, small_segments), (large, large_segments) = uploaded(10), uploaded(100)
    assert small_segments >= 5 and large_segments >= 5  # several intervals, none uploading the whole document
    assert large / 100 <= small / 10 * 1.2  # per step: constant, not growing with the run
    assert large / 100 < 300  # bytes per step, compressed


def test_documents_and_segments_are_uploaded_compressed_and_plain_documents_still_load(tmp_path: Path) -> None:
    remote = DictStore()
    store = JournalStore(tmp_path / "runs", remote)  # type: ignore[arg-type]
    journal = new_journal(2)
    store.save(journal)
    assert remote.objects[f"runs/{RUN}.json"].startswith(b"\x1f\x8b")
    plain = JournalStore(tmp_path / "elsewhere", remote)  # type: ignore[arg-type]
    remote.put_plain(f"runs/{RUN}.json", journal.to_dict())
    for found in (plain.load(RUN), plain.latest()):
        assert found is not None and found.to_dict() == journal.to_dict()
