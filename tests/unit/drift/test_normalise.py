"""Normalisation: region-specific identifiers replaced, resources keyed by name, AMIs by name (no AWS)."""

from __future__ import annotations

import base64

import pytest

from standby.aws.autoscaling import GroupSpec, GroupState
from standby.aws.ec2 import Image, LaunchTemplateVersion, SecurityGroup, SecurityGroupRule
from standby.aws.elbv2 import Listener, ListenerAction, LoadBalancerSettings, TargetGroup
from standby.aws.rds import DbSettings
from standby.aws.ssm import ParameterDetail
from standby.drift.inventory import RegionInventory
from standby.drift.normalise import Localiser, region_state, rule_attribute, user_data_hash

EAST = Localiser("us-east-1", "us-west-2", ("111122223333",))
WEST = Localiser("us-west-2", "us-east-1", ("111122223333",))


@pytest.mark.parametrize(
    ("localiser", "value", "expected"),
    [
        (EAST, "webapp-us-east-1-data", "webapp-<region>-data"),
        (WEST, "webapp-us-west-2-data", "webapp-<region>-data"),
        (EAST, "db.us-west-2.example", "db.<peer-region>.example"),  # points at the other region: stays visible
        (EAST, "us-east-1a", "<region>a"),
        (EAST, "arn:aws:sns:us-east-1:444455556666:alerts", "arn:aws:sns:<region>:<account>:alerts"),
        (EAST, "arn:aws:s3:::bucket", "arn:aws:s3:::bucket"),
        (EAST, "444455556666.dkr.ecr.us-east-1.amazonaws.com/app:1", "<account>.dkr.ecr.<region>.amazonaws.com/app:1"),
        (EAST, "owner 111122223333", "owner <account>"),
        (Localiser("eu-west-1", "eu-west-10"), "eu-west-10 and eu-west-1", "<peer-region> and <region>"),
    ],
)
def test_localiser_replaces_regions_and_accounts(localiser: Localiser, value: str, expected: str) -> None:
    assert localiser.text(value) == expected


def _rule(direction="ingress", protocol="tcp", low=22, high=22, source="0.0.0.0/0", kind="cidr") -> SecurityGroupRule:  # type: ignore[no-untyped-def]
    return SecurityGroupRule(direction, protocol, low, high, source, kind)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (_rule(), "ingress:tcp:22:0.0.0.0/0"),
        (_rule(low=8000, high=8100), "ingress:tcp:8000-8100:0.0.0.0/0"),
        (_rule("egress", "-1", None, None), "egress:all:all:0.0.0.0/0"),
        (_rule(protocol="-1", low=0, high=0), "ingress:all:all:0.0.0.0/0"),
        (_rule(low=80, high=80, source="sg-1", kind="security-group"), "ingress:tcp:80:sg/webapp-alb"),
        (_rule(low=80, high=80, source="sg-9", kind="security-group"), "ingress:tcp:80:sg/sg-9"),
        (_rule(source="pl-1", kind="prefix-list"), "ingress:tcp:22:pl/pl-1"),
    ],
)
def test_rules_become_attribute_names_without_ids(rule: SecurityGroupRule, expected: str) -> None:
    assert rule_attribute(rule, {"sg-1": "webapp-alb"}, EAST) == expected


def test_user_data_is_hashed_after_region_names_are_replaced() -> None:
    east = base64.b64encode(b"echo webapp (us-east-1)").decode()
    west = base64.b64encode(b"echo webapp (us-west-2)").decode()
    other = base64.b64encode(b"echo webapp v2 (us-west-2)").decode()
    assert user_data_hash(east, EAST) == user_data_hash(west, WEST)
    assert user_data_hash(other, WEST) != user_data_hash(east, EAST)
    assert user_data_hash(None, EAST) is None
    assert len(user_data_hash(east, EAST) or "") == 16


