"""The report's renderings: JSON keys pinned, JUnit that parses, Markdown and text that say what happened."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from standby.cli.render import Status, document
from standby.drift.model import FINDING_KEYS, CheckError, DriftReport, Finding
from standby.drift.render import REPORT_KEYS, render_junit, render_markdown, render_text, report_dict
from standby.state import Assignment

FINDINGS = (
    Finding(
        "parity",
        "security_group:webapp-app",
        "ingress:tcp:22:0.0.0.0/0",
        primary="present",
        rule="parity.security_group.ingress",
        reason="must be equal in both regions",
    ),
    Finding(
        "parity",
        "parameter:/webapp/flags",
        "value",
        status="ignored",
        primary="a|b",
        standby="a",
        rule="flags",
        reason="rolled out region by region",
    ),
    Finding(
        "parity",
        "capacity:web",
        "desired_capacity",
        status="allowed",
        primary=4,
        standby=1,
        rule="allowed.capacity_ratio",
        reason="standby/primary = 0.25 within [0.25, 1]",
    ),
    Finding(
        "iac",
        "module.network.aws_security_group.app",
        "ingress",
        region="us-east-1",
        primary=["+tcp:22:0.0.0.0/0"],
        actual=["+tcp:22:0.0.0.0/0"],
        rule="terraform.refresh-only",
        reason="not managed by Terraform",
    ),
    Finding(
        "readiness",
        "quota:ec2/L-1216C47A",
        "vcpu_headroom",
        status="unknown",
        region="us-west-2",
        expected=">= 6",
        reason="quota headroom unknown",
    ),
    Finding(
        "readiness",
        "database:webapp-db",
        "replica_lag_seconds",
        status="ok",
        region="us-west-2",
        standby=2.0,
        expected="<= 60",
        actual=2.0,
    ),
)


def report(findings: tuple[Finding, ...] = FINDINGS, errors: tuple[CheckError, ...] = ()) -> DriftReport:
    return DriftReport(
        project="webapp",
        assignment=Assignment("us-east-1", "us-west-2"),
        checks=("iac", "parity", "readiness"),
        findings=findings,
        errors=errors,
        compared={"iac": 70, "parity": 52, "readiness": 5},
        scope_source="manifest",
        started_at=1.0,
        seconds=2.5,
    )


def parse(xml: str) -> ET.Element:
    return ET.fromstring(xml)  # noqa: S314 - our own rendering, not untrusted input


def test_exit_codes_parity_drift_and_errors() -> None:
    quiet = tuple(f for f in FINDINGS if f.status != "drift")
    assert (report(quiet).status, report(quiet).exit_code) == ("parity", 0)
    assert (report().status, report().exit_code) == ("drift", 3)
    failed = report(errors=(CheckError("iac", "us-east-1", "TerraformError", "terraform plan failed", 6),))
    assert (failed.status, failed.exit_code) == ("error", 6)
    strict = DriftReport("p", Assignment("a", "b"), ("readiness",), quiet, fail_on_unknown=True)
    assert strict.exit_code == 3


def test_json_document_keys_are_pinned() -> None:
    doc = json.loads(json.dumps(document("drift", Status.DRIFT, report_dict(report()))))
    assert list(doc) == ["schema_version", "command", "status", "result"]
    assert (
        tuple(doc["result"])
        == REPORT_KEYS
        == (
            "report_version",
            "project",
            "primary_region",
            "standby_region",
            "checks",
            "status",
            "exit_code",
            "counts",
            "compared",
            "scope_source",
            "started_at",
            "seconds",
            "findings",
            "errors",
        )
    )
    assert (
        tuple(doc["result"]["findings"][0])
        == FINDING_KEYS
        == (
            "check",
            "status",
            "resource",
            "attribute",
            "region",
            "primary",
            "standby",
            "expected",
            "actual",
            "rule",
            "reason",
        )
    )
    assert doc["result"]["counts"] == {"drift": 2, "ignored": 1, "allowed": 1, "unknown": 1, "ok": 1}
    assert doc["result"]["exit_code"] == 3


def test_junit_parses_with_a_suite_per_check_and_a_failure_per_drift() -> None:
    root = parse(render_junit(report()))
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == ["drift.iac", "drift.parity", "drift.readiness"]
    parity = suites["drift.parity"]
    assert (parity.get("tests"), parity.get("failures"), parity.get("skipped")) == ("4", "1", "1")
    failure = parity.find("testcase[@name='security_group:webapp-app ingress:tcp:22:0.0.0.0/0']/failure")
    assert failure is not None and failure.get("type") == "parity.security_group.ingress"
    skipped = parity.find("testcase[@name='parameter:/webapp/flags value']/skipped")
    assert skipped is not None and "ignored by rule 'flags'" in (skipped.get("message") or "")
    assert suites["drift.readiness"].get("failures") == "0" and suites["drift.readiness"].get("skipped") == "1"


def test_junit_reports_a_check_that_could_not_run_as_an_error() -> None:
    root = parse(render_junit(report((), (CheckError("iac", "us-east-1", "TerraformError", "plan failed\nstderr"),))))
    error = root.find("testsuite[@name='drift.iac']/testcase/error")
    assert error is not None and error.get("type") == "TerraformError" and error.get("message") == "plan failed"


@pytest.mark.parametrize("renderer", [render_text, render_markdown])
def test_text_and_markdown_name_the_silencing_rule(renderer) -> None:  # type: ignore[no-untyped-def]
    out = renderer(report())
    assert "flags" in out and "rolled out region by region" in out
    assert "security_group:webapp-app" in out and "ingress:tcp:22:0.0.0.0/0" in out


def test_text_reads_as_a_summary_then_findings_per_check() -> None:
    lines = render_text(report()).splitlines()
    assert lines[0].startswith(
        "drift check of webapp: primary us-east-1, standby us-west-2 — DRIFT (2 drift, 1 ignored"
    )
    assert "  ignored  parameter:/webapp/flags  value: primary a|b | standby a" in lines
    assert "           ignored by rule 'flags': rolled out region by region" in lines
    assert lines[-1] == "exit 3: drift found"


def test_markdown_escapes_table_cells() -> None:
    out = render_markdown(report())
    assert (
        "| ignored | parity | parameter:/webapp/flags | value | a\\|b | a | flags | rolled out region by region |"
        in out
    )
    assert out.count("\n| ok |") == 0  # ok findings are not listed
