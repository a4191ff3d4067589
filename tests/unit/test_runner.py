"""What the runner really runs: exact argv, environment per workspace, variables only in a 0600 file."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest

from standby.errors import TerraformError
from standby.terraform import TerraformRunner, Workspace

FAKE = Path(__file__).resolve().parents[1] / "fakes" / "fake_terraform.py"

PLAN_JSON = {
    "format_version": "1.2",
    "resource_changes": [
        {
            "address": "aws_ssm_parameter.this",
            "mode": "managed",
            "type": "aws_ssm_parameter",
            "name": "this",
            "change": {"actions": ["create"], "before": None, "after": {"name": "/x"}, "after_unknown": {"arn": True}},
        }
    ],
}


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    log = tmp_path / "calls.jsonl"
    show = tmp_path / "show.json"
    show.write_text(json.dumps(PLAN_JSON))
    monkeypatch.setenv("FAKE_TF_LOG", str(log))
    monkeypatch.setenv("FAKE_TF_SHOW", str(show))
    monkeypatch.setenv("FAKE_TF_OUTPUT", json.dumps({"name": {"value": "/x", "type": "string", "sensitive": False}}))
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(tmp_path / "does-not-exist.rc"))
    binary = tmp_path / "terraform"
    binary.write_text(f'#!/bin/sh\nexec {sys.executable} {FAKE} "$@"\n')
    binary.chmod(0o755)
    return binary


def calls(tmp_path: Path) -> list[dict]:
    return [json.loads(line) for line in (tmp_path / "calls.jsonl").read_text().splitlines()]


def workspace(tmp_path: Path, region: str = "us-east-1") -> Workspace:
    stack = tmp_path / "stack"
    stack.mkdir(exist_ok=True)
    return Workspace(
        f"region/{region}", stack, tmp_path / "data" / region, {"path": str(tmp_path / f"{region}.tfstate")}
    )


def test_fake_terraform_records_argv_and_fails_on_request(fake: Path, tmp_path: Path, monkeypatch) -> None:
    import subprocess

    monkeypatch.setenv("FAKE_TF_FAIL", "apply")
    ok = subprocess.run([str(fake), "plan", "-x"], capture_output=True, text=True, check=False)
    bad = subprocess.run([str(fake), "apply"], capture_output=True, text=True, check=False)
    assert (ok.returncode, bad.returncode) == (0, 1)
    assert [c["argv"] for c in calls(tmp_path)] == [["plan", "-x"], ["apply"]]


def test_init_plan_apply_output_destroy_argv(fake: Path, tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    runner = TerraformRunner(
        str(fake), plugin_dir=tmp_path / "mirror", extra_env={"AWS_ENDPOINT_URL": "http://127.0.0.1:1"}
    )
    runner.init(ws)
    plan = runner.plan(ws, {"db_password": "s3cret-value", "region": "us-east-1"})
    runner.apply(ws, plan)
    outputs = runner.output(ws)
    runner.destroy(ws, {"db_password": "s3cret-value", "region": "us-east-1"})

    var_file = str(ws.var_file)
    plan_file = str(ws.plan_file)
    assert [c["argv"] for c in calls(tmp_path)] == [
        ["init", "-no-color", "-input=false", f"-backend-config=path={tmp_path / 'us-east-1.tfstate'}", "-reconfigure"],
        ["plan", "-no-color", "-input=false", "-lock-timeout=60s", f"-var-file={var_file}", f"-out={plan_file}"],
        ["show", "-no-color", "-json", plan_file],
        ["apply", "-no-color", "-input=false", "-lock-timeout=60s", "-auto-approve", plan_file],
        ["output", "-no-color", "-json"],
        ["destroy", "-no-color", "-input=false", "-lock-timeout=60s", f"-var-file={var_file}", "-auto-approve"],
    ]
    assert plan.summary() == "1 to add, 0 to change, 0 to destroy"
    assert outputs == {"name": "/x"}


def test_environment_per_workspace_and_generated_cli_config(fake: Path, tmp_path: Path) -> None:
    runner = TerraformRunner(
        str(fake), plugin_dir=tmp_path / "mirror", extra_env={"AWS_ENDPOINT_URL": "http://127.0.0.1:1"}
    )
    east, west = workspace(tmp_path, "us-east-1"), workspace(tmp_path, "us-west-2")
    runner.init(east)
    runner.init(west)
    first, second = calls(tmp_path)
    assert first["env"]["TF_DATA_DIR"] == str(east.data_dir / "tfdata")
    assert second["env"]["TF_DATA_DIR"] == str(west.data_dir / "tfdata")
    assert first["cwd"] == str(east.stack_dir)
    assert first["env"]["TF_IN_AUTOMATION"] == "1" and first["env"]["TF_INPUT"] == "0"
    assert first["env"]["AWS_ENDPOINT_URL"] == "http://127.0.0.1:1"
    rc = Path(first["env"]["TF_CLI_CONFIG_FILE"])
    assert rc.read_text() == (
        f'provider_installation {{\n  filesystem_mirror {{\n    path    = "{tmp_path / "mirror"}"\n  }}\n}}\n'
    )


def test_missing_cli_config_is_dropped_without_a_plugin_dir(fake: Path, tmp_path: Path) -> None:
    TerraformRunner(str(fake)).init(workspace(tmp_path))
    assert calls(tmp_path)[0]["env"]["TF_CLI_CONFIG_FILE"] is None


def test_variables_never_reach_argv_and_file_is_private(fake: Path, tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    TerraformRunner(str(fake)).plan(ws, {"db_password": "s3cret-value"})
    assert all("s3cret-value" not in " ".join(c["argv"]) for c in calls(tmp_path))
    assert json.loads(ws.var_file.read_text()) == {"db_password": "s3cret-value"}
    assert stat.S_IMODE(ws.var_file.stat().st_mode) == 0o600
    assert ws.var_file.name.endswith(".auto.tfvars.json")


def test_failure_raises_terraform_error_with_command_and_stderr(fake: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FAKE_TF_FAIL", "plan")
    monkeypatch.setenv("FAKE_TF_STDERR", "Error: Unsupported argument\n  on main.tf line 3\n")
    with pytest.raises(TerraformError) as caught:
        TerraformRunner(str(fake)).plan(workspace(tmp_path), {})
    err = caught.value
    assert err.returncode == 1
    assert err.command[:2] == [str(fake), "plan"]
    assert "Unsupported argument" in err.stderr_tail
    assert err.exit_code == 6


def test_non_json_output_is_a_terraform_error(fake: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FAKE_TF_OUTPUT", "not json")
    with pytest.raises(TerraformError, match="expected JSON"):
        TerraformRunner(str(fake)).output(workspace(tmp_path))
