"""Reading Terraform's JSON plan into typed changes."""

from __future__ import annotations

from pathlib import Path

from standby.terraform.plan import Plan, changed_attributes


def rc(address: str, actions: list[str], before=None, after=None, mode="managed", unknown=None) -> dict:
    return {
        "address": address,
        "mode": mode,
        "type": address.split(".")[-2],
        "name": address.split(".")[-1],
        "change": {"actions": actions, "before": before, "after": after, "after_unknown": unknown or {}},
    }


DOC = {
    "resource_changes": [
        rc("aws_vpc.this", ["no-op"], {"cidr": "10.0.0.0/16"}, {"cidr": "10.0.0.0/16"}),
        rc(
            "module.web.aws_autoscaling_group.this",
            ["update"],
            {"max_size": 4, "name": "a"},
            {"max_size": 8, "name": "a"},
        ),
        rc("aws_db_instance.this", ["delete", "create"], {"id": "db"}, {"id": None}, unknown={"id": True}),
        rc("aws_ssm_parameter.new", ["create"], None, {"name": "/x"}),
        rc("aws_s3_bucket.old", ["delete"], {"bucket": "b"}, None),
        rc("data.aws_caller_identity.this", ["read"], None, {}, mode="data"),
    ],
    "resource_drift": [
        rc("module.web.aws_autoscaling_group.this", ["update"], {"desired_capacity": 1}, {"desired_capacity": 4}),
    ],
    "output_changes": {"name": {"actions": ["no-op"]}, "new_output": {"actions": ["create"]}},
}


def test_plan_counts_and_summary() -> None:
    plan = Plan.from_json(DOC, Path("p.tfplan"))
    assert [c.address for c in plan.changes] == [
        "module.web.aws_autoscaling_group.this",
        "aws_db_instance.this",
        "aws_ssm_parameter.new",
        "aws_s3_bucket.old",
    ]
    assert (plan.adds, plan.updates, plan.destroys) == (2, 1, 2)
    assert plan.summary() == "2 to add, 1 to change, 2 to destroy"
    assert plan.changes[1].action == "replace"
    assert plan.changes[0].attributes == ("max_size",)
    assert plan.output_changes == ("new_output",)


def test_drift_is_read_separately() -> None:
    plan = Plan.from_json(DOC, Path("p.tfplan"))
    assert [(d.address, d.attributes) for d in plan.drift] == [
        ("module.web.aws_autoscaling_group.this", ("desired_capacity",))
    ]


def test_empty_plan_is_no_changes() -> None:
    plan = Plan.from_json({"resource_changes": [rc("aws_vpc.this", ["no-op"], {}, {})]}, Path("p"))
    assert not plan.has_changes
    assert plan.summary() == "no changes"


def test_output_only_changes_are_named() -> None:
    plan = Plan.from_json({"output_changes": {"x": {"actions": ["update"]}}}, Path("p"))
    assert plan.has_changes
    assert plan.summary() == "0 to add, 0 to change, 0 to destroy (outputs only: x)"


def test_changed_attributes_includes_unknown_values() -> None:
    assert changed_attributes({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": None}, {"c": True}) == ("b", "c")
    assert changed_attributes(None, {"a": 1}) == ()
