"""The write-marker canary: RPO measured end to end on S3 replication, and no marker left behind.

The emulator stores replication rules but copies nothing: a LaggingReplicator (a named fake, pumped at every
simulated second by a SteppingClock) copies the markers after a set lag.
"""

from __future__ import annotations

import time

import pytest

from standby.aws import s3
from standby.aws.session import SessionFactory
from standby.config.schema import CanarySettings, LoadedConfig
from standby.drill.canary import Canary
from standby.drill.runner import DrillRunner
from standby.failover.controller import Controller
from standby.state import RegionStates
from standby.state.roles import Assignment
from tests.fakes.clock import FakeClock
from tests.fakes.s3_replication import LaggingReplicator, SteppingClock
from tests.integration.drill.test_isolated_drill import put_replica_lag

EAST, WEST = "us-east-1", "us-west-2"
PRIMARY, STANDBY = f"webapp-{EAST}-data", f"webapp-{WEST}-data"
PREFIX = "standby-canary/"
INTERVAL = 5.0
STEP = 2.0  # simulated seconds between pumps


def make_buckets(sessions: SessionFactory) -> None:
    """The region stack's data buckets (versioned, as replication requires)."""
    for region, bucket in ((EAST, PRIMARY), (WEST, STANDBY)):
        s3.create_bucket(sessions.client("s3", region), bucket, region)


def all_versions(sessions: SessionFactory, region: str, bucket: str) -> list[str]:
    page = sessions.client("s3", region).list_object_versions(Bucket=bucket, Prefix=PREFIX)
    return [v["Key"] for v in (page.get("Versions") or []) + (page.get("DeleteMarkers") or [])]


def with_canary(loaded: LoadedConfig, **settings: float) -> LoadedConfig:
    canary = CanarySettings(
        primary_bucket="{project}-{region}-data",
        standby_bucket="{project}-{region}-data",
        interval_seconds=INTERVAL,
        **settings,
    )
    drill = loaded.config.drill.model_copy(update={"canary": canary})
    return loaded.model_copy(update={"config": loaded.config.model_copy(update={"drill": drill})})


def replicator(sessions: SessionFactory, clock: FakeClock, lag: float) -> LaggingReplicator:
    return LaggingReplicator(
        sessions.client("s3", EAST),
        PRIMARY,
        sessions.client("s3", WEST),
        STANDBY,
        prefix=PREFIX,
        lag_seconds=lag,
        clock=clock,
    )


def drill(loaded: LoadedConfig, target, sessions: SessionFactory, lag: float, tmp_path) -> dict:
    clock = SteppingClock(time.time(), step=STEP)
    clock.listeners.append(replicator(sessions, clock, lag).pump)

    def canary_factory(config, sessions_, assignment, run_id, clk):
        canary = Canary.for_drill(config, sessions_, assignment, run_id, clk)
        assert canary is not None
        clock.listeners.insert(0, canary.tick)  # each simulated second: write what is due, then replicate
        return canary

    sessions = SessionFactory(target=target)
    controller = Controller(loaded, sessions, RegionStates.of(loaded, sessions), clock=clock)
    runner = DrillRunner(controller, canary_factory=canary_factory)
    return runner.run("isolated", tmp_path / "reports").report.to_dict()


def test_lagging_replicator_copies_once_after_the_lag(clean_emulator, sessions) -> None:
    make_buckets(sessions)
    clock = FakeClock()
    east = sessions.client("s3", EAST)
    rep = replicator(sessions, clock, lag=10)
    east.put_object(Bucket=PRIMARY, Key=f"{PREFIX}a.json", Body=b"{}")
    east.put_object(Bucket=PRIMARY, Key="elsewhere.json", Body=b"{}")
    assert rep.pump() == []
    clock.advance(9)
    assert rep.pump() == []
    clock.advance(1)
    assert rep.pump() == [f"{PREFIX}a.json"]
    assert rep.pump() == []
    assert s3.list_keys(sessions.client("s3", WEST), STANDBY, "") == [f"{PREFIX}a.json"]


