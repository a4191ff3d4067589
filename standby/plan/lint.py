"""`standby lint`, pure: for each traffic mode, every call of the failover and failback plans with its region and
plane, and whether the recovery path depends on what an outage takes away.

The failover fails the lint when a call it needs (not best effort: fence steps, copies of records and
the other region's lock mirror are time-boxed and tolerated) goes to the region being demoted, or to a control
plane of a region other than the activated one — Route53's API, in us-east-1, in `records` mode. The failback is
listed too but never fails the lint: it is a planned switchover and needs both regions by design.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from standby.config.schema import Config
from standby.failover.model import FailoverPlan
from standby.plan.calls import CONTROL, TRAFFIC_MODES, Call, plan_calls


@dataclass(frozen=True)
class Finding:
    """A call that makes the recovery depend on what an outage takes away (see ``dependency``)."""

    step: str
    action: str
    region: str
    why: str

    def line(self) -> str:
        return f"{self.step}: {self.action} in {self.region} — {self.why}"


def dependency(call: Call, activate: str, demote: str) -> str | None:
    """Why ``call`` makes the recovery depend on what an outage takes away; None when it does not."""
    if call.best_effort:
        return None
    if call.region == demote:
        return f"needs the region being demoted ({demote}, {call.plane} plane)"
    if call.plane == CONTROL and call.region != activate:
        return f"needs the control plane of {call.region}"
    return None


def findings(calls: Iterable[Call], activate: str, demote: str) -> list[Finding]:
    found = []
    for call in calls:
        why = dependency(call, activate, demote)
        if why is not None:
            found.append(Finding(call.step, call.action, call.region, why))
    return found


@dataclass(frozen=True)
class PlanLint:
    """Every call of one plan, and those of them that make it depend on what an outage takes away."""

    calls: tuple[Call, ...]
    dependencies: tuple[Finding, ...]

    @classmethod
    def of(cls, plan: FailoverPlan, config: Config) -> PlanLint:
        calls = tuple(plan_calls(plan, config))
        return cls(calls, tuple(findings(calls, plan.activate, plan.demote)))


@dataclass(frozen=True)
class ModeLint:
    """The lint of one traffic mode: its failover and failback plans'; the failover's dependencies fail it, the
    failback's are expected (a planned switchover) and only reported."""

    mode: str
    activate: str
    demote: str
    failover: PlanLint
    failback: PlanLint

    @property
    def problems(self) -> tuple[Finding, ...]:
        return self.failover.dependencies

    @property
    def failback_dependencies(self) -> tuple[Finding, ...]:
        return self.failback.dependencies

    @property
    def passed(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "activate": self.activate,
            "demote": self.demote,
            "passed": self.passed,
            "problems": [f.__dict__ for f in self.problems],
            "failback_dependencies": [f.__dict__ for f in self.failback_dependencies],
            "failover": [dataclasses.asdict(c) for c in self.failover.calls],
            "failback": [dataclasses.asdict(c) for c in self.failback.calls],
        }


@dataclass(frozen=True)
class LintReport:
    """`standby lint`'s result: one ``ModeLint`` per traffic mode; the verdict is the configured mode's."""

    configured: str  # the config's traffic mode: the one the verdict is about
    source: str  # "observed", or why the plans were built from a synthetic observation
    modes: dict[str, ModeLint] = field(default_factory=dict)

    def verdict(self, mode: str | None = None) -> ModeLint:
        return self.modes[mode or self.configured]

    @property
    def passed(self) -> bool:
        return self.verdict().passed

    def to_dict(self) -> dict[str, Any]:
        return {
            "configured_mode": self.configured,
            "source": self.source,
            "passed": self.passed,
            "modes": {m: r.to_dict() for m, r in self.modes.items()},
        }


def with_mode(config: Config, mode: str) -> Config:
    """``config`` with ``[failover] traffic_mode = mode``."""
    return config.model_copy(update={"failover": config.failover.model_copy(update={"traffic_mode": mode})})


def lint_mode(config: Config, mode: str, failover: FailoverPlan, failback: FailoverPlan) -> ModeLint:
    cfg = with_mode(config, mode)
    return ModeLint(
        mode=mode,
        activate=failover.activate,
        demote=failover.demote,
        failover=PlanLint.of(failover, cfg),
        failback=PlanLint.of(failback, cfg),
    )


def lint(
    config: Config, plans: dict[str, tuple[FailoverPlan, FailoverPlan]], *, source: str = "observed"
) -> LintReport:
    """``plans``: traffic mode -> (failover plan, failback plan), each planned with that mode."""
    modes = {m: lint_mode(config, m, *plans[m]) for m in TRAFFIC_MODES if m in plans}
    return LintReport(configured=config.failover.traffic_mode, source=source, modes=modes)


def render_text(report: LintReport) -> str:
    lines = [f"plans: {report.source}; configured traffic mode: {report.configured}"]
    for mode, result in report.modes.items():
        verdict = "passes" if result.passed else "FAILS: the recovery path depends on what an outage takes away"
        lines += ["", f"traffic mode {mode} ({result.activate} activated, {result.demote} demoted): {verdict}"]
        for kind, calls in (("failover", result.failover.calls), ("failback", result.failback.calls)):
            lines.append(f"  {kind}:")
            for c in calls:
                effort = " (best effort)" if c.best_effort else ""
                lines.append(f"    {c.step:<24} {c.action:<46} {c.region:<12} {c.plane}{effort}")
        for f in result.problems:
            lines.append(f"  ✗ {f.line()}")
        if result.failback_dependencies:
            lines.append(
                f"  note: the failback needs both regions by design ({len(result.failback_dependencies)} call(s)): "
                "it is a planned switchover, not a recovery"
            )
    return "\n".join(lines)
