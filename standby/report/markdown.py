"""A short Markdown summary of a drill report, for a ticket or a chat message."""

from __future__ import annotations

from typing import Any


def _secs(value: float | None) -> str:
    return "unknown" if value is None else f"{value:.1f}s"


def render_markdown(report: dict[str, Any]) -> str:
    obj = report["objectives"]
    mark = {True: "✅ met", False: "❌ not met"}
    lines = [
        f"### Drill {report['run_id']} ({report['mode']}): **{report['status'].upper()}**",
        "",
        "| objective | measured | target | |",
        "|---|---|---|---|",
    ]
    for name in ("rto", "rpo"):
        o = obj[name]
        lines.append(
            f"| {name.upper()} | {_secs(o['measured_seconds'])} | {o['objective_seconds']}s | {mark[o['met']]} |"
        )
    lines.append("")
    lines.append("Phases: " + ", ".join(f"{p['name']} {_secs(p['seconds'])}" for p in report["phases"]))
    if report["left_behind"]:
        lines.append(f"Left behind ({len(report['left_behind'])}):")
        lines.extend(f"- `{d['key']}`: {d['before']} → {d['after']}" for d in report["left_behind"])
    else:
        lines.append(f"Nothing left behind ({len(report['inventory']['before'])} resources compared).")
    if report.get("error"):
        lines.append(f"Error: {report['error']}")
    return "\n".join(lines) + "\n"
