"""A refresh-only plan read from its plan file (the two state documents in the archive), and the fall-back to
``show -json`` for anything laid out otherwise. The end-to-end drift test compares both readings on a real plan."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from standby.terraform import TerraformRunner, Workspace
from standby.terraform.plan_file import instance_key, managed_instances, read_refresh_only_plan
from standby.terraform.process import Completed
from tests.unit.test_runner import PLAN_JSON

SG = {"id": "sg-1", "ingress": [], "tags": {"Name": "app"}}
SG_WITH_RULE = {**SG, "ingress": [{"protocol": "tcp", "from_port": 22, "to_port": 22}]}
PARAM = {"name": "/webapp/log_level", "value": "info"}


def state(*resources: dict[str, Any], version: int = 4) -> dict[str, Any]:
    return {"version": version, "terraform_version": "1.11.4", "resources": list(resources), "outputs": {}}


def resource(kind: str, name: str, *instances: dict[str, Any], module: str = "", mode: str = "managed") -> dict:
    doc = {"mode": mode, "type": kind, "name": name, "provider": 'provider["x"]', "instances": list(instances)}
    return {**doc, "module": module} if module else doc


def instance(attributes: dict[str, Any], key: Any = None, deposed: str = "") -> dict[str, Any]:
    doc: dict[str, Any] = {"schema_version": 1, "attributes": attributes, "sensitive_attributes": []}
    if key is not None:
        doc["index_key"] = key
    if deposed:
        doc["deposed"] = deposed
    return doc


def plan_file(path: Path, members: dict[str, Any]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("tfplan", b"\x00binary")
        for name, doc in members.items():
            archive.writestr(name, doc if isinstance(doc, (str, bytes)) else json.dumps(doc))
    return path


def test_drift_is_what_changed_or_went_between_the_recorded_and_the_refreshed_state(tmp_path: Path) -> None:
    previous = state(
        resource("aws_security_group", "app", instance(SG), module="module.network"),
        resource("aws_ssm_parameter", "this", instance(PARAM, "log_level"), module="module.parameters"),
        resource("aws_instance", "web", instance({"id": "i-0"}, 0), instance({"id": "i-1"}, 1)),
        resource("aws_caller_identity", "current", instance({"id": "1"}), mode="data"),
    )
    prior = state(
        resource("aws_security_group", "app", instance(SG_WITH_RULE), module="module.network"),
        resource("aws_ssm_parameter", "this", instance(PARAM, "log_level"), module="module.parameters"),
        resource("aws_instance", "web", instance({"id": "i-0"}, 0)),
    )
    plan = read_refresh_only_plan(plan_file(tmp_path / "p.tfplan", {"tfstate": prior, "tfstate-prev": previous}))
    assert plan is not None and plan.changes == () and plan.path == tmp_path / "p.tfplan"
    drift = {c.address: c for c in plan.drift}
    assert set(drift) == {"module.network.aws_security_group.app", "aws_instance.web[1]"}
    rule = drift["module.network.aws_security_group.app"]
    assert (rule.actions, rule.attributes, rule.type, rule.name) == (
        ("update",),
        ("ingress",),
        "aws_security_group",
        "app",
    )
    assert (rule.before, rule.after) == (SG, SG_WITH_RULE)
    gone = drift["aws_instance.web[1]"]
    assert (gone.actions, gone.before, gone.after) == (("delete",), {"id": "i-1"}, None)
    prior_values = {r.address: r.values for r in plan.prior_resources()}
    assert prior_values == {
        "module.network.aws_security_group.app": SG_WITH_RULE,
        'module.parameters.aws_ssm_parameter.this["log_level"]': PARAM,
        "aws_instance.web[0]": {"id": "i-0"},
    }


def test_deposed_objects_are_not_current_instances() -> None:
    doc = state(resource("aws_instance", "web", instance({"id": "i-new"}), instance({"id": "i-old"}, deposed="ab12")))
    assert managed_instances(doc) == {"aws_instance.web": ("aws_instance", "web", {"id": "i-new"})}


def test_instance_keys_are_written_as_terraform_writes_addresses() -> None:
    assert (instance_key(None), instance_key(0), instance_key(12)) == ("", "[0]", "[12]")
    assert instance_key("web") == '["web"]' and instance_key('a"b') == '["a\\"b"]' and instance_key("é") == '["é"]'


@pytest.mark.parametrize(
    "members",
    [
        {"tfstate": state()},  # no previous run state
        {"tfstate-prev": state()},  # no prior state
        {"tfstate": state(version=3), "tfstate-prev": state()},  # another state format
        {"tfstate": "not json", "tfstate-prev": state()},
        {"tfstate": {"version": 4, "resources": {}}, "tfstate-prev": state()},
    ],
    ids=["no-prev", "no-prior", "version-3", "not-json", "resources-not-a-list"],
)
def test_a_plan_file_laid_out_otherwise_is_not_read(tmp_path: Path, members: dict[str, Any]) -> None:
    assert read_refresh_only_plan(plan_file(tmp_path / "p.tfplan", members)) is None


def test_a_missing_or_non_zip_plan_file_is_not_read(tmp_path: Path) -> None:
    assert read_refresh_only_plan(tmp_path / "absent.tfplan") is None
    (tmp_path / "text.tfplan").write_text("not a zip")
    assert read_refresh_only_plan(tmp_path / "text.tfplan") is None


class PlanWriter:
    """The runner's ``execute``: ``plan`` writes the plan file given as ``-out=`` (when ``members`` is set);
    ``show`` answers with a plan JSON. Records the verbs run."""

    def __init__(self, members: dict[str, Any] | None) -> None:
        self.members = members
        self.verbs: list[str] = []

    def __call__(self, argv, cwd, env) -> Completed:
        self.verbs.append(argv[1])
        out = next((a.removeprefix("-out=") for a in argv if a.startswith("-out=")), None)
        if argv[1] == "plan" and out and self.members is not None:
            plan_file(Path(out), self.members)
        stdout = json.dumps(PLAN_JSON) if argv[1] == "show" else ""
        return Completed(tuple(argv), 0, stdout, "", 0.0)


def test_the_runner_reads_a_refresh_only_plan_from_its_file_and_falls_back_to_show(tmp_path: Path) -> None:
    ws = Workspace("region/us-east-1", tmp_path / "stack", tmp_path / "data", {"path": str(tmp_path / "s.tfstate")})
    ws.stack_dir.mkdir()
    previous = state(resource("aws_ssm_parameter", "p", instance(PARAM)))
    prior = state(resource("aws_ssm_parameter", "p", instance({**PARAM, "value": "debug"})))

    direct = PlanWriter({"tfstate": prior, "tfstate-prev": previous})
    plan = TerraformRunner("terraform", execute=direct).plan(ws, {}, refresh_only=True)
    assert direct.verbs == ["plan"] and [c.address for c in plan.drift] == ["aws_ssm_parameter.p"]
    assert (ws.plan_file.stat().st_mode & 0o777) == 0o600

    unknown = PlanWriter({"tfstate": state(version=5), "tfstate-prev": previous})
    TerraformRunner("terraform", execute=unknown).plan(ws, {}, refresh_only=True)
    assert unknown.verbs == ["plan", "show"]

    normal = PlanWriter({"tfstate": prior, "tfstate-prev": previous})
    TerraformRunner("terraform", execute=normal).plan(ws, {})
    assert normal.verbs == ["plan", "show"]  # a plan that may change resources is always read with show -json
