"""One result vocabulary: the envelope's status words, exit codes only through ExitCode, typed results."""

from __future__ import annotations

import ast
import enum
import json
from pathlib import Path

import pytest

from standby.cli.main import main
from standby.cli.render import DRIFT_STATUS, DRILL_STATUS, Status, document
from standby.cli.views import run_status_json
from standby.config import load_config
from standby.drill.report import build_report
from standby.errors import ExitCode
from standby.failover.status import LastRun, RunStatus
from standby.report.parts import OBJECTIVE_STATUSES
from standby.state import Assignment, Journal, StepRecord

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = str(REPO / "examples" / "webapp" / "standby.toml")
CLI = REPO / "standby" / "cli"

ENVELOPE = ["schema_version", "command", "status", "result"]
ERROR_ENVELOPE = ["schema_version", "command", "status", "error", "result"]


def test_the_status_words_are_pinned() -> None:
    assert {s.value for s in Status} == {"ok", "failed", "refused", "paused", "drift", "error"}


def test_the_objective_status_words_are_pinned() -> None:
    # an objective in a report (JSON ``objectives.rto|rpo.status``): the RPO of a stack without databases does not
    # apply, and a drill passes on its RTO alone
    assert OBJECTIVE_STATUSES == ("met", "not-met", "not-applicable")


def test_drill_and_drift_words_map_onto_the_vocabulary() -> None:
    assert dict(DRILL_STATUS) == {"passed": Status.OK, "failed": Status.FAILED}
    assert dict(DRIFT_STATUS) == {"parity": Status.OK, "drift": Status.DRIFT, "error": Status.ERROR}


def test_document_accepts_only_a_status() -> None:
    assert document("validate", Status.OK, {"a": 1})["status"] == "ok"
    with pytest.raises(TypeError, match="must be a Status"):
        document("drill", "passed", {})  # type: ignore[arg-type]


def test_exit_codes_are_an_int_enum_with_the_documented_values() -> None:
    assert issubclass(ExitCode, enum.IntEnum)
    assert {c.name: c.value for c in ExitCode} == {
        "OK": 0,
        "FAILED": 1,
        "USAGE": 2,
        "DRIFT": 3,
        "PREFLIGHT": 4,
        "STEP": 5,
        "TERRAFORM": 6,
        "EMULATOR": 7,
        "LOCKED": 8,
        "PAUSED": 9,
        "ABORTED": 10,
        "INTERRUPTED": 130,
    }


def _cli_functions() -> list[tuple[str, ast.FunctionDef]]:
    found = []
    for path in sorted(CLI.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef):
                found.append((f"{path.name}:{node.name}", node))
    return found


def test_no_bare_int_is_returned_under_standby_cli() -> None:
    bare = []
    for name, fn in _cli_functions():
        for ret in ast.walk(fn):
            if isinstance(ret, ast.Return) and ret.value is not None:
                value = ret.value
                outcomes = [value.body, value.orelse] if isinstance(value, ast.IfExp) else [value]
                if any(isinstance(v, ast.Constant) and type(v.value) is int for v in outcomes):
                    bare.append(f"{name}:{ret.lineno}")
    assert bare == []


def test_every_command_is_annotated_to_return_an_exit_code() -> None:
    from standby.cli.main import cli

    def commands(group):  # type: ignore[no-untyped-def]
        for name in group.list_commands(None):  # every command, imported on look-up
            command = group.get_command(None, name)
            if hasattr(command, "commands"):
                yield from commands(command)
            else:
                yield command

    wrong = [c.name for c in commands(cli) if c.callback.__annotations__.get("return") != "ExitCode"]
    assert wrong == []


def _json(capsys, argv: list[str]) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    code = main(["--output", "json", *argv])
    assert type(code) is int
    return code, json.loads(capsys.readouterr().out)


def test_validate_envelope(capsys) -> None:  # type: ignore[no-untyped-def]
    code, doc = _json(capsys, ["validate", EXAMPLE])
    assert code == ExitCode.OK
    assert list(doc) == ENVELOPE and doc["status"] == Status.OK


