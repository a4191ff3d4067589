"""Every Terraform module and stack: formatted, valid, and its `terraform test` files (mock provider) pass."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from standby.terraform.cli_config import write_cli_config

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2] / "terraform"
DIRS = sorted(p.parent for p in ROOT.glob("*/*/versions.tf"))


def test_every_module_and_stack_is_covered() -> None:
    names = {f"{d.parent.name}/{d.name}" for d in DIRS}
    assert {
        "modules/network",
        "modules/compute",
        "modules/database",
        "modules/traffic",
        "stacks/region",
        "stacks/global",
    } <= names


def test_formatting(terraform_bin: str) -> None:
    done = subprocess.run(
        [terraform_bin, "fmt", "-check", "-recursive", "-diff", str(ROOT)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("directory", DIRS, ids=lambda d: f"{d.parent.name}/{d.name}")
def test_validate_and_terraform_test(directory: Path, terraform_bin: str, plugin_dir: Path, tmp_path: Path) -> None:
    env = dict(os.environ)
    env["TF_CLI_CONFIG_FILE"] = str(write_cli_config(plugin_dir, tmp_path / "terraform.rc"))
    env["TF_DATA_DIR"] = str(tmp_path / "tfdata")
    env["TF_IN_AUTOMATION"] = "1"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [terraform_bin, *args, "-no-color"],
            cwd=directory,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=900,
        )

    for args in (("init", "-backend=false", "-input=false"), ("validate",)):
        done = run(*args)
        assert done.returncode == 0, f"terraform {args[0]}:\n{done.stdout}{done.stderr}"
    if (directory / "tests").is_dir():
        done = run("test")
        assert done.returncode == 0, done.stdout + done.stderr
        assert " 0 failed" in done.stdout
