"""Load standby.toml and report every problem at once as ``file:line: field.path: message``."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from standby.config.schema import Capacity, Config, LoadedConfig, Stack
from standby.errors import ConfigError

DEFAULT_CONFIG_NAME = "standby.toml"

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")
_KEY_PART = re.compile(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""")


def _split_key(key: str) -> tuple[str, ...]:
    return tuple(part.strip("\"'") for part in _KEY_PART.findall(key))


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Map each table and key path of a TOML document to the (1-based) line that defines it.

    A line-oriented reading, good enough to point at a field: inline tables and multi-line values resolve to the
    line of their key, which is where a user looks anyway.
    """
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    array_counts: dict[tuple[str, ...], int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            path = _split_key(header.group(2))
            if header.group(1) == "[[":
                index = array_counts.get(path, 0)
                array_counts[path] = index + 1
                lines.setdefault(path, number)
                path = (*path, str(index))
            table = path
            lines.setdefault(path, number)
            continue
        key = _KEY.match(line)
        if key:
            lines.setdefault((*table, *_split_key(key.group(1))), number)
    return lines


def line_of(lines: dict[tuple[str, ...], int], path: tuple[str, ...]) -> int | None:
    """The line of ``path``, or of its nearest ancestor that the document names."""
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


def _describe(error: dict[str, Any], allowed: list[str] | None) -> str:
    kind = error["type"]
    message = str(error["msg"])
    if message.startswith("Value error, "):
        return message.removeprefix("Value error, ")
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return f"unknown key; expected one of: {', '.join(allowed)}" if allowed else "unknown key"
    message = message[0].lower() + message[1:]
    found = error.get("input")
    if isinstance(found, (dict, list)):
        return message
    return f"{message}, found {found!r}"


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


_MAP_VALUES: dict[str, type[BaseModel]] = {"stacks": Stack, "capacity": Capacity}


def parse_config(text: str, path: Path) -> LoadedConfig:
    """Validate the text of a config file; raise ConfigError listing every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(err))
        where = f"{path}:{match.group(1)}" if match else str(path)
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(err))
        raise ConfigError([f"{where}: TOML syntax error: {reason}"]) from err

    lines = key_lines(text)
    try:
        config = Config.model_validate(data)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            loc = tuple(str(p) for p in e["loc"])
            allowed = _allowed_keys(loc[:-1]) if e["type"] == "extra_forbidden" else None
            problems.append(_format(path, lines, loc, _describe(e, allowed)))
        raise ConfigError(problems) from err

    cross = config.cross_reference_problems()
    if cross:
        raise ConfigError([_format(path, lines, loc, message) for loc, message in cross])
    return LoadedConfig(config=config, path=path.resolve())


def _format(path: Path, lines: dict[tuple[str, ...], int], loc: tuple[str, ...], message: str) -> str:
    line = line_of(lines, loc)
    where = f"{path}:{line}" if line else str(path)
    field = ".".join(loc) if loc else "(top level)"
    return f"{where}: {field}: {message}"


def find_config(explicit: str | Path | None, cwd: Path | None = None) -> Path:
    """The config path: the one given, else ./standby.toml."""
    if explicit is not None:
        return Path(explicit)
    return (cwd or Path.cwd()) / DEFAULT_CONFIG_NAME


def load_config(path: str | Path) -> LoadedConfig:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise ConfigError(
            [f"{p}: file not found"], hint="pass --config PATH or run from the directory holding standby.toml"
        ) from err
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError([f"{p}: cannot read: {err}"]) from err
    return parse_config(text, p)
