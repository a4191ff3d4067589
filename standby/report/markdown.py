"""A short Markdown summary of a run report (a drill's, a failover's or a failback's), for a ticket or a chat."""

from __future__ import annotations

from typing import Any

from standby.report.parts import MET, NOT_APPLICABLE, NOT_MET, RPO_NOT_APPLICABLE, objective_status


def _secs(value: float | None) -> str:
    return "unknown" if value is None else f"{value:.1f}s"


_STATUS = {MET: "✅ met", NOT_MET: "❌ not met", NOT_APPLICABLE: f"➖ {RPO_NOT_APPLICABLE}"}


def _objectives_and_phases(report: dict[str, Any]) -> list[str]:
    """What every run's summary starts with: RTO and RPO against their objectives, a table; then the phases."""
    lines = ["| objective | measured | target | |", "|---|---|---|---|"]
    for name in ("rto", "rpo"):
        o = report["objectives"][name]
        status = objective_status(o)
        measured = "n/a" if status == NOT_APPLICABLE else _secs(o["measured_seconds"])
        lines.append(f"| {name.upper()} | {measured} | {o['objective_seconds']}s | {_STATUS[status]} |")
    lines.append("")
    lines.append("Phases: " + ", ".join(f"{p['name']} {_secs(p['seconds'])}" for p in report["phases"]))
    return lines


def render_run_markdown(report: dict[str, Any]) -> str:
    """A failover's or failback's report."""
    kind = report["kind"]
    lines = [
        f"### {kind.capitalize()} {report['run_id']}: **{report['status'].upper()}**",
        "",
        f"Activated {report['activate']}, demoted {report['demote']}.",
        "",
        *_objectives_and_phases(report),
        "",
        "Timeline:",
    ]
    lines.extend(f"- {_secs(e['at'])} {e['event']}: {e['detail']}" for e in report["timeline"])
    if report["changes"]:
        lines.append("")
        lines.append(f"What changed ({len(report['changes'])} steps):")
        lines.extend(f"- `{c['key']}` [{c['region']}]: {c['before']} → {c['after']}" for c in report["changes"])
    if report.get("pending_approval"):
        lines.append("")
        lines.append(
            f"Paused before {report['pending_approval']}: "
            f"`standby {kind} --resume {report['run_id']} --approve` continues it."
        )
    if report.get("error"):
        lines.append(f"Error: {report['error']}")
    return "\n".join(lines) + "\n"


def render_markdown(report: dict[str, Any]) -> str:
    if report.get("kind", "drill") != "drill":
        return render_run_markdown(report)
    lines = [
        f"### Drill {report['run_id']} ({report['mode']}): **{report['status'].upper()}**",
        "",
        *_objectives_and_phases(report),
    ]
    if report["left_behind"]:
        lines.append(f"Left behind ({len(report['left_behind'])}):")
        lines.extend(f"- `{d['key']}`: {d['before']} → {d['after']}" for d in report["left_behind"])
    else:
        lines.append(f"Nothing left behind ({len(report['inventory']['before'])} resources compared).")
    if report.get("error"):
        lines.append(f"Error: {report['error']}")
    return "\n".join(lines) + "\n"
