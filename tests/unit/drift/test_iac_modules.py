"""IaC drift of a stack built from modules, judged on what Terraform really printed against the emulator.

The fixtures (``fixtures/module_stack*.json``) are recorded by ``fixtures/record.py``: the refresh-only plan
after changes by hand (some of them to attributes the modules list in ``lifecycle { ignore_changes }``), the
state after Terraform replaced a security-group rule, and ``modules.json`` as ``terraform init`` wrote it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from standby.drift import lifecycle
from standby.drift.iac import (
    ALL,
    IgnoreChanges,
    StateResource,
    check_stack,
    drift_findings,
    ignore_path,
    lifecycle_ignores,
    module_key,
    read_directory,
    recorded_state,
    state_resources,
)
from standby.drift.model import Finding
from standby.stacks import StackTarget
from standby.terraform import Plan, Workspace

FIXTURES = Path(__file__).resolve().parent / "fixtures"
STACK = FIXTURES / "module_stack"


def _json(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


PLAN = Plan.from_json(_json("module_stack.plan.json"), Path("refresh.tfplan"))
STATE = _json("module_stack.state.json")["us-east-1"]


@pytest.fixture
def tf_data_dir(tmp_path: Path) -> Path:
    """A data directory as ``terraform init`` leaves it: modules/modules.json."""
    (tmp_path / "modules").mkdir()
    shutil.copy(FIXTURES / "module_stack.modules.json", tmp_path / "modules" / "modules.json")
    return tmp_path


def judged(ignores: IgnoreChanges | None) -> dict[tuple[str, str], Finding]:
    found = drift_findings(
        PLAN.drift, region="us-east-1", role="primary", state=state_resources(STATE), ignore_changes=ignores
    )
    return {(f.resource, f.attribute): f for f in found}


def test_the_modules_ignore_changes_are_read_through_modules_json(tf_data_dir: Path) -> None:
    ignores = IgnoreChanges.read(STACK, tf_data_dir)
    assert ignores.modules["web"][("aws_autoscaling_group", "this")] == (
        ("desired_capacity",),
        ("target_group_arns",),
        ("load_balancers",),
    )
    assert ignores.modules["network"][("aws_vpc", "this")] == (("tags", "Owner"),)
    assert ignores.modules[""][("aws_ssm_parameter", "release")] == ALL


def test_attributes_a_module_ignores_are_reported_as_ignored_not_drift(tf_data_dir: Path) -> None:
    found = judged(IgnoreChanges.read(STACK, tf_data_dir))
    desired = found[("module.web.aws_autoscaling_group.this", "desired_capacity")]
    assert (desired.status, desired.expected, desired.actual) == ("ignored", 0, 1)
    assert desired.rule == "terraform.lifecycle.ignore_changes"
    assert desired.reason == "ignored by the configuration: lifecycle ignore_changes in module.web"
    # What the module does not ignore, in the same resource, is still drift.
    assert found[("module.web.aws_autoscaling_group.this", "max_size")].status == "drift"


def test_an_ignored_map_key_is_taken_out_of_the_attribute_and_the_rest_is_still_drift(tf_data_dir: Path) -> None:
    found = judged(IgnoreChanges.read(STACK, tf_data_dir))
    owner = found[("module.network.aws_vpc.this", 'tags["Owner"]')]
    assert (owner.status, owner.expected, owner.actual) == ("ignored", "platform", "someone")
    tags = found[("module.network.aws_vpc.this", "tags")]
    assert (tags.status, tags.expected, tags.actual) == ("drift", {"Name": "web"}, {"CostCenter": "42", "Name": "web"})
    # tags_all is tags plus the provider's default tags: the same key is ignored there.
    assert found[("module.network.aws_vpc.this", 'tags_all["Owner"]')].status == "ignored"
    assert found[("module.network.aws_vpc.this", "tags_all")].actual == {"CostCenter": "42", "Name": "web"}


def test_ignore_changes_all_covers_every_attribute(tf_data_dir: Path) -> None:
    found = judged(IgnoreChanges.read(STACK, tf_data_dir))
    release = {a: f.status for (r, a), f in found.items() if r == "aws_ssm_parameter.release"}
    assert release == {"value": "ignored", "version": "ignored"}
    reason = found[("aws_ssm_parameter.release", "value")].reason
    assert reason == "ignored by the configuration: lifecycle ignore_changes in the stack"


def test_without_the_configuration_the_same_plan_is_all_drift() -> None:
    found = judged(None)
    assert found[("module.web.aws_autoscaling_group.this", "desired_capacity")].status == "drift"
    assert found[("aws_ssm_parameter.release", "value")].status == "drift"
    assert all(f.status == "drift" for f in found.values())


def test_a_rule_terraform_replaced_is_not_drift_but_rules_changed_by_hand_are() -> None:
    """The ingress rule went from port 80 to 8080 through Terraform (a new rule id); the group's own rule list in
    the state still holds port 80. By hand: an SSH rule added, the egress rule revoked."""
    found = judged(None)
    ingress = found[("module.network.aws_security_group.this", "ingress")]
    assert ingress.actual == ["+tcp:22:203.0.113.0/24"]
    assert ingress.reason == "not managed by Terraform: tcp:22:203.0.113.0/24"
    egress = found[("module.network.aws_security_group.this", "egress")]
    assert egress.actual == ["-all:all:0.0.0.0/0"]
    assert found[("module.network.aws_vpc_security_group_egress_rule.all", "exists")].status == "drift"


def test_check_stack_reads_the_configuration_of_the_workspace(tf_data_dir: Path, tmp_path: Path) -> None:
    workspace = Workspace("region/us-east-1", STACK, tmp_path / "data")

    class Runner:  # no state_pull: the plan's JSON carries the state
        def init(self, ws: Workspace, *, reuse: bool) -> bool:
            assert ws is workspace
            assert reuse  # an initialised data dir is reused
            return False

        def plan(self, ws: Workspace, variables: Any, *, refresh_only: bool) -> Plan:
            assert refresh_only
            return PLAN

        def tf_data_dir(self, ws: Workspace) -> Path:
            return tf_data_dir

    target = StackTarget("region", "region", "us-east-1", "primary", workspace, {})
    done = check_stack(Runner(), target)  # type: ignore[arg-type]
    statuses = {(f.resource, f.attribute): f.status for f in done.findings}
    assert statuses[("module.web.aws_autoscaling_group.this", "desired_capacity")] == "ignored"
    assert statuses[("module.web.aws_autoscaling_group.this", "max_size")] == "drift"
    assert done.resources == len(state_resources(STATE))
    by_key = {(f.resource, f.attribute): f.actual for f in done.findings}
    assert by_key[("module.network.aws_security_group.this", "ingress")] == ["+tcp:22:203.0.113.0/24"]
    assert by_key[("module.network.aws_security_group.this", "egress")] == ["-all:all:0.0.0.0/0"]


def _content(resources: list[StateResource]) -> list[tuple[str, str]]:
    return sorted((r.type, json.dumps(r.attributes, sort_keys=True)) for r in resources)


def test_the_plan_alone_gives_the_state_as_recorded_before_the_refresh() -> None:
    """The real refresh-only plan's ``prior_state`` is the refreshed state: the egress rule revoked by hand is
    gone from it and the group holds the SSH rule added by hand. With each drifted resource's ``before``, it is
    exactly what ``terraform state pull`` printed (module resources and the deleted rule included)."""
    refreshed = {r.address for r in PLAN.prior_resources()}
    assert "module.network.aws_vpc_security_group_egress_rule.all" not in refreshed
    assert _content(recorded_state(PLAN)) == _content(state_resources(STATE))
    from_plan = drift_findings(PLAN.drift, region="us-east-1", role="primary", state=recorded_state(PLAN))
    from_pull = drift_findings(PLAN.drift, region="us-east-1", role="primary", state=state_resources(STATE))
    assert from_plan == from_pull


@pytest.mark.parametrize(
    ("entry", "path"),
    [
        ("desired_capacity", ("desired_capacity",)),
        ('${tags["Owner"]}', ("tags", "Owner")),
        ('"tags"', ("tags",)),  # Terraform 0.11's quoted form
        ("tags.Owner", ("tags", "Owner")),
        ("ebs_block_device[0].volume_size", ("ebs_block_device", 0, "volume_size")),
        ("not a path", None),
    ],
)
def test_ignore_changes_entries_become_paths(entry: str, path: tuple[Any, ...] | None) -> None:
    assert ignore_path(entry) == path


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("aws_ssm_parameter.release", ""),
        ("module.web.aws_autoscaling_group.this", "web"),
        ('module.app["blue"].module.vpc.aws_subnet.private[0]', "app.vpc"),
        ("module.app[1].aws_lb.this", "app"),
    ],
)
def test_resources_are_found_in_their_module(address: str, key: str) -> None:
    assert module_key(address) == key


def test_json_configuration_files_are_read_too(tmp_path: Path) -> None:
    doc = {"resource": {"aws_instance": {"app": {"ami": "x", "lifecycle": {"ignore_changes": ["tags", "ami"]}}}}}
    (tmp_path / "main.tf.json").write_text(json.dumps(doc))
    (tmp_path / "broken.tf").write_text("resource {")  # logged and skipped: its drift stays reported
    assert read_directory(tmp_path) == {("aws_instance", "app"): (("tags",), ("ami",))}
    assert lifecycle_ignores({"resource": {"aws_x": {"y": {"lifecycle": {"ignore_changes": "all"}}}}}) == {
        ("aws_x", "y"): ALL
    }


def test_only_tf_files_naming_ignore_changes_are_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_instance" "app" {\n  lifecycle {\n    ignore_changes = [tags]\n  }\n}\n'
    )
    (tmp_path / "variables.tf").write_text('variable "name" {\n  type = string\n}\n')
    (tmp_path / "extra.tf.json").write_text(json.dumps({"variable": {"size": {}}}))
    parsed: list[str] = []
    real = lifecycle._parse
    monkeypatch.setattr(lifecycle, "_parse", lambda path: parsed.append(path.name) or real(path))
    assert read_directory(tmp_path) == {("aws_instance", "app"): (("tags",),)}
    assert sorted(parsed) == ["extra.tf.json", "main.tf"]  # JSON files always: their keys may be escaped
