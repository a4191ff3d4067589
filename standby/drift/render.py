"""A drift report as data (for the JSON document), text, JUnit XML and Markdown (pure)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from standby.drift.model import DriftReport, Finding

REPORT_VERSION = 1
# The keys of the report in the JSON document's "result", in order. Pinned by tests.
REPORT_KEYS = (
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
_LABEL = {"drift": "DRIFT", "ignored": "ignored", "allowed": "allowed", "unknown": "unknown", "ok": "ok"}


def report_dict(report: DriftReport) -> dict[str, Any]:
    values = {
        "report_version": REPORT_VERSION,
        "project": report.project,
        "primary_region": report.primary_region,
        "standby_region": report.standby_region,
        "checks": list(report.checks),
        "status": report.status,
        "exit_code": report.exit_code,
        "counts": report.counts(),
        "compared": dict(report.compared),
        "scope_source": report.scope_source,
        "started_at": report.started_at,
        "seconds": report.seconds,
        "findings": [f.to_dict() for f in report.findings],
        "errors": [e.to_dict() for e in report.errors],
    }
    return {key: values[key] for key in REPORT_KEYS}


def show(value: Any, limit: int = 80) -> str:
    """A value for people: 'absent' for None, JSON otherwise, cut to ``limit`` characters."""
    if value is None:
        return "absent"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _summary(report: DriftReport) -> str:
    counts = report.counts()
    parts = [f"{counts[s]} {s}" for s in ("drift", "ignored", "allowed", "unknown") if counts[s]]
    if report.errors:
        parts.append(f"{len(report.errors)} check error(s)")
    return ", ".join(parts) or "nothing to report"


def _values(f: Finding) -> str:
    if f.check == "parity":
        return f"primary {show(f.primary)} | standby {show(f.standby)}"
    if f.check == "iac":
        return f"state {show(f.expected)} -> found {show(f.actual)}"
    return f"{show(f.actual)} (expected {show(f.expected)})"


def _why(f: Finding) -> str:
    if f.status == "ignored":
        return f"ignored by rule '{f.rule}': {f.reason}"
    return f"{f.rule}: {f.reason}" if f.rule else f.reason


def render_text(report: DriftReport) -> str:
    head = report.status.upper() if report.status != "parity" else "in parity"
    lines = [
        f"drift check of {report.project}: primary {report.primary_region}, standby {report.standby_region} — "
        f"{head} ({_summary(report)}) in {report.seconds:.1f}s"
    ]
    for check in report.checks:
        compared = report.compared.get(check)
        unit = {"iac": "resources", "parity": "attributes", "readiness": "checks"}[check]
        lines.append(f"{check} ({compared if compared is not None else '-'} {unit})")
        mine = [f for f in report.findings if f.check == check]
        if not mine:
            lines.append("  no findings")
        for f in mine:
            where = f"[{f.region}] " if f.region and check != "parity" else ""
            lines.append(f"  {_LABEL[f.status]:<8} {where}{f.resource}  {f.attribute}: {_values(f)}")
            lines.append(f"  {'':<8} {_why(f)}")
    for e in report.errors:
        lines.append(f"error: {e.check}{f' [{e.region}]' if e.region else ''}: {e.error}: {e.message.splitlines()[0]}")
    lines.append(f"exit {report.exit_code}: {_exit_meaning(report)}")
    return "\n".join(lines)


def _exit_meaning(report: DriftReport) -> str:
    return {"parity": "in parity", "drift": "drift found", "error": "a check could not run"}[report.status]


def render_junit(report: DriftReport) -> str:
    """One test suite per check, one test case per finding; drift fails, ignored and unknown are skipped."""
    suites = ET.Element("testsuites", name=f"standby drift {report.project}")
    for check in report.checks:
        mine = [f for f in report.findings if f.check == check]
        errors = [e for e in report.errors if e.check == check]
        suite = ET.SubElement(suites, "testsuite", name=f"drift.{check}")
        compared = ET.SubElement(suite, "testcase", classname=f"drift.{check}", name=f"{check} compared")
        ET.SubElement(compared, "system-out").text = f"{report.compared.get(check, 0)} compared"
        for f in mine:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"drift.{check}" + (f".{f.region}" if f.region else ""),
                name=f"{f.resource} {f.attribute}",
            )
            message = f"{_values(f)} — {_why(f)}"
            if f.status == "drift" or (f.status == "unknown" and report.fail_on_unknown):
                ET.SubElement(case, "failure", message=message, type=f.rule or "drift").text = json.dumps(
                    f.to_dict(), default=str, indent=2
                )
            elif f.status in ("ignored", "unknown"):
                ET.SubElement(case, "skipped", message=message)
            else:
                ET.SubElement(case, "system-out").text = message
        for e in errors:
            case = ET.SubElement(
                suite, "testcase", classname=f"drift.{check}", name=f"{check} {e.region or ''}".strip()
            )
            ET.SubElement(
                case, "error", message=e.message.splitlines()[0] if e.message else "", type=e.error
            ).text = e.message
        cases = suite.findall("testcase")
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
        suite.set("errors", str(sum(1 for c in cases if c.find("error") is not None)))
        suite.set("skipped", str(sum(1 for c in cases if c.find("skipped") is not None)))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode")


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: DriftReport) -> str:
    lines = [
        f"# Drift check: {report.project}",
        "",
        f"Primary **{report.primary_region}**, standby **{report.standby_region}** — **{report.status}** "
        f"({_summary(report)}), exit code {report.exit_code}, {report.seconds:.1f}s.",
        "",
        "| check | compared | drift | ignored | allowed | unknown |",
        "|---|---|---|---|---|---|",
    ]
    for check in report.checks:
        mine = [f for f in report.findings if f.check == check]
        n = {s: sum(1 for f in mine if f.status == s) for s in ("drift", "ignored", "allowed", "unknown")}
        lines.append(
            f"| {check} | {report.compared.get(check, '-')} | {n['drift']} | {n['ignored']} | {n['allowed']} |"
            f" {n['unknown']} |"
        )
    shown = [f for f in report.findings if f.status != "ok"]
    if shown:
        lines += [
            "",
            "## Findings",
            "",
            "| status | check | resource | attribute | primary / expected | standby / found | rule | reason |",
        ]
        lines.append("|---|---|---|---|---|---|---|---|")
        for f in shown:
            primary = show(f.primary if f.check == "parity" else f.expected, 60)
            standby = show(f.standby if f.check == "parity" else f.actual, 60)
            cells = [f.status, f.check + (f" ({f.region})" if f.region else ""), f.resource, f.attribute]
            cells += [primary, standby, f.rule or "", f.reason]
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    if report.errors:
        lines += ["", "## Errors", ""]
        lines += [
            f"- **{e.check}** {e.region or ''}: `{e.error}` {_cell(e.message.splitlines()[0])}" for e in report.errors
        ]
    return "\n".join(lines) + "\n"