def inventory(region: str, suffix: str, image_name: str = "al2-2024", extra_rule: bool = False) -> RegionInventory:
    """A region as the stack makes it; ids and ARNs differ per region (suffix), names do not."""
    tg_arn = f"arn:aws:elasticloadbalancing:{region}:111122223333:targetgroup/webapp-web/{suffix}"
    lb_arn = f"arn:aws:elasticloadbalancing:{region}:111122223333:loadbalancer/app/webapp-web/{suffix}"
    app_rules = [_rule(low=80, high=80, source=f"sg-alb{suffix}", kind="security-group")]
    if extra_rule:
        app_rules.append(_rule())
    state = GroupState("webapp-web", 1, 8, 1, 1, 1, 1, launch_template_id=f"lt-{suffix}", target_group_arns=(tg_arn,))
    return RegionInventory(
        region=region,
        groups={"web": GroupSpec(state, "$Latest", "ELB")},
        templates={
            "web": LaunchTemplateVersion(
                f"lt-{suffix}",
                "webapp-web",
                1,
                f"ami-{suffix}",
                "t3.micro",
                base64.b64encode(f"region={region}".encode()).decode(),
                (f"sg-app{suffix}",),
                None,
                None,
            )
        },
        images={f"ami-{suffix}": Image(f"ami-{suffix}", image_name, "amazon")},
        target_groups=(TargetGroup(tg_arn, "webapp-web", 80, "HTTP", (lb_arn,), (("HealthCheckPath", "/health"),)),),
        load_balancers=(
            LoadBalancerSettings(lb_arn, "webapp-web", "application", "internet-facing", "d", (f"sg-alb{suffix}",)),
        ),
        listeners=(Listener("l", lb_arn, 80, "HTTP", None, (), (ListenerAction("forward", (tg_arn,)),)),),
        security_groups=(
            SecurityGroup(f"sg-app{suffix}", "webapp-app", "app", "vpc", tuple(app_rules)),
            SecurityGroup(f"sg-alb{suffix}", "webapp-alb", "alb", "vpc", (_rule(low=80, high=80),)),
        ),
        databases=(
            DbSettings(
                "webapp-db",
                "postgres",
                "15.4",
                "db.t3.micro",
                ("default.postgres15",),
                20,
                "gp3",
                (f"sg-app{suffix}",),
                None,
            ),
        ),
        parameters=(ParameterDetail("/webapp/endpoint", "String", f"https://api.{region}.example", 1),),
    )


def test_the_same_stack_in_two_regions_normalises_to_the_same_facts() -> None:
    east = region_state(inventory("us-east-1", "e1"), EAST)
    west = region_state(inventory("us-west-2", "w2"), WEST)
    assert east == west
    assert east["launch_template:web"]["image"] == "al2-2024"
    assert east["launch_template:web"]["security_groups"] == ["webapp-app"]
    assert east["capacity:web"]["target_groups"] == ["webapp-web"]
    assert east["listener:webapp-web:80"]["default_action"] == ["forward:webapp-web"]
    assert east["security_group:webapp-app"]["ingress:tcp:80:sg/webapp-alb"] == "present"
    assert east["database:webapp-db"]["security_groups"] == ["webapp-app"]
    assert east["parameter:/webapp/endpoint"]["value"] == "https://api.<region>.example"


def test_differences_that_matter_survive_normalisation() -> None:
    east = region_state(inventory("us-east-1", "e1", extra_rule=True), EAST)
    west = region_state(inventory("us-west-2", "w2", image_name="al2-2025"), WEST)
    assert east["launch_template:web"]["image"] != west["launch_template:web"]["image"]
    assert "ingress:tcp:22:0.0.0.0/0" in east["security_group:webapp-app"]
    assert "ingress:tcp:22:0.0.0.0/0" not in west["security_group:webapp-app"]


def test_secure_strings_are_not_compared_by_ciphertext() -> None:
    inv = RegionInventory(
        region="us-east-1", parameters=(ParameterDetail("/webapp/key", "SecureString", "AQICAH..", 3),)
    )
    assert region_state(inv, EAST)["parameter:/webapp/key"] == {"type": "SecureString", "value": "<encrypted>"}
