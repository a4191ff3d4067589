"""The DR plan as Markdown and as a self-contained HTML page (the drill report's look: ``standby.report.html``).

Volatile lines — the only ones ``standby plan --check`` ignores — are exactly the lines that start with
``VOLATILE_PREFIXES``: the generation line of each format (generation time and document version). Everything else
is a function of the config, the observed state, the plans and the drill history.
"""

from __future__ import annotations

import datetime as dt
import json
from html import escape

from standby.plan.calls import Call
from standby.plan.document import PlanDoc, StepDoc
from standby.report.html import CSS
from standby.report.parts import RPO_NOT_APPLICABLE

MD_VOLATILE = "Generated: "
HTML_VOLATILE = '<p class="meta volatile">'
VOLATILE_PREFIXES = (MD_VOLATILE, HTML_VOLATILE)

PREFLIGHT_CHECKS = (
    "the region to activate answers",
    "the caller's account is the one configured for it",
    "a manifest is recorded in its control store",
    "every auto scaling group and database of the manifest exists there",
    "every database of the primary has a replica there",
    "the replica lag is within the RPO (a breach refuses the run unless accepted)",
    "the EC2 vCPU quota leaves room for the target capacity",
    "the primary's capacity snapshot is recent",
)


def stable_lines(text: str) -> list[str]:
    """``text`` without its volatile lines."""
    return [line for line in text.splitlines() if not line.startswith(VOLATILE_PREFIXES)]


