"""The re-seed touches only the databases: a targeted replace, refused when its plan changes anything else,
nothing planned for a stack without databases; and the final snapshot's name, fixed by run and instance."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from standby.config import load_config
from standby.config.schema import LoadedConfig
from standby.stacks import (
    ManagedDatabase,
    Reseed,
    ReseedRefused,
    Stacks,
    databases_in_state,
    final_snapshot_id,
    reseed_problems,
)
from standby.state.roles import Assignment
from standby.terraform import Plan, TerraformRunner
from standby.terraform.runner import Completed

REPO = Path(__file__).resolve().parents[2]
EAST, WEST = "us-east-1", "us-west-2"
DB = "module.database[0].aws_db_instance.this"
SUBNETS = "module.database[0].aws_db_subnet_group.this"
RDS_ID = re.compile(r"^[a-z](?!.*--)[a-z0-9-]{0,254}(?<!-)$")


def state_with(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"version": 4, "resources": list(resources)}


DB_STATE = {
    "module": "module.database[0]",
    "mode": "managed",
    "type": "aws_db_instance",
    "name": "this",
    "instances": [{"schema_version": 2, "attributes": {"id": "db-ABC", "identifier": "webapp-db"}}],
}
SUBNETS_STATE = {
    "module": "module.database[0]",
    "mode": "managed",
    "type": "aws_db_subnet_group",
    "name": "this",
    "instances": [{"attributes": {"id": "webapp-db-subnets"}}],
}


def change(address: str, *actions: str) -> dict[str, Any]:
    return {
        "address": address,
        "mode": "managed",
        "type": address.split(".")[-2],
        "name": address.split(".")[-1],
        "change": {"actions": list(actions), "before": {}, "after": {}},
    }


class RecordedTerraform:
    """An injectable ``execute`` for the runner: records each argv, answers ``state pull`` and ``show -json``
    from the documents it was given, succeeds at everything else."""

    def __init__(self, state: Mapping[str, Any], plan: Mapping[str, Any]) -> None:
        self.state = state
        self.plan = plan
        self.calls: list[list[str]] = []

    def __call__(self, argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> Completed:
        args = list(argv)
        self.calls.append(args)
        stdout = ""
        if args[1:3] == ["state", "pull"]:
            stdout = json.dumps(self.state)
        elif args[1] == "show":
            stdout = json.dumps(self.plan)
        return Completed(tuple(args), 0, stdout, "", 0.01)

    def verbs(self) -> list[str]:
        return [a[1] for a in self.calls]

    def one(self, verb: str) -> list[str]:
        [found] = [a for a in self.calls if a[1] == verb]
        return found


@pytest.fixture
def loaded(tmp_path: Path) -> LoadedConfig:
    text = (REPO / "examples" / "webapp" / "standby.toml").read_text()
    text = text.replace('state_dir = ".standby"', f'state_dir = "{tmp_path / "state"}"')
    text = text.replace('"../../terraform/stacks/', f'"{REPO / "terraform" / "stacks"}/')
    path = tmp_path / "standby.toml"
    path.write_text(text)
    return load_config(path)


def stacks_with(loaded: LoadedConfig, terraform: RecordedTerraform) -> Stacks:
    return Stacks(loaded, TerraformRunner("terraform", execute=terraform), {"db_password": "correct-horse-battery"})


# -- the targeted replace --------------------------------------------------------------------------------------


def test_reseed_is_a_targeted_replace_of_the_databases_only(loaded: LoadedConfig) -> None:
    terraform = RecordedTerraform(
        state_with(DB_STATE, SUBNETS_STATE), {"resource_changes": [change(DB, "delete", "create")]}
    )
    seen: list[Reseed] = []

    reseed = stacks_with(loaded, terraform).replace_databases(
        WEST, Assignment(primary=EAST, standby=WEST), before_apply=seen.append
    )

    assert terraform.verbs() == ["init", "state", "plan", "show", "apply"]
    plan_argv = terraform.one("plan")
    assert [a for a in plan_argv if a.startswith(("-replace", "-target"))] == [f"-replace={DB}", f"-target={DB}"]
    assert reseed.plan is not None
    assert terraform.one("apply")[-1] == str(reseed.plan.path)  # exactly the plan that was checked
    assert reseed.databases == (ManagedDatabase(DB, "webapp-db"),)
    assert seen == [reseed]  # the final snapshots are taken between the plan and the apply
    assert reseed.problems == ()


def test_a_plan_that_changes_anything_else_is_refused_before_anything_is_changed(loaded: LoadedConfig) -> None:
    other = 'module.compute["web"].aws_autoscaling_group.this'
    plan = {"resource_changes": [change(DB, "delete", "create"), change(SUBNETS, "update"), change(other, "update")]}
    terraform = RecordedTerraform(state_with(DB_STATE, SUBNETS_STATE), plan)
    seen: list[Reseed] = []

    with pytest.raises(ReseedRefused) as refused:
        stacks_with(loaded, terraform).replace_databases(
            WEST, Assignment(primary=EAST, standby=WEST), before_apply=seen.append
        )

    assert f"{SUBNETS} (update)" in refused.value.message
    assert f"{other} (update)" in refused.value.message
    assert DB not in refused.value.message.replace(SUBNETS, "")
    assert "apply" not in terraform.verbs()
    assert seen == []  # no snapshot either: nothing is about to be destroyed


def test_a_stack_without_databases_plans_and_applies_nothing(loaded: LoadedConfig) -> None:
    terraform = RecordedTerraform(state_with(SUBNETS_STATE), {"resource_changes": [change(SUBNETS, "update")]})

    reseed = stacks_with(loaded, terraform).replace_databases(
        WEST, Assignment(primary=EAST, standby=WEST), before_apply=lambda _: pytest.fail("nothing to snapshot")
    )

    assert reseed.plan is None and reseed.databases == ()
    assert terraform.verbs() == ["init", "state"]
    assert "nothing to re-seed" in reseed.summary()


def test_plan_reseed_never_applies(loaded: LoadedConfig) -> None:
    terraform = RecordedTerraform(state_with(DB_STATE), {"resource_changes": [change(DB, "delete", "create")]})

    reseed = stacks_with(loaded, terraform).plan_reseed(WEST, Assignment(primary=EAST, standby=WEST))

    assert "apply" not in terraform.verbs()
    assert reseed.to_dict()["changes"] == [{"address": DB, "action": "replace"}]
    assert reseed.destroys(reseed.databases[0])


# -- what the plan may touch -----------------------------------------------------------------------------------


def plan_of(*changes: dict[str, Any]) -> Plan:
    return Plan.from_json({"resource_changes": list(changes)}, Path("p"))


def test_problems_name_every_extra_address() -> None:
    problems = reseed_problems(plan_of(change(DB, "delete", "create"), change("aws_s3_bucket.b", "delete")), [DB])
    assert problems == ("the plan would also change 1 other resource(s): aws_s3_bucket.b (delete)",)


def test_a_database_deleted_without_being_created_again_is_refused() -> None:
    assert reseed_problems(plan_of(change(DB, "delete")), [DB]) == (f"the plan would delete without re-creating: {DB}",)


def test_replacing_or_recreating_the_databases_only_is_accepted() -> None:
    assert reseed_problems(plan_of(change(DB, "delete", "create")), [DB]) == ()
    assert reseed_problems(plan_of(change(DB, "create")), [DB]) == ()  # gone already: created again


# -- reading the state ------------------------------------------------------------------------------------------


def test_databases_in_state_builds_addresses_and_skips_what_is_not_current() -> None:
    keyed = {
        **DB_STATE,
        "module": None,
        "name": "db",
        "instances": [
            {"index_key": "orders", "attributes": {"identifier": "orders-db"}},
            {"index_key": 2, "attributes": {"identifier": "two-db"}},
            {"index_key": "old", "deposed": "00aa", "attributes": {"identifier": "old-db"}},
        ],
    }
    data = {**DB_STATE, "mode": "data"}
    assert databases_in_state(state_with(DB_STATE, SUBNETS_STATE, keyed, data)) == (
        ManagedDatabase(DB, "webapp-db"),
        ManagedDatabase('aws_db_instance.db["orders"]', "orders-db"),
        ManagedDatabase("aws_db_instance.db[2]", "two-db"),
    )
    assert databases_in_state({}) == ()


# -- the final snapshot's name ----------------------------------------------------------------------------------


def test_final_snapshot_id_is_fixed_by_run_and_instance_and_follows_rds_rules() -> None:
    run_id = "20250102T030405Z-failback-ab12"
    first = final_snapshot_id(run_id, "webapp-db")
    assert first == "standby-final-20250102t030405z-failback-ab12-webapp-db"
    assert final_snapshot_id(run_id, "webapp-db") == first
    assert final_snapshot_id(run_id, "orders-db") != first
    assert final_snapshot_id("20250102T030405Z-failback-ff00", "webapp-db") != first
    assert RDS_ID.match(final_snapshot_id("x__y", "A--b-"))


def test_a_long_final_snapshot_id_is_cut_and_stays_distinct() -> None:
    long_a, long_b = "a" * 300, "a" * 299 + "b"
    a, b = final_snapshot_id("run", long_a), final_snapshot_id("run", long_b)
    assert len(a) <= 255 and len(b) <= 255
    assert RDS_ID.match(a) and RDS_ID.match(b)
    assert a != b


# -- what the dry run and the confirmation show -------------------------------------------------------------------


def test_reseed_plan_lines_show_each_change_and_each_refusal() -> None:
    from standby.cli.views import reseed_plan_lines

    database = ManagedDatabase(DB, "webapp-db")
    clean = Reseed(EAST, "region", (database,), plan_of(change(DB, "delete", "create")))
    dirty = Reseed(WEST, "region", (database,), plan_of(change(DB, "delete", "create"), change(SUBNETS, "update")))
    empty = Reseed(WEST, "region", (), None)

    assert reseed_plan_lines([]) == []
    assert reseed_plan_lines([clean, dirty, empty]) == [
        "  re-seed (terraform, targeted to the databases; a final snapshot of each is taken first):",
        f"    [{EAST}] region: 1 to add, 0 to change, 1 to destroy",
        f"      replace: {DB} (webapp-db)",
        f"    [{WEST}] region: 1 to add, 1 to change, 1 to destroy",
        f"      replace: {DB} (webapp-db)",
        f"      update: {SUBNETS}",
        f"      refused: the plan would also change 1 other resource(s): {SUBNETS} (update)",
        f"    [{WEST}] region: no databases in the region stack: nothing to re-seed",
    ]
