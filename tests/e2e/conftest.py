"""The bundled example, provisioned once per test session on its own emulator, for every e2e test to share.

Provisioning examples/webapp costs minutes (RDS and load balancers wait in the provider), so it is done once.
The environment has a moto server of its own, so that tests resetting the shared emulator (``clean_emulator``)
cannot wipe it. Tests that change it by hand must put back exactly what they changed.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from standby.aws.session import SessionFactory, Target
from standby.config import LoadedConfig, load_config
from standby.emulator import Emulator
from standby.provision import AppliedStack, Provisioner
from standby.secrets import resolve_secrets
from standby.stacks import Stacks
from standby.state import RegionStates
from standby.state.roles import Assignment
from standby.terraform import TerraformRunner

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "webapp" / "standby.toml"


class ProvisionedWebapp(NamedTuple):
    """Unpacks as (loaded, sessions, results); the rest by name."""

    loaded: LoadedConfig
    sessions: SessionFactory
    results: list[AppliedStack]
    runner: TerraformRunner
    secrets: dict[str, str]
    endpoint: str
    config_path: Path


def example_config_text(endpoint: str, state_dir: Path) -> str:
    """The example's standby.toml pointed at ``endpoint`` and ``state_dir``, with absolute stack paths."""
    text = EXAMPLE.read_text()
    replacements = [
        (r'(?m)^endpoint\s*=\s*"emulator"', f'endpoint = "{endpoint}"'),
        (r'(?m)^state_dir\s*=\s*"[^"]*"', f'state_dir = "{state_dir}"'),
    ]
    for pattern, replacement in replacements:
        text, count = re.subn(pattern, replacement, text)
        assert count == 1, f"examples/webapp/standby.toml no longer has a line matching {pattern!r}"

    def absolute(match: re.Match[str]) -> str:
        return f'path = "{(EXAMPLE.parent / match.group(1)).resolve()}"'

    text, count = re.subn(r'(?m)^path\s*=\s*"(\.[^"]*)"', absolute, text)
    assert count >= 1, "examples/webapp/standby.toml has no relative stack path"
    return text


@pytest.fixture(scope="session")
def provisioned_webapp(plugin_dir: Path, terraform_bin: str) -> Iterator[ProvisionedWebapp]:
    # Not under pytest's basetemp: concurrent pytest sessions prune each other's old basetemps, and this
    # directory holds the Terraform state and the emulator's record for the whole session.
    home = Path(tempfile.mkdtemp(prefix="standby-webapp-"))
    emulator = Emulator(home / "emulator")
    info, _ = emulator.start()
    try:
        config_path = home / "standby.toml"
        config_path.write_text(example_config_text(info.endpoint, home / "state"))
        loaded = load_config(config_path)
        target = Target(info.endpoint, emulator=True)
        sessions = SessionFactory(target=target)
        runner = TerraformRunner(
            terraform_bin, plugin_dir=plugin_dir, extra_env=target.environment(), cli_config_dir=loaded.state_dir
        )
        wanted = {var: env for stack in loaded.config.stacks.values() for var, env in stack.secrets.items()}
        secrets = resolve_secrets(wanted, state_dir=loaded.state_dir, allow_generated=True)
        provisioner = Provisioner(
            loaded,
            Stacks(loaded, runner, secrets),
            RegionStates.of(loaded, sessions),
            assignment=Assignment.home(loaded.config),
        )
        results = provisioner.apply(provisioner.plan("all"))
        provisioner.publish(sessions)
        yield ProvisionedWebapp(loaded, sessions, results, runner, secrets, info.endpoint, config_path)
    finally:
        if emulator.stop() is None:  # the record was lost (a slow answer counts as "not running"): stop by pid
            with contextlib.suppress(ProcessLookupError):
                os.killpg(info.pid, signal.SIGTERM)
        shutil.rmtree(home, ignore_errors=True)


SHARED_WEBAPP_GROUP = "provisioned-webapp"


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the xdist_group marks (--dist loadgroup)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that fail the shared environment over (and back) run last, after those that expect it untouched.

    Under pytest-xdist a session fixture is made once per worker: the tests that use the provisioned example are
    grouped onto one worker, so that it is provisioned once and the order above holds among them.
    """
    for item in items:
        if "provisioned_webapp" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group(SHARED_WEBAPP_GROUP))
    items.sort(key=lambda item: item.get_closest_marker("fails_over") is not None)