def test_iam_policy_envelope(capsys) -> None:  # type: ignore[no-untyped-def]
    code, doc = _json(capsys, ["iam-policy"])
    assert code == ExitCode.OK
    assert list(doc) == ENVELOPE
    assert (doc["command"], doc["status"]) == ("iam-policy", "ok")
    assert doc["result"]["Version"]


def test_usage_error_envelope(capsys) -> None:  # type: ignore[no-untyped-def]
    code, doc = _json(capsys, ["validate", "--bogus"])
    assert code == ExitCode.USAGE
    assert list(doc) == ERROR_ENVELOPE
    assert (doc["command"], doc["status"]) == ("validate", "error")
    assert doc["error"]["exit_code"] == 2 and "--bogus" in doc["error"]["message"]


def test_config_error_envelope(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code, doc = _json(capsys, ["validate", str(tmp_path / "missing.toml")])
    assert code == ExitCode.USAGE
    assert list(doc) == ERROR_ENVELOPE
    assert (doc["command"], doc["status"]) == ("validate", "error")
    assert doc["error"]["type"] == "ConfigError"


def test_emulator_status_without_emulator_envelope(capsys) -> None:  # type: ignore[no-untyped-def]
    code, doc = _json(capsys, ["emulator", "status"])
    assert code == ExitCode.EMULATOR
    assert list(doc) == ENVELOPE and doc["status"] in {s.value for s in Status}
    assert doc["status"] == "error" and doc["result"] == {"running": False}


def test_run_status_renders_the_same_keys_as_before() -> None:
    status = RunStatus(
        primary="us-west-2",
        standby="us-east-1",
        home=Assignment(primary="us-east-1", standby="us-west-2"),
        failed_over=True,
        last_run=LastRun("r1", "failover", "complete", 1.0, 2.0, 0.5, {"verify": "complete"}),
    )
    assert json.loads(json.dumps(run_status_json(status))) == {
        "primary": "us-west-2",
        "standby": "us-east-1",
        "home": {"primary": "us-east-1", "standby": "us-west-2"},
        "failed_over": True,
        "last_run": {
            "run_id": "r1",
            "kind": "failover",
            "status": "complete",
            "started_at": 1.0,
            "ended_at": 2.0,
            "rto_seconds": 0.5,
            "steps": {"verify": "complete"},
        },
    }
    assert run_status_json(RunStatus("a", "b", Assignment("a", "b"), False, None))["last_run"] is None


def test_drill_report_is_typed_and_keeps_its_json_shape() -> None:
    config = load_config(EXAMPLE).config
    measured = Journal("r1", "drill", "us-west-2", "us-east-1", started_at=1000.0, status="failed")
    measured.steps["verify"] = StepRecord("verify", "verify", "us-west-2", "failed", 1001.0, 1002.5, error="boom")
    report = build_report(
        config,
        mode="isolated",
        run_id="r1",
        measured=measured,
        restores=[],
        before={"a": "1"},
        after={"a": "1"},
        left_behind=[],
        error="step verify failed",
        finished_at=1200.0,
    )
    assert report.status == "failed" and not report.passed
    assert report.steps[0].error == "boom"
    doc = report.to_dict()
    assert list(doc) == [
        "schema_version",
        "kind",
        "mode",
        "run_id",
        "project",
        "activate",
        "started_at",
        "finished_at",
        "status",
        "error",
        "objectives",
        "phases",
        "steps",
        "restored",
        "left_behind",
        "inventory",
        "warnings",
    ]
    assert list(doc["objectives"]["rpo"]) == ["status", "measured_seconds", "objective_seconds", "met", "source"]
    assert doc["objectives"]["rpo"]["status"] in OBJECTIVE_STATUSES
    assert doc["phases"] == [{"name": "verify", "start": 1.0, "end": 2.5, "seconds": 1.5, "steps": ["verify"]}]
    assert doc["steps"][0] == {
        "key": "verify",
        "slug": "verify",
        "region": "us-west-2",
        "run": "r1",
        "status": "failed",
        "start": 1.0,
        "end": 2.5,
        "detail": "",
        "error": "boom",
    }
    assert doc["inventory"] == {"before": {"a": "1"}, "after": {"a": "1"}}
    assert json.loads(json.dumps(doc)) == doc
    with pytest.raises(TypeError):
        report["status"]  # type: ignore[index]  # the typed report is read by attribute, not as a dict
