"""A stack without databases on the emulator: failover and failback with nothing to promote or re-seed (no
Terraform), reports whose RPO does not apply; and a primary database without its replica refused by preflight."""

from __future__ import annotations

import json
import time

import pytest

from standby.aws.session import SessionFactory
from standby.errors import PreflightFailed
from standby.failover.builders import NO_DATABASES
from standby.failover.controller import Controller
from standby.report.parts import RPO_NOT_APPLICABLE
from standby.state import RegionStates
from tests.fakes.clock import FakeClock
from tests.integration.failover.world import World, build_world

EAST, WEST = "us-east-1", "us-west-2"
DB_SLUGS = {"promote-db", "fence-writes", "restore-writes", "reseed-db"}


@pytest.fixture
def bare_world(clean_emulator, sessions, loaded) -> World:
    return build_world(sessions, loaded.config, databases=False)


def controller(loaded, target) -> Controller:
    """A controller without Terraform: a re-seed step, if one were planned, could not run."""
    sessions = SessionFactory(target=target)
    return Controller(loaded, sessions, RegionStates.of(loaded, sessions), clock=FakeClock(time.time()))


def _report(ctl: Controller) -> dict:
    assert ctl.last_report is not None
    return json.loads(ctl.last_report.files["json"].read_text())


def test_failover_and_failback_without_databases(bare_world, loaded, target) -> None:
    ctl = controller(loaded, target)
    over = ctl.plan("failover")
    assert over.plan.has_databases is False and NO_DATABASES in over.plan.preflight.intent
    journal = ctl.execute(over)
    assert journal.status == "complete"
    assert DB_SLUGS.isdisjoint(s.slug for s in journal.steps.values())
    report = _report(ctl)
    assert report["objectives"]["rpo"]["status"] == "not-applicable"
    assert report["objectives"]["rpo"]["source"] == RPO_NOT_APPLICABLE
    assert report["objectives"]["rto"]["status"] == "met"
    assert RPO_NOT_APPLICABLE in ctl.last_report.files["markdown"].read_text()
    assert RPO_NOT_APPLICABLE in ctl.last_report.files["html"].read_text()

    back = ctl.plan("failback")
    assert back.plan.has_databases is False and NO_DATABASES in back.plan.preflight.intent
    assert ctl.reseed_preview(back) == []
    journal = ctl.execute(back)
    assert journal.status == "complete"
    assert DB_SLUGS.isdisjoint(s.slug for s in journal.steps.values())
    assert _report(ctl)["objectives"]["rpo"]["status"] == "not-applicable"
    assert ctl.status().failed_over is False


def test_a_primary_database_without_a_replica_is_refused_before_any_change(world, loaded, target, sessions) -> None:
    without_replica = world.manifest.model_copy(
        update={
            "regions": {
                **world.manifest.regions,
                WEST: world.manifest.region(WEST).model_copy(update={"databases": ()}),
            }
        }
    )
    ctl = controller(loaded, target)
    ctl.states[WEST].save_manifest(without_replica)
    planned = ctl.plan("failover")
    (problem,) = planned.plan.preflight.problems
    assert "webapp-db" in problem and "no replica in us-west-2" in problem and "docs/stacks.md" in problem
    before = sessions.client("autoscaling", WEST).describe_auto_scaling_groups()["AutoScalingGroups"]
    with pytest.raises(PreflightFailed):
        ctl.execute(planned)
    assert sessions.client("autoscaling", WEST).describe_auto_scaling_groups()["AutoScalingGroups"] == before
