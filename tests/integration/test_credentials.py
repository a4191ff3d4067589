"""Per-region credentials against the emulator: a role-based region's calls and Terraform runs carry the
credentials of the role standby assumed with STS in that region; nothing of the user's ~/.aws is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from standby.aws.credentials import RegionCredentials
from standby.aws.session import SessionFactory, Target
from standby.state.store import ControlStore
from standby.terraform.runner import TerraformRunner, Workspace

EAST, WEST = "us-east-1", "us-west-2"
DR_ACCOUNT = "222222222222"  # moto keeps one world per account: the assumed role's calls land in this one
ROLE = f"arn:aws:iam::{DR_ACCOUNT}:role/standby-dr"
REAL_KEY = "AKIAREALUSERKEY00042"


@pytest.fixture
def real_aws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HOME whose ~/.aws holds a recognisable key, and an environment pointing standby at it."""
    home = tmp_path / "user-home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text(
        f"[default]\naws_access_key_id = {REAL_KEY}\naws_secret_access_key = real-secret\n"
        f"[prod]\naws_access_key_id = {REAL_KEY}\naws_secret_access_key = real-secret\n"
    )
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_PROFILE", "prod")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / ".aws" / "credentials"))
    return home


@pytest.fixture
def sessions(clean_emulator: str, real_aws: Path) -> SessionFactory:
    return SessionFactory(
        target=Target(clean_emulator, emulator=True),
        profile="prod",
        credentials={
            WEST: RegionCredentials(role_arn=ROLE, external_id="dr-drill"),
            EAST: RegionCredentials(profile="prod"),
        },
        role_session_name="standby-alice@ops",
    )


def test_a_role_region_calls_as_the_assumed_role(sessions: SessionFactory) -> None:
    west = sessions.client("sts", WEST).get_caller_identity()
    east = sessions.client("sts", EAST).get_caller_identity()
    assert west["Arn"] == f"arn:aws:sts::{DR_ACCOUNT}:assumed-role/standby-dr/standby-alice@ops"
    assert west["Account"] == DR_ACCOUNT
    assert east["Account"] == "123456789012"  # the emulator's dummy keys: moto's default account
    credentials = sessions.session(WEST).get_credentials()
    assert credentials.method == "assume-role"
    assert credentials.get_frozen_credentials().token  # temporary keys carry a session token
    assert REAL_KEY not in {credentials.access_key, sessions.session(EAST).get_credentials().access_key}


def test_fast_fail_clients_assume_the_role_through_their_own_bounded_sts_client(sessions: SessionFactory) -> None:
    seen: list[str] = []
    fast = SessionFactory(
        target=sessions.target,
        credentials=sessions.credentials,
        on_client=lambda client: seen.append(client.meta.service_model.service_name),
    ).fast_fail(6)
    assert fast.client("sts", WEST).get_caller_identity()["Account"] == DR_ACCOUNT
    assert seen == ["sts", "sts"]  # the region's client, then the AssumeRole client, both bounded and hooked


def test_terraform_runs_in_a_role_region_carry_the_assumed_roles_session_keys(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    runner = TerraformRunner(
        "terraform", extra_env=sessions.target.environment(), credentials_env=sessions.terraform_environment
    )
    west = runner.environment(Workspace("region/us-west-2", tmp_path, tmp_path / "w", region=WEST))
    east = runner.environment(Workspace("region/us-east-1", tmp_path, tmp_path / "e", region=EAST))
    frozen = sessions.session(WEST).get_credentials().get_frozen_credentials()
    assert (west["AWS_ACCESS_KEY_ID"], west["AWS_SECRET_ACCESS_KEY"], west["AWS_SESSION_TOKEN"]) == (
        frozen.access_key,
        frozen.secret_key,
        frozen.token,
    )
    assert (east["AWS_ACCESS_KEY_ID"], east["AWS_SECRET_ACCESS_KEY"]) == ("testing", "testing")
    for env in (west, east):
        assert "AWS_PROFILE" not in env and "AWS_SHARED_CREDENTIALS_FILE" not in env
        assert REAL_KEY not in "\n".join(env.values())


def test_each_regions_control_store_is_named_after_its_own_account(sessions: SessionFactory) -> None:
    east = ControlStore(sessions, "shop", EAST, peers=(WEST,))
    west = ControlStore(sessions, "shop", WEST, peers=(EAST,))
    assert (east.account_id, west.account_id) == ("123456789012", DR_ACCOUNT)
    west.put("probe.json", {"ok": True})
    assert west.get("probe.json") == {"ok": True}
