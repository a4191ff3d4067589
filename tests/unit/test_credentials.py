"""Per-region credentials: the config's [regions.credentials], the sessions built from them, and what Terraform
gets of them — in emulator mode nothing of the user's ~/.aws or environment ever reaches either."""

from __future__ import annotations

from pathlib import Path

import pytest

from standby.aws.credentials import CREDENTIAL_ENV, RegionCredentials, role_session_name, terraform_credentials
from standby.aws.session import SessionFactory, Target
from standby.cli.context import AppContext
from standby.cli.main import main
from standby.config import parse_config
from standby.errors import ConfigError
from standby.terraform.runner import TerraformRunner, Workspace
from tests.unit.test_cli import EXAMPLE
from tests.unit.test_config import VALID

ROLE = "arn:aws:iam::222222222222:role/standby-dr"
REAL_KEY = "AKIAREALUSERKEY00042"  # recognisable: the key of the user's real ~/.aws/credentials
REAL_SECRET = "real-secret-never-to-be-seen"


def with_credentials(tables: str, regions_extra: str = "") -> str:
    """VALID with ``tables`` appended (after the whole file: a TOML table may come anywhere)."""
    text = VALID.replace('standby = "eu-central-1"\n', f'standby = "eu-central-1"\n{regions_extra}')
    return text + tables


def problems_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, Path("standby.toml"))
    return caught.value.problems


# -- config -----------------------------------------------------------------------------------------------------


def test_credentials_are_keyed_by_region() -> None:
    text = with_credentials(
        '\n[regions.credentials."eu-west-1"]\nprofile = "prod-eu"\n'
        f'\n[regions.credentials."eu-central-1"]\nrole_arn = "{ROLE}"\nexternal_id = "dr-2024"\n'
    )
    credentials = parse_config(text, Path("standby.toml")).config.regions.credentials
    assert credentials["eu-west-1"].profile == "prod-eu"
    assert (credentials["eu-central-1"].role_arn, credentials["eu-central-1"].external_id) == (ROLE, "dr-2024")
    assert credentials["eu-central-1"].role_account == "222222222222"


def test_profile_and_role_together_are_refused_naming_file_line_and_field() -> None:
    text = with_credentials(f'\n[regions.credentials."eu-central-1"]\nprofile = "dr"\nrole_arn = "{ROLE}"\n')
    [problem] = problems_of(text)
    assert problem.startswith(
        "standby.toml:27: regions.credentials.eu-central-1: expected either profile or role_arn, found both"
    )


def test_neither_profile_nor_role_and_a_lone_external_id_are_refused() -> None:
    empty = with_credentials('\n[regions.credentials."eu-central-1"]\n')
    assert problems_of(empty) == [
        "standby.toml:27: regions.credentials.eu-central-1: expected profile or role_arn, found neither"
    ]
    lone = with_credentials('\n[regions.credentials."eu-central-1"]\nprofile = "dr"\nexternal_id = "abc"\n')
    [problem] = problems_of(lone)
    assert problem.startswith("standby.toml:27: regions.credentials.eu-central-1: external_id goes with role_arn")


def test_role_arn_and_types_are_strict() -> None:
    text = with_credentials(
        '\n[regions.credentials."eu-central-1"]\nrole_arn = "arn:aws:iam::2222:user/x"\n'
        '\n[regions.credentials."eu-west-1"]\nprofile = 7\n'
    )
    assert problems_of(text) == [
        "standby.toml:28: regions.credentials.eu-central-1.role_arn: expected an IAM role ARN such as "
        "'arn:aws:iam::123456789012:role/standby', found 'arn:aws:iam::2222:user/x'",
        "standby.toml:31: regions.credentials.eu-west-1.profile: input should be a valid string, found 7",
    ]


