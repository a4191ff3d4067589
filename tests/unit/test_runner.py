"""What the runner really runs: exact argv, environment per workspace, variables only in a 0600 file."""

from __future__ import annotations

import io
import json
import os
import signal
import stat
import sys
import threading
import time
from pathlib import Path

import pytest

from standby.errors import TerraformError
from standby.interruption import StopSignals, Terminated
from standby.terraform import TerraformRunner, Workspace
from standby.terraform.argv import ArgvError, IsFlagged, IsNotFlagged, build_argv
from standby.terraform.display import StreamDisplay
from standby.terraform.plan import Plan
from standby.terraform.runner import ApplyTimedOut, Completed

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
        [
            "plan",
            "-no-color",
            "-input=false",
            "-lock-timeout=60s",
            "-json",
            f"-var-file={var_file}",
            f"-out={plan_file}",
        ],
        ["show", "-no-color", "-json", plan_file],
        ["apply", "-no-color", "-input=false", "-lock-timeout=60s", "-json", "-auto-approve", plan_file],
        ["output", "-no-color", "-json"],
        [
            "destroy",
            "-no-color",
            "-input=false",
            "-lock-timeout=60s",
            "-json",
            f"-var-file={var_file}",
            "-auto-approve",
        ],
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


# -- argv without python-terraform's Terraform object -------------------------------------------------------------


class Recorder:
    """The runner's injectable ``execute``: records (argv, cwd) and answers with canned stdout per verb."""

    def __init__(self, stdout: dict[str, str] | None = None, returncode: int = 0) -> None:
        self.calls: list[tuple[list[str], Path]] = []
        self.stdout = {"show": json.dumps(PLAN_JSON), **(stdout or {})}
        self.returncode = returncode

    def __call__(self, argv, cwd, env) -> Completed:
        self.calls.append((list(argv), cwd))
        return Completed(tuple(argv), self.returncode, self.stdout.get(argv[1], ""), "Error: boom\n", 0.0)

    @property
    def argvs(self) -> list[list[str]]:
        return [argv for argv, _ in self.calls]