def _when(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _secs(value: float | None) -> str:
    return "unknown" if value is None else f"{value:.1f}s"


def _rpo_target(objectives: dict[str, object], unit: str) -> str:
    """The RPO's target cell: its seconds, or not applicable (a stack without databases)."""
    if objectives.get("rpo_applicable") is False:
        return RPO_NOT_APPLICABLE
    return f"{objectives['rpo_seconds']}{unit}"


def _actions(calls: tuple[Call, ...]) -> list[str]:
    return [f"{c.action} ({c.region}{', best effort' if c.best_effort else ''})" for c in calls]


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# -- Markdown ------------------------------------------------------------------------------------------------------


def _md_steps(title: str, steps: tuple[StepDoc, ...]) -> list[str]:
    lines = [f"## {title}", "", "| # | step | region | after | planes | what |", "|---|---|---|---|---|---|"]
    for i, s in enumerate(steps, 1):
        lines.append(
            f"| {i} | `{s.key}` | {s.region} | {', '.join(f'`{d}`' for d in s.depends_on) or '—'} | "
            f"{_md_cell(', '.join(s.planes) or 'none')} | {_md_cell(s.what)} |"
        )
    lines.append("")
    for i, s in enumerate(steps, 1):
        lines += [f"### {i}. `{s.key}`", ""]
        lines.append("API calls: " + (", ".join(f"`{a}`" for a in _actions(s.calls)) or "none"))
        lines += ["", "Manual fallback:", "", "```sh", *(s.fallback or ("# nothing to run by hand",)), "```", ""]
    return lines


def render_markdown(doc: PlanDoc) -> str:
    o = doc.objectives
    lines = [
        f"# Disaster-recovery plan: {doc.project}",
        "",
        f"{MD_VOLATILE}{_when(doc.generated_at)} (document version {doc.version})",
        f"standby {doc.standby_version} · config `{doc.config_name}` sha256 `{doc.config_sha256}`",
        f"Plans: {doc.source}. Traffic mode: {doc.traffic_mode}. Roles now: primary {doc.current.primary}, "
        f"standby {doc.current.standby} (home: {doc.home.primary} → {doc.home.standby}).",
        "",
        "## Scope",
        "",
        "| stack | scope | path |",
        "|---|---|---|",
        *[f"| {n} | {s} | `{p}` |" for n, s, p in doc.stacks],
        "",
    ]
    for region, role, found in doc.scope:
        lines += [f"- **{region}** — {role}", *[f"  - {r}" for r in found]]
    lines += [
        "",
        "## Objectives",
        "",
        "| objective | target | last drill |",
        "|---|---|---|",
        f"| RTO | {o['rto_seconds']}s | {_secs(o['last_rto_seconds'])} |",
        f"| RPO | {_rpo_target(o, 's')} | {_secs(o['last_rpo_seconds'])} |",
        "",
        f"Trend: {o['trend']}." + (f" Last drill: `{o['last_run']}`." if o["last_run"] else ""),
        "",
        "## Preconditions",
        "",
        *[f"- {c}" for c in PREFLIGHT_CHECKS],
        "",
        "Current state: " + ("ready, no problem found." if not doc.problems else f"{len(doc.problems)} problem(s)."),
        *[f"- ❌ {p}" for p in doc.problems],
        *[f"- ⚠️ {w}" for w in doc.warnings],
        "",
        "## When to fail over",
        "",
        *[f"- {c}" for c in doc.criteria],
        "",
        "Run `standby failover --dry-run`, then `standby failover`.",
        "",
    ]
    lines += _md_steps("Failover steps", doc.failover)
    lines += ["Run `standby failback --dry-run`, then `standby failback`, once both regions answer.", ""]
    if doc.failback_problems:
        lines += ["Refused now:", *[f"- {p}" for p in doc.failback_problems], ""]
    lines += _md_steps("Failback procedure", doc.failback)
    lines += [
        "## Who may run it",
        "",
        "The least-privilege IAM policy (`standby iam-policy`):",
        "",
        "```json",
        json.dumps(doc.policy, indent=2, sort_keys=True),
        "```",
        "",
        "## Known risks",
        "",
        *[f"- {r}" for r in doc.risks],
        "",
    ]
    return "\n".join(lines)


# -- HTML ----------------------------------------------------------------------------------------------------------


def _html_steps(title: str, steps: tuple[StepDoc, ...]) -> str:
    rows = "".join(
        f"<tr><td>{i}</td><td><code>{escape(s.key)}</code></td><td>{escape(s.region)}</td>"
        f"<td>{escape(', '.join(s.depends_on)) or '—'}</td><td>{escape(', '.join(s.planes) or 'none')}</td>"
        f"<td>{escape(s.what)}</td></tr>"
        for i, s in enumerate(steps, 1)
    )
    details = "".join(
        f"<h3>{i}. <code>{escape(s.key)}</code></h3>"
        f"<p>API calls: {escape(', '.join(_actions(s.calls)) or 'none')}</p>"
        f"<pre><code>{escape(chr(10).join(s.fallback) or '# nothing to run by hand')}</code></pre>"
        for i, s in enumerate(steps, 1)
    )
    return (
        f"<h2>{escape(title)}</h2>\n<table><tr><th>#</th><th>step</th><th>region</th><th>after</th><th>planes</th>"
        f"<th>what</th></tr>{rows}</table>\n{details}\n"
    )


def render_html(doc: PlanDoc) -> str:
    o = doc.objectives
    scope = "".join(
        f"<li><b>{escape(region)}</b> — {escape(role)}<ul>{''.join(f'<li>{escape(r)}</li>' for r in found)}</ul></li>"
        for region, role, found in doc.scope
    )
    stacks = "".join(
        f"<tr><td>{escape(n)}</td><td>{escape(s)}</td><td><code>{escape(p)}</code></td></tr>" for n, s, p in doc.stacks
    )
    state = (
        '<p class="ok">Ready: no problem found.</p>'
        if not doc.problems
        else f'<p class="no">{len(doc.problems)} problem(s) refuse a failover now.</p>'
    )
    issues = "".join(f'<li class="no">{escape(p)}</li>' for p in doc.problems) + "".join(
        f"<li>{escape(w)}</li>" for w in doc.warnings
    )
    verdict = "passed" if doc.lint.passed else "failed"
    refused = "".join(f"<li>{escape(p)}</li>" for p in doc.failback_problems)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>standby DR plan {escape(doc.project)}</title>
<style>{CSS}</style></head>
<body>
<h1>Disaster-recovery plan: {escape(doc.project)}</h1>
{HTML_VOLATILE}Generated {escape(_when(doc.generated_at))} · document version {escape(doc.version)}</p>
<p class="meta">standby {escape(doc.standby_version)} · config <code>{escape(doc.config_name)}</code> sha256
<code>{escape(doc.config_sha256)}</code> · plans: {escape(doc.source)}</p>
<p><span class="verdict {verdict}" id="verdict">lint {verdict.upper()}</span> traffic mode {escape(doc.traffic_mode)};
roles now: primary {escape(doc.current.primary)}, standby {escape(doc.current.standby)}</p>
<h2>Scope</h2>
<table><tr><th>stack</th><th>scope</th><th>path</th></tr>{stacks}</table>
<ul>{scope}</ul>
<h2>Objectives</h2>
<table><tr><th></th><th>target</th><th>last drill</th></tr>
<tr><th>RTO</th><td>{o["rto_seconds"]} s</td><td>{escape(_secs(o["last_rto_seconds"]))}</td></tr>
<tr><th>RPO</th><td>{escape(_rpo_target(o, " s"))}</td><td>{escape(_secs(o["last_rpo_seconds"]))}</td></tr></table>
<p>Trend: {escape(o["trend"])}.</p>
<h2>Preconditions</h2>
<ul>{"".join(f"<li>{escape(c)}</li>" for c in PREFLIGHT_CHECKS)}</ul>
{state}
{"<ul>" + issues + "</ul>" if issues else ""}
<h2>When to fail over</h2>
<ul>{"".join(f"<li>{escape(c)}</li>" for c in doc.criteria)}</ul>
<p>Run <code>standby failover --dry-run</code>, then <code>standby failover</code>.</p>
{_html_steps("Failover steps", doc.failover)}
<p>Run <code>standby failback --dry-run</code>, then <code>standby failback</code>, once both regions answer.</p>
{"<p>Refused now:</p><ul>" + refused + "</ul>" if refused else ""}
{_html_steps("Failback procedure", doc.failback)}
<h2>Who may run it</h2>
<pre><code>{escape(json.dumps(doc.policy, indent=2, sort_keys=True))}</code></pre>
<h2>Known risks</h2>
<ul>{"".join(f"<li>{escape(r)}</li>" for r in doc.risks)}</ul>
</body></html>
"""
