"""Stacks without databases, and the refusal of a primary database without its replica: plans with nothing to
promote or re-seed, an RPO that does not apply (the run passes on its RTO), and refusals before any change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from standby import judgements as j
from standby.config import load_config
from standby.drift.readiness import ReadinessFacts, evaluate
from standby.drill.report import build_report
from standby.errors import PreflightFailed
from standby.failover.builders import NO_DATABASES
from standby.failover.model import FENCE_WRITES, PROMOTE_DB, RESEED_DB, RESTORE_WRITES, RegionObservation
from standby.failover.planner import plan_failback, plan_failover
from standby.provision import PlannedStack, Provisioner, replica_problems
from standby.report.html import render_html
from standby.report.markdown import render_markdown
from standby.report.parts import OBJECTIVE_STATUSES, RPO_NOT_APPLICABLE
from standby.report.run import build_run_report
from standby.stacks import StackTarget
from standby.state import Journal, StepRecord
from standby.state.manifest import Manifest, RegionResources
from standby.state.roles import Assignment
from standby.terraform import Plan, ResourceChange, Workspace
from tests.unit.test_failover_planner import EAST, NOW, WEST, group, manifest, observation, plan, records

REPO = Path(__file__).resolve().parents[2]
DB_STEPS = {PROMOTE_DB, FENCE_WRITES, RESTORE_WRITES, RESEED_DB}


@pytest.fixture
def config():
    return load_config(REPO / "examples" / "webapp" / "standby.toml").config


def without_databases(m: Manifest, *regions: str) -> Manifest:
    """``m`` with the databases of ``regions`` (all when none is named) left out."""
    names = regions or tuple(m.regions)
    kept = {r: res.model_copy(update={"databases": ()}) if r in names else res for r, res in m.regions.items()}
    return m.model_copy(update={"regions": kept})


def no_db_observation(activate: str = WEST, demote: str = EAST, **overrides: Any):
    serving = {activate: 1, demote: 4}
    return observation(
        activate=RegionObservation(activate, True, {f"webapp-web-{activate}": group(activate, serving[activate])}),
        demote=RegionObservation(demote, True, {f"webapp-web-{demote}": group(demote, serving[demote], 2)}),
        replica_lag={},
        **overrides,
    )


# -- the plans ---------------------------------------------------------------------------------------------------


def test_a_failover_without_databases_plans_no_promotion_nor_fence_and_says_so(config) -> None:
    p = plan_failover(
        config, without_databases(manifest()), no_db_observation(), run_id="r1", current=Assignment(EAST, WEST)
    )
    assert not p.preflight.problems
    assert DB_STEPS.isdisjoint(s.slug for s in p.steps)
    assert [s.slug for s in p.steps][:3] == ["preflight", "scale-out", "wait-healthy"]
    assert p.preflight.intent.endswith(NO_DATABASES)
    assert p.has_databases is False and p.to_dict()["has_databases"] is False


def test_a_failover_with_databases_still_promotes_and_fences(config) -> None:
    p = plan(config)
    assert {PROMOTE_DB, FENCE_WRITES} <= {s.slug for s in p.steps}
    assert NO_DATABASES not in p.preflight.intent and p.has_databases is True


def test_a_failback_without_databases_plans_no_reseed_nor_write_restore(config) -> None:
    obs = no_db_observation(EAST, WEST, records=records(WEST))
    p = plan_failback(
        config,
        without_databases(manifest()),
        obs,
        run_id="fb",
        current=Assignment(primary=WEST, standby=EAST),
        region_stack="region",
    )
    assert [s.key for s in p.steps] == [
        "preflight",
        "scale-out:web",
        "wait-healthy:web",
        "shift-traffic",
        "verify",
        "drain",
        "scale-in:web",
        "record",
    ]
    assert p.step("scale-out:web").depends_on == ("preflight",)
    assert p.step("record").depends_on == ("scale-in:web",)
    assert p.preflight.intent.endswith(NO_DATABASES) and p.has_databases is False


# -- the refusal of a database without its replica -----------------------------------------------------------------


def test_the_failover_preflight_refuses_a_primary_database_without_a_replica(config) -> None:
    obs = observation(activate=RegionObservation(WEST, True, {f"webapp-web-{WEST}": group(WEST, 1)}), replica_lag={})
    refused = plan_failover(
        config, without_databases(manifest(), WEST), obs, run_id="r1", current=Assignment(EAST, WEST)
    )
    assert [s.slug for s in refused.steps] == ["preflight"]
    (problem,) = refused.preflight.problems
    assert "webapp-db" in problem and f"in {EAST} has no replica in {WEST}" in problem
    assert "docs/stacks.md" in problem


@pytest.mark.parametrize(
    ("primary", "replicas", "unreplicated"),
    [
        ((), (), ()),
        (("db",), ("db",), ()),
        (("db",), (), ("db",)),
        (("a", "b"), ("a",), ("b",)),
        (("a",), ("other-name",), ()),  # one replica each: paired whatever their names
        (("a", "b"), ("x",), ("a", "b")),
    ],
)
def test_unreplicated_databases(primary, replicas, unreplicated) -> None:
    assert j.unreplicated_databases(primary, replicas) == unreplicated


def _planned(region: str, role: str, *dbs: tuple[str, str | None, bool]) -> PlannedStack:
    """A region stack's plan holding databases (identifier, replicate_source_db, created by this plan)."""
    resources = tuple(
        {
            "address": f"module.database[0].aws_db_instance.this{i}",
            "mode": "managed",
            "type": "aws_db_instance",
            "values": {"identifier": name, "replicate_source_db": source},
        }
        for i, (name, source, _) in enumerate(dbs)
    )
    changes = tuple(
        ResourceChange(r["address"], "aws_db_instance", "this", ("create",))
        for r, (_, _, created) in zip(resources, dbs, strict=True)
        if created
    )
    workspace = Workspace(f"region/{region}", Path("."), Path("."))
    target = StackTarget("region", "region", region, role, workspace, {})  # type: ignore[arg-type]
    return PlannedStack(
        target, Plan(Path("plan"), changes, planned_values={"root_module": {"resources": list(resources)}})
    )


