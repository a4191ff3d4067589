"""A failover killed right after each of its mutating calls, in turn, converges on `--resume` (or a new run).

A first run records the mutating calls a failover makes (the lock heartbeats aside). Then for each call k: a clean
world, a failover in a subprocess killed right after call k (SIGKILL's exit status: no `finally`, no lock release),
then `standby failover --resume RUN` (a new failover when no journal was written), which must converge: complete,
the roles recorded, traffic on the standby, no step that had completed started again, and the lock free in both
regions. One emulator, reset between points; the run lock's lease is small (STANDBY_LOCK_TTL_SECONDS) so a resume
takes over a crashed run's lock quickly. Every point runs, within a budget that fails the test when exceeded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from standby import judgements as j
from standby.aws import route53
from standby.aws.session import SessionFactory
from standby.cli.main import main
from standby.config import load_config
from standby.emulator import reset_endpoint
from standby.state import JournalStore, RegionStates
from standby.state.lock import TTL_ENV, read_holder
from tests.fakes.run_cli_with_faults import CLOCK_SCALE_ENV, KILLED, scaled_controller
from tests.integration.failover.world import World, build_world

REPO = Path(__file__).resolve().parents[3]
EAST, WEST = "us-east-1", "us-west-2"
LEASE_SECONDS = "1"
CLOCK_SCALE = 0.02  # the controller's waits (the DNS drain: 90 s) take 2% of their time
# A hard cap on the points (39 today): about 8 s a point on 2 idle cores, 16 s when the machine is shared.
BUDGET_SECONDS = 1100.0  # under pytest's 1200 s per-test timeout


def run_cli(where: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.fakes.run_cli_with_faults", where, "--", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, TTL_ENV: LEASE_SECONDS, CLOCK_SCALE_ENV: str(CLOCK_SCALE)},
    )


def kill_points(calls: list[tuple[str, str, str]]) -> list[str]:
    """Each recorded call as a harness spec naming it by its region, service, operation and occurrence."""
    seen: Counter[tuple[str, str, str]] = Counter()
    points = []
    for call in calls:
        seen[call] += 1
        region, service, operation = call
        points.append(f"after:{region}:{service}:{operation}:{seen[call]}")
    return points


def fresh_world(endpoint: str, sessions: SessionFactory, loaded, runs: Path) -> World:
    reset_endpoint(endpoint)
    shutil.rmtree(runs, ignore_errors=True)
    return build_world(sessions, loaded.config)


def test_a_failover_killed_after_any_mutating_call_converges(
    clean_emulator, sessions, loaded, cli_config, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv(TTL_ENV, LEASE_SECONDS)
    # the in-process resume's clock (the CLI imports the controller class when it builds one)
    monkeypatch.setattr("standby.failover.controller.Controller", scaled_controller(CLOCK_SCALE))
    cli_loaded = load_config(cli_config)
    runs = cli_loaded.state_dir / "runs"
    args = ("--config", str(cli_config), "failover", "--yes")

    fresh_world(clean_emulator, sessions, loaded, runs)
    recording = tmp_path / "calls.jsonl"
    first = run_cli(f"record:{recording}", *args)
    assert first.returncode == 0, first.stderr
    calls = [tuple(json.loads(line)) for line in recording.read_text().splitlines()]
    points = kill_points(calls)  # type: ignore[arg-type]
    assert ("us-west-2", "dynamodb", "PutItem") in calls and ("us-west-2", "rds", "PromoteReadReplica") in calls
    print(f"\n{len(points)} kill points: {', '.join(p.removeprefix('after:') for p in points)}")

    deadline = time.monotonic() + BUDGET_SECONDS
    for k, point in enumerate(points, 1):
        assert time.monotonic() < deadline, f"over the {BUDGET_SECONDS:.0f}s budget at kill point {k}/{len(points)}"
        world = fresh_world(clean_emulator, sessions, loaded, runs)
        crashed = run_cli(point, *args)
        assert crashed.returncode == KILLED, f"point {k} {point}: {crashed.stderr[-2000:]}"
        journals = sorted(runs.glob("*.json"))
        assert len(journals) <= 1, f"point {k} {point}: {journals}"
        if journals:
            run_id = journals[0].stem
            before = JournalStore(runs, None).load(run_id)  # the document and the step records appended since
            assert before is not None, f"point {k} {point}"
            done_before = {key: s.attempts for key, s in before.steps.items() if s.status == "complete"}
            code = main([*args[:3], "--resume", run_id, "--yes"])
        else:
            done_before = {}
            code = main(list(args))
            run_id = next(runs.glob("*.json")).stem
        assert code == 0, f"point {k} {point}: the resume exited {code}"
        assert_converged(sessions, cli_loaded, world, runs / f"{run_id}.json", done_before, f"point {k} {point}")


def assert_converged(sessions: SessionFactory, loaded, world: World, journal_path: Path, done_before, where) -> None:
    journal = json.loads(journal_path.read_text())
    assert journal["status"] == "complete", where
    rerun = {key: journal["steps"][key]["attempts"] for key in done_before}
    assert rerun == done_before, f"{where}: a completed step ran again"
    states = RegionStates.of(loaded, sessions)
    record = states.role_record()
    assert record is not None and (record.primary, record.standby) == (WEST, EAST), where
    records = route53.list_records(sessions.client("route53", WEST), world.zone_id)
    target = j.traffic_target(records, world.manifest.dns.record_fqdns, (EAST, WEST))
    assert target == {f"{n}.": WEST for n in world.manifest.dns.record_fqdns}, where
    for region, state in states.items():
        assert read_holder(state.store) is None, f"{where}: the lock is still held in {region}"
