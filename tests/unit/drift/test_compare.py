"""Comparison under the parity spec: tables of facts in, findings out (no AWS)."""

from __future__ import annotations

from typing import Any

import pytest

from standby.config.drift_schema import DriftSettings, IgnoreRule, ParitySpec
from standby.config.schema import Scale
from standby.drift.compare import Allowed, apply_ignores, compare_states, pattern, rule_matches
from standby.drift.model import Finding

ALLOWED = Allowed(ratio_min=0.25, ratio_max=1.0, scale=Scale(fraction=0.25, floor=1))


def compare(primary: dict[str, Any], standby: dict[str, Any], **spec: Any) -> list[tuple[Any, ...]]:
    result = compare_states(primary, standby, ParitySpec(**spec), ALLOWED)
    return [(f.resource, f.attribute, f.status, f.primary, f.standby, f.rule) for f in result.findings]


def test_equal_facts_give_no_findings_and_count_what_was_compared() -> None:
    facts = {"parameter:/a": {"type": "String", "value": "x"}, "launch_template:web": {"image": "al2"}}
    result = compare_states(facts, facts, ParitySpec(), ALLOWED)
    assert result.findings == () and result.compared == 3


@pytest.mark.parametrize(
    ("primary", "standby", "expected"),
    [
        (
            {"parameter:/a": {"value": "debug"}},
            {"parameter:/a": {"value": "info"}},
            [("parameter:/a", "value", "drift", "debug", "info", "parity.parameter.value")],
        ),
        (
            {"security_group:app": {"ingress:tcp:22:0.0.0.0/0": "present"}},
            {"security_group:app": {}},
            [
                (
                    "security_group:app",
                    "ingress:tcp:22:0.0.0.0/0",
                    "drift",
                    "present",
                    None,
                    "parity.security_group.ingress",
                )
            ],
        ),
        (
            {"parameter:/only-here": {"value": "1"}},
            {},
            [("parameter:/only-here", "exists", "drift", "present", None, "parity.parameter")],
        ),
        (
            {"launch_template:web": {"image": "al2-2024", "instance_type": "t3.large"}},
            {"launch_template:web": {"image": "al2-2025", "instance_type": "t3.large"}},
            [("launch_template:web", "image", "drift", "al2-2024", "al2-2025", "parity.launch_template.image")],
        ),
        (  # a service the spec does not know is not compared
            {"bucket:x": {"a": 1}},
            {"bucket:x": {"a": 2}},
            [],
        ),
    ],
)
def test_differences_are_drift_under_the_rule_that_requires_equality(
    primary: dict[str, Any], standby: dict[str, Any], expected: list[tuple[Any, ...]]
) -> None:
    assert compare(primary, standby) == expected


def test_the_spec_chooses_what_must_be_equal() -> None:
    primary = {"launch_template:web": {"image": "a", "user_data_sha256": "1"}}
    standby = {"launch_template:web": {"image": "b", "user_data_sha256": "2"}}
    assert [f[1] for f in compare(primary, standby, launch_template=["user_data_sha256"])] == ["user_data_sha256"]
    assert compare(primary, standby, launch_template=[]) == []


def capacity(min_size: int, max_size: int, desired: int) -> dict[str, Any]:
    return {"capacity:web": {"min_size": min_size, "max_size": max_size, "desired_capacity": desired}}


@pytest.mark.parametrize(
    ("primary", "standby", "expected"),
    [
        # exactly what [scale] derives: allowed
        (capacity(2, 8, 4), capacity(1, 8, 1), {"desired_capacity": "allowed", "min_size": "allowed"}),
        # within the ratio bounds: allowed
        (capacity(4, 8, 8), capacity(2, 8, 4), {"desired_capacity": "allowed", "min_size": "allowed"}),
        # the primary scaled out to 10: the standby's 1 is below 0.25
        (capacity(2, 12, 10), capacity(1, 12, 1), {"desired_capacity": "drift", "min_size": "allowed"}),
        # max_size must be equal: a failover scales out to the primary's capacity
        (
            capacity(2, 8, 4),
            capacity(1, 4, 1),
            {"desired_capacity": "allowed", "min_size": "allowed", "max_size": "drift"},
        ),
        # a primary at 0: the standby must be 0 too, unless [scale]'s floor says 1
        (capacity(0, 2, 0), capacity(0, 2, 0), {}),
        (capacity(0, 2, 0), capacity(0, 2, 2), {"desired_capacity": "drift"}),
    ],
)
def test_capacity_may_differ_within_the_ratio_bounds(
    primary: dict[str, Any], standby: dict[str, Any], expected: dict[str, str]
) -> None:
    found = {f[1]: f[2] for f in compare(primary, standby)}
    assert found == expected


