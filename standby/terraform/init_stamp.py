"""Whether a workspace's data dir is already initialised for what ``terraform init`` would install now.

``terraform init`` costs seconds (it checks the provider mirror and copies providers) even when nothing changed.
The runner records a fingerprint of everything init depends on in the data dir after each successful init; a
later init that asks to reuse it is skipped only when the fingerprint is the same:

- the program (resolved path, size and modification time) and the provider mirror;
- the backend configuration and the environment the runner adds (an S3 backend reads its endpoint there);
- the stack's ``.terraform.lock.hcl`` (the providers' versions and checksums);
- every ``*.tf`` and ``*.tf.json`` file of the stack and of each module directory ``terraform init`` listed in
  ``<data dir>/modules/modules.json``: a new or changed ``module`` block (source, version), ``backend`` or
  ``required_providers`` is in one of them.

Any other edit of those files re-initialises too: the check is conservative, never stale. The stamp lives in
the data dir itself, so a deleted data dir is initialised again.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Mapping
from pathlib import Path

STAMP_NAME = "standby-init.sha256"
LOCK_FILE = ".terraform.lock.hcl"


def stamp_path(tf_data_dir: Path) -> Path:
    return tf_data_dir / STAMP_NAME


def fingerprint(
    binary: str,
    stack_dir: Path,
    tf_data_dir: Path,
    backend_config: Mapping[str, str],
    settings: Mapping[str, str],
) -> str:
    """A hash of what ``terraform init`` of this stack in this data dir depends on (``settings``: the provider
    mirror and the environment the runner adds)."""
    digest = hashlib.sha256()

    def feed(label: str, data: bytes) -> None:
        digest.update(f"{label}\0{len(data)}\0".encode())
        digest.update(data)

    feed("binary", _program_identity(binary).encode())
    feed("backend", json.dumps(dict(backend_config), sort_keys=True).encode())
    feed("settings", json.dumps(dict(settings), sort_keys=True).encode())
    lock = stack_dir / LOCK_FILE
    feed("lock", lock.read_bytes() if lock.is_file() else b"<none>")
    for directory in _configuration_directories(stack_dir, tf_data_dir):
        for path in sorted(directory.glob("*.tf")) + sorted(directory.glob("*.tf.json")):
            feed(str(path), path.read_bytes())
    return digest.hexdigest()


def is_current(tf_data_dir: Path, expected: str) -> bool:
    """Whether the data dir was last initialised (successfully) with this fingerprint."""
    try:
        return stamp_path(tf_data_dir).read_text().strip() == expected
    except OSError:
        return False


def record(tf_data_dir: Path, value: str) -> None:
    tf_data_dir.mkdir(parents=True, exist_ok=True)
    stamp = stamp_path(tf_data_dir)
    tmp = stamp.with_suffix(".tmp")
    tmp.write_text(value + "\n")
    tmp.replace(stamp)


def forget(tf_data_dir: Path) -> None:
    """Drop the stamp before an init runs: an init that fails leaves the data dir unreusable."""
    stamp_path(tf_data_dir).unlink(missing_ok=True)


def _program_identity(binary: str) -> str:
    found = shutil.which(binary)
    if found is None:
        return binary
    path = Path(found).resolve()
    stat = path.stat()
    return f"{path}:{stat.st_size}:{stat.st_mtime_ns}"


def _configuration_directories(stack_dir: Path, tf_data_dir: Path) -> list[Path]:
    """The stack's directory and every module directory the last init listed (relative to the stack)."""
    directories = [stack_dir]
    manifest = tf_data_dir / "modules" / "modules.json"
    try:
        modules = json.loads(manifest.read_text()).get("Modules") or ()
    except (OSError, ValueError):
        return directories
    for module in modules:
        if module.get("Dir"):
            directories.append(stack_dir / str(module["Dir"]))
    return sorted(set(directories))
