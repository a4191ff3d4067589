"""The call table stays complete, the planes are classified as documented, and the lint's verdict per mode."""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path

import pytest

import standby.drill.isolated as isolated
import standby.failover.model as model
from standby.config import load_config
from standby.failover.fencing import run_drain  # noqa: F401  (registers the fencing handlers)
from standby.failover.model import FailoverPlan, Step
from standby.failover.steps import HANDLERS
from standby.plan.calls import CONTROL, DATA, STEP_CALLS, WHERES, Call, iam_action, plane_of
from standby.plan.collect import _synthetic, plans_for
from standby.plan.lint import dependency, lint

REPO = Path(__file__).resolve().parents[2]


def step_types() -> set[type]:
    """The step kinds a plan holds: every subclass of Step that none subclasses (``GroupStep`` only shares fields)."""
    found = set()
    for module in (model, isolated):
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, Step) and not obj.__subclasses__() and obj.__module__ == module.__name__:
                found.add(obj)
    return found


def test_every_step_type_is_in_the_call_table() -> None:
    missing = {t.__name__ for t in step_types()} - {t.__name__ for t in STEP_CALLS}
    assert missing == set()
    assert set(HANDLERS) <= set(STEP_CALLS)  # every step a handler runs


def test_every_entry_names_declared_actions_and_a_known_place() -> None:
    for step_type, specs in STEP_CALLS.items():
        for spec in specs:
            assert spec.actions, (step_type.__name__, spec)
            assert spec.where in WHERES
            assert all(":" in a for a in spec.actions)


@pytest.mark.parametrize(
    ("action", "plane"),
    [
        ("route53:ChangeResourceRecordSets", CONTROL),
        ("route53:GetHealthCheckStatus", CONTROL),
        ("cloudwatch:SetAlarmState", DATA),
        ("cloudwatch:PutMetricData", DATA),
        ("autoscaling:UpdateAutoScalingGroup", CONTROL),
        ("rds:PromoteReadReplica", CONTROL),
        ("ec2:RevokeSecurityGroupIngress", CONTROL),
        ("s3:GetObject", DATA),
        ("s3:CreateBucket", CONTROL),
        ("dynamodb:PutItem", DATA),
        ("dynamodb:CreateTable", CONTROL),
    ],
)
def test_planes(action: str, plane: str) -> None:
    assert plane_of(action) == plane


def test_iam_actions_of_operations() -> None:
    assert iam_action("s3", "HeadBucket") == "s3:ListBucket"
    assert iam_action("elbv2", "DescribeTargetHealth") == "elasticloadbalancing:DescribeTargetHealth"
    assert iam_action("autoscaling", "UpdateAutoScalingGroup") == "autoscaling:UpdateAutoScalingGroup"


def call(region: str, action: str, best_effort: bool = False) -> Call:
    return Call("s", action, region, plane_of(action), best_effort, "x")


def test_dependency_classification() -> None:
    east, west = "us-east-1", "us-west-2"
    assert dependency(call(west, "autoscaling:UpdateAutoScalingGroup"), west, east) is None
    assert dependency(call(west, "cloudwatch:SetAlarmState"), west, east) is None
    assert "demoted" in (dependency(call(east, "cloudwatch:SetAlarmState"), west, east) or "")
    assert dependency(call(east, "ec2:RevokeSecurityGroupIngress", best_effort=True), west, east) is None
    # Route53's API in us-east-1 while neither region is us-east-1
    assert "control plane of us-east-1" in (
        dependency(call("us-east-1", "route53:ChangeResourceRecordSets"), "eu-west-1", "eu-central-1") or ""
    )
    assert dependency(call("us-east-1", "route53:GetChange"), "us-east-1", "us-west-2") is None


def synthetic_plans(mode: str) -> tuple[object, dict[str, tuple[FailoverPlan, FailoverPlan]]]:
    loaded = load_config(REPO / "examples" / "webapp" / "standby.toml")
    config = loaded.config
    settings = config.failover.model_copy(update={"traffic_mode": mode})
    config = config.model_copy(update={"failover": settings})
    manifest, over, back, _ = _synthetic(config, 1_000_000.0, "test")
    return config, plans_for(config, manifest, over, back)


def test_records_mode_fails_and_health_check_mode_passes() -> None:
    config, plans = synthetic_plans("records")
    report = lint(config, plans)  # type: ignore[arg-type]
    assert not report.passed
    assert {p.step for p in report.verdict().problems} == {"shift-traffic", "verify"}
    assert report.verdict("health-check").passed
    config, plans = synthetic_plans("health-check")
    report = lint(config, plans)  # type: ignore[arg-type]
    assert report.passed and report.configured == "health-check"
    # the fences and the switch reset in the demoted region are listed, as best effort
    demoted = [c for c in report.verdict().failover.calls if c.region == "us-east-1"]
    assert demoted and all(c.best_effort for c in demoted)
    assert {"fence-writes", "fence-primary", "shift-traffic"} <= {c.step for c in demoted}
    # the failback needs both regions: listed, never failing the lint
    assert report.verdict().failback_dependencies


def test_a_required_call_into_the_demoted_region_fails_the_lint() -> None:
    config, plans = synthetic_plans("health-check")
    over, back = plans["health-check"]
    extra = model.ScaleGroup(
        key="scale-out:extra",
        slug="scale-out",
        region=over.demote,
        group="web",
        autoscaling_group="x",
        target=config.capacity["web"],  # type: ignore[attr-defined]
    )
    report = lint(config, {"health-check": (dataclasses.replace(over, steps=(*over.steps, extra)), back)})  # type: ignore[arg-type]
    assert not report.passed
    assert {p.step for p in report.verdict().problems} == {"scale-out:extra"}
