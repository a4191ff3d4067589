"""The teardown's order and plan: what `standby destroy` removes, in which order, and that it applies exactly the
destroy plans it showed."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from standby.config import load_config
from standby.errors import PreflightFailed, TerraformError
from standby.progress import RecordingReporter
from standby.stacks import Stacks
from standby.state.roles import Assignment
from standby.teardown import Stage, Teardown, teardown_stages
from standby.terraform import TerraformRunner
from standby.terraform.runner import Completed

REPO = Path(__file__).resolve().parents[2]
EAST, WEST = "us-east-1", "us-west-2"


@pytest.fixture
def loaded(tmp_path: Path):
    text = (REPO / "examples" / "webapp" / "standby.toml").read_text()
    text = text.replace('state_dir = ".standby"', f'state_dir = "{tmp_path / "state"}"')
    text = text.replace('path = "../../', f'path = "{REPO}/')
    path = tmp_path / "standby.toml"
    path.write_text(text)
    return load_config(path)


def test_full_teardown_order_dns_then_standby_then_primary_then_control_stores(loaded) -> None:
    stages = teardown_stages(
        loaded.config, Assignment.home(loaded.config), include_primary=True, keep_control_stores=False
    )
    assert stages == (
        Stage("global", None, "dns"),
        Stage("standby", WEST, "region"),
        Stage("primary", EAST, "region"),
        Stage("control-store", WEST),
        Stage("control-store", EAST),
    )


def test_the_primary_and_its_dns_are_kept_by_default_and_the_control_stores_on_request(loaded) -> None:
    stages = teardown_stages(
        loaded.config, Assignment.home(loaded.config), include_primary=False, keep_control_stores=True
    )
    assert stages == (Stage("standby", WEST, "region"),)


def test_after_a_failover_the_standby_is_the_home_primary_region(loaded) -> None:
    swapped = Assignment.home(loaded.config).swapped()
    stages = teardown_stages(loaded.config, swapped, include_primary=False, keep_control_stores=True)
    assert [s.region for s in stages] == [EAST]


def test_several_region_stacks_go_in_reverse_declaration_order(loaded) -> None:
    stacks = dict(loaded.config.stacks)
    stacks = {"network": stacks["region"], **stacks}  # network is declared (and applied) before region
    config = loaded.config.model_copy(update={"stacks": stacks})
    stages = teardown_stages(config, Assignment.home(config), include_primary=True, keep_control_stores=True)
    assert [(s.region, s.stack) for s in stages] == [
        (None, "dns"),
        (WEST, "region"),
        (WEST, "network"),
        (EAST, "region"),
        (EAST, "network"),
    ]


# -- planning and destroying through a stand-in terraform ------------------------------------------------------


def destroy_plan(*addresses: str) -> dict:
    return {
        "resource_changes": [
            {"address": a, "mode": "managed", "type": a.split(".")[0], "name": a.split(".")[1],
             "change": {"actions": ["delete"], "before": {}, "after": None}}
            for a in addresses
        ]
    }  # fmt: skip


class DestroyingTerraform:
    """An injectable ``execute``: each workspace's ``plan -destroy`` shows its resources; records every apply."""

    def __init__(
        self,
        resources: Mapping[str, Sequence[str]],
        outputs: Mapping[str, dict],
        prior: Mapping[str, list] | None = None,
    ) -> None:
        self.resources = resources  # TF_DATA_DIR's workspace key -> addresses
        self.outputs = outputs
        self.prior = prior or {}  # workspace key -> the prior_state's root module resources
        self.calls: list[tuple[str, str]] = []  # (verb, workspace key)
        self.fail_apply_of: str | None = None

    def __call__(self, argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> Completed:
        key = Path(env["TF_DATA_DIR"]).parent.name
        verb = argv[1]
        self.calls.append((verb, key))
        if verb == "plan":
            assert "-destroy" in argv
        if verb == "show":
            doc = destroy_plan(*self.resources.get(key, ()))
            if key in self.prior:
                doc["prior_state"] = {"values": {"root_module": {"resources": self.prior[key]}}}
            return Completed(tuple(argv), 0, json.dumps(doc), "", 0.0)
        if verb == "output":
            return Completed(tuple(argv), 0, json.dumps(self.outputs.get(key, {})), "", 0.0)
        if verb == "apply" and key == self.fail_apply_of:
            return Completed(tuple(argv), 1, "", "Error: DependencyViolation", 0.0)
        return Completed(tuple(argv), 0, "", "", 0.0)


class Store:
    def __init__(self, region: str, removed: list[str]) -> None:
        self.region = region
        self.removed = removed

    def remove_bucket(self) -> bool:
        self.removed.append(f"bucket:{self.region}")
        return True

    def remove_lock_table(self) -> bool:
        self.removed.append(f"locks:{self.region}")
        return True


class States(dict):
    """What the teardown reads of the regions' states: the evicted regions and the control stores."""

    def __init__(self, removed: list[str]) -> None:
        super().__init__({r: type("State", (), {"store": Store(r, removed)})() for r in (EAST, WEST)})

    def fast(self) -> States:
        return self

    def evicted_regions(self) -> set[str]:
        return set()


def lb_outputs(region: str) -> dict:
    return {
        "lb_dns_names": {"value": {"web": f"lb.{region}.example"}},
        "lb_zone_ids": {"value": {"web": "Z1"}},
    }


@pytest.fixture
def terraform() -> DestroyingTerraform:
    return DestroyingTerraform(
        {
            "dns": ["aws_route53_record.www"],
            f"region-{WEST}": ["aws_db_instance.this", "aws_lb.web"],
            f"region-{EAST}": ["aws_db_instance.this"],
        },
        {f"region-{EAST}": lb_outputs(EAST), f"region-{WEST}": lb_outputs(WEST)},
    )


def teardown(loaded, terraform: DestroyingTerraform, removed: list[str]) -> Teardown:
    runner = TerraformRunner("terraform", execute=terraform)
    return Teardown(
        loaded,
        Stacks(loaded, runner, {"db_password": "pw"}),
        States(removed),  # type: ignore[arg-type]
        assignment=Assignment.home(loaded.config),
        reporter=RecordingReporter(),
    )


def test_the_plan_shows_per_stack_what_terraform_would_destroy(loaded, terraform) -> None:
    plan = teardown(loaded, terraform, []).plan()
    assert [(p.stage.label, p.doomed) for p in plan.stages] == [
        (WEST, ("aws_db_instance.this", "aws_lb.web")),
        (WEST, ()),
        (EAST, ()),
    ]
    assert plan.destroys == 2 and plan.kept == (f"the primary's stacks in {EAST} and the DNS stack (production)",)
    # Production is not even planned: neither the primary's stacks nor the DNS stack that routes its traffic.
    assert ("plan", f"region-{EAST}") not in terraform.calls and ("plan", "dns") not in terraform.calls


def test_execute_applies_the_saved_plans_in_order_then_removes_the_stores(loaded, terraform) -> None:
    removed: list[str] = []
    work = teardown(loaded, terraform, removed)
    plan = work.plan(include_primary=True)
    done = work.execute(plan)
    applies = [key for verb, key in terraform.calls if verb == "apply"]
    assert applies == ["dns", f"region-{WEST}", f"region-{EAST}"]
    assert removed == [f"bucket:{WEST}", f"bucket:{EAST}"]  # lock tables wait for the lock's release
    assert [r.status for r in done] == ["destroyed", "destroyed", "destroyed", "removed", "removed"]
    work.remove_lock_tables(plan)
    assert removed[2:] == [f"locks:{WEST}", f"locks:{EAST}"]


def test_a_failed_destroy_stops_the_teardown_before_the_next_stack(loaded, terraform) -> None:
    removed: list[str] = []
    terraform.fail_apply_of = f"region-{WEST}"
    work = teardown(loaded, terraform, removed)
    with pytest.raises(TerraformError, match="DependencyViolation"):
        work.execute(work.plan(include_primary=True))
    assert [key for verb, key in terraform.calls if verb == "apply"] == ["dns", f"region-{WEST}"]
    assert removed == []


def test_a_stack_with_nothing_to_destroy_is_not_applied(loaded) -> None:
    empty = DestroyingTerraform({}, {f"region-{EAST}": lb_outputs(EAST), f"region-{WEST}": lb_outputs(WEST)})
    work = teardown(loaded, empty, [])
    plan = work.plan(keep_control_stores=True)
    assert not plan.has_changes
    assert [r.status for r in work.execute(plan)] == ["nothing"]
    assert not [c for c in empty.calls if c[0] == "apply"]


def test_destroy_json_names_each_stage_by_part_region_and_stack_first(loaded, terraform) -> None:
    from standby.cli.cmd_destroy import removed_json, stage_json
    from standby.teardown import Removed

    plan = teardown(loaded, terraform, []).plan()
    assert stage_json(plan.stages[0]) == {
        "part": "standby",
        "region": WEST,
        "stack": plan.stages[0].stage.stack,
        "destroy": ["aws_db_instance.this", "aws_lb.web"],
        "final_snapshots": [],
        "note": "",
    }
    gone = Removed(Stage("control-store", EAST), "removed", 1.26, "bucket")
    assert list(removed_json(gone).items()) == [
        ("part", "control-store"),
        ("region", EAST),
        ("stack", None),
        ("status", "removed"),
        ("seconds", 1.3),
        ("detail", "bucket"),
    ]


def database(address: str, identifier: str, *, skip_final_snapshot: bool, source: str | None = None) -> dict:
    values = {"identifier": identifier, "skip_final_snapshot": skip_final_snapshot, "replicate_source_db": source}
    return {"address": address, "mode": "managed", "type": "aws_db_instance", "values": values}


def test_a_database_destroyed_without_a_final_snapshot_refuses_the_teardown(loaded) -> None:
    removed: list[str] = []
    outputs = {f"region-{EAST}": lb_outputs(EAST), f"region-{WEST}": lb_outputs(WEST)}
    prior = {
        # The standby's replica: its data lives in the primary's; skipping its snapshot loses nothing.
        f"region-{WEST}": [database("aws_db_instance.this", "db", skip_final_snapshot=True, source="arn:db")],
        f"region-{EAST}": [database("aws_db_instance.this", "db", skip_final_snapshot=True)],
    }
    resources = {f"region-{WEST}": ["aws_db_instance.this"], f"region-{EAST}": ["aws_db_instance.this"]}
    terraform = DestroyingTerraform(resources, outputs, prior)
    work = teardown(loaded, terraform, removed)
    with pytest.raises(PreflightFailed, match=rf"database db in {EAST} .* without a final snapshot") as raised:
        work.plan(include_primary=True)
    assert WEST not in str(raised.value)
    assert not [c for c in terraform.calls if c[0] == "apply"] and removed == []

    kept = DestroyingTerraform(resources, outputs, {**prior, f"region-{EAST}": [database(
        "aws_db_instance.this", "db", skip_final_snapshot=False)]})  # fmt: skip
    assert teardown(loaded, kept, []).plan(include_primary=True).destroys == 2
