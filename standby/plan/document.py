"""The DR plan document, pure: built from the collected inputs (``standby.plan.collect``), rendered by
``standby.plan.render``. No I/O here."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from standby.failover.builders import NO_DATABASES
from standby.failover.model import FailoverPlan, Observation
from standby.plan.calls import Call, step_calls
from standby.plan.collect import Inputs
from standby.plan.fallback import commands
from standby.plan.lint import LintReport, lint
from standby.report.parts import RPO_NOT_APPLICABLE
from standby.state import Assignment
from standby.traffic_switch import switches


def version_of(generated_at: float) -> str:
    """The document's version: its generation time, sortable (the stores' keys are ``plans/<version>.md``)."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(generated_at))


@dataclass(frozen=True)
class StepDoc:
    key: str
    region: str
    depends_on: tuple[str, ...]
    what: str
    calls: tuple[Call, ...]
    fallback: tuple[str, ...]

    @property
    def planes(self) -> list[str]:
        return sorted({c.where for c in self.calls})


@dataclass(frozen=True)
class PlanDoc:
    project: str
    standby_version: str
    version: str
    generated_at: float
    config_name: str
    config_sha256: str
    source: str
    traffic_mode: str
    home: Assignment
    current: Assignment
    stacks: tuple[tuple[str, str, str], ...]  # (name, scope, path)
    scope: tuple[tuple[str, str, tuple[str, ...]], ...]  # (region, role, resources)
    objectives: dict[str, Any]
    history: tuple[dict[str, Any], ...]
    problems: tuple[str, ...]
    warnings: tuple[str, ...]
    failover: tuple[StepDoc, ...]
    failback: tuple[StepDoc, ...]
    failback_problems: tuple[str, ...]
    policy: dict[str, Any]
    criteria: tuple[str, ...]
    risks: tuple[str, ...]
    lint: LintReport
    extra: dict[str, Any] = field(default_factory=dict)


def _steps(inputs: Inputs, plan: FailoverPlan, obs: Observation) -> tuple[StepDoc, ...]:
    config = inputs.loaded.config
    return tuple(
        StepDoc(
            key=s.key,
            region=s.region,
            depends_on=s.depends_on,
            what=s.describe(),
            calls=tuple(step_calls(s, plan, config.failover.traffic_mode)),
            fallback=tuple(commands(config, plan, s, obs)),
        )
        for s in plan.steps
    )


def _scope(inputs: Inputs) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    config = inputs.loaded.config
    home = Assignment.home(config)
    rows = []
    for region in (home.primary, home.standby):
        role = "primary (home)" if region == home.primary else "standby (home)"
        found: list[str] = []
        if inputs.manifest is not None:
            res = inputs.manifest.region(region)
            found += [f"auto scaling group {g.autoscaling_group} ({name})" for name, g in sorted(res.groups.items())]
            found += [f"database {d}" for d in res.databases]
            found += [f"parameter {p}" for p in res.parameters]
        found.append(f"control store standby-{config.project.name}-<account>-{region} (S3) and its lock table")
        rows.append((region, role, tuple(found)))
    if inputs.manifest is not None and inputs.manifest.dns is not None:
        dns = inputs.manifest.dns
        names = ", ".join(dns.record_fqdns)
        rows.append(("global", "DNS (Route53)", (f"hosted zone {dns.zone_name} ({dns.zone_id})", f"records {names}")))
    return tuple(rows)


def _objectives(inputs: Inputs) -> dict[str, Any]:
    config = inputs.loaded.config
    measured = [r for r in inputs.history if r.get("rto_seconds") is not None]
    last = inputs.history[-1] if inputs.history else None
    trend = "no drill recorded yet"
    if len(measured) >= 2:
        change = measured[-1]["rto_seconds"] - measured[-2]["rto_seconds"]
        trend = f"RTO {'+' if change >= 0 else ''}{change:.1f}s since the previous drill ({len(measured)} measured)"
    elif measured:
        trend = "one drill measured: no trend yet"
    return {
        "rto_seconds": config.objectives.rto_seconds,
        "rpo_seconds": config.objectives.rpo_seconds,
        "rpo_applicable": inputs.failover.plan.has_databases,  # no database: no replicated data, no RPO
        "last_run": None if last is None else last["run_id"],
        "last_rto_seconds": None if last is None else last.get("rto_seconds"),
        "last_rpo_seconds": None if last is None else last.get("rpo_seconds"),
        "trend": trend,
    }


