"""Load standby.toml and report every problem at once as ``file:line: field.path: message``."""

from __future__ import annotations

import os
import re
import stat
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from standby.config.schema import Capacity, Config, LoadedConfig, RegionCredentials, Stack
from standby.config.stacks import stack_directory_problem
from standby.config.toml_lines import MAX_DEPTH, scan
from standby.errors import ConfigError

DEFAULT_CONFIG_NAME = "standby.toml"
MAX_CONFIG_BYTES = 1 << 20
"""A config file larger than this (1 MiB) is refused unread; the bundled example is about 3 KB."""

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)")
_SHOWN = 80  # characters of a found value or a key shown in a message
UNKNOWN_KEY = "unknown key"
_MESSAGE = 300  # characters of a message (a validator's message quotes the value it found)


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Map each table, key and array element path of a TOML document to the (1-based) line that defines it.

    One linear pass (see ``toml_lines``): a value that spans lines resolves to the line where it starts.
    """
    return scan(text).lines


def line_of(lines: dict[tuple[str, ...], int], path: tuple[str, ...]) -> int | None:
    """The line of ``path``, or of its nearest ancestor that the document names."""
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


def _shorten(text: str) -> str:
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _describe(error: dict[str, Any], allowed: list[str] | None) -> str:
    kind = error["type"]
    message = str(error["msg"])
    if message.startswith("Value error, "):
        return message.removeprefix("Value error, ")
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return f"{UNKNOWN_KEY}; expected one of: {', '.join(allowed)}" if allowed else UNKNOWN_KEY
    message = message[0].lower() + message[1:]
    found = error.get("input")
    if isinstance(found, (dict, list)):
        return message
    return f"{message}, found {_shorten(repr(found))}"


def _allowed_keys(table: tuple[str, ...]) -> list[str] | None:
    """The keys a table of the schema accepts, for 'unknown key' messages."""
    model: type[BaseModel] | None = Config
    parts = list(table)
    while parts and model is not None:
        part = parts.pop(0)
        if part not in model.model_fields:
            return None
        annotation = model.model_fields[part].annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
        elif part in _MAP_VALUES and parts:
            parts.pop(0)  # the map's key, e.g. the stack's name
            model = _MAP_VALUES[part]
        else:
            model = None
    return list(model.model_fields) if model is not None else None


_MAP_VALUES: dict[str, type[BaseModel]] = {"stacks": Stack, "capacity": Capacity, "credentials": RegionCredentials}


def _too_deep(path: Path, line: int | None, loc: tuple[str, ...]) -> ConfigError:
    where = f"{path}:{line}" if line else str(path)
    field = _field(loc[:4]) + (".…" if len(loc) > 4 else "") if loc else "(top level)"
    return ConfigError(
        [f"{where}: {field}: nested more than {MAX_DEPTH} levels deep; expected tables and values nested at most that"]
    )


def _parse(text: str, path: Path) -> tuple[LoadedConfig, dict[tuple[str, ...], int]]:
    found = scan(text)
    if found.too_deep is not None:
        line, loc = found.too_deep
        raise _too_deep(path, line, loc)
    lines = found.lines
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        match = _TOML_POSITION.search(str(err))
        where = f"{path}:{match.group(1)}" if match else str(path)
        reason = _TOML_POSITION.sub("", str(err))
        raise ConfigError([f"{where}: TOML syntax error: {reason}"]) from err
    except RecursionError as err:  # the scan above refuses deep nesting first; this is the last line of defence
        raise _too_deep(path, None, ()) from err

    try:
        config = Config.model_validate(data)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            loc = tuple(str(p) for p in e["loc"])
            if loc and loc[-1] == "[key]":  # a map's key (e.g. a stack's name) is what is wrong
                loc = loc[:-1]
            allowed = _allowed_keys(loc[:-1]) if e["type"] == "extra_forbidden" else None
            problems.append(_format(path, lines, loc, _describe(e, allowed)))
        raise ConfigError(problems) from err
    except RecursionError as err:
        raise _too_deep(path, None, ()) from err

    cross = config.cross_reference_problems()
    if cross:
        raise ConfigError([_format(path, lines, loc, message) for loc, message in cross])
    return LoadedConfig(config=config, path=path.resolve()), lines


def parse_config(text: str, path: Path) -> LoadedConfig:
    """Validate the text of a config file; raise ConfigError listing every problem.

    Only the text: ``load_config`` also checks the stacks' directories.
    """
    return _parse(text, path)[0]


def stack_problems(loaded: LoadedConfig) -> list[tuple[tuple[str, ...], str]]:
    """Each stack whose directory is missing, holds no Terraform files or declares no backend, as (field, message)."""
    problems = []
    for name, stack in loaded.config.stacks.items():
        problem = stack_directory_problem(loaded.resolve(stack.path))
        if problem is not None:
            problems.append((("stacks", name, "path"), f"stack {name!r}: {problem}"))
    return problems


def _field(loc: tuple[str, ...]) -> str:
    return ".".join(_shorten(part) for part in loc)


def _format(
    path: Path, lines: dict[tuple[str, ...], int], loc: tuple[str, ...], message: str, *, whole: bool = False
) -> str:
    """``path:line: field: message``. A message longer than _MESSAGE characters is cut (it can quote the value it
    found) unless ``whole``: a stack directory's problem names a path and ends with what to do."""
    if len(message) > _MESSAGE and not whole and not message.startswith(UNKNOWN_KEY):  # keys are listed whole
        message = message[: _MESSAGE - 3] + "..."
    line = line_of(lines, loc)
    where = f"{path}:{line}" if line else str(path)
    field = _field(loc) if loc else "(top level)"
    return f"{where}: {field}: {message}"


def find_config(explicit: str | Path | None, cwd: Path | None = None) -> Path:
    """The config path: the one given, else ./standby.toml."""
    if explicit is not None:
        return Path(explicit)
    return (cwd or Path.cwd()) / DEFAULT_CONFIG_NAME


_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def read_config_text(p: Path) -> str:
    """The text of a config file: a regular file of at most MAX_CONFIG_BYTES of UTF-8."""
    try:
        # O_NONBLOCK: opening a FIFO without a writer must not hang; the type is checked on the open file.
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError as err:
        raise ConfigError(
            [f"{p}: file not found"], hint="pass --config PATH or run from the directory holding standby.toml"
        ) from err
    except (OSError, ValueError) as err:  # ValueError: a NUL character in the path
        raise ConfigError([f"{p}: cannot read: {getattr(err, 'strerror', None) or err}"]) from err
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
        raise ConfigError([f"{p}: is {kind}; expected a regular file holding TOML"])
    with os.fdopen(fd, "rb") as handle:
        try:
            data = handle.read(MAX_CONFIG_BYTES + 1)
        except OSError as err:
            raise ConfigError([f"{p}: cannot read: {err.strerror or err}"]) from err
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError([f"{p}: larger than {MAX_CONFIG_BYTES // 1024} KiB; expected a standby.toml of a few KB"])
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise ConfigError([f"{p}:{line}: not UTF-8 text: byte {data[err.start]:#04x} cannot be decoded"]) from err


def load_config(path: str | Path, *, check_stacks: bool = True) -> LoadedConfig:
    """Read, validate and (unless ``check_stacks`` is False) check every stack's directory; ConfigError lists all."""
    p = Path(path)
    loaded, lines = _parse(read_config_text(p), p)
    if check_stacks:
        problems = stack_problems(loaded)
        if problems:
            raise ConfigError([_format(p, lines, loc, message, whole=True) for loc, message in problems])
    return loaded
