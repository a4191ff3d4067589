"""`standby init`: a starter project from a bundled example, with its own copy of the stacks; never overwrites
without --force; works the same from a checkout and from an installed wheel's package data."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from standby import bundled
from standby.cli.cmd_init import InitError, rewrite_stack_paths, stack_paths
from standby.cli.main import main
from standby.config import load_config
from standby.errors import ExitCode

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "webapp" / "standby.toml"


def terraform_files(directory: Path) -> list[str]:
    return sorted(p.relative_to(directory).as_posix() for p in (directory / "terraform").rglob("*") if p.is_file())


def test_init_writes_a_valid_project_that_owns_its_stacks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "dr"
    assert main(["init", str(project)]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "next steps:" in out and f"cd {project}" in out and "standby validate" in out
    assert "pip install 'standby[emulator]'" in out and "export WEBAPP_DB_PASSWORD=" in out

    loaded = load_config(project / "standby.toml")  # stacks checked: present, Terraform files, a backend
    assert {n: loaded.resolve(s.path) for n, s in loaded.config.stacks.items()} == {
        "region": project / "terraform" / "stacks" / "region",
        "dns": project / "terraform" / "stacks" / "global",
    }
    assert terraform_files(project) == [f for f in bundled.bundle_files(REPO) if f.startswith("terraform/")]
    assert (project / "terraform/modules/database/main.tf").read_bytes() == (
        REPO / "terraform/modules/database/main.tf"
    ).read_bytes()
    assert not [f for f in terraform_files(project) if "/tests/" in f or ".terraform" in f]


def test_the_config_is_the_examples_with_only_the_stack_paths_changed(tmp_path: Path) -> None:
    assert main(["init", str(tmp_path)]) == ExitCode.OK
    written = (tmp_path / "standby.toml").read_text(encoding="utf-8")
    original = EXAMPLE.read_text(encoding="utf-8")
    header, body = written.split("\n", 1)
    assert header.startswith("# Written by `standby init --example webapp`")
    changed = [(a, b) for a, b in zip(original.splitlines(), body.splitlines(), strict=True) if a != b]
    assert changed == [
        ('path = "../../terraform/stacks/region"', 'path = "terraform/stacks/region"'),
        ('path = "../../terraform/stacks/global"', 'path = "terraform/stacks/global"'),
    ]
    assert tomllib.loads(body)["drift"] == tomllib.loads(original)["drift"]


def test_validate_in_the_new_directory_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(tmp_path)]) == ExitCode.OK
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main(["validate"]) == ExitCode.OK
    assert "valid — project webapp" in capsys.readouterr().out


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "standby.toml").write_text("# mine\n")
    assert main(["init", str(tmp_path)]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "1 file already exist" in err and "nothing was written" in err and "--force" in err
    assert (tmp_path / "standby.toml").read_text() == "# mine\n"
    assert not (tmp_path / "terraform").exists()


def test_an_existing_stack_file_also_blocks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mine = tmp_path / "terraform" / "stacks" / "region" / "main.tf"
    mine.parent.mkdir(parents=True)
    mine.write_text("# my edits\n")
    assert main(["init", str(tmp_path)]) == ExitCode.USAGE
    assert str(mine) in capsys.readouterr().err
    assert mine.read_text() == "# my edits\n" and not (tmp_path / "standby.toml").exists()


def test_force_overwrites_the_starter_files_and_keeps_the_users_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "standby.toml").write_text("# mine\n")
    other = tmp_path / "terraform" / "stacks" / "region" / "override.tf"
    other.parent.mkdir(parents=True)
    other.write_text("# kept\n")
    assert main(["--output", "json", "init", "--force", str(tmp_path)]) == ExitCode.OK
    doc = json.loads(capsys.readouterr().out)
    assert (doc["command"], doc["status"]) == ("init", "ok")
    assert doc["result"]["overwritten"] == [str(tmp_path / "standby.toml")]
    assert doc["result"]["stacks"] == {"dns": "terraform/stacks/global", "region": "terraform/stacks/region"}
    assert doc["result"]["secrets"] == ["WEBAPP_DB_PASSWORD"]
    assert other.read_text() == "# kept\n"
    load_config(tmp_path / "standby.toml")


def test_a_file_where_the_directory_should_be_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "terraform").write_text("not a directory\n")
    assert main(["init", "--force", str(tmp_path)]) == ExitCode.USAGE
    assert f"{tmp_path / 'terraform'} is in the way" in capsys.readouterr().err
    assert (tmp_path / "terraform").read_text() == "not a directory\n" and not (tmp_path / "standby.toml").exists()
    (tmp_path / "terraform").unlink()
    (tmp_path / "standby.toml").mkdir()
    assert main(["init", "--force", str(tmp_path)]) == ExitCode.USAGE
    assert f"{tmp_path / 'standby.toml'} is in the way" in capsys.readouterr().err
    assert not (tmp_path / "terraform").exists()


def test_an_unknown_example_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "--example", "nope", str(tmp_path / "dr")]) == ExitCode.USAGE
    assert "choose one of: webapp" in capsys.readouterr().err
    assert not (tmp_path / "dr").exists()


def test_init_from_an_installed_wheels_package_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "site-packages" / "standby" / bundled.DATA_DIR
    for relative in bundled.bundle_files(REPO):
        (data / relative).parent.mkdir(parents=True, exist_ok=True)
        (data / relative).write_bytes((REPO / relative).read_bytes())
    monkeypatch.setattr(bundled, "_checkout_root", lambda: None)
    monkeypatch.setattr(bundled, "_installed_root", lambda: data)
    from_checkout, from_wheel = tmp_path / "a", tmp_path / "b"
    assert main(["init", str(from_wheel)]) == ExitCode.OK
    monkeypatch.setattr(bundled, "_installed_root", lambda: None)
    monkeypatch.setattr(bundled, "_checkout_root", lambda: REPO)
    assert main(["init", str(from_checkout)]) == ExitCode.OK
    assert (from_wheel / "standby.toml").read_text() == (from_checkout / "standby.toml").read_text()
    assert terraform_files(from_wheel) == terraform_files(from_checkout)


def test_rewrite_keeps_comments_and_touches_only_mapped_paths() -> None:
    text = (
        '[stacks.a]\npath = "../../terraform/stacks/region"   # the region stack\r\n'
        '[stacks.b]\n  path="elsewhere"\n# path = "../../terraform/stacks/region"\n'
    )
    assert rewrite_stack_paths(text, {"../../terraform/stacks/region": "terraform/stacks/region"}) == (
        '[stacks.a]\npath = "terraform/stacks/region"   # the region stack\r\n'
        '[stacks.b]\n  path="elsewhere"\n# path = "../../terraform/stacks/region"\n'
    )


def test_an_example_stack_outside_the_bundled_terraform_is_a_packaging_defect(tmp_path: Path) -> None:
    config = tmp_path / "examples" / "x" / "standby.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[stacks.a]\npath = "../../stacks/a"\n')
    with pytest.raises(InitError, match="not under terraform/"):
        stack_paths(config, tmp_path)
    config.write_text('[stacks.a]\npath = "../../../outside"\n')
    with pytest.raises(InitError, match="outside the bundle"):
        stack_paths(config, tmp_path)
