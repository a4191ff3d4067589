"""Parity of names Terraform generates from name_prefix (they differ per region), on the names Terraform really
generated in two regions of the emulator (``fixtures/module_stack.state.json``, see ``fixtures/record.py``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from standby.aws.autoscaling import GroupSpec, GroupState
from standby.aws.ec2 import LaunchTemplateVersion, SecurityGroup, SecurityGroupRule
from standby.config.drift_schema import DriftSettings, ParitySpec
from standby.config.schema import Scale
from standby.drift.compare import Allowed, compare_states
from standby.drift.inventory import RegionInventory
from standby.drift.normalise import Localiser, NamePatterns, region_state

STATES = json.loads((Path(__file__).resolve().parent / "fixtures" / "module_stack.state.json").read_text())
ALLOWED = Allowed(ratio_min=0.25, ratio_max=1.0, scale=Scale(fraction=0.25, floor=1))


def attributes(region: str, type_: str) -> dict[str, Any]:
    resource = next(r for r in STATES[region]["resources"] if r["type"] == type_ and r["mode"] == "managed")
    return resource["instances"][0]["attributes"]


def inventory(region: str, *, group_name: str | None = None) -> RegionInventory:
    """The module stack's group, launch template and security group, with the names and ids of the state."""
    sg, lt, asg = (
        attributes(region, t) for t in ("aws_security_group", "aws_launch_template", "aws_autoscaling_group")
    )
    rule = SecurityGroupRule("ingress", "tcp", 8080, 8080, "10.0.0.0/8", "cidr")
    state = GroupState(asg["name"], 0, 2, 0, 0, 0, 0, launch_template_id=lt["id"])
    template = LaunchTemplateVersion(lt["id"], lt["name"], 1, None, "t3.micro", None, (sg["id"],), None, None)
    return RegionInventory(
        region=region,
        groups={"web": GroupSpec(state, "$Latest", "EC2")},
        templates={"web": template},
        security_groups=(SecurityGroup(sg["id"], group_name or sg["name"], sg["description"], "vpc", (rule,)),),
    )


def parity(names: NamePatterns, east: RegionInventory, west: RegionInventory) -> list[tuple[str, str, str]]:
    primary = region_state(east, Localiser("us-east-1", "us-west-2", (), names))
    standby = region_state(west, Localiser("us-west-2", "us-east-1", (), names))
    found = compare_states(primary, standby, ParitySpec(), ALLOWED).findings
    return [(f.resource, f.attribute, f.reason) for f in found if f.status == "drift"]


def test_the_fixture_holds_names_generated_per_region() -> None:
    east, west = attributes("us-east-1", "aws_security_group"), attributes("us-west-2", "aws_security_group")
    assert east["name_prefix"] == west["name_prefix"] == "web-"
    assert east["name"] != west["name"] and len(east["name"]) == len("web-") + 26


def test_name_prefix_suffixes_are_normalised_so_a_mirror_is_in_parity() -> None:
    assert parity(NamePatterns(), inventory("us-east-1"), inventory("us-west-2")) == []
    state = region_state(inventory("us-east-1"), Localiser("us-east-1", "us-west-2"))
    assert "security_group:web-<generated>" in state
    assert state["capacity:web"]["launch_template"] == "web-<generated>"
    assert state["launch_template:web"]["security_groups"] == ["web-<generated>"]


def test_a_name_that_really_differs_is_still_drift() -> None:
    west = inventory("us-west-2", group_name="api-" + attributes("us-west-2", "aws_security_group")["name"][4:])
    found = parity(NamePatterns(), inventory("us-east-1"), west)
    assert ("security_group:web-<generated>", "exists", "exists only in the primary") in found
    assert ("security_group:api-<generated>", "exists", "exists only in the standby") in found


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("web-20240101123456789000000001", "web-<generated>"),
        ("arn:aws:elasticloadbalancing:r:1:targetgroup/tg-20240101123456789000000001/abc", None),
        ("web-20240101123456789000000001x", None),  # not at the end of a name
        ("web-99999999999999999900000001", None),  # not a timestamp
        ("build-1234567890", None),
    ],
)
def test_only_terraforms_suffix_is_recognised(value: str, expected: str | None) -> None:
    out = NamePatterns().stable(value)
    if expected is None:
        expected = value.replace("20240101123456789000000001", "<generated>") if "/tg-" in value else value
    assert out == expected


def test_configured_patterns_keep_the_stable_part_of_names_generated_another_way() -> None:
    settings = DriftSettings(name_patterns=["(web-)[a-z0-9]{8}"])
    names = NamePatterns.of(settings.name_patterns)
    assert names.stable("web-k3j9x0qa") == "web-<generated>"
    assert names.stable("web-k3j9x0qa-extra") == "web-k3j9x0qa-extra"  # whole names only
    east = inventory("us-east-1", group_name="web-k3j9x0qa")
    west = inventory("us-west-2", group_name="web-p01zz8ab")
    assert parity(names, east, west) == []
    assert parity(NamePatterns(), east, west) != []