def test_exact_argv_of_every_command(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    execute = Recorder({"output": '{"a": {"value": 1}}', "state": '{"version": 4, "resources": []}'})
    runner = TerraformRunner("/opt/tf/terraform", execute=execute)
    runner.init(ws)
    plan = runner.plan(ws, {"region": "us-east-1"})
    runner.apply(ws, plan)
    runner.output(ws)
    runner.state_pull(ws)
    runner.destroy(ws, {"region": "us-east-1"})
    tf, var_file, plan_file = "/opt/tf/terraform", str(ws.var_file), str(ws.plan_file)
    assert execute.argvs == [
        [
            tf,
            "init",
            "-no-color",
            "-input=false",
            f"-backend-config=path={tmp_path / 'us-east-1.tfstate'}",
            "-reconfigure",
        ],
        [
            tf,
            "plan",
            "-no-color",
            "-input=false",
            "-lock-timeout=60s",
            "-json",
            f"-var-file={var_file}",
            f"-out={plan_file}",
        ],
        [tf, "show", "-no-color", "-json", plan_file],
        [tf, "apply", "-no-color", "-input=false", "-lock-timeout=60s", "-json", "-auto-approve", plan_file],
        [tf, "output", "-no-color", "-json"],
        [tf, "state", "pull", "-no-color"],
        [
            tf,
            "destroy",
            "-no-color",
            "-input=false",
            "-lock-timeout=60s",
            "-json",
            f"-var-file={var_file}",
            "-auto-approve",
        ],
    ]
    assert {cwd for _, cwd in execute.calls} == {ws.stack_dir}


def test_argv_of_show_state_refresh_only_and_destroy_plans(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    execute = Recorder()
    runner = TerraformRunner("terraform", execute=execute)
    runner.state_resources(ws)
    runner.plan(ws, {}, refresh_only=True)
    runner.plan(ws, {}, destroy=True)
    common = [
        "-no-color",
        "-input=false",
        "-lock-timeout=60s",
        "-json",
        f"-var-file={ws.var_file}",
        f"-out={ws.plan_file}",
    ]
    assert execute.argvs[0] == ["terraform", "show", "-no-color", "-json"]
    assert execute.argvs[1] == ["terraform", "plan", *common, "-refresh-only"]
    assert execute.argvs[3] == ["terraform", "plan", *common, "-destroy"]


def test_targeted_replacement_plan_argv(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    execute = Recorder()
    databases = ["module.db.aws_db_instance.main", 'aws_db_instance.replica["orders"]']
    TerraformRunner("terraform", execute=execute).plan(ws, {"region": "us-east-1"}, replace=databases, target=databases)
    assert execute.argvs[0] == [
        "terraform",
        "plan",
        "-no-color",
        "-input=false",
        "-lock-timeout=60s",
        "-json",
        f"-var-file={ws.var_file}",
        f"-out={ws.plan_file}",
        "-replace=module.db.aws_db_instance.main",
        '-replace=aws_db_instance.replica["orders"]',
        "-target=module.db.aws_db_instance.main",
        '-target=aws_db_instance.replica["orders"]',
    ]
    TerraformRunner("terraform", execute=execute).plan(ws, {}, target=("aws_db_instance.main",))
    assert [a for a in execute.argvs[2] if a.startswith(("-target", "-replace"))] == ["-target=aws_db_instance.main"]


@pytest.mark.parametrize(
    "kwargs",
    [{"target": "aws_db_instance.main"}, {"replace": "aws_db_instance.main"}, {"target": [""]}, {"replace": [" "]}],
)
def test_bad_target_or_replace_addresses_are_refused_before_running(tmp_path: Path, kwargs) -> None:
    execute = Recorder()
    with pytest.raises(ArgvError):
        TerraformRunner("terraform", execute=execute).plan(workspace(tmp_path), {}, **kwargs)
    assert execute.calls == []


@pytest.mark.parametrize("content", ["", '{"version": 4, "resources": ['], ids=["empty", "truncated"])
def test_unparsable_local_state_in_the_stack_dir_does_not_break_argv_or_plan(
    fake: Path, tmp_path: Path, content: str
) -> None:
    ws = workspace(tmp_path)
    (ws.stack_dir / "terraform.tfstate").write_text(content)
    runner = TerraformRunner(str(fake))
    assert runner.argv(ws, "show", json=IsFlagged) == [str(fake), "show", "-no-color", "-json"]
    runner.init(ws)
    plan = runner.plan(ws, {"region": "us-east-1"}, target=["aws_ssm_parameter.this"])
    assert plan.summary() == "1 to add, 0 to change, 0 to destroy"
    assert [c["argv"][0] for c in calls(tmp_path)] == ["init", "plan", "show"]
    assert (ws.stack_dir / "terraform.tfstate").read_text() == content


def test_argv_never_constructs_python_terraforms_terraform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import python_terraform

    def refuse(*args, **kwargs):
        raise AssertionError("Terraform() reads terraform.tfstate from the working dir")

    monkeypatch.setattr(python_terraform.Terraform, "__init__", refuse)
    ws = workspace(tmp_path)
    argv = TerraformRunner("terraform").argv(ws, "init", backend_config={"path": "/s"}, reconfigure=IsFlagged)
    assert argv == ["terraform", "init", "-no-color", "-backend-config=path=/s", "-reconfigure"]


def test_build_argv_translation_rules() -> None:
    assert build_argv(
        "tf", "state pull", "ARG", flag=IsFlagged, off=None, no=IsNotFlagged, yes=True, lock=False, many=("a", "b")
    ) == ["tf", "state", "pull", "-flag", "-yes=true", "-lock=false", "-many=a", "-many=b", "ARG"]
    from types import MappingProxyType

    assert build_argv("tf", "init", backend_config=MappingProxyType({"a": "1", "b": "2"})) == [
        "tf",
        "init",
        "-backend-config=a=1",
        "-backend-config=b=2",
    ]
    with pytest.raises(ArgvError, match="var"):
        build_argv("tf", "plan", var={"db_password": "s3cret"})


# -- state pull -----------------------------------------------------------------------------------------------------


def test_state_pull_parses_the_state_document(tmp_path: Path) -> None:
    state = {"version": 4, "serial": 3, "resources": [{"mode": "managed", "type": "aws_vpc", "name": "main"}]}
    execute = Recorder({"state": json.dumps(state)})
    assert TerraformRunner("terraform", execute=execute).state_pull(workspace(tmp_path)) == state


@pytest.mark.parametrize("stdout", ["", "  \n"])
def test_state_pull_of_a_workspace_without_state_is_empty(tmp_path: Path, stdout: str) -> None:
    assert TerraformRunner("terraform", execute=Recorder({"state": stdout})).state_pull(workspace(tmp_path)) == {}


@pytest.mark.parametrize("stdout", ["not json", "[1, 2]"])
def test_state_pull_that_is_not_a_state_object_is_a_terraform_error(tmp_path: Path, stdout: str) -> None:
    with pytest.raises(TerraformError, match="expected"):
        TerraformRunner("terraform", execute=Recorder({"state": stdout})).state_pull(workspace(tmp_path))


def test_state_pull_failure_raises_terraform_error(tmp_path: Path) -> None:
    with pytest.raises(TerraformError) as caught:
        TerraformRunner("terraform", execute=Recorder(returncode=1)).state_pull(workspace(tmp_path))
    assert caught.value.command == ["terraform", "state", "pull", "-no-color"]
    assert "boom" in caught.value.stderr_tail


def test_the_drift_check_runs_no_state_pull_and_reuses_an_initialised_data_dir(tmp_path: Path) -> None:
    import standby.drift.iac as iac
    from standby.stacks import StackTarget

    execute = Recorder()
    runner = TerraformRunner("terraform", execute=execute)
    target = StackTarget("region", "region", "us-east-1", "primary", workspace(tmp_path), {})
    iac.check_stack(runner, target)
    iac.check_stack(runner, target)
    assert [argv[1] for argv in execute.argvs] == ["init", "plan", "show", "plan", "show"]
    assert not hasattr(iac, "run_process")


def test_init_is_skipped_only_while_what_it_depends_on_is_unchanged(tmp_path: Path) -> None:
    execute = Recorder()
    ws = workspace(tmp_path)
    runner = TerraformRunner("terraform", execute=execute)

    def inits(reuse: bool = True) -> int:
        before = len(execute.calls)
        runner.init(ws, reuse=reuse)
        return len(execute.calls) - before

    assert inits() == 1  # never initialised
    assert inits() == 0
    assert inits(reuse=False) == 1  # asked for
    (ws.stack_dir / ".terraform.lock.hcl").write_text('provider "aws" { version = "5.100.0" }\n')
    assert inits() == 1  # other provider versions
    module = tmp_path / "modules" / "network"
    module.mkdir(parents=True)
    (module / "main.tf").write_text('resource "aws_vpc" "this" {}\n')
    modules = runner.tf_data_dir(ws) / "modules"
    modules.mkdir(parents=True)
    (modules / "modules.json").write_text(json.dumps({"Modules": [{"Key": "network", "Dir": "../modules/network"}]}))
    assert inits() == 1  # the module list changed
    assert inits() == 0
    (module / "main.tf").write_text('module "nested" { source = "./nested" }\n')
    assert inits() == 1  # a module's configuration changed (a new module call)
    (ws.stack_dir / "main.tf").write_text('terraform { backend "s3" {} }\n')
    assert inits() == 1  # the stack's configuration changed
    moved = Workspace(ws.name, ws.stack_dir, ws.data_dir, {"path": str(tmp_path / "elsewhere.tfstate")})
    before = len(execute.calls)
    runner.init(moved, reuse=True)
    assert len(execute.calls) == before + 1  # another backend
    assert TerraformRunner("terraform", execute=execute, extra_env={"AWS_ENDPOINT_URL": "http://x"}).init(
        moved, reuse=True
    )  # another endpoint


def test_a_failed_init_leaves_the_data_dir_to_be_initialised_again(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    TerraformRunner("terraform", execute=Recorder()).init(ws)
    with pytest.raises(TerraformError):
        TerraformRunner("terraform", execute=Recorder(returncode=1)).init(ws, reuse=False)
    execute = Recorder()
    assert TerraformRunner("terraform", execute=execute).init(ws, reuse=True)
    assert [argv[1] for argv in execute.argvs] == ["init"]


# -- -json commands: read as they run, errors from diagnostics, the apply timeout ----------------------------------

UI = Path(__file__).resolve().parent / "terraform_ui"


def script_terraform(tmp_path: Path, body: str) -> Path:
    """A stand-in terraform: ``body`` is Python run with ``verb`` (argv[1]) and ``say(line)`` (print, flushed)."""
    script = tmp_path / "tf.py"
    script.write_text(
        "import json, os, signal, sys, time\nverb = sys.argv[1]\ndef say(line):\n    print(line, flush=True)\n" + body
    )
    binary = tmp_path / "terraform"
    binary.write_text(f'#!/bin/sh\nexec {sys.executable} {script} "$@"\n')
    binary.chmod(0o755)
    return binary


def test_apply_progress_is_shown_while_terraform_runs(tmp_path: Path) -> None:
    """The first line is on the display before the process has written its last: read as it arrives."""
    marker = tmp_path / "go"
    lines = (UI / "apply.jsonl").read_text().splitlines()
    body = (
        f"lines = {lines!r}\n"
        "say(lines[0]); say(lines[2])\n"
        f"while not os.path.exists({str(marker)!r}): time.sleep(0.05)\n"
        "for line in lines[3:]: say(line)\n"
    )
    shown: list[str] = []

    class Display(StreamDisplay):
        def feed(self, tracker, event):  # type: ignore[no-untyped-def]
            super().feed(tracker, event)
            shown.append(event.kind)
            if event.kind == "apply_start":
                marker.touch()  # only now may the stand-in finish

    out = io.StringIO()
    runner = TerraformRunner(str(script_terraform(tmp_path, body)), display=Display(out, live=False))
    runner.apply(workspace(tmp_path), Plan(tmp_path / "plan", ()))
    assert shown == ["version", "apply_start", "apply_complete", "change_summary", "outputs"]
    assert "aws_ssm_parameter.this: created (1s)" in out.getvalue()


def test_a_failed_plan_raises_with_terraforms_diagnostics(tmp_path: Path) -> None:
    lines = (UI / "broken-plan.jsonl").read_text().splitlines()
    binary = script_terraform(tmp_path, f"for line in {lines!r}: say(line)\nsys.exit(1)\n")
    with pytest.raises(TerraformError) as caught:
        TerraformRunner(str(binary), display=StreamDisplay(io.StringIO())).plan(workspace(tmp_path), {})
    text = caught.value.stderr_tail
    assert "Error: Unsupported argument\n\n  on main.tf line 8" in text
    assert 'An argument named "not_a_real_arg" is not expected here.' in text
    assert "Error: Missing required argument" in text
    assert caught.value.exit_code == 6


HANGING = """
if verb != "apply":
    sys.exit(0)
say(json.dumps({"type": "apply_start", "@message": "x: Creating...",
                "hook": {"resource": {"addr": "aws_db_instance.this"}, "action": "create"}}))
def interrupted(*_):
    say(json.dumps({"type": "log", "@message": "Interrupt received."}))
    if os.environ.get("IGNORE_SIGINT"):
        return
    sys.exit(1)
signal.signal(signal.SIGINT, interrupted)
while True:
    time.sleep(0.05)
"""


@pytest.mark.parametrize("ignores_sigint", [False, True])
def test_an_apply_past_its_timeout_is_stopped_and_names_what_was_in_flight(
    tmp_path: Path, monkeypatch, ignores_sigint: bool
) -> None:
    if ignores_sigint:
        monkeypatch.setenv("IGNORE_SIGINT", "1")  # SIGKILL after the grace period
    runner = TerraformRunner(
        str(script_terraform(tmp_path, HANGING)),
        display=StreamDisplay(io.StringIO()),
        apply_timeout_seconds=1.0,
        interrupt_grace_seconds=0.5,
    )
    ws = Workspace("region/us-west-2", tmp_path, tmp_path / "data")
    started = time.monotonic()
    with pytest.raises(ApplyTimedOut) as caught:
        runner.apply(ws, Plan(tmp_path / "plan", ()))
    assert time.monotonic() - started < 10
    message = caught.value.message
    assert "stack region in us-west-2" in message and "within 1s" in message
    assert "aws_db_instance.this (creating" in message
    assert caught.value.exit_code == 6


def test_an_apply_stopped_by_sigterm_gives_terraform_sigint_so_it_stops_cleanly(tmp_path: Path) -> None:
    """SIGTERM to standby (a supervisor, a cancelled job) while Terraform applies: with the command line's guard
    armed it takes Ctrl-C's way out, and Terraform gets SIGINT (it stops its calls, writes its state and releases
    its lock) instead of being left running, or killed by a broken pipe, mid-apply."""
    marker = tmp_path / "got-sigint"
    body = HANGING.replace("    if os.environ.get", f"    open({str(marker)!r}, 'w').close()\n    if os.environ.get")
    runner = TerraformRunner(
        str(script_terraform(tmp_path, body)), display=StreamDisplay(io.StringIO()), interrupt_grace_seconds=5.0
    )
    ws = Workspace("region/us-west-2", tmp_path, tmp_path / "data")
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGTERM))
    guard = StopSignals()
    with guard.installed():
        guard.armed = True
        timer.start()
        try:
            with pytest.raises(Terminated):
                runner.apply(ws, Plan(tmp_path / "plan", ()))
        finally:
            timer.cancel()
    assert marker.exists()


def test_a_stand_in_execute_is_replayed_line_by_line(tmp_path: Path) -> None:
    lines = (UI / "apply-destroy.jsonl").read_text()
    out = io.StringIO()
    runner = TerraformRunner(
        "terraform",
        execute=lambda argv, cwd, env: Completed(tuple(argv), 0, lines, "", 0.0),
        display=StreamDisplay(out, live=False),
    )
    runner.apply(workspace(tmp_path), Plan(tmp_path / "plan", ()))
    assert "aws_ssm_parameter.this: destroyed (0s)" in out.getvalue()
