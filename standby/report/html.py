"""A self-contained HTML page for a run report — a drill's, a failover's or a failback's: verdict, objectives, a
Gantt chart of the phases, steps, and the before/after comparison (a drill's fingerprints; a run's timeline of
pauses and approvals, and what each step changed). No scripts, no external assets: it opens anywhere, and prints."""

from __future__ import annotations

import datetime as dt
import json
from html import escape
from typing import Any

from standby.report.parts import MET, NOT_APPLICABLE, NOT_MET, RPO_NOT_APPLICABLE, objective_status

WIDTH = 760
LABEL = 110
ROW = 30


def _when(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _secs(value: float | None) -> str:
    if value is None:
        return "unknown"
    return f"{value:.1f} s" if value < 120 else f"{value / 60:.1f} min"


def gantt_svg(report: dict[str, Any]) -> str:
    phases = report["phases"]
    rto = report["objectives"]["rto"]["objective_seconds"]
    horizon = max([p["end"] for p in phases] + [1.0])
    show_objective = rto <= horizon * 1.5
    if show_objective:
        horizon = max(horizon, rto)
    scale = (WIDTH - LABEL - 70) / horizon  # room on the right for the last bar's label
    height = ROW * len(phases) + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" role="img" '
        f'aria-label="Timeline of the {escape(report.get("kind", "drill"))} phases" class="gantt">'
    ]
    for i in range(6):
        t = horizon * i / 5
        x = LABEL + t * scale
        parts.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height - 20}" class="tick"/>')
        parts.append(f'<text x="{x:.1f}" y="{height - 5}" class="axis">{escape(_secs(t))}</text>')
    for row, p in enumerate(phases):
        y = row * ROW + 6
        x = LABEL + p["start"] * scale
        w = max(2.0, p["seconds"] * scale)
        parts.append(f'<text x="4" y="{y + 15}" class="label">{escape(p["name"])}</text>')
        parts.append(
            f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{ROW - 10}" class="phase phase-{escape(p["name"])}" '
            f'data-phase="{escape(p["name"])}" data-start="{p["start"]}" data-end="{p["end"]}" '
            f'data-seconds="{p["seconds"]}"><title>{escape(p["name"])}: {escape(_secs(p["seconds"]))}</title></rect>'
        )
        parts.append(f'<text x="{x + w + 4:.1f}" y="{y + 15}" class="value">{escape(_secs(p["seconds"]))}</text>')
    if show_objective:
        x = LABEL + rto * scale
        parts.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height - 20}" class="objective"/>')
        parts.append(f'<text x="{x - 4:.1f}" y="12" class="objective-label" text-anchor="end">RTO objective</text>')
    parts.append("</svg>")
    return "".join(parts)


CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:820px;color:#1d232b}
h1{font-size:1.5rem;margin-bottom:.2rem} .meta{color:#5b6570;margin-top:0}
.verdict{display:inline-block;padding:.3rem .8rem;border-radius:4px;font-weight:700;color:#fff}
.passed,.complete{background:#1f7a3a}.failed,.refused,.running{background:#b3261e}.paused{background:#a86500}
table{border-collapse:collapse;width:100%;margin:.8rem 0}
th,td{border-bottom:1px solid #d9dee3;padding:.35rem .5rem;text-align:left;font-size:.92rem;vertical-align:top}
th{background:#f3f5f7} .ok{color:#1f7a3a;font-weight:600}.no{color:#b3261e;font-weight:600}.na{color:#5b6570}
.gantt .tick{stroke:#e3e7eb}.gantt .axis{font-size:11px;fill:#5b6570;text-anchor:middle}
.gantt .label{font-size:13px;fill:#1d232b}.gantt .value{font-size:11px;fill:#5b6570}
.gantt .phase{fill:#2f6fb3}.gantt .objective{stroke:#b3261e;stroke-dasharray:4 3;stroke-width:2}
.gantt .objective-label{font-size:11px;fill:#b3261e}
code{font-size:.85rem}
"""


def _objective_rows(report: dict[str, Any]) -> str:
    rows = []
    for name in ("rto", "rpo"):
        rows.append(_objective_row(name, report["objectives"][name]))
    return "".join(rows)


def _objective_row(name: str, o: dict[str, Any]) -> str:
    """One objective's row: measured, target, its status (met, not met, not applicable) and how it was measured."""
    status = objective_status(o)
    verdict = {
        MET: '<span class="ok">met</span>',
        NOT_MET: '<span class="no">not met</span>',
        NOT_APPLICABLE: f'<span class="na">{escape(RPO_NOT_APPLICABLE)}</span>',
    }[status]
    measured = "n/a" if status == NOT_APPLICABLE else _secs(o["measured_seconds"])
    return (
        f'<tr class="objective-{escape(status)}"><th>{name.upper()}</th><td>{escape(measured)}</td>'
        f"<td>{escape(_secs(o['objective_seconds']))}</td><td>{verdict}</td><td>{escape(o['source'])}</td></tr>"
    )


def _step_rows(report: dict[str, Any]) -> str:
    return "".join(
        f"<tr><td><code>{escape(s['key'])}</code></td><td>{escape(s['region'])}</td><td>{escape(s['status'])}</td>"
        f"<td>{'' if s['start'] is None else escape(_secs(s['start']))}</td>"
        f"<td>{'' if s['end'] is None else escape(_secs(s['end']))}</td>"
        f"<td>{escape(s['error'] or s['detail'] or '')}</td></tr>"
        for s in report["steps"]
    )


def _compact(value: dict[str, Any]) -> str:
    return escape(json.dumps(value, sort_keys=True, default=str)) if value else "—"


def render_run_html(report: dict[str, Any]) -> str:
    """A failover's or failback's report."""
    status = report["status"]
    kind = report["kind"]
    events = "".join(
        f'<tr class="event-{escape(e["event"])}"><td>{escape(_secs(e["at"]))}</td><td>{escape(e["event"])}</td>'
        f"<td>{escape(e['detail'])}</td></tr>"
        for e in report["timeline"]
    )
    changes = "".join(
        f"<tr><td><code>{escape(c['key'])}</code></td><td>{escape(c['region'])}</td>"
        f"<td><code>{_compact(c['before'])}</code></td><td><code>{_compact(c['after'])}</code></td></tr>"
        for c in report["changes"]
    )
    pending = report.get("pending_approval")
    waiting = (
        f'<p class="no" id="pending">Paused before <code>{escape(pending)}</code>: '
        f"<code>standby {escape(kind)} --resume {escape(report['run_id'])} --approve</code> continues it.</p>"
        if pending
        else ""
    )
    warnings = "".join(f"<li>{escape(w)}</li>" for w in report.get("warnings", []))
    error = f'<p class="no">Error: {escape(report["error"])}</p>' if report.get("error") else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>standby {escape(kind)} {escape(report["run_id"])}</title>
<style>{CSS}</style></head>
<body>
<h1>{escape(kind.capitalize())} of {escape(report["project"])}</h1>
<p class="meta">Run <code>{escape(report["run_id"])}</code> · {escape(_when(report["started_at"]))} ·
activated {escape(report["activate"])}, demoted {escape(report["demote"])}</p>
<p><span class="verdict {escape(status)}" id="verdict">{escape(status.upper())}</span></p>
{waiting}
{error}
<h2>Recovery objectives</h2>
<table><tr><th></th><th>measured</th><th>objective</th><th></th><th>how</th></tr>{_objective_rows(report)}</table>
<p class="meta">Time paused for approvals: {escape(_secs(report["paused_seconds"]))} (counted in the RTO).</p>
<h2>Timeline</h2>
{gantt_svg(report)}
<table id="timeline"><tr><th>at</th><th>event</th><th>detail</th></tr>{events}</table>
<h2>Steps</h2>
<table><tr><th>step</th><th>region</th><th>status</th><th>start</th><th>end</th><th>detail</th></tr>{_step_rows(report)}</table>
<h2>What changed</h2>
<table id="changes"><tr><th>step</th><th>region</th><th>before</th><th>after</th></tr>{changes}</table>
{"<h2>Warnings</h2><ul>" + warnings + "</ul>" if warnings else ""}
</body></html>
"""


def render_html(report: dict[str, Any]) -> str:
    if report.get("kind", "drill") != "drill":
        return render_run_html(report)
    obj = report["objectives"]
    status = report["status"]
    rows = []
    for name in ("rto", "rpo"):
        rows.append(_objective_row(name, obj[name]))
    steps = "".join(
        f"<tr><td><code>{escape(s['key'])}</code></td><td>{escape(s['region'])}</td><td>{escape(s['status'])}</td>"
        f"<td>{'' if s['start'] is None else escape(_secs(s['start']))}</td>"
        f"<td>{'' if s['end'] is None else escape(_secs(s['end']))}</td>"
        f"<td>{escape(s['error'] or s['detail'] or '')}</td></tr>"
        for s in report["steps"]
    )
    compared = len(report["inventory"]["before"])
    if report["left_behind"]:
        left = (
            "<ul>"
            + "".join(
                f"<li><code>{escape(d['key'])}</code>: {escape(str(d['before']))} → {escape(str(d['after']))}</li>"
                for d in report["left_behind"]
            )
            + "</ul>"
        )
    else:
        left = f'<p class="ok">Nothing left behind: {compared} resources compared before and after the drill.</p>'
    warnings = "".join(f"<li>{escape(w)}</li>" for w in report.get("warnings", []))
    error = f'<p class="no">Error: {escape(report["error"])}</p>' if report.get("error") else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>standby drill {escape(report["run_id"])}</title>
<style>{CSS}</style></head>
<body>
<h1>Drill of {escape(report["project"])}: {escape(report["mode"])} mode</h1>
<p class="meta">Run <code>{escape(report["run_id"])}</code> · {escape(_when(report["started_at"]))} ·
standby region {escape(report["activate"])}</p>
<p><span class="verdict {status}" id="verdict">{status.upper()}</span></p>
{error}
<h2>Recovery objectives</h2>
<table><tr><th></th><th>measured</th><th>objective</th><th></th><th>how</th></tr>{"".join(rows)}</table>
<h2>Timeline</h2>
{gantt_svg(report)}
<h2>Steps</h2>
<table><tr><th>step</th><th>region</th><th>status</th><th>start</th><th>end</th><th>detail</th></tr>{steps}</table>
<h2>Left behind</h2>
{left}
{"<h2>Warnings</h2><ul>" + warnings + "</ul>" if warnings else ""}
</body></html>
"""
