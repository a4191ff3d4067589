"""The drift run's edges on the emulator: the CLI's exit codes and formats, faults that degrade to findings or
check errors, the scope read from Terraform outputs, the IAM actions it declares, throttling absorbed."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from standby.aws.session import SessionFactory
from standby.cli.main import main
from standby.drift.run import DriftRun
from standby.drift.scheduled import required_actions
from standby.errors import ExitCode, StandbyError
from standby.stacks import Stacks
from standby.state import RegionStates
from standby.terraform import TerraformRunner
from tests.fakes.aws_faults import CallRecorder, FailOperation, RegionOutage, ThrottleFirstAttempt
from tests.integration.drift.world import Mirror

FAKE_TERRAFORM = Path(__file__).resolve().parents[2] / "fakes" / "fake_terraform.py"


def test_cli_exit_codes_and_json_document(loaded, sessions, mirror: Mirror, capsys) -> None:
    args = ["--config", str(loaded.path), "drift", "--check", "parity", "--check", "readiness", "--output", "json"]
    assert main(args) == ExitCode.OK
    doc = json.loads(capsys.readouterr().out)
    assert (doc["command"], doc["status"], doc["result"]["exit_code"]) == ("drift", "ok", 0)
    assert doc["result"]["checks"] == ["parity", "readiness"]

    sessions.client("ssm", mirror.standby).put_parameter(
        Name="/webapp/log_level", Value="warn", Type="String", Overwrite=True
    )
    assert main(args) == ExitCode.DRIFT
    doc = json.loads(capsys.readouterr().out)
    drifted = [(f["resource"], f["attribute"]) for f in doc["result"]["findings"] if f["status"] == "drift"]
    assert drifted == [("parameter:/webapp/log_level", "value")]


@pytest.mark.parametrize("output", ["junit", "markdown", "text"])
def test_cli_renders_every_format(loaded, mirror: Mirror, capsys, output: str) -> None:
    code = main(["--config", str(loaded.path), "drift", "--check", "parity", "--output", output])
    out = capsys.readouterr().out
    assert code == 0
    if output == "junit":
        root = ET.fromstring(out)  # noqa: S314 - our own output
        assert [s.get("name") for s in root.findall("testsuite")] == ["drift.parity"]
    elif output == "markdown":
        assert out.startswith("# Drift check: webapp")
    else:
        assert "in parity" in out.splitlines()[0]


def test_quota_errors_degrade_to_an_unknown_finding(loaded, sessions, mirror: Mirror) -> None:
    faulty = SessionFactory(
        target=sessions.target, on_client=FailOperation("GetServiceQuota", "AccessDeniedException", 5)
    )
    report = DriftRun(loaded, faulty, RegionStates.of(loaded, faulty)).run(["readiness"])
    quota = next(f for f in report.findings if f.resource.startswith("quota:"))
    assert quota.status == "unknown" and "AccessDeniedException" in quota.reason
    assert report.errors == () and report.exit_code == 0


def test_an_unreachable_region_is_a_check_error_not_a_crash(loaded, sessions, mirror: Mirror) -> None:
    down = SessionFactory(target=sessions.target, on_client=RegionOutage([mirror.primary])).fast_fail()
    report = DriftRun(loaded, down, RegionStates.of(loaded, down)).run(["parity"])
    assert report.status == "error" and report.exit_code == ExitCode.FAILED
    assert [(e.check, e.error) for e in report.errors] == [("parity", "EndpointConnectionError")]


def test_throttling_is_absorbed_by_botocore_retries(loaded, sessions, mirror: Mirror) -> None:
    throttle = ThrottleFirstAttempt()
    report = _drift(loaded, SessionFactory(target=sessions.target, on_client=throttle)).run(["parity"])
    assert report.status == "parity" and throttle.throttled > 20


def test_every_call_is_a_read_and_declared_except_the_snapshot_and_report(loaded, sessions, mirror: Mirror) -> None:
    recorder = CallRecorder()
    _drift(loaded, SessionFactory(target=sessions.target, on_client=recorder)).run(["parity", "readiness"])
    assert {op for _, _, op in recorder.mutating()} == {"PutObject"}  # the capacity snapshot
    prefixes = {"elbv2": "elasticloadbalancing", "service-quotas": "servicequotas"}
    called = {f"{prefixes.get(service, service)}:{op}" for _, service, op in recorder.calls}
    undeclared = called - set(required_actions()) - {"s3:HeadBucket", "s3:PutBucketVersioning"}
    assert undeclared == set()


def test_the_scope_comes_from_terraform_outputs_without_a_manifest(
    loaded, sessions, mirror: Mirror, tmp_path, monkeypatch
) -> None:
    """No manifest in the control stores: the region stacks' outputs name the roots (a fake terraform binary)."""
    for region in (mirror.primary, mirror.standby):
        bucket = f"standby-webapp-123456789012-{region}"
        sessions.client("s3", region).delete_object(Bucket=bucket, Key="manifest.json")
    resources = mirror.manifest.region(mirror.primary)
    outputs = {
        "autoscaling_group_names": {"value": {g: ref.autoscaling_group for g, ref in resources.groups.items()}},
        "db_instance_identifiers": {"value": list(resources.databases)},
        "ssm_parameter_names": {"value": list(resources.parameters)},
    }
    binary = tmp_path / "terraform"
    binary.write_text(f'#!/bin/sh\nexec {sys.executable} {FAKE_TERRAFORM} "$@"\n')
    binary.chmod(0o755)
    monkeypatch.setenv("FAKE_TF_LOG", str(tmp_path / "tf.log"))
    monkeypatch.setenv("FAKE_TF_OUTPUT", json.dumps(outputs))
    # The outputs do not give the whole contract, so standby reads the state (``show -json``) for the rest: it
    # holds nothing more here, and the outputs keep their precedence.
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"format_version": "1.0", "values": {"root_module": {"resources": []}}}))
    monkeypatch.setenv("FAKE_TF_SHOW", str(state))
    report = DriftRun(
        loaded, sessions, RegionStates.of(loaded, sessions), Stacks(loaded, TerraformRunner(str(binary)), {})
    ).run(["parity"])
    assert report.scope_source == "outputs" and report.status == "parity", report.errors
    assert report.compared["parity"] >= 40


def test_without_manifest_or_terraform_the_run_says_what_to_do(loaded, sessions, clean_emulator) -> None:
    stores = RegionStates.of(loaded, sessions)
    assignment = stores.assignment()
    with pytest.raises(StandbyError, match="no manifest in either region's control store"):
        DriftRun(loaded, sessions, stores).resolve_scope(assignment, stores)


def _drift(loaded, sessions: SessionFactory) -> DriftRun:
    return DriftRun(loaded, sessions, RegionStates.of(loaded, sessions))