def test_capacity_verdicts_say_why() -> None:
    findings = compare_states(capacity(2, 12, 10), capacity(1, 12, 1), ParitySpec(), ALLOWED).findings
    desired = next(f for f in findings if f.attribute == "desired_capacity")
    assert desired.rule == "allowed.capacity_ratio"
    assert desired.reason == "standby/primary = 0.1 outside [0.25, 1]"


@pytest.mark.parametrize(
    ("resource", "attribute", "standby", "status", "rule"),
    [
        ("launch_template:web", "instance_type", "t3.small", "allowed", "allowed.instance_types"),
        ("launch_template:web", "instance_type", "m5.large", "drift", "parity.launch_template.instance_type"),
        ("database:db", "instance_class", "db.t3.small", "allowed", "allowed.db_instance_classes"),
        ("database:db", "instance_class", "db.r6g.large", "drift", "parity.database.instance_class"),
    ],
)
def test_instance_classes_may_differ_when_on_the_allow_list(
    resource: str, attribute: str, standby: str, status: str, rule: str
) -> None:
    allowed = Allowed(0.25, 1.0, Scale(fraction=0.25), frozenset({"t3.small"}), frozenset({"db.t3.small"}))
    primary_value = "db.t3.medium" if resource.startswith("database") else "t3.medium"
    findings = compare_states(
        {resource: {attribute: primary_value}}, {resource: {attribute: standby}}, ParitySpec(), allowed
    ).findings
    assert [(f.status, f.rule) for f in findings] == [(status, rule)]


@pytest.mark.parametrize(
    ("glob", "text", "matches"),
    [
        ("parameter:/webapp/*", "parameter:/webapp/log_level", True),
        ("parameter:/webapp/*", "parameter:/other/log_level", False),
        (
            'module.parameters.aws_ssm_parameter.this["log_level"]',
            'module.parameters.aws_ssm_parameter.this["log_level"]',
            True,
        ),
        ("module.x[0]", "module.x0", False),  # brackets are literal
        ("ingress:tcp:2?:*", "ingress:tcp:22:0.0.0.0/0", True),
        ("*", "anything", True),
    ],
)
def test_patterns_treat_only_star_and_question_mark_as_wild(glob: str, text: str, matches: bool) -> None:
    assert bool(pattern(glob).match(text)) is matches


def finding(**overrides: Any) -> Finding:
    values: dict[str, Any] = {"check": "parity", "resource": "parameter:/webapp/flags", "attribute": "value"}
    values.update(overrides)
    return Finding(**values)


@pytest.mark.parametrize(
    ("rule", "target", "matches"),
    [
        (IgnoreRule(resource="parameter:/webapp/*", reason="known"), finding(), True),
        (IgnoreRule(resource="parameter:/webapp/*", attribute="type", reason="known"), finding(), False),
        (IgnoreRule(check="iac", resource="*", reason="known"), finding(), False),
        (
            IgnoreRule(check="iac", resource="*", region="us-east-1", reason="known"),
            finding(check="iac", region="us-east-1"),
            True,
        ),
        (IgnoreRule(resource="*", region="us-west-2", reason="known"), finding(region="us-east-1"), False),
    ],
)
def test_ignore_rules_match_by_check_region_resource_and_attribute(
    rule: IgnoreRule, target: Finding, matches: bool
) -> None:
    assert rule_matches(rule, target) is matches


def test_an_ignored_finding_names_the_rule_and_its_reason() -> None:
    settings = DriftSettings(
        ignore=[
            IgnoreRule(resource="database:*", reason="databases are checked elsewhere"),
            IgnoreRule(name="flags", resource="parameter:/webapp/flags", reason="flags roll out region by region"),
        ]
    )
    allowed = finding(resource="capacity:web", attribute="desired_capacity", status="allowed")
    unnamed = finding(resource="database:db", attribute="engine_version")
    out = apply_ignores([finding(), allowed, unnamed], settings)
    assert [(f.status, f.rule, f.reason) for f in out] == [
        ("ignored", "flags", "flags roll out region by region"),
        ("allowed", None, ""),
        ("ignored", "ignore[0]", "databases are checked elsewhere"),
    ]
