"""IaC drift judged from Terraform's JSON: noise out, hand-made changes in (no Terraform run)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from standby.drift.iac import drift_findings, scrub, state_resources
from standby.terraform import Plan

SG = "sg-app"
ALB_SG = "sg-alb"


def drift(address: str, type_: str, before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any]:
    actions = ["delete"] if after is None else ["update"]
    name = address.rsplit(".", 1)[-1]
    return {
        "address": address,
        "type": type_,
        "name": name,
        "change": {"actions": actions, "before": before, "after": after},
    }


def sg_entry(port: int, *, cidr: str | None = None, group: str | None = None) -> dict[str, Any]:
    return {
        "cidr_blocks": [cidr] if cidr else [],
        "description": "",
        "from_port": port,
        "to_port": port,
        "ipv6_cidr_blocks": [],
        "prefix_list_ids": [],
        "protocol": "tcp",
        "security_groups": [group] if group else [],
        "self": False,
    }


STATE = {
    "version": 4,
    "resources": [
        {
            "mode": "managed",
            "type": "aws_vpc_security_group_ingress_rule",
            "name": "app_from_alb",
            "instances": [
                {
                    "attributes": {
                        "security_group_id": SG,
                        "ip_protocol": "tcp",
                        "from_port": 80,
                        "to_port": 80,
                        "referenced_security_group_id": ALB_SG,
                    }
                }
            ],
        },
        {
            "mode": "managed",
            "type": "aws_route",
            "name": "internet",
            "instances": [{"attributes": {"route_table_id": "rtb-1", "destination_cidr_block": "0.0.0.0/0"}}],
        },
        {"mode": "data", "type": "aws_ami", "name": "x", "instances": [{"attributes": {}}]},
    ],
}

FIRST_REFRESH_NOISE = [
    drift(
        "module.db.aws_db_instance.this",
        "aws_db_instance",
        {"latest_restorable_time": "t1", "replicas": [], "domain_dns_ips": None, "instance_class": "db.t3.micro"},
        {
            "latest_restorable_time": "t2",
            "replicas": ["arn:replica"],
            "domain_dns_ips": [],
            "instance_class": "db.t3.micro",
        },
    ),
    drift(
        "module.lb.aws_lb_target_group.this",
        "aws_lb_target_group",
        {"load_balancer_arns": []},
        {"load_balancer_arns": ["arn:lb"]},
    ),
    drift(
        "module.s3.aws_s3_bucket.this",
        "aws_s3_bucket",
        {"versioning": [{"enabled": False}]},
        {"versioning": [{"enabled": True}]},
    ),
    drift(
        "module.asg.aws_autoscaling_group.this",
        "aws_autoscaling_group",
        {"enabled_metrics": None, "tags": [{"key": "a", "value": ""}]},
        {"enabled_metrics": [], "tags": [{"key": "a", "value": None}]},
    ),
    drift(
        "module.network.aws_security_group.app",
        "aws_security_group",
        {"id": SG, "ingress": []},
        {"id": SG, "ingress": [sg_entry(80, group=ALB_SG)]},
    ),
    drift(
        "module.network.aws_route_table.public",
        "aws_route_table",
        {"id": "rtb-1", "route": []},
        {"id": "rtb-1", "route": [{"cidr_block": "0.0.0.0/0", "gateway_id": "igw"}]},
    ),
]


def findings(changes: list[dict[str, Any]], **kwargs: Any) -> list[Any]:
    plan = Plan.from_json({"resource_drift": changes}, Path("plan"))
    return drift_findings(plan.drift, region="us-east-1", role="primary", state=state_resources(STATE), **kwargs)


def test_the_first_refresh_after_an_apply_is_no_drift() -> None:
    assert findings(FIRST_REFRESH_NOISE) == []


def test_a_rule_added_by_hand_shows_in_the_security_group_only() -> None:
    after = {"id": SG, "ingress": [sg_entry(80, group=ALB_SG), sg_entry(22, cidr="203.0.113.0/24")]}
    [found] = findings(
        [drift("module.network.aws_security_group.app", "aws_security_group", {"id": SG, "ingress": []}, after)]
    )
    assert (found.resource, found.attribute, found.region, found.status) == (
        "module.network.aws_security_group.app",
        "ingress",
        "us-east-1",
        "drift",
    )
    assert found.actual == ["+tcp:22:203.0.113.0/24"] and found.primary == found.actual
    assert found.reason == "not managed by Terraform: tcp:22:203.0.113.0/24"


def test_a_route_added_by_hand_is_found() -> None:
    after = {"id": "rtb-1", "route": [{"cidr_block": "0.0.0.0/0"}, {"cidr_block": "10.9.0.0/16"}]}
    [found] = findings(
        [drift("module.network.aws_route_table.public", "aws_route_table", {"id": "rtb-1", "route": []}, after)]
    )
    assert found.actual == ["+10.9.0.0/16"]


def test_a_value_changed_by_hand_reports_state_and_reality() -> None:
    change = drift(
        'module.parameters.aws_ssm_parameter.this["log_level"]',
        "aws_ssm_parameter",
        {"value": "info", "version": 1},
        {"value": "debug", "version": 2},
    )
    found = {(f.attribute, f.expected, f.actual) for f in findings([change])}
    assert found == {("value", "info", "debug"), ("version", 1, 2)}


def test_a_resource_deleted_by_hand_is_reported() -> None:
    [found] = findings([drift("aws_sns_topic.alerts", "aws_sns_topic", {"arn": "x"}, None)])
    assert (found.attribute, found.expected, found.actual) == ("exists", "present", None)


def test_configured_noise_is_dropped() -> None:
    change = drift(
        "aws_ssm_parameter.x", "aws_ssm_parameter", {"value": "a", "version": 1}, {"value": "a", "version": 2}
    )
    assert [f.attribute for f in findings([change])] == ["version"]
    assert findings([change], extra_noise={"aws_ssm_parameter": ["version"]}) == []
    assert findings([change], extra_noise={"*": ["version"]}) == []


def test_standby_findings_fill_the_standby_column() -> None:
    plan = Plan.from_json({"resource_drift": [drift("a.b", "aws_x", {"v": 1}, {"v": 2})]}, Path("plan"))
    [found] = drift_findings(plan.drift, region="us-west-2", role="standby", state=[])
    assert (found.primary, found.standby) == (None, 2)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ([], None),
        ({}, None),
        ([{"a": None, "b": ""}], [None]),
        ({"a": [], "b": 1}, {"b": 1}),
        (0, 0),
        (False, False),
    ],
)
def test_scrub_treats_empty_values_as_absent(value: Any, expected: Any) -> None:
    assert scrub(value) == expected
