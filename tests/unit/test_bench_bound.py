"""bench.bound and the failover benchmark's figures: the lower bound comes from the plan and the latency model alone."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest

from bench.bound import PLANNING, lower_bound, step_min_seconds
from bench.failover import (
    JSON_FIELDS,
    TABLE_END,
    TABLE_START,
    LatencyModel,
    SimulatedAws,
    json_rows,
    measure,
    parse_args,
    sizes_of,
    with_table,
)
from standby.config.schema import Capacity
from standby.failover import model as m
from standby.state import Assignment
from standby.state.journal import Journal, StepRecord

WEST, EAST = "us-west-2", "us-east-1"


def failover_plan(groups: int = 1, drain: float = 90.0) -> list[m.Step]:
    """A failover's steps as the planner lays them out: capacity, then the fence, promotion, traffic, verify,
    record; the old side scaled in after the drain."""
    steps: list[m.Step] = [m.Preflight(key="preflight", slug="preflight", region=WEST)]
    waits = []
    for i in range(groups):
        scale = m.ScaleGroup(
            key=f"scale-out:g{i}",
            slug="scale-out",
            region=WEST,
            depends_on=("preflight",),
            group=f"g{i}",
            autoscaling_group=f"asg-{i}",
            target=Capacity(min_size=2, max_size=8, desired_capacity=4),
        )
        wait = m.WaitHealthy(
            key=f"wait-healthy:g{i}",
            slug="wait-healthy",
            region=WEST,
            depends_on=(scale.key,),
            group=f"g{i}",
            autoscaling_group=f"asg-{i}",
            target_group_arn="arn:tg",
            desired=4,
        )
        steps += [scale, wait]
        waits.append(wait.key)
    steps += [
        m.FenceWrites(key="fence-writes", slug="fence-writes", region=EAST, depends_on=tuple(waits), record_in=WEST),
        m.PromoteDb(
            key="promote-db:db",
            slug="promote-db",
            region=WEST,
            depends_on=("fence-writes",),
            identifier="db",
            arn="arn:db",
        ),
        m.ShiftTraffic(
            key="shift-traffic",
            slug="shift-traffic",
            region=WEST,
            depends_on=(*waits, "promote-db:db"),
            zone_id="Z1",
            names=("www",),
            activate=WEST,
        ),
        m.Verify(key="verify", slug="verify", region=WEST, depends_on=("shift-traffic",), activate=WEST),
        m.RecordRoles(
            key="record", slug="record", region=WEST, depends_on=("verify",), assignment=Assignment(WEST, EAST)
        ),
        m.Drain(key="drain", slug="drain", region=EAST, depends_on=("shift-traffic", "verify"), seconds=drain),
        m.FenceGroups(key="fence-primary", slug="fence-primary", region=EAST, depends_on=("drain",), groups=("a",)),
    ]
    return steps


def test_the_bound_is_the_longest_chain_of_modelled_minimum_costs() -> None:
    path = lower_bound(failover_plan(), LatencyModel())
    planning = 0.1 + 0.1 + 0.1 + 0.2  # one read each: groups, targets, databases, records
    capacity = 0.3 + (120.0 + 0.1 + 0.1)  # update; Pending 120 s, then one probe
    fence = 0.05 + 0.1  # the note, then the database's groups
    promote = 0.2 + 300.0 + 0.1
    dns = 0.5 + 30.0 + 0.1
    verify = 0.1 + 0.1 + 0.1 + 0.2
    scale_in = 90.0 + 0.3
    assert path.seconds == pytest.approx(planning + capacity + fence + promote + dns + verify + scale_in)
    assert path.chain == (
        PLANNING,
        "preflight",
        "scale-out:g0",
        "wait-healthy:g0",
        "fence-writes",
        "promote-db:db",
        "shift-traffic",
        "verify",
        "drain",
        "fence-primary",
    )


def test_the_bound_follows_the_model_settle_times() -> None:
    base = lower_bound(failover_plan(), LatencyModel()).seconds
    assert lower_bound(failover_plan(), LatencyModel(promotion=600.0)).seconds == pytest.approx(base + 300.0)
    assert lower_bound(failover_plan(), LatencyModel(dns_insync=60.0)).seconds == pytest.approx(base + 30.0)
    assert lower_bound(failover_plan(), LatencyModel(instance_bootstrap=60.0)).seconds == pytest.approx(base - 60.0)


def test_groups_are_parallel_branches_so_the_bound_does_not_grow_with_them() -> None:
    model = LatencyModel()
    assert lower_bound(failover_plan(500), model).seconds == pytest.approx(lower_bound(failover_plan(1), model).seconds)


def test_a_step_planned_as_done_or_skipped_costs_nothing() -> None:
    promote = next(s for s in failover_plan() if isinstance(s, m.PromoteDb))
    assert step_min_seconds(promote, LatencyModel()) > 300
    assert step_min_seconds(replace(promote, nochange=True), LatencyModel()) == 0.0
    assert step_min_seconds(replace(promote, skip_reason="region unreachable"), LatencyModel()) == 0.0


def test_the_figures_take_the_bound_from_the_plan_never_from_the_journal_spans() -> None:
    """A journal whose steps took far longer than the model (time lost inside them) leaves the bound unchanged:
    the ratio grows instead."""
    steps = failover_plan()
    model = LatencyModel()
    journal = Journal("20261128T000000Z-failover-ab12", "failover", WEST, EAST, started_at=1010.0)
    journal.command_started_at = 1000.0  # planning took 10 s
    at = 1010.0
    for step in steps:
        took = 2000.0 if step.slug == "promote-db" else 1.0
        journal.steps[step.key] = StepRecord(step.key, step.slug, step.region, "complete", at, at + took)
        at += took
    journal.ended_at = at
    journal.status = "complete"
    sim = SimulatedAws(SimpleNamespace(), model)  # type: ignore[arg-type]
    figures = measure(1, SimpleNamespace(steps=steps), journal, sim, model, plan_seconds=10.0)
    bound = lower_bound(steps, model).seconds
    assert figures["lower_bound_s"] == pytest.approx(bound, abs=0.05)
    assert figures["wall_s"] == pytest.approx(at - 1000.0)  # planning counted
    assert figures["ratio"] == pytest.approx((at - 1000.0) / bound, abs=1e-3)
    assert figures["ratio"] > 3  # the spans took ~2,020 s: a bound from them would make it ~1


def test_json_rows_carry_exactly_the_published_fields() -> None:
    row = {f: 1 for f in JSON_FIELDS} | {"max_parallel": 256, "steps": 8, "operations": {}}
    assert json_rows([row]) == [{f: 1 for f in JSON_FIELDS}]
    assert set(JSON_FIELDS) == {
        "groups",
        "wall_s",
        "lower_bound_s",
        "ratio",
        "planning_s",
        "api_calls",
        "calls_per_group",
        "journal_bytes",
        "route53_changes",
    }


def test_sizes() -> None:
    assert sizes_of(parse_args([])) == [1, 10, 100, 500, 1000]
    assert sizes_of(parse_args(["--quick"])) == [1, 10, 100]
    assert sizes_of(parse_args(["--sizes", "2,3"])) == [2, 3]


def test_the_readme_table_is_replaced_between_its_markers() -> None:
    readme = f"# Benchmarks\n\nbefore\n\n{TABLE_START}\nold table\n{TABLE_END}\n\nafter\n"
    once = with_table(readme, "new table")
    assert once == f"# Benchmarks\n\nbefore\n\n{TABLE_START}\nnew table\n{TABLE_END}\n\nafter\n"
    assert with_table(once, "new table") == once


def test_the_readme_table_is_appended_with_its_markers_when_they_are_missing() -> None:
    written = with_table("# Benchmarks\n", "table")
    assert written == f"# Benchmarks\n\n{TABLE_START}\ntable\n{TABLE_END}\n"
    assert with_table(written, "other").count(TABLE_START) == 1
