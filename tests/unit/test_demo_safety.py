"""`standby demo` deletes only the state directory it created: marked, inside the example's directory, without the
config file in it — never anything else, whatever `state_dir` says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from standby.cli.cmd_demo import DEMO_MARKER, check_demo_state_dir, fresh_demo_state_dir
from standby.cli.main import main
from standby.errors import ExitCode, UsageError

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "webapp" / "standby.toml"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project directory holding an example directory (with its standby.toml) and files of its own."""
    root = tmp_path / "project"
    (root / "examples" / "webapp").mkdir(parents=True)
    (root / "precious.txt").write_text("do not delete\n")
    (root / "examples" / "webapp" / "app.py").write_text("print('hi')\n")
    return root


def example_config(project: Path, state_dir: str) -> Path:
    """The example's standby.toml in ``project``'s example directory, with ``state_dir`` as given."""
    text = EXAMPLE.read_text().replace('state_dir = ".standby"', f'state_dir = "{state_dir}"')
    text = text.replace('"../../terraform/stacks/', f'"{REPO / "terraform" / "stacks"}/')
    path = project / "examples" / "webapp" / "standby.toml"
    path.write_text(text)
    return path


def snapshot(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_parent_state_dir_is_refused_through_the_cli_and_nothing_is_deleted(project: Path, capsys) -> None:
    config = example_config(project, "..")
    before = snapshot(project)
    assert main(["--config", str(config), "--output", "json", "demo"]) == ExitCode.USAGE
    doc = json.loads(capsys.readouterr().out)
    assert doc["error"]["type"] == "UsageError" and "is not inside" in doc["error"]["message"]
    assert snapshot(project) == before
    assert (project / "precious.txt").read_text() == "do not delete\n"


@pytest.mark.parametrize("state_dir", ["..", "../..", ".", "./", "/"])
def test_state_dirs_outside_or_holding_the_config_are_refused(project: Path, state_dir: str) -> None:
    config = example_config(project, state_dir)
    before = snapshot(project)
    with pytest.raises(UsageError, match="the demo deletes its state directory"):
        fresh_demo_state_dir((config.parent / state_dir), config)
    assert snapshot(project) == before


def test_a_foreign_directory_outside_the_example_is_refused(project: Path, tmp_path: Path) -> None:
    foreign = tmp_path / "elsewhere"
    foreign.mkdir()
    (foreign / DEMO_MARKER).write_text("a marker does not make an outside directory the demo's\n")
    (foreign / "data").write_text("theirs\n")
    config = example_config(project, str(foreign))
    with pytest.raises(UsageError, match="is not inside"):
        fresh_demo_state_dir(foreign, config)
    assert (foreign / "data").read_text() == "theirs\n"


def test_a_foreign_directory_inside_the_example_without_marker_is_refused(project: Path) -> None:
    config = example_config(project, ".standby")
    state = project / "examples" / "webapp" / ".standby"
    state.mkdir()
    (state / "terraform.tfstate").write_text("{}\n")
    with pytest.raises(UsageError, match=f"was not created by the demo \\(no {DEMO_MARKER}\\)"):
        fresh_demo_state_dir(state, config)
    assert (state / "terraform.tfstate").exists()


def test_a_symlink_inside_the_example_to_a_directory_outside_is_refused(project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / DEMO_MARKER).write_text("")
    (outside / "keep").write_text("keep\n")
    link = project / "examples" / "webapp" / ".standby"
    link.symlink_to(outside, target_is_directory=True)
    config = example_config(project, ".standby")
    with pytest.raises(UsageError, match="is not inside"):
        fresh_demo_state_dir(link, config)
    assert (outside / "keep").exists()


def test_the_demos_own_directory_is_created_marked_then_recreated(project: Path) -> None:
    config = example_config(project, ".standby")
    state = project / "examples" / "webapp" / ".standby"
    assert fresh_demo_state_dir(state, config) == state.resolve()
    assert (state / DEMO_MARKER).is_file()
    assert state.stat().st_mode & 0o777 == 0o700
    (state / "runs").mkdir()
    (state / "runs" / "old.json").write_text("{}")
    fresh_demo_state_dir(state, config)
    assert sorted(p.name for p in state.iterdir()) == [DEMO_MARKER]
    assert (project / "examples" / "webapp" / "app.py").exists() and (project / "precious.txt").exists()


def test_check_alone_deletes_nothing(project: Path) -> None:
    config = example_config(project, "nested/state")
    state = project / "examples" / "webapp" / "nested" / "state"
    assert check_demo_state_dir(state, config) == state.resolve()
    assert not state.exists()
