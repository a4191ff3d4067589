from __future__ import annotations

from pathlib import Path

import pytest

from standby.config import load_config
from standby.config.schema import LoadedConfig
from tests.integration.drift.world import Mirror, build_mirror

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def loaded(tmp_path: Path, endpoint: str) -> LoadedConfig:
    """The example's config, pointed at the test emulator, with its state in this test's directory."""
    text = (REPO / "examples" / "webapp" / "standby.toml").read_text()
    text = text.replace('state_dir = ".standby"', f'state_dir = "{tmp_path / "state"}"')
    text = text.replace('endpoint = "emulator"', f'endpoint = "{endpoint}"')
    stacks = REPO / "terraform" / "stacks"
    text = text.replace('"../../terraform/stacks/', f'"{stacks}/')
    path = tmp_path / "standby.toml"
    path.write_text(text)
    return load_config(path)


@pytest.fixture
def mirror(clean_emulator, sessions, loaded) -> Mirror:
    return build_mirror(sessions, loaded.config)
