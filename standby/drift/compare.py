"""Compare the two regions' facts under the parity spec, judge allowed differences, apply ignore rules (pure)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from standby.capacity import standby_capacity
from standby.config.drift_schema import DriftSettings, IgnoreRule, ParitySpec
from standby.config.schema import Capacity, Config, Scale
from standby.drift.model import Finding
from standby.drift.normalise import State


@dataclass(frozen=True)
class Allowed:
    """The declared differences, resolved against [scale]: capacity ratio bounds and allow-lists."""

    ratio_min: float
    ratio_max: float
    scale: Scale
    instance_types: frozenset[str] = frozenset()
    db_instance_classes: frozenset[str] = frozenset()

    @classmethod
    def from_config(cls, config: Config) -> Allowed:
        allowed = config.drift.allowed
        ratio = allowed.capacity_ratio
        return cls(
            ratio_min=ratio.min if ratio else config.scale.fraction,
            ratio_max=ratio.max if ratio else 1.0,
            scale=config.scale,
            instance_types=frozenset(allowed.instance_types),
            db_instance_classes=frozenset(allowed.db_instance_classes),
        )

    def judge(self, service: str, attribute: str, primary: Any, standby: Any, resource: State | None) -> Finding | None:
        """A finding with status 'allowed' or 'drift' for a declared difference; None when no rule covers it."""
        if service == "capacity" and attribute in ("desired_capacity", "min_size"):
            return self._capacity(attribute, primary, standby, resource or {})
        if service == "launch_template" and attribute == "instance_type":
            return self._listed("allowed.instance_types", standby, self.instance_types)
        if service == "database" and attribute == "instance_class":
            return self._listed("allowed.db_instance_classes", standby, self.db_instance_classes)
        return None

    def _capacity(self, attribute: str, primary: Any, standby: Any, facts: State) -> Finding:
        bounds = f"[{self.ratio_min:g}, {self.ratio_max:g}]"
        rule = "allowed.capacity_ratio"
        if not isinstance(primary, int) or not isinstance(standby, int):
            return _verdict("drift", rule, "capacity is missing in one region")
        if self._as_provisioned(attribute, primary, standby, facts.get("primary") or {}):
            return _verdict("allowed", rule, f"standby {standby} = what [scale] derives from the primary's {primary}")
        if primary == 0:
            ok = standby == 0
            return _verdict("allowed" if ok else "drift", rule, f"primary {attribute} is 0, standby is {standby}")
        ratio = standby / primary
        inside = self.ratio_min - 1e-9 <= ratio <= self.ratio_max + 1e-9
        where = "within" if inside else "outside"
        return _verdict("allowed" if inside else "drift", rule, f"standby/primary = {ratio:.3g} {where} {bounds}")

    def _as_provisioned(self, attribute: str, primary: int, standby: int, primary_capacity: Mapping[str, Any]) -> bool:
        """The standby holds exactly what provisioning derives from the primary's current capacity ([scale])."""
        desired = int(primary_capacity.get("desired_capacity", primary))
        minimum = int(primary_capacity.get("min_size", primary if attribute == "min_size" else 0))
        maximum = int(primary_capacity.get("max_size") or max(minimum, desired))
        try:
            observed = Capacity(min_size=minimum, max_size=maximum, desired_capacity=desired)
        except ValueError:  # the primary itself is out of order (moto accepts desired > max)
            return False
        return getattr(standby_capacity(observed, self.scale), attribute) == standby

    @staticmethod
    def _listed(rule: str, standby: Any, allowed: frozenset[str]) -> Finding | None:
        if standby in allowed:
            return _verdict("allowed", rule, f"{standby} is on the standby's allow-list")
        return None


def _verdict(status: str, rule: str, reason: str) -> Finding:
    return Finding(check="parity", resource="", attribute="", status=status, rule=rule, reason=reason)  # type: ignore[arg-type]


def service_of(resource: str) -> str:
    return resource.split(":", 1)[0]


def family_of(attribute: str) -> str:
    return attribute.split(":", 1)[0]


@dataclass(frozen=True)
class Comparison:
    findings: tuple[Finding, ...]
    compared: int  # attributes compared


def compare_states(primary: State, standby: State, spec: ParitySpec, allowed: Allowed) -> Comparison:
    """Every attribute the spec covers, compared; a finding for each difference (drift or allowed)."""
    findings: list[Finding] = []
    compared = 0
    for resource in sorted(primary.keys() | standby.keys()):
        service = service_of(resource)
        families = spec.attributes(service) if hasattr(spec, service) else ()
        if not families:
            continue
        p_facts, s_facts = primary.get(resource), standby.get(resource)
        if p_facts is None or s_facts is None:
            compared += 1
            findings.append(
                Finding(
                    check="parity",
                    resource=resource,
                    attribute="exists",
                    primary="present" if p_facts is not None else None,
                    standby="present" if s_facts is not None else None,
                    rule=f"parity.{service}",
                    reason=f"exists only in the {'primary' if p_facts is not None else 'standby'}",
                )
            )
            continue
        context = {"primary": p_facts, "standby": s_facts}
        for attribute in sorted(p_facts.keys() | s_facts.keys()):
            family = family_of(attribute)
            if family not in families:
                continue
            compared += 1
            p_value, s_value = p_facts.get(attribute), s_facts.get(attribute)
            if p_value == s_value:
                continue
            base = Finding(
                check="parity",
                resource=resource,
                attribute=attribute,
                primary=p_value,
                standby=s_value,
                rule=f"parity.{service}.{family}",
                reason="must be equal in both regions",
            )
            verdict = allowed.judge(service, attribute, p_value, s_value, context)  # type: ignore[arg-type]
            if verdict is not None:
                base = dataclasses.replace(base, status=verdict.status, rule=verdict.rule, reason=verdict.reason)
            findings.append(base)
    return Comparison(tuple(findings), compared)


# -- ignore rules ---------------------------------------------------------------------------------------------


def pattern(glob: str) -> re.Pattern[str]:
    """A shell-style pattern: only ``*`` and ``?`` are wild (brackets stay literal: Terraform addresses use them)."""
    return re.compile("^" + re.escape(glob).replace(r"\*", ".*").replace(r"\?", ".") + "$")


def rule_matches(rule: IgnoreRule, finding: Finding) -> bool:
    if rule.check is not None and rule.check != finding.check:
        return False
    if rule.region is not None and rule.region != finding.region:
        return False
    return bool(pattern(rule.resource).match(finding.resource) and pattern(rule.attribute).match(finding.attribute))


def apply_ignores(findings: Iterable[Finding], settings: DriftSettings) -> list[Finding]:
    """Drift and unknown findings matched by an ignore rule become 'ignored', naming the rule and its reason."""
    out: list[Finding] = []
    for finding in findings:
        if finding.status in ("drift", "unknown"):
            for index, rule in enumerate(settings.ignore):
                if rule_matches(rule, finding):
                    finding = dataclasses.replace(
                        finding, status="ignored", rule=settings.rule_name(index), reason=rule.reason
                    )
                    break
        out.append(finding)
    return out
