"""bench.provision and bench.example: the pure parts (no terraform, no emulator)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bench.example import example_config_text
from bench.provision import CommandLog, overhead_percent, subcommand


def test_subcommand_is_the_first_argument_that_is_not_an_option() -> None:
    assert subcommand(["terraform", "plan", "-no-color", "-out=x"]) == "plan"
    assert subcommand(["/usr/bin/terraform", "-chdir=d", "apply", "p.tfplan"]) == "apply"
    assert subcommand(["terraform"]) == "?"


def test_command_log_totals_per_subcommand_in_first_run_order() -> None:
    log = CommandLog()
    log.add("region-us-east-1", ["terraform", "init"], 1.0)
    log.add("region-us-east-1", ["terraform", "plan"], 8.0)
    log.add("region-us-west-2", ["terraform", "init"], 2.0)
    assert log.by_subcommand() == {"init": (2, 3.0), "plan": (1, 8.0)}


def test_overhead_percent() -> None:
    assert overhead_percent(105.0, 100.0) == pytest.approx(5.0)
    assert overhead_percent(95.0, 100.0) == pytest.approx(-5.0)


def test_example_config_points_at_the_endpoint_state_dir_and_extra_region_vars(tmp_path: Path) -> None:
    text = example_config_text("http://127.0.0.1:5999", tmp_path, region_vars={"enable_database": "false"})
    doc = tomllib.loads(text)
    assert doc["aws"]["endpoint"] == "http://127.0.0.1:5999"
    assert doc["terraform"]["state_dir"] == str(tmp_path)
    assert doc["stacks"]["region"]["vars"]["enable_database"] is False
    assert all(Path(s["path"]).is_absolute() for s in doc["stacks"].values())


def test_example_config_without_an_endpoint(tmp_path: Path) -> None:
    assert "endpoint" not in tomllib.loads(example_config_text(None, tmp_path))["aws"]
