"""The failover planner: tables of observations in, plans out — no AWS."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from standby import judgements as j
from standby.aws.autoscaling import GroupState
from standby.aws.rds import DbInstance
from standby.aws.route53 import Record
from standby.config import load_config
from standby.config.schema import Capacity
from standby.failover.model import (
    DRAIN,
    PROMOTE_DB,
    Drain,
    FenceGroups,
    Observation,
    PromoteDb,
    RegionObservation,
    ScaleGroup,
    ShiftTraffic,
)
from standby.failover.planner import plan_failback, plan_failover
from standby.state.manifest import CapacitySnapshot, DnsRefs, GroupRef, Manifest, RegionResources
from standby.state.roles import Assignment

REPO = Path(__file__).resolve().parents[2]
EAST, WEST = "us-east-1", "us-west-2"
NOW = 1_800_000_000.0


@pytest.fixture
def config():
    return load_config(REPO / "examples" / "webapp" / "standby.toml").config


def manifest() -> Manifest:
    def region(r: str) -> RegionResources:
        return RegionResources(
            region=r,
            groups={"web": GroupRef(autoscaling_group=f"webapp-web-{r}", target_group_arn=f"arn:tg:{r}")},
            databases=("webapp-db",),
        )

    return Manifest(
        project="webapp",
        written_at=NOW,
        regions={EAST: region(EAST), WEST: region(WEST)},
        dns=DnsRefs(zone_id="Z1", zone_name="webapp.example.internal", record_fqdns=("www.webapp.example.internal",)),
    )


def group(region: str, desired: int, min_size: int = 1) -> GroupState:
    return GroupState(f"webapp-web-{region}", min_size, 8, desired, desired, desired, desired)


def database(region: str, source: str | None) -> DbInstance:
    return DbInstance(
        "webapp-db", f"arn:aws:rds:{region}:1:db:webapp-db", "available", "postgres", "15", "db.t3.micro", source, ()
    )


def records(primary: str, *, evicted: tuple[str, ...] = ()) -> tuple[Record, ...]:
    out = []
    for r in (EAST, WEST):
        if r in evicted:
            continue
        raw = {
            "Name": "www.webapp.example.internal.",
            "Type": "A",
            "SetIdentifier": r,
            "Failover": "PRIMARY" if r == primary else "SECONDARY",
        }
        out.append(Record(raw["Name"], "A", r, raw["Failover"], None, None, (), f"lb.{r}", None, raw))
    return tuple(out)


def observation(**overrides) -> Observation:
    base = dict(
        now=NOW,
        account="123456789012",
        activate=RegionObservation(
            WEST,
            True,
            {f"webapp-web-{WEST}": group(WEST, 1)},
            {"webapp-db": database(WEST, f"arn:aws:rds:{EAST}:1:db:webapp-db")},
        ),
        demote=RegionObservation(
            EAST, True, {f"webapp-web-{EAST}": group(EAST, 4, 2)}, {"webapp-db": database(EAST, None)}
        ),
        records=records(EAST),
        replica_lag={"webapp-db": 2.0},
        snapshot=CapacitySnapshot(
            taken_at=NOW - 600, source_region=EAST, groups={"web": Capacity(min_size=2, max_size=8, desired_capacity=6)}
        ),
        vcpu_quota=None,
    )
    base.update(overrides)
    return Observation(**base)


def plan(config, obs=None, **kw):
    return plan_failover(
        config, manifest(), obs or observation(), run_id="r1", current=Assignment(primary=EAST, standby=WEST), **kw
    )


def test_happy_path_plan_shape(config) -> None:
    p = plan(config)
    assert [s.key for s in p.steps] == [
        "preflight",
        "scale-out:web",
        "wait-healthy:web",
        "fence-writes",
        "promote-db:webapp-db",
        "shift-traffic",
        "verify",
        "record",
        "drain",
        "fence-primary",
    ]
    deps = {s.key: s.depends_on for s in p.steps}
    assert deps["scale-out:web"] == ("preflight",)
    assert deps["fence-writes"] == ("wait-healthy:web",)  # the old primary is fenced once capacity is proven
    assert deps["promote-db:webapp-db"] == ("fence-writes",)
    assert set(deps["shift-traffic"]) == {"wait-healthy:web", "promote-db:webapp-db"}
    assert deps["record"] == ("verify",)
    assert set(deps["drain"]) == {"shift-traffic", "verify"}
    assert deps["fence-primary"] == ("drain",)
    assert p.step("drain").seconds == config.traffic.ttl + config.failover.drain_seconds
    assert not any(s.nochange for s in p.steps)


def test_the_fence_steps_show_the_limit_that_applies(config) -> None:
    """A fence step waits on the demoted region for its timeout within the per-step budget for that region: the
    plan says the smaller of the two, which is what the step keeps to."""
    capped = config.model_copy(
        update={
            "failover": config.failover.model_copy(update={"fence_timeout_seconds": 60, "demote_budget_seconds": 10})
        }
    )
    p = plan(capped)
    for key in ("fence-writes", "fence-primary"):
        assert "(best effort, 10s at most)" in p.step(key).intent, p.step(key).intent
        assert p.step(key).timeout_seconds == 10
    roomy = config.model_copy(
        update={
            "failover": config.failover.model_copy(update={"fence_timeout_seconds": 5, "demote_budget_seconds": 10})
        }
    )
    assert "(best effort, 5s at most)" in plan(roomy).step("fence-primary").intent


def test_a_step_is_keyed_by_its_slug_or_one_per_item() -> None:
    one = Drain.of(DRAIN, EAST, depends_on=("verify",), seconds=5.0)
    per = PromoteDb.of(PROMOTE_DB, WEST, per="webapp-db", identifier="webapp-db", arn="arn:db")
    assert (one.key, one.slug, one.region, one.depends_on, one.seconds) == ("drain", DRAIN, EAST, ("verify",), 5.0)
    assert (per.key, per.slug, per.region) == ("promote-db:webapp-db", PROMOTE_DB, WEST)


def test_the_journal_keeps_every_plan_field_and_each_steps_common_fields(config) -> None:
    p = plan(config)
    doc = json.loads(json.dumps(p.to_dict()))
    assert set(doc) == {"run_id", "kind", "activate", "demote", "steps", "targets", "target_source", "has_databases"}
    assert doc["has_databases"] is True  # the run reports read it: without databases the RPO does not apply
    assert (doc["run_id"], doc["kind"], doc["activate"], doc["demote"]) == ("r1", "failover", WEST, EAST)
    assert doc["target_source"] == p.target_source
    assert doc["targets"] == {"web": {"min_size": 2, "max_size": 8, "desired_capacity": 6}}
    assert [s["key"] for s in doc["steps"]] == [s.key for s in p.steps]
    fence = doc["steps"][[s.key for s in p.steps].index("fence-writes")]
    assert fence == {
        "key": "fence-writes",
        "slug": "fence-writes",
        "region": EAST,
        "depends_on": ["wait-healthy:web"],
        "intent": p.step("fence-writes").intent,
        "nochange": False,
        "skip_reason": "",
    }


def ancestors(p, key: str) -> set[str]:
    """Every step that must end before ``key`` starts."""
    steps = {s.key: s for s in p.steps}
    found: set[str] = set()
    todo = list(steps[key].depends_on)
    while todo:
        k = todo.pop()
        if k not in found:
            found.add(k)
            todo.extend(steps[k].depends_on)
    return found


@pytest.mark.parametrize("kind", ["failover", "failback"])
def test_the_serving_side_is_degraded_only_after_the_other_is_proven(config, kind: str) -> None:
    """Fencing waits for healthy capacity on the activated side; the demoted side loses capacity only after
    traffic has moved and the TTL and drain time have passed."""
    if kind == "failover":
        p = plan(config)
    else:
        obs = observation(
            activate=RegionObservation(
                EAST, True, {f"webapp-web-{EAST}": group(EAST, 0, 0)}, {"webapp-db": database(EAST, None)}
            ),
            demote=RegionObservation(
                WEST, True, {f"webapp-web-{WEST}": group(WEST, 6, 2)}, {"webapp-db": database(WEST, None)}
            ),
            records=records(WEST),
        )
        p = plan_failback(
            config, manifest(), obs, run_id="fb", current=Assignment(primary=WEST, standby=EAST), region_stack="region"
        )
    demoted = [s for s in p.steps if s.region == p.demote and s.slug in ("fence-writes", "fence-primary", "scale-in")]
    assert demoted
    for step in demoted:
        before = ancestors(p, step.key)
        assert "wait-healthy:web" in before, step.key
        if step.slug != "fence-writes":
            assert {"shift-traffic", "drain"} <= before, step.key


def test_target_comes_from_the_capacity_snapshot(config) -> None:
    p = plan(config)
    scale = p.step("scale-out:web")
    assert isinstance(scale, ScaleGroup)
    assert scale.target == Capacity(min_size=2, max_size=8, desired_capacity=6)
    assert p.target_source == f"capacity snapshot of {EAST} taken 10 min ago"


def test_without_snapshot_the_declared_capacity_is_used_and_warned(config) -> None:
    p = plan(config, observation(snapshot=None))
    assert p.step("scale-out:web").target.desired_capacity == 4
    assert "no capacity snapshot of the primary recorded: scaling to the declared capacity" in p.preflight.warnings


def test_primary_unreachable_skips_fencing_only(config) -> None:
    obs = observation(demote=RegionObservation(EAST, False, error="Could not connect to the endpoint URL"))
    p = plan(config, obs)
    fence = p.step("fence-primary")
    assert isinstance(fence, FenceGroups)
    assert fence.skip_reason == "region unreachable (Could not connect to the endpoint URL)"
    assert not p.preflight.problems
    assert isinstance(p.step("promote-db:webapp-db"), PromoteDb)


def test_rerun_after_completion_is_all_nochange(config) -> None:
    obs = observation(
        activate=RegionObservation(
            WEST, True, {f"webapp-web-{WEST}": group(WEST, 6, 2)}, {"webapp-db": database(WEST, None)}
        ),
        demote=RegionObservation(EAST, True, {f"webapp-web-{EAST}": group(EAST, 0, 0)}, {}),
        records=records(WEST, evicted=(EAST,)),  # the failover deleted the demoted region's failover record
    )
    p = plan_failover(config, manifest(), obs, run_id="r2", current=Assignment(primary=WEST, standby=EAST))
    nochange = {s.key for s in p.steps if s.nochange}
    assert nochange == {"fence-primary", "promote-db:webapp-db", "scale-out:web", "shift-traffic", "record"}
    assert not p.step("fence-writes").nochange  # judged when it runs: the old primary's rules are read then


@pytest.mark.parametrize(
    ("status", "source", "nochange", "judged"),
    [
        ("available", None, True, "promoted"),
        ("available", f"arn:aws:rds:{EAST}:1:db:webapp-db", False, "replica"),
        ("modifying", f"arn:aws:rds:{EAST}:1:db:webapp-db", False, "promoting"),  # waited on by the step
        ("modifying", None, False, "promoting"),  # link gone but not yet available: not done
    ],
)
def test_promote_step_is_planned_from_aws_state_alone(config, status, source, nochange, judged) -> None:
    db = DbInstance(
        "webapp-db", f"arn:aws:rds:{WEST}:1:db:webapp-db", status, "postgres", "15", "db.t3.micro", source, ()
    )
    act = RegionObservation(WEST, True, {f"webapp-web-{WEST}": group(WEST, 1)}, {"webapp-db": db})
    step = plan(config, observation(activate=act)).step("promote-db:webapp-db")
    assert step.nochange is nochange
    assert f"({judged})" in step.intent


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"replica_lag": {"webapp-db": 300.0}}, "replica lag of webapp-db is 300s, above the RPO of 60s"),
        ({"activate": RegionObservation(WEST, False, error="boom")}, "cannot reach us-west-2: boom"),
        (
            {"activate": RegionObservation(WEST, True, {}, {"webapp-db": database(WEST, "x")})},
            "auto scaling group webapp-web-us-west-2 (group web) not found in us-west-2",
        ),
        (
            {"activate": RegionObservation(WEST, True, {f"webapp-web-{WEST}": group(WEST, 1)}, {})},
            "database webapp-db not found in us-west-2",
        ),
    ],
)
def test_preflight_refusals(config, overrides, problem) -> None:
    p = plan(config, observation(**overrides))
    assert problem in p.preflight.problems
    assert [s.key for s in p.steps] == ["preflight"]


def test_rpo_breach_can_be_accepted(config) -> None:
    p = plan(config, observation(replica_lag={"webapp-db": 300.0}), accept_rpo_breach=True)
    assert not p.preflight.problems
    assert any("accepted with --accept-rpo-breach" in w for w in p.preflight.warnings)


def test_unknown_lag_and_quota_are_warnings(config) -> None:
    p = plan(config, observation(replica_lag={"webapp-db": None}))
    assert "no recent ReplicaLag datapoint for webapp-db: the data loss (RPO) is unknown" in p.preflight.warnings
    assert "the EC2 vCPU quota in us-west-2 is unknown: capacity headroom not checked" in p.preflight.warnings


def test_quota_too_small_refuses(config) -> None:
    p = plan(config, observation(vcpu_quota=8.0, vcpus_per_instance={f"webapp-web-{WEST}": 2}))
    assert "the target capacity needs 12 vCPUs; the quota in us-west-2 is 8" in p.preflight.problems


def test_wrong_account_refuses(config) -> None:
    cfg = config.model_copy(update={"regions": config.regions.model_copy(update={"standby_account": "999999999999"})})
    p = plan(cfg)
    assert "the caller's account is 123456789012, the config expects 999999999999 in us-west-2" in p.preflight.problems


def test_no_manifest_refuses(config) -> None:
    p = plan_failover(config, None, observation(), run_id="r", current=Assignment(primary=EAST, standby=WEST))
    assert p.preflight.problems == ("no manifest in us-west-2's control store: run `standby provision` first",)


def test_shift_traffic_plans_one_batch(config) -> None:
    shift = plan(config).step("shift-traffic")
    assert isinstance(shift, ShiftTraffic)
    assert shift.intent == "send www.webapp.example.internal to us-west-2 (2 record change(s) in one batch, zone Z1)"
    assert shift.evict == (EAST,)  # the demoted region's record is deleted, not left a live SECONDARY


def test_failover_evicts_the_demoted_record_and_failback_restores_it() -> None:
    names = ["www.webapp.example.internal"]
    changes = j.traffic_changes(records(EAST), names, WEST, (WEST, EAST), evict=(EAST,))
    assert [(c["Action"], c["ResourceRecordSet"]["SetIdentifier"]) for c in changes] == [
        ("DELETE", EAST),  # in the records' order, as before: the old primary's record leaves first
        ("UPSERT", WEST),
    ]
    assert changes[1]["ResourceRecordSet"]["Failover"] == "PRIMARY"
    evicted = changes[0]["ResourceRecordSet"]
    back = j.traffic_changes(records(WEST, evicted=(EAST,)), names, EAST, (EAST, WEST), restore=[evicted])
    assert [
        (c["Action"], c["ResourceRecordSet"]["SetIdentifier"], c["ResourceRecordSet"]["Failover"]) for c in back
    ] == [
        ("UPSERT", EAST, "PRIMARY"),
        ("UPSERT", WEST, "SECONDARY"),
    ]
    # a record that is back already is not restored twice; another region's saved record is not restored
    assert j.traffic_changes(records(EAST), names, EAST, (EAST, WEST), restore=[evicted]) == []


def test_failback_plan_order(config) -> None:
    obs = observation(
        activate=RegionObservation(
            EAST, True, {f"webapp-web-{EAST}": group(EAST, 0, 0)}, {"webapp-db": database(EAST, None)}
        ),
        demote=RegionObservation(
            WEST, True, {f"webapp-web-{WEST}": group(WEST, 6, 2)}, {"webapp-db": database(WEST, None)}
        ),
        records=records(WEST),
    )
    p = plan_failback(
        config, manifest(), obs, run_id="fb", current=Assignment(primary=WEST, standby=EAST), region_stack="region"
    )
    assert [s.key for s in p.steps] == [
        "preflight",
        f"reseed-db:{EAST}",
        f"restore-writes:{EAST}",
        "scale-out:web",
        "wait-healthy:web",
        "fence-writes",
        "promote-db:webapp-db",
        "shift-traffic",
        "verify",
        "drain",
        "scale-in:web",
        f"reseed-db:{WEST}",
        f"restore-writes:{WEST}",
        "record",
    ]
    assert p.step("scale-out:web").target == Capacity(min_size=2, max_size=8, desired_capacity=4)
    assert p.step("scale-in:web").target == Capacity(min_size=1, max_size=8, desired_capacity=1)
    assert p.step("fence-writes").region == WEST
    assert "fence-primary" not in [s.key for s in p.steps]  # the serving region is never scaled to zero


def test_failback_needs_both_regions(config) -> None:
    obs = observation(activate=RegionObservation(EAST, True), demote=RegionObservation(WEST, False, error="down"))
    p = plan_failback(
        config, manifest(), obs, run_id="fb", current=Assignment(primary=WEST, standby=EAST), region_stack="region"
    )
    assert p.preflight.problems == ("cannot reach us-west-2: failback is a planned switchover and needs both regions",)


def test_health_check_mode_plans_a_switch_flip_and_reads_no_records(config) -> None:
    cfg = config.model_copy(update={"failover": config.failover.model_copy(update={"traffic_mode": "health-check"})})
    p = plan(cfg, observation(records=None, evacuated={EAST: False, WEST: False}))
    shift = p.step("shift-traffic")
    assert isinstance(shift, ShiftTraffic) and shift.mode == "health-check" and not shift.nochange
    done = plan(cfg, observation(records=None, evacuated={EAST: True, WEST: False}))
    assert done.step("shift-traffic").nochange
    assert done.step("verify").mode == "health-check"


def test_failback_after_an_unrecorded_failover_never_replaces_the_home_primary(config) -> None:
    """Roles never switched (the failover stopped before its record step): the home primary keeps its data."""
    obs = observation(
        activate=RegionObservation(
            EAST, True, {f"webapp-web-{EAST}": group(EAST, 0, 0)}, {"webapp-db": database(EAST, None)}
        ),
        demote=RegionObservation(
            WEST, True, {f"webapp-web-{WEST}": group(WEST, 6, 2)}, {"webapp-db": database(WEST, None)}
        ),
        records=records(EAST),
    )
    p = plan_failback(
        config, manifest(), obs, run_id="fb", current=Assignment(primary=EAST, standby=WEST), region_stack="region"
    )
    keys = [s.key for s in p.steps]
    assert f"reseed-db:{EAST}" not in keys
    assert keys[1:3] == [f"restore-writes:{EAST}", "scale-out:web"]
    assert p.step("scale-out:web").depends_on == ("preflight",)
    assert f"reseed-db:{WEST}" in keys
