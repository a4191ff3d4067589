"""A user's own region stack (tests/e2e/stacks/byo: its own names, a group in a module and one tagged, an ALB, a
replicated database, no output made for standby) provisioned on the emulator: discovery names its groups, `standby
inspect` shows them, the failover preflight passes; renamed [capacity.*] sections are refused before any harm."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from standby.cli.main import main
from standby.config import load_config
from standby.errors import StandbyError
from standby.failover.controller import Controller
from standby.provision import Provisioner
from standby.stacks import Stacks
from standby.state import RegionStates
from standby.state.roles import Assignment
from standby.terraform import TerraformRunner

pytestmark = pytest.mark.e2e

STACK = Path(__file__).parent / "stacks" / "byo"


def config_text(endpoint: str, home: Path, *, web: str = "web") -> str:
    return f"""
[project]
name = "byo"

[regions]
primary = "us-east-1"
standby = "us-west-2"

[aws]
endpoint = "{endpoint}"

[terraform]
state_dir = "{home / "state"}"

[stacks.app]
path = "{home / "app"}"

[capacity.{web}]
min_size = 1
max_size = 4
desired_capacity = 1

[capacity.worker]
min_size = 0
max_size = 2
desired_capacity = 1

[scale]
fraction = 0.5

[traffic]
hosted_zone = "byo.example.internal"
records = ["www"]
entrypoint = "{web}"

[objectives]
rto_seconds = 900
rpo_seconds = 600
"""


def test_own_stack_is_discovered_inspected_and_preflighted(
    tmp_path: Path, clean_emulator: str, plugin_dir: Path, terraform_bin: str, sessions, capsys, monkeypatch
) -> None:
    shutil.copytree(STACK, tmp_path / "app")
    config_path = tmp_path / "standby.toml"
    config_path.write_text(config_text(clean_emulator, tmp_path))
    loaded = load_config(config_path)
    runner = TerraformRunner(
        terraform_bin, plugin_dir=plugin_dir, extra_env=sessions.target.environment(), cli_config_dir=loaded.state_dir
    )
    stacks = Stacks(loaded, runner, {})
    states = RegionStates.of(loaded, sessions)
    provisioner = Provisioner(loaded, stacks, states, assignment=Assignment.home(loaded.config), sessions=sessions)
    provisioner.apply(provisioner.plan("all"))
    manifest = provisioner.publish(sessions)

    # Only the injected variables the stack declares were passed (no capacity, no tags, no standby_region).
    target = stacks.region_targets(Assignment.home(loaded.config), ("us-west-2",))[0]
    assert set(target.variables) == {"project", "role", "region", "primary_region"}

    east, west = manifest.region("us-east-1"), manifest.region("us-west-2")
    assert {g: r.autoscaling_group for g, r in west.groups.items()} == {
        "web": "byo-web-fleet",
        "worker": "byo-consumers",
    }
    assert west.groups["web"].lb_dns_name and west.groups["web"].target_group_arn
    assert west.groups["worker"].lb_dns_name is None
    assert east.databases == ("byo-orders",) and west.databases == ("byo-orders",)

    monkeypatch.setenv("STANDBY_TF_PLUGIN_DIR", str(plugin_dir))
    assert main(["--config", str(config_path), "--output", "json", "inspect"]) == 0
    doc = json.loads(capsys.readouterr().out)
    regions = {r["region"]: r for r in doc["result"]["regions"]}
    groups = {g["key"]: g for g in regions["us-west-2"]["groups"]}
    assert groups["web"]["address"] == "module.web.aws_autoscaling_group.this"
    assert groups["web"]["source"] == "discovery" and groups["worker"]["rule"] == "tag standby:group"
    assert regions["us-west-2"]["databases"][0]["replica_of"] == "byo-orders"
    assert doc["result"]["variables"]["scales_through_terraform"] is False
    assert any("declares no `capacity` variable" in m for m in doc["result"]["missing"])

    controller = Controller(loaded, sessions, states)
    plan = controller.plan("failover").plan
    assert not plan.preflight.problems, plan.preflight.problems
    scaled = {s.group for s in plan.steps if getattr(s, "group", None)}
    assert {"web", "worker"} <= scaled

    # The same stack with [capacity.web] renamed: provisioning and the failover preflight refuse, naming the keys.
    config_path.write_text(config_text(clean_emulator, tmp_path, web="site"))
    renamed = load_config(config_path)
    renamed_stacks = Stacks(renamed, runner, {})
    refusing = Provisioner(
        renamed, renamed_stacks, RegionStates.of(renamed, sessions), assignment=Assignment.home(renamed.config)
    )
    with pytest.raises(StandbyError, match=r"\[capacity\.site\].*web"):
        refusing.plan("standby")
    preflight = Controller(renamed, sessions, RegionStates.of(renamed, sessions)).plan("failover").plan.preflight
    assert any("[capacity.site]" in p and "web" in p for p in preflight.problems), preflight.problems