def test_unknown_key_lists_the_credentials_keys() -> None:
    text = with_credentials('\n[regions.credentials."eu-central-1"]\nprofil = "dr"\n')
    assert "standby.toml:28: regions.credentials.eu-central-1.profil: unknown key; expected one of: profile, " in (
        "\n".join(problems_of(text))
    )


def test_credentials_for_another_region_or_a_role_in_another_account() -> None:
    text = with_credentials(
        f'\n[regions.credentials."eu-central-1"]\nrole_arn = "{ROLE}"\n'
        '\n[regions.credentials."us-west-2"]\nprofile = "x"\n',
        regions_extra='standby_account = "333333333333"\n',
    )
    assert problems_of(text) == [
        "standby.toml:29: regions.credentials.eu-central-1.role_arn: the role is in account 222222222222, the "
        "config expects 333333333333 in eu-central-1",
        "standby.toml:31: regions.credentials.us-west-2: expected the primary or standby region "
        "(eu-west-1, eu-central-1), found 'us-west-2'",
    ]


# -- sessions and environments ----------------------------------------------------------------------------------


@pytest.fixture
def real_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HOME whose ~/.aws holds recognisable real keys, and an environment that points at them every way."""
    home = tmp_path / "user-home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text(
        f"[default]\naws_access_key_id = {REAL_KEY}\naws_secret_access_key = {REAL_SECRET}\n"
        f"[prod]\naws_access_key_id = {REAL_KEY}\naws_secret_access_key = {REAL_SECRET}\n"
    )
    (home / ".aws" / "config").write_text("[default]\nregion = eu-west-1\n[profile prod]\nregion = eu-west-1\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_PROFILE", "prod")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "real-session-token")
    monkeypatch.setenv("AWS_ROLE_ARN", "arn:aws:iam::999999999999:role/real")
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(home / "token"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / ".aws" / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / ".aws" / "config"))
    return home


def emulator_runner(sessions: SessionFactory) -> TerraformRunner:
    return TerraformRunner(
        "terraform", extra_env=sessions.target.environment(), credentials_env=sessions.terraform_environment
    )


def a_workspace(tmp_path: Path, region: str | None) -> Workspace:
    return Workspace(f"region/{region or 'global'}", tmp_path, tmp_path / "data", region=region)


def test_emulator_runs_get_dummy_keys_and_nothing_of_the_users_aws(real_home: Path, tmp_path: Path) -> None:
    target = Target("http://127.0.0.1:1", emulator=True)
    sessions = SessionFactory(
        target=target, profile="prod", credentials={"eu-west-1": RegionCredentials(profile="prod")}
    )
    for runner in (TerraformRunner("terraform", extra_env=target.environment()), emulator_runner(sessions)):
        for region in ("eu-west-1", "eu-central-1", None):
            env = runner.environment(a_workspace(tmp_path, region))
            assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == ("testing", "testing")
            assert not {name for name in CREDENTIAL_ENV if name in env} - {
                "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY",
            }
            assert str(real_home / ".aws") not in "\n".join(env.values())
            assert REAL_KEY not in "\n".join(env.values())
    for region in ("eu-west-1", "eu-central-1"):
        frozen = sessions.session(region).get_credentials().get_frozen_credentials()
        assert (frozen.access_key, frozen.secret_key, frozen.token) == ("testing", "testing", None)
        assert sessions.session(region).profile_name == "default"  # botocore's name for "none given"


def test_a_profile_region_tells_terraform_its_profile_and_drops_inherited_keys(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFROMENV")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/somewhere/credentials")
    sessions = SessionFactory(profile="base", credentials={"eu-west-1": RegionCredentials(profile="prod-eu")})
    runner = TerraformRunner("terraform", credentials_env=sessions.terraform_environment)
    west = runner.environment(a_workspace(tmp_path, "eu-west-1"))
    central = runner.environment(a_workspace(tmp_path, "eu-central-1"))
    assert west["AWS_PROFILE"] == "prod-eu" and "AWS_ACCESS_KEY_ID" not in west
    assert west["AWS_SHARED_CREDENTIALS_FILE"] == "/somewhere/credentials"  # where the profile lives
    assert central["AWS_PROFILE"] == "base" and "AWS_ACCESS_KEY_ID" not in central


def test_without_profiles_terraform_inherits_the_default_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFROMENV")
    assert SessionFactory().terraform_environment("eu-west-1") == {}
    runner = TerraformRunner("terraform", credentials_env=SessionFactory().terraform_environment)
    assert runner.environment(a_workspace(Path("/tmp"), "eu-west-1"))["AWS_ACCESS_KEY_ID"] == "AKIAFROMENV"


def test_assumed_role_keys_replace_every_inherited_credential_variable() -> None:
    class Keys:
        access_key, secret_key, token = "ASIATEMP", "temp-secret", "temp-token"

    env = terraform_credentials(RegionCredentials(role_arn=ROLE), "base", Keys(), sealed=False)
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env["AWS_SESSION_TOKEN"]) == (
        "ASIATEMP",
        "temp-secret",
        "temp-token",
    )
    removed = {name for name, value in env.items() if value is None}
    assert {"AWS_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONFIG_FILE"} <= removed
    with pytest.raises(ValueError):
        terraform_credentials(RegionCredentials(profile="p"), None, None, sealed=True)


def test_a_profile_region_session_reads_that_profile(real_home: Path) -> None:
    sessions = SessionFactory(credentials={"eu-west-1": RegionCredentials(profile="prod")})
    assert sessions.session("eu-west-1").profile_name == "prod"
    assert sessions.session("eu-west-1").get_credentials().access_key == REAL_KEY


def test_route53_uses_the_base_credentials_and_accounts_are_learned_per_credentials() -> None:
    sessions = SessionFactory(profile="base", credentials={"eu-west-1": RegionCredentials(profile="prod-eu")})
    assert sessions.credentials_of("eu-west-1") == RegionCredentials(profile="prod-eu")
    assert sessions.credentials_of("eu-west-1", "route53") is None
    assert sessions.same_credentials("eu-central-1", "us-east-1")
    assert not sessions.same_credentials("eu-west-1", "eu-central-1")
    sessions.remember_account("111111111111", "eu-central-1")
    fast = sessions.fast_fail()
    assert fast.known_account("us-east-1") == "111111111111"  # the base credentials: the same account
    assert fast.known_account("eu-west-1") is None  # its own profile: maybe another account
    assert fast.credentials is sessions.credentials


def test_role_session_name_says_standby_and_who() -> None:
    assert role_session_name("alice@host-1.example") == "standby-alice@host-1.example"
    assert role_session_name("uid 1000/x") == "standby-uid-1000-x"
    assert len(role_session_name("a" * 200)) == 64


def test_the_composition_root_hands_profile_and_region_credentials_to_sessions_and_terraform(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("standby.cli.context.operator", lambda: "alice@ops")
    text = with_credentials(f'\n[regions.credentials."eu-central-1"]\nrole_arn = "{ROLE}"\nexternal_id = "x1"\n')
    app = AppContext(config_option=None, output="text", debug=False, profile="base")
    app.loaded = parse_config(text, Path("standby.toml"))  # type: ignore[misc]
    app.target = Target()  # type: ignore[misc]
    sessions = app.sessions
    assert sessions.profile == "base"
    assert dict(sessions.credentials) == {"eu-central-1": RegionCredentials(role_arn=ROLE, external_id="x1")}
    assert sessions.role_session_name == "standby-alice@ops"
    assert app.runner.credentials_env == sessions.terraform_environment
    assert app.runner.environment(a_workspace(Path("/tmp"), "eu-west-1"))["AWS_PROFILE"] == "base"


def test_profile_is_a_global_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "--profile NAME" in capsys.readouterr().out
    assert main(["--profile", "prod", "validate", EXAMPLE]) == 0
