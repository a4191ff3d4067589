"""What standby (and Terraform, run by it) writes under the state directory and $STANDBY_HOME is private: every file
0600, every directory 0700, and the stacks' secret only in the files that must hold it (variables, plan, state) —
never in a log or a journal. And every control-store S3 call names the account expected to own the bucket."""

from __future__ import annotations

import json
import os
import secrets
import stat
import zipfile
from pathlib import Path
from typing import Any

import pytest

from standby.aws.session import SessionFactory, Target
from standby.cli.main import main
from standby.config import load_config
from standby.state import RegionStates
from standby.state.store import ControlStore
from tests.integration.failover.world import build_world

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "webapp" / "standby.toml"
SECRET_ENV = "WEBAPP_DB_PASSWORD"  # examples/webapp/standby.toml [stacks.region.secrets]
# Files that may hold a secret variable's value: Terraform's inputs, its saved plan, its state.
MAY_HOLD_SECRETS = (".tfvars.json", ".tfplan", ".tfstate", ".tfstate.backup")


def example_config(tmp_path: Path, endpoint: str) -> Path:
    text = EXAMPLE.read_text()
    text = text.replace('state_dir = ".standby"', f'state_dir = "{tmp_path / "state"}"')
    text = text.replace('endpoint = "emulator"', f'endpoint = "{endpoint}"')
    text = text.replace('"../../terraform/stacks/', f'"{REPO / "terraform" / "stacks"}/')
    path = tmp_path / "standby.toml"
    path.write_text(text)
    return path


@pytest.fixture
def sentinel(monkeypatch: pytest.MonkeyPatch) -> str:
    value = f"Sentinel{secrets.token_hex(8)}"
    monkeypatch.setenv(SECRET_ENV, value)
    return value


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "home"
    monkeypatch.setenv("STANDBY_HOME", str(path))
    return path


def written(*roots: Path) -> tuple[list[Path], list[Path]]:
    """(directories, regular files) under ``roots``, the roots included; symlinks are not followed."""
    dirs: list[Path] = []
    files: list[Path] = []
    for root in roots:
        for top, subdirs, names in os.walk(root, followlinks=False):
            dirs.append(Path(top))
            for name in names:
                path = Path(top) / name
                if stat.S_ISREG(path.lstat().st_mode):
                    files.append(path)
            subdirs[:] = [d for d in subdirs if not (Path(top) / d).is_symlink()]
    return dirs, files


def contents(path: Path) -> bytes:
    """A file's bytes; for a zip archive (a saved Terraform plan), its members' bytes as well."""
    data = path.read_bytes()
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            data += b"".join(archive.read(name) for name in archive.namelist())
    return data


def assert_private(secret: str, *roots: Path) -> list[Path]:
    """Every directory 0700, every file 0600, the secret only where it may be; returns the files holding it."""
    dirs, files = written(*roots)
    assert files, "nothing was written"
    wrong_dirs = {str(d): oct(d.lstat().st_mode & 0o777) for d in dirs if d.lstat().st_mode & 0o777 != 0o700}
    assert wrong_dirs == {}
    wrong_files = {str(f): oct(f.lstat().st_mode & 0o777) for f in files if f.lstat().st_mode & 0o777 != 0o600}
    assert wrong_files == {}
    holding = [f for f in files if secret.encode() in contents(f)]
    leaked = [str(f) for f in holding if not f.name.endswith(MAY_HOLD_SECRETS)]
    assert leaked == []
    return holding


@pytest.mark.e2e
def test_provision_plan_writes_only_private_files(
    tmp_path: Path, clean_emulator: str, home: Path, sentinel: str, plugin_dir: Path, capsys
) -> None:
    config = example_config(tmp_path, clean_emulator)
    assert main(["--config", str(config), "--output", "json", "provision", "--plan", "--region", "primary"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "ok" and doc["result"]["stacks"]
    holding = assert_private(sentinel, tmp_path / "state", home)
    names = {f.name for f in holding}
    assert "standby.auto.tfvars.json" in names and "standby.tfplan" in names  # the test sees the secret at all
    assert list((home / "logs").glob("standby-*.log"))  # and the logs it checked


def test_failover_writes_only_private_files(
    tmp_path: Path, clean_emulator: str, sessions: SessionFactory, home: Path, sentinel: str, capsys
) -> None:
    config = example_config(tmp_path, clean_emulator)
    build_world(sessions, load_config(config).config)
    assert main(["--config", str(config), "--output", "json", "failover", "--yes"]) == 0
    assert json.loads(capsys.readouterr().out)["result"]["status"] == "complete"
    assert main(["--config", str(config), "status"]) == 0
    journals = list((tmp_path / "state" / "runs").glob("*.json"))
    assert len(journals) == 1
    assert assert_private(sentinel, tmp_path / "state", home) == []
    assert len(list((home / "logs").glob("standby-*.log"))) == 2


# -- ExpectedBucketOwner ------------------------------------------------------------------------------------------


class BucketOwnerRecorder:
    """Records (operation, ExpectedBucketOwner) of every S3 call made by the clients it is installed on."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None]] = []

    def __call__(self, client: Any) -> None:
        meta = client.meta
        if meta.service_model.service_name != "s3":
            return

        def record(model: Any, params: dict[str, Any], **_: Any) -> None:
            self.calls.append((model.name, params["headers"].get("x-amz-expected-bucket-owner")))

        meta.events.register("before-call.s3", record)


def test_every_control_store_s3_call_names_the_bucket_owner(tmp_path: Path, clean_emulator: str) -> None:
    loaded = load_config(example_config(tmp_path, clean_emulator))
    recorder = BucketOwnerRecorder()
    sessions = SessionFactory(target=Target(clean_emulator, emulator=True), on_client=recorder)
    store: ControlStore = RegionStates.of(loaded, sessions)["us-west-2"].store
    store.put("runs/a.json", {"a": 1})
    store.put_text("reports/a.html", "<p>a</p>", "text/html")
    assert store.get("runs/a.json") == {"a": 1}
    assert store.keys("runs/") == ["runs/a.json"]
    store.delete("runs/a.json")
    operations = {op for op, _ in recorder.calls}
    assert {
        "HeadBucket",
        "CreateBucket",
        "PutBucketVersioning",
        "PutObject",
        "GetObject",
        "ListObjectsV2",
    } <= operations
    assert "DeleteObject" in operations
    unowned = [(op, owner) for op, owner in recorder.calls if op != "CreateBucket" and owner != store.account_id]
    assert unowned == []
    assert store.account_id == "123456789012"
