"""The command line: commands listed, exit codes, stdout for results, stderr for errors, the JSON document."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from standby.cli.context import AppContext
from standby.cli.main import main
from standby.errors import Aborted

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = str(REPO / "examples" / "webapp" / "standby.toml")


def test_help_lists_the_commands(capsys) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("validate", "emulator", "provision", "demo"):
        assert f"  {command}" in out
    assert "Exit codes:" in out


def test_validate_valid_file(capsys) -> None:
    assert main(["validate", EXAMPLE]) == 0
    captured = capsys.readouterr()
    assert "valid — project webapp, us-east-1 (primary) -> us-west-2 (standby)" in captured.out
    assert captured.err == ""


def test_validate_uses_global_config_option(capsys) -> None:
    assert main(["--config", EXAMPLE, "validate"]) == 0


def test_validate_json_document(capsys) -> None:
    assert main(["--output", "json", "validate", EXAMPLE]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert list(doc) == ["schema_version", "command", "status", "result"]
    assert (doc["schema_version"], doc["command"], doc["status"]) == (1, "validate", "ok")
    assert doc["result"]["stacks"] == ["dns", "region"]


def test_validate_shows_the_terraform_binary_and_its_version(capsys) -> None:
    assert main(["validate", EXAMPLE]) == 0
    assert re.search(r"^terraform binary 'terraform': terraform \d+\.\d+\.\d+", capsys.readouterr().out, re.M)
    assert main(["--output", "json", "validate", EXAMPLE]) == 0
    found = json.loads(capsys.readouterr().out)["result"]["terraform"]
    assert (found["binary"], found["name"], found["problem"]) == ("terraform", "terraform", None)
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", found["version"])


def test_validate_reports_a_binary_that_cannot_be_run_without_failing(tmp_path: Path, capsys) -> None:
    text = Path(EXAMPLE).read_text()
    text = text.replace('binary = "terraform"', f'binary = "{tmp_path / "no-such-tofu"}"')
    text = text.replace('"../../terraform/', f'"{REPO / "terraform"}/')
    config = tmp_path / "standby.toml"
    config.write_text(text)
    assert main(["--output", "json", "validate", str(config)]) == 0
    found = json.loads(capsys.readouterr().out)["result"]["terraform"]
    assert (found["name"], found["version"]) == (None, None)
    assert "no-such-tofu" in found["problem"]


def test_validate_invalid_file_lists_every_problem(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "standby.toml"
    bad.write_text('[project]\nname = "X"\n[regions]\nprimary = "us-east-1"\nstandby = "mars-1"\n')
    assert main(["validate", str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{bad}:2: project.name:" in captured.err
    assert f"{bad}:5: regions.standby: expected an AWS region name" in captured.err
    assert f"{bad}: objectives: required field is missing" in captured.err
    assert "hint: fix the listed fields" in captured.err
    assert "Traceback" not in captured.err


def test_error_as_json_document(tmp_path: Path, capsys) -> None:
    assert main(["--output", "json", "validate", str(tmp_path / "missing.toml")]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "error"
    assert doc["error"]["type"] == "ConfigError" and doc["error"]["exit_code"] == 2


def test_missing_default_config_is_exit_2(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["provision", "--plan"]) == 2
    assert "standby.toml: file not found" in capsys.readouterr().err


def test_unknown_command_is_a_usage_error(capsys) -> None:
    assert main(["frobnicate"]) == 2
    assert "No such command" in capsys.readouterr().err


def test_emulator_status_without_emulator_is_exit_7(capsys) -> None:
    assert main(["emulator", "status"]) == 7
    assert "no emulator is running" in capsys.readouterr().out


def test_commands_needing_the_emulator_say_how_to_start_it(capsys) -> None:
    assert main(["--config", EXAMPLE, "provision", "--plan"]) == 7
    err = capsys.readouterr().err
    assert "error: no emulator is running" in err
    assert "hint: start one with `standby emulator start`" in err


def test_confirm_refuses_without_a_terminal(monkeypatch) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    app = AppContext(config_option=None, output="text", debug=False)
    with pytest.raises(Aborted, match="no terminal to confirm on"):
        app.confirm("Apply this plan?", yes=False)
    app.confirm("Apply this plan?", yes=True)  # --yes goes on


# -- leaving the process ---------------------------------------------------------------------------------------

EXIT_SCRIPT = """
import sys, threading, time
from pathlib import Path
from standby.cli.main import exit_now

def late() -> None:
    time.sleep(0.3)
    Path(sys.argv[1]).write_text("finished")

if sys.argv[2] == "thread":
    threading.Thread(target=late).start()
elif sys.argv[2] == "daemon":
    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
sys.stdout.write("written before the exit")  # buffered: no newline, stdout a pipe
exit_now(3)
"""


@pytest.mark.parametrize("threads", ["none", "daemon", "thread"])
def test_the_process_ends_with_the_code_and_its_output_whatever_runs(tmp_path: Path, threads: str) -> None:
    """No teardown when nothing else runs: the buffered output still arrives, with the code; a live thread that
    is not a daemon is waited for; a daemon thread (a call to a hanging region) does not hold the process."""
    marker = tmp_path / "late"
    done = subprocess.run(
        [sys.executable, "-c", EXIT_SCRIPT, str(marker), threads],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert (done.returncode, done.stdout) == (3, "written before the exit"), done.stderr
    assert marker.exists() == (threads == "thread")
