"""Pure provisioning decisions: workspaces, variables per region, the DNS stack's inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from standby.config import load_config
from standby.errors import UsageError
from standby.stacks import global_variables, region_variables, select_regions, workspace_for
from standby.state.roles import Assignment

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def loaded():
    return load_config(REPO / "examples" / "webapp" / "standby.toml")


def test_both_regions_get_the_same_stack_differing_in_role_and_capacity(loaded) -> None:
    c = loaded.config
    a = Assignment.home(c)
    stack = c.stacks["region"]
    primary = region_variables(c, stack, "us-east-1", a, {"db_password": "pw"})
    standby = region_variables(c, stack, "us-west-2", a, {"db_password": "pw"})
    differing = {k for k in primary if primary[k] != standby[k]}
    assert differing == {"role", "region", "capacity"}
    assert primary["capacity"] == {"web": {"min_size": 2, "max_size": 8, "desired_capacity": 4}}
    assert standby["capacity"] == {"web": {"min_size": 1, "max_size": 8, "desired_capacity": 1}}
    assert (standby["primary_region"], standby["standby_region"]) == ("us-east-1", "us-west-2")
    assert primary["tags"]["standby:project"] == "webapp"
    assert primary["db_password"] == "pw"


def test_after_failover_the_standby_region_plans_as_primary(loaded) -> None:
    c = loaded.config
    swapped = Assignment.home(c).swapped()
    west = region_variables(c, c.stacks["region"], "us-west-2", swapped, {})
    east = region_variables(c, c.stacks["region"], "us-east-1", swapped, {})
    assert west["role"] == "primary" and west["capacity"]["web"]["desired_capacity"] == 4
    assert east["role"] == "standby" and east["primary_region"] == "us-west-2"


def test_workspaces_are_separate_per_stack_and_region(loaded) -> None:
    c = loaded.config
    east = workspace_for(loaded, "region", c.stacks["region"], "us-east-1")
    west = workspace_for(loaded, "region", c.stacks["region"], "us-west-2")
    dns = workspace_for(loaded, "dns", c.stacks["dns"], None)
    assert east.data_dir != west.data_dir
    assert east.backend_config == {"path": str(loaded.state_dir / "state" / "region-us-east-1.tfstate")}
    assert dns.name == "dns/global"
    assert east.stack_dir == REPO / "terraform" / "stacks" / "region"


def test_backend_config_placeholders(loaded) -> None:
    stack = loaded.config.stacks["region"].model_copy(
        update={"backend_config": {"bucket": "tf-{project}", "key": "{stack}/{region}.tfstate"}}
    )
    ws = workspace_for(loaded, "region", stack, "us-west-2")
    assert ws.backend_config == {"bucket": "tf-webapp", "key": "region/us-west-2.tfstate"}


def test_global_stack_waits_for_both_load_balancers(loaded) -> None:
    c = loaded.config
    a = Assignment.home(c)
    east = {"lb_dns_names": {"web": "east.elb"}, "lb_zone_ids": {"web": "Z1"}}
    west = {"lb_dns_names": {"web": "west.elb"}, "lb_zone_ids": {"web": "Z2"}}
    assert global_variables(c, c.stacks["dns"], a, {"us-east-1": east}) is None
    variables = global_variables(c, c.stacks["dns"], a, {"us-east-1": east, "us-west-2": west})
    assert variables is not None
    assert variables["endpoints"] == {
        "primary": {"region": "us-east-1", "lb_dns_name": "east.elb", "lb_zone_id": "Z1"},
        "standby": {"region": "us-west-2", "lb_dns_name": "west.elb", "lb_zone_id": "Z2"},
    }
    assert variables["record_names"] == ["www", "api"]
    assert variables["ttl"] == 60 and variables["routing_policy"] == "failover"


@pytest.mark.parametrize(
    ("which", "expected"),
    [
        ("all", ("us-east-1", "us-west-2")),
        ("primary", ("us-east-1",)),
        ("standby", ("us-west-2",)),
        ("us-west-2", ("us-west-2",)),
    ],
)
def test_select_regions(loaded, which, expected) -> None:
    assert select_regions(which, Assignment.home(loaded.config)) == expected


def test_select_unknown_region_is_a_usage_error(loaded) -> None:
    with pytest.raises(UsageError, match="--region: expected primary, standby, all"):
        select_regions("eu-west-1", Assignment.home(loaded.config))
