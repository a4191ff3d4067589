"""The stack contract (docs/stacks.md): discovery in real `terraform show -json` documents of a user's own stack,
the group-key rule and its ambiguities, the injected variables a stack declares, [stacks.NAME.outputs], and the
refusals before harm (capacity keys that do not match, a stack without a backend)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from standby.aws.session import SessionFactory, Target
from standby.config import load_config, parse_config
from standby.config.schema import Config, LoadedConfig
from standby.errors import ConfigError, PreflightFailed, StandbyError
from standby.failover.model import Observation, RegionObservation
from standby.failover.preflight import preflight_step
from standby.judgements import capacity_key_problems
from standby.provision import Provisioner
from standby.stacks import Stacks, discover, read_declared_variables, region_resources, region_variables
from standby.stacks.discovery import covered_by_outputs, replica_of, state_resources
from standby.stacks.inspection import CAPACITY_NOT_DECLARED, RegionInspection, missing
from standby.stacks.project import mapped_outputs
from standby.state import RegionStates
from standby.state.manifest import GroupRef, Manifest, RegionResources
from standby.state.roles import Assignment
from standby.terraform import TerraformRunner
from standby.terraform.process import Completed

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures" / "stacks"
BYO_STACK = Path(__file__).parents[1] / "e2e" / "stacks" / "byo"
CAPACITY = ("web", "worker")
NO_AWS = SessionFactory(target=Target())  # planning reads no control store


def show(role: str) -> dict[str, Any]:
    """A trimmed real `terraform show -json` of tests/e2e/stacks/byo applied on the emulator in ``role``."""
    return json.loads((FIXTURES / f"byo-{role}.show.json").read_text())


def asg(document: dict[str, Any], address: str) -> dict[str, Any]:
    def walk(module: dict[str, Any]) -> dict[str, Any] | None:
        for resource in module.get("resources") or ():
            if resource["address"] == address:
                return resource
        return next((found for child in module.get("child_modules") or () if (found := walk(child))), None)

    found = walk(document["values"]["root_module"])
    assert found is not None, address
    return found


@pytest.fixture
def example_config() -> Config:
    return load_config(REPO / "examples" / "webapp" / "standby.toml").config


# -- discovery on real documents ---------------------------------------------------------------------------------


def test_discovery_keys_a_module_group_by_its_module_and_a_tagged_group_by_its_tag() -> None:
    found = discover("us-east-1", {}, show("primary"), CAPACITY)
    groups = found.keyed
    assert sorted(groups) == ["web", "worker"] and not found.unmatched and not found.problems
    assert groups["web"].address == "module.web.aws_autoscaling_group.this"
    assert groups["web"].rule == "address names 'web'" and groups["web"].source == "discovery"
    assert groups["web"].name == "byo-web-fleet"
    assert groups["worker"].rule == "tag standby:group" and groups["worker"].name == "byo-consumers"


def test_discovery_follows_the_group_to_its_target_group_and_the_load_balancer_forwarding_to_it() -> None:
    found = discover("us-east-1", {}, show("primary"), CAPACITY)
    (lb,) = found.load_balancers
    web = found.keyed["web"]
    assert web.target_group_arn and web.target_group_arn.split(":")[-1].startswith("targetgroup/byo-site/")
    assert (web.lb_dns_name, web.lb_zone_id) == (lb.dns_name, lb.zone_id) and lb.dns_name
    worker = found.keyed["worker"]
    assert (worker.target_group_arn, worker.lb_dns_name) == (None, None)


def test_discovery_finds_the_databases_and_the_standby_replica_of_the_primary() -> None:
    primary = discover("us-east-1", {}, show("primary"), CAPACITY)
    standby = discover("us-west-2", {}, show("standby"), CAPACITY)
    (source,), (replica,) = primary.databases, standby.databases
    assert source.identifier == replica.identifier == "byo-orders"
    assert source.replicate_source_db is None and replica.replicate_source_db == source.arn
    assert replica_of(replica, primary.databases) == source
    assert replica_of(source, standby.databases) is None


def test_discovered_outputs_make_the_manifest_a_failover_reads() -> None:
    found = discover("us-west-2", {}, show("standby"), CAPACITY)
    resources = region_resources("us-west-2", found.contract_outputs())
    assert resources.groups["web"] == GroupRef(
        autoscaling_group="byo-web-fleet",
        target_group_arn=found.keyed["web"].target_group_arn,
        lb_dns_name=found.keyed["web"].lb_dns_name,
        lb_zone_id=found.keyed["web"].lb_zone_id,
    )
    assert resources.groups["worker"].autoscaling_group == "byo-consumers"
    assert resources.databases == ("byo-orders",) and resources.database_arns[0].startswith("arn:aws:rds:us-west-2:")


def test_a_plans_planned_values_are_read_like_a_state() -> None:
    state = show("primary")
    plan = {"planned_values": state["values"]}
    assert [r.address for r in state_resources(plan)] == [r.address for r in state_resources(state)]
    assert sorted(discover("us-east-1", {}, plan, CAPACITY).keyed) == ["web", "worker"]


# -- outputs first -----------------------------------------------------------------------------------------------


def test_outputs_name_the_groups_and_discovery_adds_their_load_balancers() -> None:
    outputs = {"autoscaling_group_names": {"web": "byo-web-fleet"}}
    found = discover("us-east-1", outputs, show("primary"), CAPACITY)
    (web,) = found.groups  # the outputs say which groups are standby's: the tagged one is not added
    assert (web.key, web.source, web.address) == ("web", "output", "module.web.aws_autoscaling_group.this")
    assert web.lb_dns_name == found.load_balancers[0].dns_name


def test_outputs_win_over_discovery_for_what_they_give() -> None:
    outputs = {
        "autoscaling_group_names": {"web": "byo-web-fleet"},
        "lb_dns_names": {"web": "from-output.example"},
        "db_instance_identifiers": [],
    }
    found = discover("us-east-1", outputs, show("primary"), ("web",))
    assert found.keyed["web"].lb_dns_name == "from-output.example"
    assert found.databases == ()  # an empty list is the stack's answer: no database


def test_the_bundled_contract_outputs_need_no_state() -> None:
    names = ("autoscaling_group_names", "target_group_arns", "lb_dns_names", "lb_zone_ids")
    bundled: dict[str, object] = {name: {} for name in names}
    bundled.update(db_instance_identifiers=[], db_instance_arns=[])
    assert covered_by_outputs(bundled)
    assert not covered_by_outputs({k: v for k, v in bundled.items() if k != "lb_zone_ids"})


# -- the key rule and its ambiguities --------------------------------------------------------------------------


def test_an_address_naming_two_capacity_groups_is_ambiguous_and_names_its_candidates() -> None:
    found = discover("us-east-1", {}, show("primary"), ("web", "this", "worker"))
    (problem,) = found.problems
    assert "module.web.aws_autoscaling_group.this" in problem and "this, web" in problem
    assert found.refusals(("web", "this", "worker"))


def test_a_capacity_group_claimed_by_two_groups_names_both() -> None:
    document = show("primary")
    web = asg(document, "module.web.aws_autoscaling_group.this")
    web["values"]["tag"] = [{"key": "standby:group", "value": "worker", "propagate_at_launch": False}]
    found = discover("us-east-1", {}, document, CAPACITY)
    assert any(
        "'worker'" in p and "aws_autoscaling_group.queue_consumers" in p and "module.web" in p for p in found.problems
    )


def test_a_group_no_rule_keys_is_refused_with_the_capacity_names() -> None:
    found = discover("us-east-1", {}, show("primary"), ("site", "worker"))
    assert [g.address for g in found.unmatched] == ["module.web.aws_autoscaling_group.this"]
    (refusal,) = found.refusals(("site", "worker"))
    assert "[capacity.site]" in refusal and "module.web.aws_autoscaling_group.this (no key)" in refusal


def test_one_group_and_one_capacity_name_pair_up() -> None:
    document = show("primary")
    root = document["values"]["root_module"]
    root["resources"] = [r for r in root["resources"] if r["type"] != "aws_autoscaling_group"]
    found = discover("us-east-1", {}, document, ("app",))
    assert [(g.key, g.rule) for g in found.groups] == [("app", "the only group")]
    assert discover("us-east-1", {}, show("primary"), ("app",)).refusals(("app",))  # two groups: no pairing


def test_capacity_keys_that_match_are_no_problem_and_others_name_both_sides() -> None:
    assert capacity_key_problems("us-west-2", ["web"], ["web"]) == []
    (problem,) = capacity_key_problems("us-west-2", ["app"], ["web"])
    assert "[capacity.app]" in problem and "web found but not declared" in problem and "us-west-2" in problem


# -- injected variables --------------------------------------------------------------------------------------------


def test_the_declared_variables_are_read_from_the_root_module_only() -> None:
    declared = read_declared_variables(BYO_STACK)
    assert declared.names == {"project", "region", "role", "primary_region", "db_password"}  # not the module's


def test_tf_json_variables_count_and_an_unparseable_file_makes_them_unknown(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('variable "project" {\n  type = string\n}\n')
    (tmp_path / "vars.tf.json").write_text(json.dumps({"variable": {"capacity": {"type": "any"}}}))
    assert read_declared_variables(tmp_path).names == {"project", "capacity"}
    (tmp_path / "broken.tf").write_text("variable {{{\n")
    unknown = read_declared_variables(tmp_path)
    assert unknown.names is None and "broken.tf" in (unknown.error or "") and unknown.declares("anything")


def test_only_the_injected_variables_a_stack_declares_are_passed(example_config: Config) -> None:
    stack = example_config.stacks["region"]
    home = Assignment.home(example_config)
    declared = read_declared_variables(BYO_STACK)
    variables = region_variables(example_config, stack, "us-west-2", home, {"db_password": "pw"}, declared)
    assert {"project", "role", "region", "primary_region"} <= set(variables)
    assert not {"capacity", "tags", "standby_region"} & set(variables)
    assert set(stack.vars) <= set(variables) and variables["db_password"] == "pw"  # configured ones stay
    everything = region_variables(example_config, stack, "us-west-2", home, {})
    assert {"capacity", "tags", "standby_region"} <= set(everything)


def test_inspection_says_what_a_stack_without_capacity_means(example_config: Config) -> None:
    declared = read_declared_variables(BYO_STACK)
    primary = RegionInspection("us-east-1", "primary", discover("us-east-1", {}, show("primary"), ("web",)))
    standby = RegionInspection("us-west-2", "standby", discover("us-west-2", {}, show("standby"), ("web",)))
    found = missing(example_config, declared, [primary, standby])
    assert CAPACITY_NOT_DECLARED in found
    assert not any("no replica" in m for m in found)
    lonely = RegionInspection("us-west-2", "standby", discover("us-west-2", {}, {}, ("web",)))
    assert any(
        "no replica of the primary's database byo-orders" in m
        for m in missing(example_config, declared, [primary, lonely])
    )


# -- [stacks.NAME.outputs] -------------------------------------------------------------------------------------------


def test_mapped_outputs_are_read_under_their_contract_name(example_config: Config) -> None:
    stack = example_config.stacks["region"].model_copy(update={"outputs": {"autoscaling_group_names": "my_asgs"}})
    assert mapped_outputs("region", stack, {"my_asgs": {"web": "a"}})["autoscaling_group_names"] == {"web": "a"}
    with pytest.raises(StandbyError, match=r"'my_asgs'.*its outputs: other"):
        mapped_outputs("region", stack, {"other": 1})
    assert "autoscaling_group_names" not in mapped_outputs("region", stack, {}, strict=False)


CONFIG = """\
[project]
name = "shop"

