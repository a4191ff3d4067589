"""An isolated drill of a stack without databases on the emulator: nothing promoted, passed on its RTO alone."""

from __future__ import annotations

import json
import time

import pytest

from standby.aws.session import SessionFactory
from standby.drill.runner import DrillRunner
from standby.failover.controller import Controller
from standby.report.parts import RPO_NOT_APPLICABLE
from standby.state import RegionStates
from tests.fakes.clock import FakeClock
from tests.integration.failover.world import World, build_world


@pytest.fixture
def bare_world(clean_emulator, sessions, loaded) -> World:
    return build_world(sessions, loaded.config, databases=False)


def test_an_isolated_drill_without_databases_passes_on_its_rto(bare_world, loaded, target, tmp_path) -> None:
    sessions = SessionFactory(target=target)
    runner = DrillRunner(Controller(loaded, sessions, RegionStates.of(loaded, sessions), clock=FakeClock(time.time())))
    result = runner.run("isolated", tmp_path / "reports")
    report = result.report.to_dict()
    assert report["status"] == "passed", report
    assert report["objectives"]["rpo"] == {
        "status": "not-applicable",
        "measured_seconds": None,
        "objective_seconds": loaded.config.objectives.rpo_seconds,
        "met": None,
        "source": RPO_NOT_APPLICABLE,
    }
    assert report["objectives"]["rto"]["status"] == "met"
    assert "promote" not in [p["name"] for p in report["phases"]]
    assert not [s for s in report["steps"] if s["slug"] in ("promote-db", "delete-copy")]
    assert report["left_behind"] == []
    assert json.loads(result.files["json"].read_text()) == report
    assert RPO_NOT_APPLICABLE in result.files["markdown"].read_text()
    assert "**PASSED**" in result.files["markdown"].read_text()
    assert 'class="objective-not-applicable"' in result.files["html"].read_text()
