"""The runner with the real terraform binary and AWS provider against the emulator."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from standby.aws import ssm
from standby.errors import TerraformError
from standby.terraform import TerraformRunner, Workspace

pytestmark = pytest.mark.e2e

STACKS = Path(__file__).resolve().parent / "stacks"


def workspace(tmp_path: Path, stack: str, region: str) -> Workspace:
    return Workspace(
        f"{stack}/{region}",
        STACKS / stack,
        tmp_path / "data" / f"{stack}-{region}",
        {"path": str(tmp_path / "state" / f"{stack}-{region}.tfstate")},
    )


def test_init_plan_apply_output_noop_destroy(runner: TerraformRunner, sessions, clean_emulator, tmp_path) -> None:
    ws = workspace(tmp_path, "ssm", "us-east-1")
    variables = {"region": "us-east-1", "value": "hello"}
    runner.init(ws)
    plan = runner.plan(ws, variables)
    assert [(c.address, c.action) for c in plan.changes] == [("aws_ssm_parameter.this", "create")]

    runner.apply(ws, plan)
    assert runner.output(ws) == {
        "parameter_name": "/runner-test/us-east-1",
        "settings": {"region": "us-east-1", "count": 2},
    }
    found = ssm.get_parameter(sessions.client("ssm", "us-east-1"), "/runner-test/us-east-1")
    assert found is not None and found.value == "hello"

    again = runner.plan(ws, variables)
    assert not again.has_changes and again.summary() == "no changes"

    changed = runner.plan(ws, {**variables, "value": "bye"})
    assert [(c.address, c.action) for c in changed.changes] == [("aws_ssm_parameter.this", "update")]
    assert "value" in changed.changes[0].attributes

    runner.destroy(ws, variables)
    assert ssm.get_parameter(sessions.client("ssm", "us-east-1"), "/runner-test/us-east-1") is None


def test_two_regions_run_concurrently(runner: TerraformRunner, sessions, clean_emulator, tmp_path) -> None:
    regions = ("us-east-1", "us-west-2")
    spaces = {r: workspace(tmp_path, "ssm", r) for r in regions}

    def provision(region: str) -> str:
        ws = spaces[region]
        runner.init(ws)
        runner.apply(ws, runner.plan(ws, {"region": region, "value": region}))
        return runner.output(ws)["parameter_name"]

    with ThreadPoolExecutor(max_workers=2) as pool:
        names = list(pool.map(provision, regions))
    assert names == ["/runner-test/us-east-1", "/runner-test/us-west-2"]
    for region in regions:
        found = ssm.get_parameter(sessions.client("ssm", region), f"/runner-test/{region}")
        assert found is not None and found.value == region


def test_broken_stack_raises_terraform_error_with_stderr(runner: TerraformRunner, tmp_path) -> None:
    ws = workspace(tmp_path, "broken", "us-east-1")
    with pytest.raises(TerraformError) as caught:
        runner.init(ws)
        runner.plan(ws, {})
    err = caught.value
    assert "not_a_real_arg" in err.stderr_tail
    assert "Unsupported argument" in err.stderr_tail
    assert err.exit_code == 6


def test_state_pull_and_targeted_replacement_with_an_empty_local_state(
    runner: TerraformRunner, clean_emulator, tmp_path
) -> None:
    """A stack dir holding an empty terraform.tfstate still runs; a targeted replace plan touches only its target."""
    stack = tmp_path / "stack"
    stack.mkdir()
    main = (STACKS / "ssm" / "main.tf").read_text()
    (stack / "main.tf").write_text(
        main
        + '\nresource "aws_ssm_parameter" "other" {\n'
        + '  name  = "/runner-test/${var.region}/other"\n  type  = "String"\n  value = var.value\n}\n'
    )
    # Terraform leaves a 0-byte terraform.tfstate behind in some runs; it reads as "no state", but json.load fails.
    (stack / "terraform.tfstate").write_text("")
    ws = Workspace("targeted/us-east-1", stack, tmp_path / "data", {"path": str(tmp_path / "state.tfstate")})
    variables = {"region": "us-east-1", "value": "v1"}
    runner.init(ws)
    assert runner.state_pull(ws) == {}
    runner.apply(ws, runner.plan(ws, variables))

    state = runner.state_pull(ws)
    assert sorted(r["name"] for r in state["resources"] if r["mode"] == "managed") == ["other", "this"]
    assert sorted(runner.state_resources(ws)) == [
        ("aws_ssm_parameter.other", "aws_ssm_parameter"),
        ("aws_ssm_parameter.this", "aws_ssm_parameter"),
    ]

    changed = {**variables, "value": "v2"}  # an untargeted plan would update both parameters
    targeted = runner.plan(ws, changed, replace=["aws_ssm_parameter.this"], target=["aws_ssm_parameter.this"])
    assert [(c.address, c.action) for c in targeted.changes] == [("aws_ssm_parameter.this", "replace")]
    runner.destroy(ws, variables)
