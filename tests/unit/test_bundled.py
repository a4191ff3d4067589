"""The bundled Terraform stacks and examples: one lookup for a checkout and an installed wheel, one rule of what
ships; the drift Lambda package leaves them out; the emulator names its extra when moto is not installed."""

from __future__ import annotations

import importlib.util
import tomllib
import zipfile
from pathlib import Path

import pytest

from standby import bundled
from standby.bundled import BundleError
from standby.cli.main import main
from standby.drift import package
from standby.emulator import EMULATOR_EXTRA, Emulator
from standby.errors import EmulatorError, ExitCode

REPO = Path(__file__).resolve().parents[2]


def installed_bundle(tmp_path: Path) -> Path:
    """An installed wheel's layout: ``<package>/_data`` holding what the build copies (setup.py's rule)."""
    package_dir = tmp_path / "site-packages" / "standby"
    data = package_dir / bundled.DATA_DIR
    for relative in bundled.bundle_files(REPO):
        target = data / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((REPO / relative).read_bytes())
    return package_dir


@pytest.fixture
def as_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """standby as a wheel installs it: importlib.resources finds the package in site-packages, not the checkout."""
    package_dir = installed_bundle(tmp_path)
    real_files = bundled.resources.files

    def files(anchor: str):  # type: ignore[no-untyped-def]
        return package_dir if anchor == "standby" else real_files(anchor)

    monkeypatch.setattr(bundled.resources, "files", files)
    return package_dir / bundled.DATA_DIR


def test_from_the_checkout_the_stacks_are_the_repositorys() -> None:
    assert bundled.root() == REPO
    assert bundled.path("terraform/stacks/region") == REPO / "terraform" / "stacks" / "region"
    assert (bundled.path("terraform/stacks/region") / "main.tf").is_file()
    assert bundled.examples() == ["webapp"]


def test_an_installed_wheel_finds_its_package_data_first(as_installed: Path) -> None:
    assert bundled.root() == as_installed
    region = bundled.path("terraform/stacks/region")
    assert region == as_installed / "terraform" / "stacks" / "region"
    assert (region / "main.tf").read_bytes() == (REPO / "terraform/stacks/region/main.tf").read_bytes()
    assert bundled.path("examples/webapp/standby.toml").is_file()
    assert bundled.examples() == ["webapp"]


def test_without_package_data_or_a_checkout_the_error_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bundled, "_installed_root", lambda: None)
    monkeypatch.setattr(bundled, "_checkout_root", lambda: None)
    with pytest.raises(BundleError, match="missing from this installation") as caught:
        bundled.path("terraform/stacks/region")
    assert "reinstall" in caught.value.hint


@pytest.mark.parametrize("relative", ["../pyproject.toml", "/etc/passwd", "", "terraform/../../x"])
def test_paths_outside_the_bundle_are_refused(relative: str) -> None:
    with pytest.raises(BundleError, match="not a bundled path"):
        bundled.path(relative)


def test_a_missing_bundled_path_names_it() -> None:
    with pytest.raises(BundleError, match="terraform/stacks/nope is not bundled"):
        bundled.path("terraform/stacks/nope")


def test_what_ships_is_sources_and_readmes_never_state_or_working_data(tmp_path: Path) -> None:
    keep = [
        "terraform/README.md",
        "terraform/.gitignore",
        "terraform/modules/net/main.tf",
        "terraform/modules/net/README.md",
        "terraform/stacks/region/main.tf",
        "terraform/stacks/region/extra.tf.json",
        "examples/webapp/standby.toml",
        "examples/webapp/README.md",
    ]
    drop = [
        "terraform/stacks/region/.terraform/providers/x.tf",
        "terraform/stacks/region/.terraform.lock.hcl",
        "terraform/stacks/region/terraform.tfstate",
        "terraform/stacks/region/terraform.tfstate.backup",
        "terraform/stacks/region/standby.auto.tfvars.json",
        "terraform/stacks/region/plan.tfplan",
        "terraform/modules/net/tests/net.tftest.hcl",
        "terraform/modules/net/tests/fixture.tf",
        "terraform/scripts/check.sh",
        "terraform/main.tf",
        "examples/webapp/.standby/region/us-east-1/terraform.tfstate",
        "examples/webapp/.standby/x.toml",
        "examples/webapp/drill-reports/drill.md",
        "examples/standby.toml",
        "other/README.md",
    ]
    for relative in keep + drop:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("x")
    assert bundled.bundle_files(tmp_path) == sorted(keep)


def test_the_checkouts_bundle_holds_every_stack_and_module_source() -> None:
    shipped = set(bundled.bundle_files(REPO))
    sources = {
        p.relative_to(REPO).as_posix()
        for top in ("terraform/modules", "terraform/stacks")
        for p in (REPO / top).rglob("*.tf")
        if "tests" not in p.parts and ".terraform" not in p.parts
    }
    assert sources and sources <= shipped
    assert "examples/webapp/standby.toml" in shipped
    assert {"terraform/stacks/region/README.md", "terraform/stacks/global/README.md"} <= shipped


def test_copy_into_keeps_relative_paths_and_copies_only_what_ships(tmp_path: Path) -> None:
    written = bundled.copy_into(tmp_path, "terraform")
    assert tmp_path / "terraform" / "stacks" / "global" / "main.tf" in written
    copied = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert copied == [f for f in bundled.bundle_files(REPO) if f.startswith("terraform/")]


def test_the_drift_lambda_package_leaves_the_bundle_out(tmp_path: Path) -> None:
    source = tmp_path / "standby"
    for relative in ("drift/scheduled.py", f"{bundled.DATA_DIR}/terraform/stacks/region/main.tf"):
        (source / relative).parent.mkdir(parents=True, exist_ok=True)
        (source / relative).write_text("x")
    assert [name for _, name in package._files(source, "standby")] == ["standby/drift/scheduled.py"]


def test_the_built_lambda_package_carries_no_bundle(tmp_path: Path) -> None:
    built = package.build_package(REPO / "examples" / "webapp" / "standby.toml", tmp_path / "drift.zip")
    with zipfile.ZipFile(built) as archive:
        names = archive.namelist()
    assert "standby/bundled.py" in names
    assert not [n for n in names if f"/{bundled.DATA_DIR}/" in n or n.endswith(".tf")]


# -- the emulator extra ----------------------------------------------------------------------------------------


@pytest.fixture
def without_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None):  # type: ignore[no-untyped-def]
        return None if name.split(".")[0] == "moto" else real(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def test_starting_without_moto_names_the_extra(tmp_path: Path, without_moto: None) -> None:
    emulator = Emulator(tmp_path / "home")
    with pytest.raises(EmulatorError, match="moto's server, which is not installed") as caught:
        emulator.start()
    assert f"pip install '{EMULATOR_EXTRA}'" in caught.value.hint
    assert caught.value.exit_code == ExitCode.EMULATOR
    assert not (tmp_path / "home" / "emulator.json").exists()


def test_the_cli_exits_7_with_the_extra_in_its_hint(without_moto: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["emulator", "start"]) == ExitCode.EMULATOR
    err = capsys.readouterr().err
    assert "not installed (missing: moto)" in err and "pip install 'standby[emulator]'" in err


def test_the_emulator_extra_pins_moto_and_the_test_extra_includes_it() -> None:
    extras = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    assert EMULATOR_EXTRA == "standby[emulator]" and EMULATOR_EXTRA in extras["test"]
    [moto] = [r for r in extras["emulator"] if r.startswith("moto")]
    assert moto.startswith("moto[server]==")
    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    assert not [r for r in dependencies if r.startswith("moto")]  # `pip install standby` stays light
