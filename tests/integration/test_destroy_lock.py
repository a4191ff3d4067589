"""`standby destroy` takes the run lock as a failover does: a live run holding it refuses the teardown (exit 8)
before any stack is planned."""

from __future__ import annotations

import json
from pathlib import Path

from standby.cli.main import main
from standby.config import load_config
from standby.state import RegionStates
from standby.state.lock import TTL_ENV

REPO = Path(__file__).resolve().parents[2]
EAST = "us-east-1"


def test_destroy_is_refused_while_a_live_run_holds_the_lock(
    clean_emulator, sessions, tmp_path, capsys, monkeypatch
) -> None:
    monkeypatch.setenv(TTL_ENV, "1")
    text = (REPO / "examples" / "webapp" / "standby.toml").read_text()
    text = text.replace('state_dir = ".standby"', f'state_dir = "{tmp_path / "state"}"')
    text = text.replace('endpoint = "emulator"', f'endpoint = "{clean_emulator}"')
    text = text.replace('"../../terraform/stacks/', f'"{REPO / "terraform" / "stacks"}/')
    config = tmp_path / "standby.toml"
    config.write_text(text)
    states = RegionStates.of(load_config(config), sessions)
    held = states[EAST].lock("20261129T000000Z-failover-live", "alice@laptop", ttl_seconds=1.0)
    held.acquire()
    try:
        code = main(["--config", str(config), "--output", "json", "destroy", "--yes", "--include-primary"])
    finally:
        held.release()
    refused = json.loads(capsys.readouterr().out)
    assert code == 8
    assert refused["error"]["type"] == "LockHeld"
    assert "20261129T000000Z-failover-live" in refused["error"]["message"]
    assert not (tmp_path / "state" / "terraform").exists()  # refused before any stack was planned
