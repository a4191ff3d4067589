"""`standby destroy` with the real terraform against the emulator, on the smallest stack there is (one SSM
parameter per region, ``stacks/ssm``): a provisioned project is torn down except its primary.

Provisioning refuses a stack whose groups do not match ``[capacity.*]``, so the copy of the stack this test applies
names the example's one group in the ``autoscaling_group_names`` output (no group is created: only teardown is
under test)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from standby.aws import s3, ssm
from standby.aws.session import SessionFactory
from standby.cli.main import main
from standby.config import load_config
from standby.state import RegionStates

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
STACK = Path(__file__).resolve().parent / "stacks" / "ssm"
EAST, WEST = "us-east-1", "us-west-2"
PARAMETER = "/runner-test/{}"


GROUP_OUTPUT = """
output "autoscaling_group_names" {
  value = { web = "params-web-${var.region}" }
}
"""


def project_config(tmp_path: Path, endpoint: str) -> Path:
    """The example's project with one region stack (the SSM parameter) and no DNS stack."""
    stack = tmp_path / "params-stack"
    shutil.copytree(STACK, stack)
    (stack / "groups.tf").write_text(GROUP_OUTPUT)
    text = (REPO / "examples" / "webapp" / "standby.toml").read_text()
    text = text.replace('state_dir = ".standby"', f'state_dir = "{tmp_path / "state"}"')
    text = text.replace('endpoint = "emulator"', f'endpoint = "{endpoint}"')
    stacks = f'[stacks.params]\npath = "{stack}"\nscope = "region"\nvars = {{ value = "v1" }}\n\n'
    text, count = re.subn(r"(?ms)^\[stacks\.region\].*?(?=^\[capacity)", stacks, text)
    assert count == 1, "examples/webapp/standby.toml no longer declares its stacks before [capacity]"
    path = tmp_path / "standby.toml"
    path.write_text(text)
    return path


def parameter(sessions: SessionFactory, region: str) -> object | None:
    return ssm.get_parameter(sessions.client("ssm", region), PARAMETER.format(region))


def run(capsys, config: Path, *args: str) -> tuple[int, dict, str]:
    """Exit code, the JSON result (stdout) and the progress (stderr) of one command."""
    code = main(["--config", str(config), "--output", "json", *args])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


def test_destroy_removes_the_standby_and_the_control_stores_and_keeps_the_primary(
    clean_emulator, sessions, tmp_path, capsys
) -> None:
    config = project_config(tmp_path, clean_emulator)
    assert main(["--config", str(config), "provision", "--yes"]) == 0
    capsys.readouterr()
    assert parameter(sessions, EAST) is not None and parameter(sessions, WEST) is not None
    states = RegionStates.of(load_config(config), sessions)
    buckets = {region: states[region].store.bucket for region in (EAST, WEST)}

    code, dry, _ = run(capsys, config, "destroy", "--dry-run", "--include-primary")
    assert code == 0 and dry["result"]["dry_run"] is True
    assert [(s["part"], s["region"], s["destroy"]) for s in dry["result"]["stages"]] == [
        ("standby", WEST, ["aws_ssm_parameter.this"]),
        ("primary", EAST, ["aws_ssm_parameter.this"]),
        ("control-store", WEST, []),
        ("control-store", EAST, []),
    ]
    assert parameter(sessions, WEST) is not None  # a dry run destroys nothing

    code, done, progress = run(capsys, config, "destroy", "--yes")
    assert code == 0
    assert [(r["part"], r["status"]) for r in done["result"]["removed"]] == [
        ("standby", "destroyed"),
        ("control-store", "removed"),
        ("control-store", "removed"),
        ("control-store", "removed"),
        ("control-store", "removed"),
    ]
    assert parameter(sessions, WEST) is None
    assert parameter(sessions, EAST) is not None  # production is kept unless --include-primary
    for region, bucket in buckets.items():
        assert not s3.bucket_exists(sessions.client("s3", region), bucket)
        tables = sessions.client("dynamodb", region).list_tables()["TableNames"]
        assert states[region].store.lock_table not in tables
    assert f"[params/{WEST}] aws_ssm_parameter.this: destroyed" in progress  # Terraform's progress, on stderr
