"""The run lock against the emulator: a lease kept by a heartbeat, judged by observation, mirrored in both regions;
crashes at the lock's acquisition and at the end of a run; `standby unlock`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from standby import processes
from standby.aws import dynamodb
from standby.aws.session import SessionFactory
from standby.cli.main import main
from standby.config import load_config
from standby.errors import LockHeld
from standby.failover.controller import Controller
from standby.state import RegionStates
from standby.state import lock as lock_module
from standby.state.lock import LOCK_ID, TTL_ENV, RunLock, read_holder
from tests.fakes.aws_faults import RegionOutage
from tests.fakes.clock import FakeClock
from tests.fakes.run_cli_with_faults import CLOCK_SCALE_ENV, KILLED, scaled_controller

REPO = Path(__file__).resolve().parents[3]
EAST, WEST = "us-east-1", "us-west-2"
LEASE = 1.0
CLOCK_SCALE = 0.02  # the controller's waits (the DNS drain: 90 s) take 2% of their time


@pytest.fixture
def states(sessions: SessionFactory, loaded) -> RegionStates:
    return RegionStates.of(loaded, sessions)


def lock(states: RegionStates, region: str, run_id: str, *, mirrored: bool = True) -> RunLock:
    other = states.fast()[states.other(region)] if mirrored else None
    return states[region].lock(run_id, "alice@laptop", mirror=other, ttl_seconds=LEASE)


def crashed_holder(states: RegionStates, region: str, run_id: str, **fields: str) -> None:
    """The item a run leaves when it is killed right after taking the lock: no heartbeat follows."""
    store = states[region].store
    store.ensure()
    item = {"holder": run_id, "operator": "bob@server", "token": "dead", "beat": "3", "ttl_seconds": f"{LEASE:g}"}
    assert dynamodb.put_if_absent(store.dynamodb(), store.lock_table, LOCK_ID, {**item, **fields})


def test_the_heartbeat_renews_the_lease_and_release_frees_both_regions(world, states) -> None:
    held = lock(states, WEST, "20261128T000000Z-failover-aaaa")
    held.acquire()
    assert held.mirrored
    first = read_holder(states[WEST].store)
    time.sleep(LEASE)
    later = read_holder(states[WEST].store)
    assert first is not None and later is not None and later.beat > first.beat
    assert (later.run_id, later.operator) == ("20261128T000000Z-failover-aaaa", "alice@laptop")
    assert read_holder(states[EAST].store) is not None  # the mirror
    held.release()
    assert read_holder(states[WEST].store) is None and read_holder(states[EAST].store) is None


def test_the_heartbeat_counts_its_interval_on_the_locks_clock(world, states, monkeypatch) -> None:
    """A beat per interval of the lock's own clock (the bench runs it scaled): none while that clock stands still,
    however long the real wait; one per interval once it moves."""
    monkeypatch.setattr(lock_module, "BEAT_WAIT_SCALE", 0.1)  # wake every 0.1 × the 0.25 s interval, in real time
    clock = FakeClock()
    held = lock(states, WEST, "20261128T000000Z-failover-cccc", mirrored=False)
    held.monotonic = clock.now
    held.acquire()
    try:
        first = read_holder(states[WEST].store)
        time.sleep(0.5)  # two real intervals; the lock's clock has not moved
        still = read_holder(states[WEST].store)
        assert first is not None and still is not None and still.beat == first.beat
        clock.advance(LEASE / 4)
        deadline = time.monotonic() + 5
        while (moved := read_holder(states[WEST].store)) is not None and moved.beat == first.beat:
            assert time.monotonic() < deadline, "no beat after an interval of the lock's clock"
            time.sleep(0.02)
        time.sleep(0.2)
        after = read_holder(states[WEST].store)
        assert after is not None and after.beat == first.beat + 1  # one interval, one beat
    finally:
        held.release()


def test_a_live_holder_is_never_taken_over_even_by_its_own_run_id(world, states) -> None:
    """L3: `--resume A` while A still runs: A's heartbeat is seen moving, so the resume refuses."""
    live = lock(states, WEST, "20261128T000000Z-failover-aaaa")
    live.acquire()
    try:
        started = time.monotonic()
        with pytest.raises(LockHeld, match=r"run 20261128T000000Z-failover-aaaa by alice@laptop .* heartbeat is live"):
            lock(states, WEST, "20261128T000000Z-failover-aaaa").acquire()
        assert time.monotonic() - started < 3 * LEASE
        assert not live.lost
    finally:
        live.release()