def _criteria(inputs: Inputs) -> tuple[str, ...]:
    config = inputs.loaded.config
    f, o = config.failover, config.objectives
    home = Assignment.home(config)
    data_loss = (
        f"Data loss: the replica lag must be within the RPO ({o.rpo_seconds}s); above it the preflight refuses "
        "unless `--accept-rpo-breach` is given."
        if inputs.failover.plan.has_databases
        else f"Data loss: the RPO is {RPO_NOT_APPLICABLE}; {NO_DATABASES}."
    )
    out = [
        f"Fail over when {home.primary} cannot serve and is not expected back within the RTO ({o.rto_seconds}s) "
        "minus the failover's own time (the last drill's RTO).",
        data_loss,
        f"Traffic mode {f.traffic_mode}; fence {f.fence} (within {f.fence_seconds:g}s), write fence "
        f"{f.fence_writes}; the demoted region is waited on for at most {f.demote_budget_seconds}s per step.",
        f"Timeouts: healthy {f.healthy_timeout_seconds}s, promotion {f.promote_timeout_seconds}s, "
        f"DNS {f.dns_timeout_seconds}s; drain after the shift: TTL {config.traffic.ttl}s + {f.drain_seconds}s.",
    ]
    if f.traffic_mode == "health-check":
        out += [
            f"Alarm {s.alarm_name} in {s.alarm_region}: in ALARM, {region} gets no traffic (its Route53 health check "
            "follows it)."
            for region, s in sorted(switches(config).items())
        ]
    if inputs.manifest is not None and inputs.manifest.dns is not None and inputs.manifest.dns.health_check_ids:
        out += [
            f"Route53 health check {hc} guards the records of {region}."
            for region, hc in sorted(inputs.manifest.dns.health_check_ids.items())
        ]
    return tuple(out)


def _risks(inputs: Inputs, report: LintReport) -> tuple[str, ...]:
    config = inputs.loaded.config
    out = []
    if inputs.source != "observed":
        out.append(f"This document was planned from the config alone: {inputs.source}.")
    verdict = report.verdict()
    out += [f"Recovery depends on an outage-prone plane: {p.line()}." for p in verdict.problems]
    for mode, result in report.modes.items():
        if mode != report.configured:
            state = "passes" if result.passed else f"has {len(result.problems)} such dependency(ies)"
            out.append(f"In traffic mode {mode} the recovery path {state} (standby lint).")
    if config.failover.fence_writes == "none":
        out.append("Writes to the old primary are not fenced: writes may land there after the promotion.")
    out.append("Fencing is best effort: a demoted region that does not answer keeps its capacity and its writers.")
    out.append(
        "The failback is a planned switchover: it needs both regions and re-seeds databases with Terraform."
        if inputs.failback.plan.has_databases
        else f"The failback is a planned switchover: it needs both regions ({NO_DATABASES})."
    )
    out += [f"Preflight warning: {w}" for w in inputs.failover.plan.preflight.warnings]
    return tuple(out)


def build_document(inputs: Inputs, *, generated_at: float, standby_version: str, policy: dict[str, Any]) -> PlanDoc:
    config = inputs.loaded.config
    report = lint(config, inputs.by_mode, source=inputs.source)
    over, back = inputs.failover, inputs.failback
    return PlanDoc(
        project=config.project.name,
        standby_version=standby_version,
        version=version_of(generated_at),
        generated_at=generated_at,
        config_name=inputs.loaded.path.name,
        config_sha256=inputs.config_sha256,
        source=inputs.source,
        traffic_mode=config.failover.traffic_mode,
        home=Assignment.home(config),
        current=over.assignment,
        stacks=tuple((n, s.scope, s.path) for n, s in sorted(config.stacks.items())),
        scope=_scope(inputs),
        objectives=_objectives(inputs),
        history=tuple(inputs.history),
        problems=over.plan.preflight.problems,
        warnings=over.plan.preflight.warnings,
        failover=_steps(inputs, over.plan, over.observation),
        failback=_steps(inputs, back.plan, back.observation),
        failback_problems=back.plan.preflight.problems,
        policy=policy,
        criteria=_criteria(inputs),
        risks=_risks(inputs, report),
        lint=report,
    )
