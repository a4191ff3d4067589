"""Build the scheduled check's Lambda package: a zip of the ``standby`` package, the project's standby.toml and,
optionally, installed dependencies. Built in Python (no archive provider); entries carry a fixed timestamp and
order, so the same inputs give the same bytes and Terraform's ``source_code_hash`` only changes with the code.

    python -m standby.drift.package --config standby.toml --out build/drift.zip [--site-packages DIR]
    python -m standby.drift.package --print-actions      # the IAM actions, as JSON, for the module's iam_actions

On AWS, --site-packages should hold pydantic and python-terraform installed for the Lambda platform
(``pip install --platform manylinux2014_x86_64 --only-binary=:all: --target DIR pydantic python-terraform``);
boto3 is in the runtime.
"""

from __future__ import annotations

import argparse
import json
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import standby
from standby.bundled import DATA_DIR
from standby.config import load_config
from standby.drift.scheduled import required_actions

FIXED_TIME = (2020, 1, 1, 0, 0, 0)
HANDLER = "standby.drift.scheduled.handler"
_SKIP_DIRS = {"__pycache__", ".pytest_cache", DATA_DIR}  # DATA_DIR: an installed wheel's stacks, not code


def _files(root: Path, top: str) -> Iterator[tuple[Path, str]]:
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_dir() or _SKIP_DIRS.intersection(relative.parts) or path.suffix in (".pyc", ".pyo"):
            continue
        yield path, f"{top}/{relative.as_posix()}" if top else relative.as_posix()


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.external_attr = 0o644 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def build_package(config_path: Path, destination: Path, site_packages: Sequence[Path] = ()) -> Path:
    """Write the zip; the config is validated first, so a broken config never reaches the function."""
    load_config(config_path)
    destination.parent.mkdir(parents=True, exist_ok=True)
    source = Path(standby.__file__).resolve().parent
    entries: dict[str, bytes] = {"standby.toml": config_path.read_bytes()}
    for path, name in _files(source, "standby"):
        entries[name] = path.read_bytes()
    for directory in site_packages:
        for path, name in _files(directory, ""):
            entries.setdefault(name, path.read_bytes())
    tmp = destination.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w") as archive:
        for name in sorted(entries):
            _add(archive, name, entries[name])
    tmp.replace(destination)
    return destination


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m standby.drift.package", description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("standby.toml"), help="the project's standby.toml")
    parser.add_argument("--out", type=Path, help="the zip to write")
    parser.add_argument("--site-packages", type=Path, action="append", default=[], help="dependencies to include")
    parser.add_argument("--print-actions", action="store_true", help="print the IAM actions (JSON) and exit")
    args = parser.parse_args(argv)
    if args.print_actions:
        print(json.dumps(required_actions(), indent=2))
        return 0
    if args.out is None:
        parser.error("--out is required")
    path = build_package(args.config, args.out, args.site_packages)
    print(f"{path} (handler {HANDLER})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
