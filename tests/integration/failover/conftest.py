from __future__ import annotations

from pathlib import Path

import pytest

from standby.config import load_config
from standby.config.schema import LoadedConfig
from tests.integration.failover.world import World, build_world

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def loaded(tmp_path: Path) -> LoadedConfig:
    """The example's config with its state kept in this test's directory."""
    text = (REPO / "examples" / "webapp" / "standby.toml").read_text()
    text = text.replace('state_dir = ".standby"', f'state_dir = "{tmp_path / "state"}"')
    text = text.replace('endpoint = "emulator"', "")
    text = text.replace('"../../terraform/stacks/', f'"{REPO / "terraform" / "stacks"}/')
    path = tmp_path / "standby.toml"
    path.write_text(text)
    return load_config(path)


@pytest.fixture
def cli_config(tmp_path: Path, target) -> Path:
    """The example's config pointed at the test emulator, for running the CLI (in this process or another)."""
    text = (REPO / "examples" / "webapp" / "standby.toml").read_text()
    text = text.replace('state_dir = ".standby"', f'state_dir = "{tmp_path / "cli-state"}"')
    text = text.replace('endpoint = "emulator"', f'endpoint = "{target.endpoint_url}"')
    text = text.replace('"../../terraform/stacks/', f'"{REPO / "terraform" / "stacks"}/')
    path = tmp_path / "cli-standby.toml"
    path.write_text(text)
    return path


@pytest.fixture
def world(clean_emulator, sessions, loaded) -> World:
    return build_world(sessions, loaded.config)