ARN = f"arn:aws:rds:{EAST}:1:db:webapp-db"
HOME = Assignment(primary=EAST, standby=WEST)


def test_provision_refuses_a_standby_without_the_primarys_database() -> None:
    stacks = [_planned(EAST, "primary", ("webapp-db", None, True)), _planned(WEST, "standby")]
    (problem,) = replica_problems(HOME, stacks)
    assert "database webapp-db in us-east-1 has no replica in us-west-2" in problem and "docs/stacks.md" in problem


def test_provision_refuses_a_standby_database_created_standalone() -> None:
    stacks = [
        _planned(EAST, "primary", ("webapp-db", None, True)),
        _planned(WEST, "standby", ("webapp-db", None, True)),
    ]
    problems = replica_problems(HOME, stacks)
    assert any("webapp-db would be created in us-west-2" in p and "replicate_source_db unset" in p for p in problems)


@pytest.mark.parametrize(
    "stacks",
    [
        [_planned(EAST, "primary", ("webapp-db", None, True)), _planned(WEST, "standby", ("webapp-db", ARN, True))],
        [_planned(EAST, "primary"), _planned(WEST, "standby")],  # no database anywhere
        # after a failover the standby's database is the promoted old primary's: existing, no source, not refused
        [_planned(EAST, "primary", ("webapp-db", None, False)), _planned(WEST, "standby", ("webapp-db", None, False))],
        [_planned(EAST, "primary", ("webapp-db", None, True))],  # only the primary planned: nothing to compare
    ],
)
def test_provision_accepts_replicated_or_database_free_stacks(stacks) -> None:
    assert replica_problems(HOME, stacks) == ()


def test_the_provisioners_plan_raises_before_anything_is_applied(tmp_path: Path) -> None:
    loaded = load_config(REPO / "examples" / "webapp" / "standby.toml")
    planned = {EAST: _planned(EAST, "primary", ("webapp-db", None, True)), WEST: _planned(WEST, "standby")}

    class Runner:
        applied: list[str] = []

        def init(self, workspace: Workspace) -> None: ...

        def plan(self, workspace: Workspace, variables: Any) -> Plan:
            region = workspace.name.rsplit("/", 1)[-1]
            found = planned[region].plan
            assert found is not None
            return found

    class Stacks:
        runner = Runner()

        def region_targets(self, assignment: Assignment, regions: tuple[str, ...]) -> list[StackTarget]:
            return [planned[r].target for r in regions]

    provisioner = Provisioner(loaded, Stacks(), None, assignment=HOME)  # type: ignore[arg-type]
    with pytest.raises(PreflightFailed, match="has no replica") as raised:
        provisioner.plan("all")
    assert "docs/stacks.md" in (raised.value.hint or "")


# -- the objectives and the reports ----------------------------------------------------------------------------


