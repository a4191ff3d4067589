"""A user's own region stack (tests/e2e/stacks/byo: its own names, a group in a module and one tagged, an ALB, no
output made for standby) adopted the way docs/stacks.md walks through it, through the CLI as a user runs it:

1. without its database (orders.tf left out): provision -> inspect -> drift clean -> failover -> failback ->
   isolated drill, RPO "not applicable", no promotion and no re-seed;
2. the same stack with orders.tf added (an ordinary instance in the primary, a cross-region replica in the
   standby): provision -> inspect -> drift clean -> failover (promotes) -> failback (re-seeds through Terraform,
   each database snapshotted first) -> isolated drill with RPO measured;
3. [capacity.web] renamed: provisioning and the failover preflight refuse, naming the keys, before any harm.

The bundled DNS stack is the global stack, as it is for a pip user (`standby init` writes the same).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from standby import bundled
from standby import judgements as j
from standby.aws import autoscaling, rds, route53
from standby.cli.main import main
from standby.emulator import set_replica_lag

pytestmark = [pytest.mark.e2e]

STACK = Path(__file__).parent / "stacks" / "byo"
DATABASE_FILE = "orders.tf"
EAST, WEST = "us-east-1", "us-west-2"
ZONE = "byo.example.internal"
RECORD = f"www.{ZONE}."


def config_text(endpoint: str, home: Path, *, web: str = "web") -> str:
    return f"""
[project]
name = "byo"

[regions]
primary = "{EAST}"
standby = "{WEST}"

[aws]
endpoint = "{endpoint}"

[terraform]
state_dir = "{home / "state"}"

[stacks.app]
path = "{home / "app"}"

[stacks.dns]
path = "{bundled.path("terraform/stacks/global")}"
scope = "global"

[capacity.{web}]
min_size = 1
max_size = 4
desired_capacity = 2

[capacity.worker]
min_size = 0
max_size = 2
desired_capacity = 1

[scale]
fraction = 0.5

[traffic]
hosted_zone = "{ZONE}"
records = ["www"]
entrypoint = "{web}"
ttl = 5

[failover]
drain_seconds = 1

[objectives]
rto_seconds = 900
rpo_seconds = 600

