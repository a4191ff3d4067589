"""The files standby ships besides its code: the Terraform stacks and modules (``terraform/``) and the examples
(``examples/NAME/``), found the same way from a checkout and from an installed wheel.

In a checkout they live at the repository's root. A wheel carries them as package data under
``standby/_data/`` (the build copies them there, see ``setup.py``), found through ``importlib.resources``.
``bundle_files`` is the one rule of what is shipped: the build applies it, and ``copy_into`` applies it again,
so a checkout's Terraform working data, state, demo state or drill reports are never copied.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path, PurePosixPath

from standby.errors import StandbyError

DATA_DIR = "_data"  # the package-data directory inside the installed ``standby`` package
TERRAFORM = "terraform"
EXAMPLES = "examples"

# What is shipped: Terraform sources and their READMEs; an example's config and notes.
_TERRAFORM_TOP_FILES = ("README.md", ".gitignore")
_TERRAFORM_DIRS = ("modules", "stacks")
_TERRAFORM_SUFFIXES = (".tf", ".tf.json", ".md")
_EXAMPLE_SUFFIXES = (".toml", ".md", ".tf", ".tfvars")
# Never shipped, wherever found: module tests, Terraform working data, standby's state, drill reports.
_EXCLUDED_DIRS = frozenset({"tests", ".terraform", ".standby", "drill-reports", "run-reports", "__pycache__"})


class BundleError(StandbyError):
    default_hint = "reinstall standby (`pip install --force-reinstall standby-*.whl`), or run it from a checkout"


def _installed_root() -> Path | None:
    """``standby/_data`` of an installed wheel, or None (a checkout or an editable install has none)."""
    data = resources.files("standby").joinpath(DATA_DIR)
    if isinstance(data, Path) and data.is_dir():
        return data
    return None


def _checkout_root() -> Path | None:
    """The repository's root when standby runs from a checkout (or an editable install of one), else None."""
    root = Path(__file__).resolve().parents[1]
    if (root / "pyproject.toml").is_file() and (root / TERRAFORM / "stacks").is_dir():
        return root
    return None


def root() -> Path:
    """The directory holding ``terraform/`` and ``examples/``: the wheel's package data, else the checkout."""
    found = _installed_root() or _checkout_root()
    if found is None:
        raise BundleError("standby's bundled Terraform stacks and examples are missing from this installation")
    return found


def path(relative: str) -> Path:
    """A bundled file or directory, e.g. ``path("terraform/stacks/region")``; BundleError when it is not there."""
    parts = PurePosixPath(relative).parts
    if not parts or PurePosixPath(relative).is_absolute() or ".." in parts:
        raise BundleError(f"not a bundled path: {relative!r}", hint="use a path relative to the bundle's root")
    found = root().joinpath(*parts)
    if not found.exists():
        raise BundleError(f"{relative} is not bundled with standby (looked in {root()})")
    return found


def examples() -> list[str]:
    """The bundled examples' names (each a directory holding a standby.toml)."""
    base = root() / EXAMPLES
    if not base.is_dir():
        return []
    return sorted(d.name for d in base.iterdir() if (d / "standby.toml").is_file())


def _shipped(relative: PurePosixPath) -> bool:
    parts = relative.parts
    if _EXCLUDED_DIRS.intersection(parts[:-1]) or len(parts) < 2:
        return False
    name = parts[-1]
    if parts[0] == TERRAFORM:
        if len(parts) == 2:
            return name in _TERRAFORM_TOP_FILES
        return parts[1] in _TERRAFORM_DIRS and name.endswith(_TERRAFORM_SUFFIXES)
    if parts[0] == EXAMPLES:
        return len(parts) >= 3 and not any(p.startswith(".") for p in parts[1:-1]) and name.endswith(_EXAMPLE_SUFFIXES)
    return False


def bundle_files(source: Path) -> list[str]:
    """The shipped files under ``source`` (a checkout's root or an installed bundle), as sorted POSIX paths."""
    found: list[str] = []
    for top in (TERRAFORM, EXAMPLES):
        base = source / top
        if not base.is_dir():
            continue
        for item in base.rglob("*"):
            relative = PurePosixPath(item.relative_to(source).as_posix())
            if item.is_file() and not item.is_symlink() and _shipped(relative):
                found.append(relative.as_posix())
    return sorted(found)


def copy_into(destination: Path, prefix: str, *, source: Path | None = None) -> list[Path]:
    """Copy the shipped files under ``prefix`` (e.g. ``"terraform"``) into ``destination``, keeping their relative
    paths (``destination/terraform/stacks/...``); overwrites what is there. Returns the files written."""
    base = source or root()
    written = []
    for relative in bundle_files(base):
        if relative != prefix and not relative.startswith(prefix.rstrip("/") + "/"):
            continue
        target = destination.joinpath(*PurePosixPath(relative).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(base / relative, target)
        written.append(target)
    return written
