"""Shared fixtures: one emulator per test session, the provider mirror, a clean STANDBY_HOME per test."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from standby.aws.session import SessionFactory, Target
from standby.emulator import TIME_SCALE_ENV, Emulator, reset_endpoint
from standby.terraform import TerraformRunner, plugin_dir_from

REPO = Path(__file__).resolve().parent.parent
# Real seconds per modelled second of the emulator's latencies: a 60 s promotion takes 0.12 s, INSYNC 0.06 s.
# Small because many tests drive standby with a FakeClock: its waits poll without real time passing.
SESSION_TIME_SCALE = 0.002


@pytest.fixture(scope="session")
def session_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("standby-home")


@pytest.fixture(scope="session", autouse=True)
def _emulator_time_scale() -> Iterator[None]:
    """Every emulator the tests start (the session's, the end-to-end tests', the CLI's) runs its modelled
    latencies at SESSION_TIME_SCALE unless the environment already sets a scale."""
    previous = os.environ.get(TIME_SCALE_ENV)
    os.environ.setdefault(TIME_SCALE_ENV, str(SESSION_TIME_SCALE))
    yield
    if previous is None:
        os.environ.pop(TIME_SCALE_ENV, None)


@pytest.fixture(scope="session")
def emulator(session_home: Path) -> Iterator[Emulator]:
    """One moto server for the whole session (reset between tests that need a clean slate), its modelled
    latencies (promotion, Route53 propagation) compressed by SESSION_TIME_SCALE."""
    em = Emulator(session_home / "session-emulator")
    em.start(time_scale=SESSION_TIME_SCALE)
    yield em
    em.stop()


@pytest.fixture(scope="session")
def endpoint(emulator: Emulator) -> str:
    return emulator.require().endpoint


@pytest.fixture
def clean_emulator(endpoint: str) -> str:
    reset_endpoint(endpoint)
    return endpoint


@pytest.fixture(scope="session")
def target(endpoint: str) -> Target:
    return Target(endpoint, emulator=True)


@pytest.fixture
def sessions(target: Target) -> SessionFactory:
    return SessionFactory(target=target)


@pytest.fixture(scope="session")
def plugin_dir() -> Path:
    found = plugin_dir_from(None)
    if found is None:
        pytest.fail("STANDBY_TF_PLUGIN_DIR is not set: `make test` finds the provider mirror and sets it")
    return found


@pytest.fixture(scope="session")
def terraform_bin() -> str:
    binary = shutil.which("terraform")
    if binary is None:
        pytest.fail("terraform is not on the PATH")
    return binary


@pytest.fixture(scope="session")
def runner(target: Target, plugin_dir: Path, terraform_bin: str, tmp_path_factory: pytest.TempPathFactory):
    return TerraformRunner(
        terraform_bin,
        plugin_dir=plugin_dir,
        extra_env=target.environment(),
        cli_config_dir=tmp_path_factory.mktemp("tfcli"),
    )


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the user's ~/.standby."""
    if "STANDBY_HOME" not in os.environ or not os.environ["STANDBY_HOME"].startswith(str(tmp_path)):
        monkeypatch.setenv("STANDBY_HOME", str(tmp_path / "home"))
