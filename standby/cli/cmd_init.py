"""`standby init [--example NAME] [--force] [DIR]`: write a starter project from a bundled example.

The project gets the example's standby.toml and its own copy of the Terraform stacks and modules under
``DIR/terraform`` (the user owns them from then on); the config's stack paths are rewritten to point there.
Nothing is written when any target file exists, unless ``--force``.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import click

from standby import bundled
from standby.cli.context import AppContext
from standby.cli.render import emit
from standby.config import load_config
from standby.errors import ExitCode, StandbyError, UsageError

CONFIG_NAME = "standby.toml"
_PATH_LINE = re.compile(r'^(\s*path\s*=\s*)"([^"\n]*)"(.*)$')


class InitError(StandbyError):
    """The bundled example cannot be turned into a starter project (a packaging defect, not the user's)."""


@dataclass(frozen=True)
class Written:
    directory: str
    example: str
    config: str
    stacks: dict[str, str]
    terraform_files: int
    overwritten: list[str]
    secrets: list[str]


def stack_paths(example_config: Path, source_root: Path) -> dict[str, str]:
    """The example's stack paths as written, each mapped to its path relative to the bundle's root
    (``terraform/stacks/region``); every stack must live in the bundled ``terraform/`` tree."""
    data = tomllib.loads(example_config.read_text(encoding="utf-8"))
    mapping: dict[str, str] = {}
    for name, stack in sorted(data.get("stacks", {}).items()):
        written = stack.get("path")
        if not isinstance(written, str):
            raise InitError(f"{example_config}: stacks.{name}.path is missing")
        target = (example_config.parent / written).resolve()
        try:
            relative = PurePosixPath(target.relative_to(source_root.resolve()).as_posix())
        except ValueError:
            raise InitError(f"{example_config}: stacks.{name}.path {written!r} is outside the bundle") from None
        if relative.parts[:1] != (bundled.TERRAFORM,):
            raise InitError(f"{example_config}: stacks.{name}.path {written!r} is not under terraform/")
        mapping[written] = relative.as_posix()
    return mapping


def rewrite_stack_paths(text: str, mapping: dict[str, str]) -> str:
    """``text`` with every ``path = "OLD"`` line whose OLD is in ``mapping`` pointing at the new path instead
    (comments and layout kept)."""
    lines = []
    for line in text.splitlines(keepends=True):
        match = _PATH_LINE.match(line.rstrip("\r\n"))
        if match and match.group(2) in mapping:
            ending = line[len(line.rstrip("\r\n")) :]
            line = f'{match.group(1)}"{mapping[match.group(2)]}"{match.group(3)}{ending}'
        lines.append(line)
    return "".join(lines)


def plan_files(example: str, directory: Path) -> tuple[dict[Path, Path], str]:
    """What init writes: {target: source} for the Terraform tree, and the rewritten standby.toml's text."""
    source_root = bundled.root()
    example_config = bundled.path(f"{bundled.EXAMPLES}/{example}/{CONFIG_NAME}")
    mapping = stack_paths(example_config, source_root)
    header = f"# Written by `standby init --example {example}`: the stacks are your copy, under terraform/.\n"
    text = header + rewrite_stack_paths(example_config.read_text(encoding="utf-8"), mapping)
    files = {
        directory.joinpath(*PurePosixPath(rel).parts): source_root / rel
        for rel in bundled.bundle_files(source_root)
        if rel.startswith(bundled.TERRAFORM + "/")
    }
    return files, text


def _blocking(target: Path, directory: Path) -> list[Path]:
    """What stops ``target`` being written even with --force: a non-directory where a directory must be, or a
    non-file (a directory) where the file goes."""
    found = [target] if target.exists() and not target.is_file() else []
    for parent in target.parents:
        if parent == directory.parent:
            break
        if (parent.exists() or parent.is_symlink()) and not parent.is_dir():
            found.append(parent)
    return found


def write_project(example: str, directory: Path, *, force: bool) -> Written:
    """Write the starter project; refuse (nothing written) when a target exists and ``force`` is not set."""
    files, text = plan_files(example, directory)
    config_path = directory / CONFIG_NAME
    targets = [config_path, *files]
    existing = [t for t in targets if t.exists() or t.is_symlink()]
    blocked = sorted({b for t in targets for b in _blocking(t, directory)})
    if blocked:
        raise UsageError(
            f"{blocked[0]} is in the way: it exists, but not as what init writes there; nothing was written",
            hint="move it away, or choose another DIR",
        )
    if existing and not force:
        more = f" and {len(existing) - 3} more" if len(existing) > 3 else ""
        shown = ", ".join(str(t) for t in existing[:3]) + more
        raise UsageError(
            f"{len(existing)} file{'s' if len(existing) != 1 else ''} already exist: {shown}; nothing was written",
            hint="choose an empty DIR, or pass --force to overwrite them",
        )
    directory.mkdir(parents=True, exist_ok=True)
    for target, source in files.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
    config_path.write_text(text, encoding="utf-8")
    loaded = load_config(config_path)  # the stacks must be where the rewritten paths say, each with a backend
    secrets = sorted({env for stack in loaded.config.stacks.values() for env in stack.secrets.values()})
    return Written(
        directory=str(directory.resolve()),
        example=example,
        config=str(loaded.path),
        stacks={name: str(stack.path) for name, stack in sorted(loaded.config.stacks.items())},
        terraform_files=len(files),
        overwritten=[str(t) for t in existing],
        secrets=secrets,
    )


def next_steps(written: Written) -> str:
    exports = [f"  export {name}=...   # a secret the stacks read; never written to disk" for name in written.secrets]
    return "\n".join(
        [
            f"wrote {written.config} and {written.terraform_files} files under "
            f"{Path(written.directory) / bundled.TERRAFORM} (the {written.example} example's stacks and modules, "
            "now yours)",
            "next steps:",
            f"  cd {written.directory}",
            "  standby validate                  # the config and the stacks' directories",
            "  standby emulator start            # the local AWS emulator: pip install 'standby[emulator]'",
            *exports,
            "  standby provision --yes           # both regions and DNS (Terraform >= 1.5 and the aws provider)",
            "  standby drift                     # is the standby still a mirror, and ready",
            "  standby drill --mode isolated     # a game day with no production impact",
            'To target AWS instead of the emulator, remove `endpoint = "emulator"` from [aws] in standby.toml.',
        ]
    )


@click.command()
@click.argument("directory", required=False, default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--example",
    default="webapp",
    show_default=True,
    help="The bundled example to start from.",
)
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
@click.pass_obj
def init(app: AppContext, directory: Path, example: str, force: bool) -> ExitCode:
    """Write a starter project into DIRECTORY (default: .): a standby.toml from a bundled example and a copy of
    its Terraform stacks and modules under DIRECTORY/terraform. Refuses to overwrite files unless --force."""
    known = bundled.examples()
    if example not in known:
        raise UsageError(f"no bundled example {example!r}", hint=f"choose one of: {', '.join(known) or '(none)'}")
    written = write_project(example, directory, force=force)
    emit(app.output, "init", dataclasses.asdict(written), next_steps(written))
    return ExitCode.OK