def test_a_crashed_holder_is_taken_over_after_its_lease_on_the_contenders_clock(world, states) -> None:
    """L1: a run killed right after taking the lock (its journal says running, or there is none): free once its
    beat has been seen unchanged for its lease, whatever the wall-clock fields say."""
    crashed_holder(states, WEST, "20261128T000000Z-failover-dead", acquired_at="9999999999", beat_at="9999999999")
    started = time.monotonic()
    taker = lock(states, WEST, "20261128T000000Z-failover-bbbb")
    taker.acquire()
    try:
        assert time.monotonic() - started >= LEASE
        holder = read_holder(states[WEST].store)
        assert holder is not None and holder.run_id == "20261128T000000Z-failover-bbbb"
    finally:
        taker.release()


def test_a_crashed_holder_found_gone_in_one_region_is_not_watched_again_in_the_other(world, states) -> None:
    """A run killed while holding both regions' items (one token): the resumed run watches the first for a lease
    and takes the second over at once. Another holder's item in the second region is still watched."""
    crashed_holder(states, WEST, "20261128T000000Z-failover-dead")
    crashed_holder(states, EAST, "20261128T000000Z-failover-dead")
    started = time.monotonic()
    taker = lock(states, WEST, "20261128T000000Z-failover-dead")
    taker.acquire()
    try:
        elapsed = time.monotonic() - started
        assert LEASE <= elapsed < 1.7 * LEASE  # one lease watched, not two
        assert taker.mirrored
        assert {read_holder(states[r].store).token for r in (WEST, EAST)} == {taker.token}
    finally:
        taker.release()

    crashed_holder(states, WEST, "20261128T000000Z-failover-dead")
    crashed_holder(states, EAST, "20261128T000000Z-failback-gone", token="other")
    started = time.monotonic()
    taker = lock(states, WEST, "20261128T000000Z-failover-dead")
    taker.acquire()
    try:
        assert time.monotonic() - started >= 2 * LEASE  # a different holder: its own lease is watched
        assert read_holder(states[EAST].store).token == taker.token
    finally:
        taker.release()