def test_canary_thread_writes_on_the_clock_and_stops_clean(clean_emulator, sessions, loaded) -> None:
    make_buckets(sessions)
    clock = FakeClock()
    config = with_canary(loaded, warmup_timeout_seconds=0).config
    canary = Canary.for_drill(config, sessions, Assignment(EAST, WEST), "run-1", clock)
    assert canary is not None and (canary.primary_bucket, canary.standby_bucket) == (PRIMARY, STANDBY)
    canary.poll_seconds = 0.01
    canary.start()
    deadline = time.monotonic() + 10
    for _ in range(3):
        clock.advance(INTERVAL)
        wanted = canary.observe(None).written + 1
        while canary.observe(None).written < wanted and time.monotonic() < deadline:
            time.sleep(0.01)
    keys = s3.list_keys(sessions.client("s3", EAST), PRIMARY, PREFIX)
    assert keys == [f"{PREFIX}run-1/{n:06d}.json" for n in range(4)]
    first = s3.get_json(sessions.client("s3", EAST), PRIMARY, keys[0])
    assert first["written_at"] == clock.now() - 3 * INTERVAL
    # Nothing replicated: observe says so, and the markers still in flight are reported as possibly arriving.
    assert canary.observe(clock.now()).estimate_seconds is None
    left = canary.stop(drain_timeout=0)
    assert not canary._thread.is_alive()
    assert [d.key for d in left] == [f"s3://{STANDBY}/{k}" for k in keys]
    assert all_versions(sessions, EAST, PRIMARY) == []


@pytest.mark.parametrize(("lag", "met"), [(30.0, True), (90.0, False)])
def test_canary_rpo_reflects_the_replication_lag(world, loaded, target, sessions, tmp_path, lag, met) -> None:
    make_buckets(sessions)
    put_replica_lag(sessions, 2.0)  # the database is nearly in sync: the bucket's lag is what loses data
    report = drill(with_canary(loaded), target, sessions, lag, tmp_path)
    rpo = report["objectives"]["rpo"]
    assert lag <= rpo["measured_seconds"] <= lag + INTERVAL + STEP, rpo
    assert rpo["measured_seconds"] == rpo["canary"]["estimate_seconds"]
    assert rpo["replica_lag_seconds"] == 2.0
    assert "ReplicaLag" in rpo["source"] and "canary" in rpo["source"]
    assert rpo["met"] is met and report["status"] == ("passed" if met else "failed"), (
        report["error"],
        report["objectives"],
    )
    assert rpo["canary"]["markers_replicated"] >= 1 and rpo["canary"]["problem"] is None
    assert report["left_behind"] == []
    assert all_versions(sessions, EAST, PRIMARY) == [] and all_versions(sessions, WEST, STANDBY) == []


def test_replica_lag_wins_when_larger(world, loaded, target, sessions, tmp_path) -> None:
    make_buckets(sessions)
    put_replica_lag(sessions, 50.0)
    rpo = drill(with_canary(loaded), target, sessions, 10.0, tmp_path)["objectives"]["rpo"]
    assert rpo["measured_seconds"] == 50.0 and rpo["canary"]["estimate_seconds"] < 50.0


def test_no_replication_leaves_the_rpo_unknown(world, loaded, target, sessions, tmp_path) -> None:
    make_buckets(sessions)
    put_replica_lag(sessions, 2.0)
    report = drill(with_canary(loaded, warmup_timeout_seconds=20), target, sessions, 10_000.0, tmp_path)
    rpo = report["objectives"]["rpo"]
    assert rpo["measured_seconds"] is None and not rpo["met"] and report["status"] == "failed"
    assert "no canary marker had reached the standby bucket" in rpo["source"]
    # The markers never arrived: they may still be replicated later, and the report says so.
    assert report["left_behind"] and all("in flight" in d["after"] for d in report["left_behind"])
    assert all_versions(sessions, EAST, PRIMARY) == []
