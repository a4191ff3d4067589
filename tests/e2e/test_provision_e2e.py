"""Provisioning examples/webapp with the real terraform and AWS provider against the emulator."""

from __future__ import annotations

import json

import pytest

from standby.aws import autoscaling, rds, route53
from standby.cli.main import main
from standby.provision import Provisioner
from standby.stacks import Stacks
from standby.state import RegionStates
from standby.state.roles import Assignment
from standby.state.store import MANIFEST_KEY

pytestmark = pytest.mark.e2e

EAST, WEST = "us-east-1", "us-west-2"


def provisioner(env) -> Provisioner:
    return Provisioner(
        env.loaded,
        Stacks(env.loaded, env.runner, env.secrets),
        RegionStates.of(env.loaded, env.sessions),
        assignment=Assignment.home(env.loaded.config),
    )


def groups(env, region: str) -> list[autoscaling.GroupState]:
    return autoscaling.describe_groups(env.sessions.client("autoscaling", region))


def test_primary_at_full_scale_standby_at_minimal_scale(provisioned_webapp) -> None:
    env = provisioned_webapp
    [east] = groups(env, EAST)
    [west] = groups(env, WEST)
    assert (east.min_size, east.max_size, east.desired_capacity, east.in_service) == (2, 8, 4, 4)
    # ceil(4 × 0.25) = 1, at least the floor of 1; max as the primary's so a failover fits.
    assert (west.min_size, west.max_size, west.desired_capacity, west.in_service) == (1, 8, 1, 1)


def test_standby_database_replicates_the_primary(provisioned_webapp) -> None:
    env = provisioned_webapp
    [primary] = rds.describe_instances(env.sessions.client("rds", EAST))
    [replica] = rds.describe_instances(env.sessions.client("rds", WEST))
    assert primary.replica_source is None
    assert replica.replica_source == primary.arn == "arn:aws:rds:us-east-1:123456789012:db:webapp-db"


def test_failover_records_are_present(provisioned_webapp) -> None:
    env = provisioned_webapp
    client = env.sessions.client("route53", EAST)
    zone = route53.find_zone(client, "webapp.example.internal")
    assert zone is not None
    service = sorted(
        (r.name, r.set_identifier, r.failover) for r in route53.list_records(client, zone.id) if r.type == "A"
    )
    assert service == [
        ("api.webapp.example.internal.", EAST, "PRIMARY"),
        ("api.webapp.example.internal.", WEST, "SECONDARY"),
        ("www.webapp.example.internal.", EAST, "PRIMARY"),
        ("www.webapp.example.internal.", WEST, "SECONDARY"),
    ]


def test_manifest_and_capacity_snapshot_are_recorded_in_both_regions(provisioned_webapp) -> None:
    env = provisioned_webapp
    stores = RegionStates.of(env.loaded, env.sessions)
    for region in (EAST, WEST):
        manifest = stores[region].store.get(MANIFEST_KEY)
        assert manifest["regions"][WEST]["groups"]["web"]["autoscaling_group"] == "webapp-web"
        assert manifest["dns"]["record_fqdns"] == ["www.webapp.example.internal", "api.webapp.example.internal"]
    snapshot = stores[WEST].capacity_snapshot()
    assert snapshot is not None and snapshot.source_region == EAST
    assert snapshot.groups["web"].desired_capacity == 4


def test_second_provision_plans_no_changes_through_the_cli(provisioned_webapp, capsys) -> None:
    env = provisioned_webapp
    assert main(["--config", str(env.config_path), "--output", "json", "provision", "--plan"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["command"] == "provision" and doc["status"] == "ok"
    assert [(s["stack"], s["region"], s["summary"]) for s in doc["result"]["stacks"]] == [
        ("region", EAST, "no changes"),
        ("region", WEST, "no changes"),
        ("dns", None, "no changes"),
    ]


def test_out_of_band_scale_out_is_not_undone(provisioned_webapp) -> None:
    env = provisioned_webapp
    client = env.sessions.client("autoscaling", WEST)
    autoscaling.set_capacity(client, "webapp-web", desired=3)
    try:
        plan = provisioner(env).plan(WEST)
        [planned] = plan.stacks
        assert planned.plan is not None
        assert not planned.plan.has_changes, planned.plan.summary()
        drifted = {d.address: d.attributes for d in planned.plan.drift}
        assert "desired_capacity" in drifted['module.compute["web"].aws_autoscaling_group.this']
    finally:
        autoscaling.set_capacity(client, "webapp-web", desired=1)