def _journal(kind: str, *, has_databases: bool | None) -> Journal:
    """A run that scaled out, became healthy and moved traffic within 40 s; no promotion."""
    journal = Journal(f"r-{kind}", kind, WEST, EAST, started_at=NOW, status="complete", ended_at=NOW + 45)
    if has_databases is not None:
        journal.plan = {"has_databases": has_databases}
    for key, slug, start, end in [
        ("preflight", "preflight", 0, 1),
        ("scale-out:web", "scale-out", 1, 2),
        ("wait-healthy:web", "wait-healthy", 2, 30),
        ("shift-traffic", "shift-traffic", 30, 40),
        ("verify", "verify", 40, 45),
    ]:
        journal.steps[key] = StepRecord(key, slug, WEST, "complete", NOW + start, NOW + end)
    return journal


def _drill(config, measured: Journal):
    return build_report(
        config,
        mode="isolated",
        run_id=measured.run_id,
        measured=measured,
        restores=[],
        before={},
        after={},
        left_behind=[],
        error=None,
        finished_at=NOW + 60,
    )


def test_without_databases_a_drill_passes_on_its_rto_and_says_the_rpo_does_not_apply(config) -> None:
    report = _drill(config, _journal("drill", has_databases=False))
    assert report.passed
    rpo = report.to_dict()["objectives"]["rpo"]
    assert rpo == {
        "status": "not-applicable",
        "measured_seconds": None,
        "objective_seconds": config.objectives.rpo_seconds,
        "met": None,
        "source": "not applicable (no replicated data store)",
    }
    assert report.to_dict()["objectives"]["rto"]["status"] == "met"
    doc = report.to_dict()
    assert RPO_NOT_APPLICABLE in render_markdown(doc) and "❌" not in render_markdown(doc)
    html = render_html(doc)
    assert 'class="objective-not-applicable"' in html and RPO_NOT_APPLICABLE in html and "not met" not in html


@pytest.mark.parametrize("has_databases", [True, None])  # None: a journal written before plans said so
def test_with_databases_and_no_rpo_measured_the_drill_still_fails(config, has_databases) -> None:
    report = _drill(config, _journal("drill", has_databases=has_databases))
    assert not report.passed
    assert report.objectives.rpo.status == "not-met" and report.objectives.rto.status == "met"


def test_without_databases_an_rto_beyond_its_objective_still_fails_the_drill(config) -> None:
    slow = config.model_copy(update={"objectives": config.objectives.model_copy(update={"rto_seconds": 10})})
    report = _drill(slow, _journal("drill", has_databases=False))
    assert not report.passed and report.objectives.rto.status == "not-met"


def test_a_run_report_without_databases_says_the_rpo_does_not_apply(config) -> None:
    doc = build_run_report(config, _journal("failover", has_databases=False), now=NOW + 60).to_dict()
    assert doc["objectives"]["rpo"]["status"] == "not-applicable"
    assert doc["objectives"]["rpo"]["source"] == RPO_NOT_APPLICABLE
    assert RPO_NOT_APPLICABLE in render_markdown(doc) and RPO_NOT_APPLICABLE in render_html(doc)
    with_db = build_run_report(config, _journal("failover", has_databases=True), now=NOW + 60).to_dict()
    assert with_db["objectives"]["rpo"]["status"] == "not-met"


def test_every_objective_status_is_one_of_the_pinned_words(config) -> None:
    statuses = {_drill(config, _journal("drill", has_databases=flag)).objectives.rpo.status for flag in (True, False)}
    assert statuses <= set(OBJECTIVE_STATUSES)


# -- drift readiness ---------------------------------------------------------------------------------------------


def _readiness(**values: Any) -> list:
    return evaluate(ReadinessFacts(standby_region=WEST, lag_bound=60.0, **values))


def test_readiness_says_the_replica_lag_does_not_apply_without_databases() -> None:
    (finding,) = [f for f in _readiness() if f.resource.startswith("database")]
    assert (finding.status, finding.resource, finding.attribute) == ("ok", "databases", "replica_lag_seconds")
    assert RPO_NOT_APPLICABLE in finding.reason


def test_readiness_finds_a_primary_database_without_its_replica() -> None:
    found = {(f.resource, f.attribute): f for f in _readiness(primary_databases=("webapp-db",))}
    drift = found[("database:webapp-db", "replication")]
    assert drift.status == "drift" and "docs/stacks.md" in drift.reason
    assert not any(f.resource == "databases" for f in found.values())
    replicated = _readiness(primary_databases=("webapp-db",), replica_lags={"webapp-db": 1.0})
    assert [(f.resource, f.status) for f in replicated if f.resource.startswith("database")] == [
        ("database:webapp-db", "ok")
    ]


def test_a_manifest_knows_whether_it_has_databases() -> None:
    assert manifest().has_databases and not without_databases(manifest()).has_databases
    assert not Manifest(project="p", written_at=0.0, regions={EAST: RegionResources(region=EAST)}).has_databases
