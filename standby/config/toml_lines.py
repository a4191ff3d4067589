"""One linear pass over a TOML document: the line of every table, key and array element, and how deep it nests.

The loader reads the document with ``tomllib``; this scan only finds where things are, to point a message at a
line, and refuses nesting deeper than ``MAX_DEPTH`` before ``tomllib`` (which recurses once per level) sees it.
It never raises: on text that is not TOML it gives whatever it found so far. Every step consumes at least one
character or ends the scan, and every pattern used matches in time linear in what it consumes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_DEPTH = 32
"""The longest path of keys and array indexes a config may have (standby's own schema nests at most 5 deep)."""

_SPACE = re.compile(r"[ \t\r]*")
_TRIVIA = re.compile(r"(?:[ \t\r\n]+|#[^\n]*)*")  # blank space, newlines and comments
_REST_OF_LINE = re.compile(r"[^\n]*")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_BASIC = re.compile(r'(?:[^"\\\n]|\\[^\n])*')  # the body of a "basic string"
_LITERAL = re.compile(r"[^'\n]*")
_ML_BASIC = re.compile(r'(?:[^"\\]|\\[\s\S]|"{1,2}(?!"))*')  # the body of a """multi-line string"""
_SCALAR = re.compile(r"[^\s,\]\}#\[\{\"']+")


@dataclass
class _Frame:
    """An array or inline table being read; its elements' paths start with ``path``."""

    kind: str  # "array" | "table"
    path: tuple[str, ...]
    index: int = 0


@dataclass
class Scan:
    lines: dict[tuple[str, ...], int] = field(default_factory=dict)
    too_deep: tuple[int, tuple[str, ...]] | None = None  # (line, path) of the first path longer than MAX_DEPTH


class _Scanner:
    def __init__(self, text: str, max_depth: int) -> None:
        self.text = text
        self.i = 0
        self.line = 1
        self.max_depth = max_depth
        self.result = Scan()
        self.stack: list[_Frame] = []
        self.table: tuple[str, ...] = ()
        self._array_counts: dict[tuple[str, ...], int] = {}

    # -- moving forward ---------------------------------------------------------------------------------------

    def _to(self, end: int) -> None:
        self.line += self.text.count("\n", self.i, end)
        self.i = end

    def _skip(self, pattern: re.Pattern[str]) -> None:
        match = pattern.match(self.text, self.i)
        if match:
            self._to(match.end())

    def _peek(self, n: int = 1) -> str:
        return self.text[self.i : self.i + n]

    # -- what was found -----------------------------------------------------------------------------------------

    def _record(self, path: tuple[str, ...], line: int) -> bool:
        """Note where ``path`` is; False (and the scan ends) when it is nested too deeply."""
        if len(path) > self.max_depth:
            self.result.too_deep = (line, path[: self.max_depth + 1])
            return False
        self.result.lines.setdefault(path, line)
        return True

    # -- pieces -------------------------------------------------------------------------------------------------

    def _string(self) -> str:
        """Consume a string of any of the four kinds at ``self.i``; its raw text (escapes are not decoded)."""
        text = self.text
        for quote, body in (('"""', _ML_BASIC), ("'''", None)):
            if text.startswith(quote, self.i):
                start = self.i + 3
                if body is not None:
                    match = body.match(text, start)
                    end = match.end() if match else start
                else:
                    found = text.find(quote, start)
                    end = found if found >= 0 else len(text)
                close = end
                while close < len(text) and close - end < 5 and text[close] == quote[0]:
                    close += 1  # up to two quotes before the closing three belong to the string
                content_end = max(end, close - 3)
                self._to(close)
                return text[start:content_end]
        quote = text[self.i]
        match = (_BASIC if quote == '"' else _LITERAL).match(text, self.i + 1)
        end = match.end() if match else self.i + 1
        value = text[self.i + 1 : end]
        self._to(end + 1 if end < len(text) and text[end] == quote else end)
        return value

    def _key(self) -> tuple[str, ...] | None:
        """A dotted key at ``self.i``: its parts, None when there is no key here."""
        parts: list[str] = []
        while True:
            self._skip(_SPACE)
            char = self._peek()
            if char in ('"', "'"):
                parts.append(self._string())
            else:
                match = _BARE_KEY.match(self.text, self.i)
                if not match:
                    return tuple(parts) or None
                parts.append(match.group())
                self._to(match.end())
            if len(parts) > self.max_depth:
                return tuple(parts)
            self._skip(_SPACE)
            if self._peek() != ".":
                return tuple(parts)
            self._to(self.i + 1)

    def _value(self, path: tuple[str, ...]) -> bool:
        """Start reading the value of ``path`` at ``self.i``; False when the scan must end."""
        char = self._peek()
        if char in ("[", "{"):
            self.stack.append(_Frame("array" if char == "[" else "table", path))
            self._to(self.i + 1)
        elif char in ('"', "'"):
            self._string()
        else:
            match = _SCALAR.match(self.text, self.i)
            self._to(match.end() if match else self.i + 1)
        return True

    def _header(self) -> bool:
        text = self.text
        array = text.startswith("[[", self.i)
        self._to(self.i + (2 if array else 1))
        parts = self._key() or ()
        line = self.line
        # A header names a path from the root; each array of tables on the way means its latest element.
        path: list[str] = []
        counts = self._array_counts
        for number, part in enumerate(parts, start=1):
            path.append(part)
            key = tuple(path)
            if not self._record(key, line):
                return False
            if key in counts and (number < len(parts) or not array):
                path.append(str(counts[key] - 1))
        key = tuple(path)
        if array:
            counts[key] = counts.get(key, 0) + 1
            key = (*key, str(counts[key] - 1))
            if not self._record(key, line):
                return False
        self.table = key
        self._skip(_REST_OF_LINE)
        return True

    def _key_value(self, prefix: tuple[str, ...]) -> bool:
        line = self.line
        parts = self._key()
        if parts is None:
            return True
        for end in range(1, len(parts) + 1):
            if not self._record((*prefix, *parts[:end]), line):
                return False
        self._skip(_SPACE)
        if self._peek() != "=":
            return True
        self._to(self.i + 1)
        self._skip(_SPACE)
        return self._value((*prefix, *parts))

    # -- the document -------------------------------------------------------------------------------------------

    def run(self) -> Scan:
        text = self.text
        while True:
            self._skip(_TRIVIA)
            if self.i >= len(text):
                return self.result
            start = self.i
            if not self.stack:
                if text[self.i] == "[":
                    going = self._header()
                else:
                    going = self._key_value(self.table)
                    if not self.stack:
                        self._skip(_REST_OF_LINE)
            else:
                going = self._in_container(self.stack[-1])
            if not going:
                return self.result
            if self.i == start:
                self._to(self.i + 1)  # not TOML here: step over one character

    def _in_container(self, frame: _Frame) -> bool:
        char = self.text[self.i]
        if char == ("]" if frame.kind == "array" else "}"):
            self.stack.pop()
            self._to(self.i + 1)
            if not self.stack:
                self._skip(_REST_OF_LINE)
            return True
        if char == ",":
            frame.index += frame.kind == "array"
            self._to(self.i + 1)
            return True
        if frame.kind == "table":
            return self._key_value(frame.path)
        element = (*frame.path, str(frame.index))
        return self._record(element, self.line) and self._value(element)


def scan(text: str, max_depth: int = MAX_DEPTH) -> Scan:
    """The lines of ``text``'s tables, keys and array elements, and the first place nested deeper than allowed."""
    return _Scanner(text, max_depth).run()