[drill]
report_dir = "{home / "reports"}"
"""


class User:
    """Runs `standby` as a user would: the CLI with --output json, its exit code and its JSON envelope."""

    def __init__(self, config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.config_path = config_path
        self.capsys = capsys

    def run(self, *args: str, expect: int = 0) -> dict[str, Any]:
        self.capsys.readouterr()
        code = main(["--config", str(self.config_path), "--output", "json", *args])
        out, err = self.capsys.readouterr()
        assert code == expect, f"standby {' '.join(args)} exited {code}, expected {expect}\n{out}\n{err[-4000:]}"
        return json.loads(out) if out.strip() else {}


def traffic(sessions) -> str | None:
    client = sessions.client("route53", EAST)
    zone = route53.find_zone(client, ZONE)
    return j.traffic_target(route53.list_records(client, zone.id), [RECORD], (EAST, WEST))[RECORD]


def sizes(sessions, region: str) -> dict[str, tuple[int, int, int]]:
    groups = autoscaling.describe_groups(sessions.client("autoscaling", region), ["byo-web-fleet", "byo-consumers"])
    return {g.name: (g.min_size, g.max_size, g.desired_capacity) for g in groups}


def step_keys(result: dict[str, Any]) -> set[str]:
    return {s["key"] for s in result["result"]["steps"]}


def lifecycle(user: User, sessions, *, database: bool) -> dict[str, Any]:
    """provision -> inspect -> drift -> failover -> failback -> isolated drill; returns the drill's report."""
    user.run("provision", "--yes")
    inspected = user.run("inspect")["result"]
    regions = {r["region"]: r for r in inspected["regions"]}
    west_groups = {g["key"]: g for g in regions[WEST]["groups"]}
    assert west_groups["web"]["address"] == "module.web.aws_autoscaling_group.this"
    assert west_groups["web"]["source"] == "discovery" and west_groups["worker"]["rule"] == "tag standby:group"
    assert inspected["variables"]["scales_through_terraform"] is False
    if database:
        assert regions[WEST]["databases"][0]["replica_of"] == "byo-orders"
    else:
        assert regions[WEST]["databases"] == [] and regions[EAST]["databases"] == []

    assert sizes(sessions, WEST) == {"byo-web-fleet": (0, 4, 1), "byo-consumers": (0, 2, 1)}  # warmed by provision
    drift = user.run("drift")["result"]
    assert drift["status"] == "parity", json.dumps(drift["findings"] + drift["errors"], indent=1)[:4000]

    assert traffic(sessions) == EAST
    failover = user.run("failover", "--yes")["result"]
    assert failover["status"] == "complete"
    promotes = {k for k in step_keys({"result": failover}) if k.startswith(("promote", "reseed"))}
    assert bool(promotes) is database, sorted(step_keys({"result": failover}))
    assert traffic(sessions) == WEST
    # The standby took the capacity the primary ran (its snapshot; through the AWS API: the stack has no capacity
    # variable), up from the warm 1 that provisioning gave it ([capacity.web] desired 2 x [scale] fraction 0.5).
    assert sizes(sessions, WEST) == {"byo-web-fleet": (0, 4, 2), "byo-consumers": (0, 2, 1)}
    if database:
        [promoted] = rds.describe_instances(sessions.client("rds", WEST), ["byo-orders"])
        assert j.promotion_state(promoted) == j.Promotion.PROMOTED

    failback = user.run("failback", "--yes")["result"]
    assert failback["status"] == "complete"
    reseeds = {k for k in step_keys({"result": failback}) if k.startswith("reseed")}
    assert reseeds == ({f"reseed-db:{EAST}", f"reseed-db:{WEST}"} if database else set()), reseeds
    assert traffic(sessions) == EAST
    assert sizes(sessions, EAST)["byo-web-fleet"][2] == 2 and sizes(sessions, WEST)["byo-web-fleet"][2] == 1
    if database:
        [replica] = rds.describe_instances(sessions.client("rds", WEST), ["byo-orders"])
        assert j.promotion_state(replica) == j.Promotion.REPLICA
        assert replica.replica_source == "arn:aws:rds:us-east-1:123456789012:db:byo-orders"

    drill = user.run("drill", "--mode", "isolated", "--yes")["result"]["report"]
    assert drill["status"] == "passed", drill["error"]
    assert drill["restored"] is True and drill["left_behind"] == [], drill["left_behind"]
    assert drill["objectives"]["rto"]["status"] == "met"
    assert traffic(sessions) == EAST  # the drill moved only its own name
    return drill


@pytest.mark.timeout(3000)
def test_own_stack_without_then_with_a_database_runs_the_whole_lifecycle(
    tmp_path: Path, clean_emulator: str, plugin_dir: Path, sessions, capsys, monkeypatch
) -> None:
    monkeypatch.setenv("STANDBY_TF_PLUGIN_DIR", str(plugin_dir))
    shutil.copytree(STACK, tmp_path / "app", ignore=shutil.ignore_patterns(DATABASE_FILE))
    config_path = tmp_path / "standby.toml"
    config_path.write_text(config_text(clean_emulator, tmp_path))
    user = User(config_path, capsys)

    drill = lifecycle(user, sessions, database=False)
    assert drill["objectives"]["rpo"]["status"] == "not-applicable"
    assert not any(s["key"].startswith("promote") for s in drill["steps"]), drill["steps"]

    # The same stack with its database added.
    shutil.copy(STACK / DATABASE_FILE, tmp_path / "app" / DATABASE_FILE)
    set_replica_lag(clean_emulator, 3.0)
    drill = lifecycle(user, sessions, database=True)
    assert drill["objectives"]["rpo"]["status"] == "met", drill["objectives"]

    # [capacity.web] renamed to [capacity.site]: refused, naming the keys, before anything changes.
    config_path.write_text(config_text(clean_emulator, tmp_path, web="site"))
    refused = user.run("provision", "--yes", expect=4)
    assert "[capacity.site]" in json.dumps(refused) and "web" in json.dumps(refused), refused
    refused = user.run("failover", "--yes", expect=4)
    assert "[capacity.site]" in json.dumps(refused), refused
    assert traffic(sessions) == EAST