[regions]
primary = "eu-west-1"
standby = "eu-central-1"

[stacks.region]
path = "stack"

[stacks.dns]
path = "dns"
scope = "global"

[capacity.web]
min_size = 2
max_size = 6
desired_capacity = 4

[scale]
fraction = 0.5

[traffic]
hosted_zone = "shop.example.com"
records = ["www"]

[objectives]
rto_seconds = 600
rpo_seconds = 30
"""


@pytest.mark.parametrize(
    ("addition", "message"),
    [
        ('[stacks.region.outputs]\nautoscaling_groups = "x"\n', "stacks.region.outputs.autoscaling_groups"),
        ('[stacks.region.outputs]\nautoscaling_group_names = "9asgs"\n', "a Terraform output name"),
        ("[stacks.region.outputs]\nautoscaling_group_names = 3\n", "stacks.region.outputs.autoscaling_group_names"),
        ('[stacks.dns.outputs]\nlb_dns_names = "dns"\n', "only a region stack's outputs are read"),
    ],
)
def test_outputs_mapping_is_validated_strictly(addition: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(CONFIG + addition, Path("standby.toml"))
    assert any(message in problem for problem in caught.value.problems), caught.value.problems


def test_a_valid_outputs_mapping_loads() -> None:
    addition = '[stacks.region.outputs]\nautoscaling_group_names = "my_asgs"\ndb_instance_identifiers = "dbs"\n'
    stack = parse_config(CONFIG + addition, Path("standby.toml")).config.stacks["region"]
    assert stack.outputs == {"autoscaling_group_names": "my_asgs", "db_instance_identifiers": "dbs"}


# -- refusals before harm ----------------------------------------------------------------------------------------------


def test_the_failover_preflight_refuses_groups_that_do_not_match_the_capacity_names(example_config: Config) -> None:
    region = "us-west-2"
    manifest = Manifest(
        project="webapp",
        written_at=0.0,
        regions={region: RegionResources(region=region, groups={"app": GroupRef(autoscaling_group="webapp-app")})},
    )
    obs = Observation(
        now=0.0,
        account=None,
        activate=RegionObservation(region=region, reachable=True),
        demote=RegionObservation(region="us-east-1", reachable=True),
    )
    step = preflight_step(example_config, manifest, obs, dict(example_config.capacity), expected_account=None)
    assert any("[capacity.web]" in p and "app found but not declared" in p for p in step.problems), step.problems


def test_a_stack_without_a_backend_block_is_refused_with_the_fix(tmp_path: Path) -> None:
    """Terraform ignores -backend-config without a backend block: both regions would share one state file."""
    (tmp_path / "stack").mkdir()
    (tmp_path / "stack" / "main.tf").write_text('terraform {\n  required_version = ">= 1.5"\n}\nvariable "region" {}\n')
    (tmp_path / "dns").mkdir()
    (tmp_path / "dns" / "main.tf").write_text('terraform {\n  backend "local" {}\n}\n')
    (tmp_path / "standby.toml").write_text(CONFIG)
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "standby.toml")
    (problem,) = caught.value.problems
    assert "stacks.region.path" in problem and "declares no backend" in problem and "terraform.tfstate" in problem
    assert 'backend "local" {}' in problem


# -- through the one runner ------------------------------------------------------------------------------------------


class StackTerraform:
    """An injectable ``execute`` for the byo stack: ``output -json`` prints ``outputs``, ``show -json`` the real
    state document of the workspace's role, or (with a plan file) a plan whose ``planned_values`` are that state."""

    def __init__(self, outputs: dict[str, Any]) -> None:
        self.outputs = outputs
        self.calls: list[tuple[str, ...]] = []

    def __call__(self, argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> Completed:
        self.calls.append(tuple(argv[1:]))
        role = "primary" if "us-east-1" in env["TF_DATA_DIR"] else "standby"
        verb = argv[1]
        stdout = ""
        if verb == "output":
            stdout = json.dumps({name: {"value": value} for name, value in self.outputs.items()})
        elif verb == "show" and any(a.endswith(".tfplan") for a in argv):
            stdout = json.dumps({"planned_values": show(role)["values"], "resource_changes": []})
        elif verb == "show":
            stdout = json.dumps(show(role))
        return Completed(tuple(argv), 0, stdout, "", 0.0)


def byo_config(tmp_path: Path, capacity: str = "web", extra: str = "") -> LoadedConfig:
    text = CONFIG.replace('path = "stack"', f'path = "{BYO_STACK}"').replace(
        '[stacks.dns]\npath = "dns"\nscope = "global"\n', ""
    )
    text = text.replace("[capacity.web]", f"[capacity.{capacity}]").replace(
        'primary = "eu-west-1"', 'primary = "us-east-1"'
    )
    text = text.replace('standby = "eu-central-1"', 'standby = "us-west-2"')
    text += "\n[capacity.worker]\nmin_size = 0\nmax_size = 2\ndesired_capacity = 1\n"
    text += f'\n[terraform]\nstate_dir = "{tmp_path}"\n'
    return parse_config(text + extra, tmp_path / "standby.toml")


def test_region_outputs_are_completed_by_discovery_and_the_stacks_own_outputs_win(tmp_path: Path) -> None:
    terraform = StackTerraform({"lb_dns_names": {"web": "mine.example"}, "site_url": "http://x"})
    stacks = Stacks(byo_config(tmp_path), TerraformRunner("terraform", execute=terraform), {})
    outputs = stacks.region_outputs(("us-west-2",))["us-west-2"]
    assert outputs["autoscaling_group_names"] == {"web": "byo-web-fleet", "worker": "byo-consumers"}
    assert outputs["lb_dns_names"] == {"web": "mine.example"} and outputs["site_url"] == "http://x"
    assert outputs["db_instance_identifiers"] == ["byo-orders"]
    assert any(c[0] == "show" for c in terraform.calls)


def test_outputs_that_give_everything_spare_the_state_read(tmp_path: Path) -> None:
    given = {"autoscaling_group_names": {"web": "a", "worker": "b"}, "target_group_arns": {}, "lb_dns_names": {}}
    given |= {"lb_zone_ids": {}, "db_instance_identifiers": [], "db_instance_arns": []}
    terraform = StackTerraform(given)
    stacks = Stacks(byo_config(tmp_path), TerraformRunner("terraform", execute=terraform), {})
    assert stacks.region_outputs(("us-east-1",))["us-east-1"] == given
    assert not any(c[0] == "show" for c in terraform.calls)


def test_a_mapped_output_is_read_as_the_contracts(tmp_path: Path) -> None:
    mapping = '\n[stacks.region.outputs]\nautoscaling_group_names = "fleets"\n'
    terraform = StackTerraform({"fleets": {"web": "byo-web-fleet", "worker": "byo-consumers"}})
    stacks = Stacks(byo_config(tmp_path, extra=mapping), TerraformRunner("terraform", execute=terraform), {})
    found = stacks.findings("us-east-1")
    assert {g.key: (g.source, g.address) for g in found.groups} == {
        "web": ("output", "module.web.aws_autoscaling_group.this"),
        "worker": ("output", "aws_autoscaling_group.queue_consumers"),
    }


def test_provisioning_refuses_planned_groups_that_do_not_match_before_any_apply(tmp_path: Path) -> None:
    loaded = byo_config(tmp_path, capacity="site")
    terraform = StackTerraform({})
    stacks = Stacks(loaded, TerraformRunner("terraform", execute=terraform), {})
    provisioner = Provisioner(
        loaded, stacks, RegionStates.of(loaded, NO_AWS), assignment=Assignment.home(loaded.config)
    )
    with pytest.raises(PreflightFailed, match=r"provision refused before any change") as caught:
        provisioner.plan("all")
    assert "[capacity.site]" in caught.value.message and "module.web.aws_autoscaling_group.this" in caught.value.message
    assert not any(c[0] == "apply" for c in terraform.calls)
    # The targets carry only the injected variables the stack declares.
    (target,) = stacks.region_targets(Assignment.home(loaded.config), ("us-west-2",))
    assert set(target.variables) == {"project", "role", "region", "primary_region"}


def test_provisioning_plans_matching_groups(tmp_path: Path) -> None:
    loaded = byo_config(tmp_path)
    stacks = Stacks(loaded, TerraformRunner("terraform", execute=StackTerraform({})), {})
    provisioner = Provisioner(
        loaded, stacks, RegionStates.of(loaded, NO_AWS), assignment=Assignment.home(loaded.config)
    )
    assert len(provisioner.plan("all").stacks) == 2


def test_inspect_shows_each_groups_key_and_source_and_what_is_missing(example_config: Config) -> None:
    from standby.cli.cmd_inspect import render_text
    from standby.stacks.inspection import Inspection

    declared = read_declared_variables(BYO_STACK)
    regions = [
        RegionInspection("us-east-1", "primary", discover("us-east-1", {}, show("primary"), CAPACITY)),
        RegionInspection("us-west-2", "standby", None, "cannot init"),
    ]
    inspection = Inspection(
        "app", str(BYO_STACK), declared, tuple(regions), tuple(missing(example_config, declared, regions))
    )
    result = inspection.to_dict()
    assert result["variables"]["not_declared"] == ["standby_region", "capacity", "tags"]
    text = render_text(json.loads(json.dumps(result)))
    assert (
        "[capacity.web] <- byo-web-fleet (module.web.aws_autoscaling_group.this; discovery: address names 'web')"
        in text
    )
    assert "database byo-orders (aws_db_instance.orders; discovery)" in text
    assert "us-west-2 (standby)\n  cannot read the stack: cannot init" in text
    assert "declares no `capacity` variable" in text