def ended_process() -> tuple[int, str]:
    """The pid and start of a process that ran on this machine and has ended (reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    started = processes.start(child.pid)
    child.communicate(b"")
    assert started and processes.has_ended(child.pid, started)
    return child.pid, started


def test_a_holder_whose_process_ended_on_this_machine_is_taken_over_at_once(world, states) -> None:
    """Its item names its pid and start in this pid namespace: no lease is watched, in either region."""
    pid, started = ended_process()
    here = {"pid": str(pid), "started": started, "namespace": processes.namespace() or "", "ttl_seconds": "300"}
    crashed_holder(states, WEST, "20261128T000000Z-failover-dead", **here)
    crashed_holder(states, EAST, "20261128T000000Z-failover-dead", **here)
    began = time.monotonic()
    taker = lock(states, WEST, "20261128T000000Z-failover-dead")
    taker.acquire()
    try:
        assert time.monotonic() - began < LEASE  # a lease of 300 s, not watched
        assert taker.mirrored
        assert {read_holder(states[r].store).token for r in (WEST, EAST)} == {taker.token}
    finally:
        taker.release()


@pytest.mark.parametrize("where", ["another machine", "this machine, alive"])
def test_a_holder_whose_process_cannot_be_seen_ended_is_watched_for_its_lease(world, states, where) -> None:
    """Another machine's (or container's) pid says nothing here; a live process here is not taken over at once
    (without a beat, its lease decides)."""
    if where == "another machine":
        pid, started = ended_process()
        fields = {"pid": str(pid), "started": started, "namespace": "0b0e1d00-other-boot/pid:4026531836"}
    else:
        fields = {"pid": str(os.getpid()), "started": processes.start(os.getpid()), "namespace": processes.namespace()}
    crashed_holder(states, WEST, "20261128T000000Z-failover-dead", **fields)
    began = time.monotonic()
    taker = lock(states, WEST, "20261128T000000Z-failover-bbbb", mirrored=False)
    taker.acquire()
    try:
        assert time.monotonic() - began >= LEASE
    finally:
        taker.release()


def test_a_finished_runs_lock_is_free_at_once(world, states, loaded) -> None:
    """L2: killed after its final journal save, before the delete: its journal says complete."""
    sessions = states.sessions
    ctl = Controller(loaded, sessions, states, clock=FakeClock(time.time()))
    finished = ctl.execute(ctl.plan("failover"))
    crashed_holder(states, WEST, finished.run_id, token="dead")
    held = RunLock(states[WEST].store, "x", "y")  # no journal lookup: observation only
    started = time.monotonic()
    taker = lock(states, WEST, "20261128T000000Z-failback-cccc")
    taker.acquire()
    assert time.monotonic() - started < LEASE
    taker.release()
    assert held.token != taker.token


def test_a_zombie_holder_loses_its_lease_and_deletes_nothing_of_the_new_holder(world, states) -> None:
    zombie = lock(states, WEST, "20261128T000000Z-failover-aaaa", mirrored=False)
    zombie.acquire()
    for beat in zombie._beats:  # the process stalls: no heartbeat for longer than the lease
        beat.stopped.set()
        beat.join()
    taker = lock(states, WEST, "20261128T000000Z-failover-aaaa", mirrored=False)
    taker.acquire()
    zombie.release()
    holder = read_holder(states[WEST].store)
    assert holder is not None and holder.token == taker.token
    taker.release()


def test_a_failback_refuses_while_a_failover_holds_the_mirror(world, states) -> None:
    failover = lock(states, WEST, "20261128T000000Z-failover-aaaa")
    failover.acquire()
    try:
        # the failback's own region holds the failover's mirror, with a live heartbeat
        with pytest.raises(LockHeld, match=f"in {EAST}: run 20261128T000000Z-failover-aaaa"):
            lock(states, EAST, "20261128T000000Z-failback-bbbb").acquire()
        assert read_holder(states[EAST].store).run_id == "20261128T000000Z-failover-aaaa"  # the mirror stays
    finally:
        failover.release()


def test_an_unreachable_other_region_is_skipped_not_waited_on(world, target, loaded) -> None:
    outage = RegionOutage([EAST])
    sessions = SessionFactory(target=target, on_client=outage)
    states = RegionStates.of(loaded, sessions)
    held = lock(states, WEST, "20261128T000000Z-failover-aaaa")
    started = time.monotonic()
    held.acquire()
    assert time.monotonic() - started < 10
    assert not held.mirrored and outage.refused > 0
    held.release()


def test_two_contenders_for_a_crashed_lock_one_wins(world, states) -> None:
    crashed_holder(states, WEST, "20261128T000000Z-failover-dead")
    outcomes: list[str] = []
    contenders = [lock(states, WEST, f"20261128T000000Z-failover-{n}000", mirrored=False) for n in range(2)]

    def contend(contender: RunLock) -> None:
        try:
            contender.acquire()
            outcomes.append("held")
        except LockHeld:
            outcomes.append("refused")

    threads = [threading.Thread(target=contend, args=(c,)) for c in contenders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for c in contenders:
        c.release()
    assert sorted(outcomes) == ["held", "refused"]


def test_unlock_shows_the_holder_and_releases_both_regions(world, states, cli_config, capsys, monkeypatch) -> None:
    crashed_holder(states, WEST, "20261128T000000Z-failover-dead", acquired_at="1800000000")
    crashed_holder(states, EAST, "20261128T000000Z-failover-dead")
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert main(["--config", str(cli_config), "unlock", "20261128T000000Z-failover-dead"]) == 10
    err = capsys.readouterr().err
    assert f"{WEST}: held by run 20261128T000000Z-failover-dead by bob@server since 2027-01-15" in err
    assert read_holder(states[WEST].store) is not None
    assert main(["--config", str(cli_config), "unlock", "20261128T000000Z-other-0000", "--yes"]) == 2
    assert "the lock is held by 20261128T000000Z-failover-dead" in capsys.readouterr().err
    code = main(["--config", str(cli_config), "--output", "json", "unlock", "20261128T000000Z-failover-dead", "--yes"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert sorted(doc["result"]["released"]) == [EAST, WEST]
    assert doc["result"]["holders"][WEST]["beat"] == 3
    assert read_holder(states[WEST].store) is None and read_holder(states[EAST].store) is None


# -- crashes of the CLI in a subprocess ---------------------------------------------------------------------------


def run_cli(where: str, cli_config: Path, *args: str, lease: float = LEASE) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.fakes.run_cli_with_faults", where, "--", "--config", str(cli_config), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, TTL_ENV: f"{lease:g}", CLOCK_SCALE_ENV: str(CLOCK_SCALE)},
    )


def only_journal(cli_config: Path) -> tuple[str, dict]:
    journals = sorted((load_config(cli_config).state_dir / "runs").glob("*.json"))
    assert len(journals) == 1, journals
    return journals[0].stem, json.loads(journals[0].read_text())


@pytest.mark.parametrize("then", ["new-run", "resume"])
def test_killed_right_after_taking_the_lock(world, states, cli_config, then, monkeypatch) -> None:
    """L1: the journal exists before the lock (status running); a new run proceeds, and so does `--resume` — no
    exit 8 for hours (here at once: the killed holder's process ended on this machine; elsewhere after the
    lease)."""
    monkeypatch.setenv(TTL_ENV, f"{LEASE:g}")
    monkeypatch.setattr("standby.failover.controller.Controller", scaled_controller(CLOCK_SCALE))
    crashed = run_cli(f"after:{WEST}:dynamodb:PutItem:1", cli_config, "failover", "--yes")
    assert crashed.returncode == KILLED, crashed.stderr
    run_id, journal = only_journal(cli_config)
    assert journal["status"] == "running"
    assert read_holder(states[WEST].store).run_id == run_id
    if then == "resume":
        assert main(["--config", str(cli_config), "failover", "--resume", run_id, "--yes"]) == 0
        assert only_journal(cli_config)[1]["status"] == "complete"
    else:
        assert main(["--config", str(cli_config), "failover", "--yes"]) == 0
    assert read_holder(states[WEST].store) is None and read_holder(states[EAST].store) is None


def test_a_run_killed_outright_is_resumed_on_the_same_machine_without_waiting_its_lease(
    world, states, cli_config, monkeypatch
) -> None:
    """SIGKILL or the OOM killer: no `finally` runs, the journal says running, the lock stays with a long lease (five
    minutes here). The resume on the same machine sees the holder's process has ended and takes the lock over at
    once, in both regions."""
    monkeypatch.setenv(TTL_ENV, "300")
    monkeypatch.setattr("standby.failover.controller.Controller", scaled_controller(CLOCK_SCALE))
    crashed = run_cli(f"after:{WEST}:autoscaling:UpdateAutoScalingGroup:1", cli_config, "failover", "--yes", lease=300)
    assert crashed.returncode == KILLED, crashed.stderr
    run_id, journal = only_journal(cli_config)
    assert journal["status"] == "running"
    held = [read_holder(states[r].store) for r in (WEST, EAST)]
    assert [h.run_id if h else None for h in held] == [run_id, run_id]
    assert held[0].ttl_seconds == 300 and held[0].namespace == processes.namespace()
    started = time.monotonic()
    assert main(["--config", str(cli_config), "failover", "--resume", run_id, "--yes"]) == 0
    assert time.monotonic() - started < 120  # the run itself, on the scaled clock: no lease of 300 s watched
    assert only_journal(cli_config)[1]["status"] == "complete"
    assert read_holder(states[WEST].store) is None and read_holder(states[EAST].store) is None


@pytest.mark.parametrize("then", ["new-run", "resume"])
def test_killed_after_the_final_journal_save(world, states, cli_config, then, monkeypatch) -> None:
    """L2: the journal says complete, the lock is still there: it is free at once, and `--resume` converges."""
    monkeypatch.setenv(TTL_ENV, f"{LEASE:g}")
    monkeypatch.setattr("standby.failover.controller.Controller", scaled_controller(CLOCK_SCALE))
    crashed = run_cli(f"{WEST}:DeleteItem", cli_config, "failover", "--yes")
    assert crashed.returncode == KILLED, crashed.stderr
    run_id, journal = only_journal(cli_config)
    assert journal["status"] == "complete"
    assert read_holder(states[WEST].store).run_id == run_id
    monkeypatch.setenv(TTL_ENV, "3600")  # no waiting on a lease: the finished journal frees the lock
    if then == "resume":
        assert main(["--config", str(cli_config), "failover", "--resume", run_id, "--yes"]) == 0
        finished = only_journal(cli_config)[1]
        assert finished["status"] == "complete"
        assert {s["attempts"] for s in finished["steps"].values()} == {1}
    else:
        assert main(["--config", str(cli_config), "failover", "--yes"]) == 0  # re-running it plans no-ops
    assert read_holder(states[WEST].store) is None and read_holder(states[EAST].store) is None
