"""Checks of each stack's directory: it exists, holds Terraform files, and its root module declares a backend.

Without a ``backend`` block Terraform ignores the ``-backend-config=path=...`` standby passes per region, and both
regions' plans share ``terraform.tfstate`` in the stack's directory. The backend is found by a small scan of the
root ``*.tf`` files that skips comments, strings (with their ``${...}`` interpolations) and heredocs, and looks
for a ``backend "NAME" {`` block directly inside a top-level ``terraform {`` block; ``*.tf.json`` files are read
as JSON.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

MAX_TF_BYTES = 4 << 20

_SPACE = re.compile(r"[ \t\r]*")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_HEREDOC = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_-]*)[ \t\r]*\n")
_STRING_BODY = re.compile(r"(?:[^\"\\$%\n]|\\[^\n]|\$\$\{|%%\{|[$%](?!\{))*")


def _declares_backend_hcl(text: str) -> bool:
    """Whether HCL ``text`` has ``terraform { backend "NAME" { ... } }`` at its top level."""
    if "backend" not in text:  # most files of a stack: no need to scan them
        return False
    i, n = 0, len(text)
    blocks: list[str] = []  # open braces: a block's name, or "" for an expression's object or interpolation
    head: list[str] = []  # the tokens of the current statement so far: identifiers, and '"' for a string label
    # Inside a quoted string, each "${" opens an interpolation whose "}" returns to the string: the depth of
    # ``blocks`` at which each open interpolation began.
    interpolations: list[int] = []
    in_string = False
    while i < n:
        if in_string:
            match = _STRING_BODY.match(text, i)
            i = match.end() if match else i
            if i >= n or text[i] == "\n" or text[i] == "\\":  # unterminated: a syntax error for Terraform
                in_string = False
                interpolations.clear()
                continue
            if text[i] == '"':
                in_string = False
                i += 1
                if not interpolations:
                    head.append('"')
                continue
            interpolations.append(len(blocks))  # "${" or "%{"
            blocks.append("")
            i += 2
            in_string = False
            continue
        char = text[i]
        if char in " \t\r":
            i = _SPACE.match(text, i).end()  # type: ignore[union-attr]
        elif char == "\n":
            head.clear()
            i += 1
        elif char == "#" or text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif text.startswith("<<", i) and (heredoc := _HEREDOC.match(text, i)):
            marker = re.compile(rf"^[ \t]*{re.escape(heredoc.group(1))}[ \t\r]*$", re.M)
            end = marker.search(text, heredoc.end())
            i = n if end is None else end.end()
            head.append("<<")
        elif char == '"':
            in_string = True
            i += 1
        elif char == "{":
            named = len(head) >= 1 and head[0] not in ('"', "<<", "=") and "=" not in head and not interpolations
            name = head[0] if named else ""
            if blocks == ["terraform"] and name == "backend" and head[1:] == ['"']:
                return True
            if not blocks and name == "terraform" and len(head) != 1:
                name = ""
            blocks.append(name)
            head.clear()
            i += 1
        elif char == "}":
            if blocks:
                blocks.pop()
            if interpolations and interpolations[-1] == len(blocks):
                interpolations.pop()
                in_string = True
            head.clear()
            i += 1
        elif ident := _IDENT.match(text, i):
            head.append(ident.group())
            i = ident.end()
        else:
            head.append("=" if char == "=" else char)
            i += 1
    return False


def _declares_backend_json(text: str) -> bool:
    try:
        document = json.loads(text)
    except ValueError:
        return False
    blocks: Any = document.get("terraform") if isinstance(document, dict) else None
    for block in blocks if isinstance(blocks, list) else [blocks]:
        if isinstance(block, dict) and block.get("backend"):
            return True
    return False


def stack_directory_problem(directory: Path) -> str | None:
    """What is wrong with a stack's directory for standby, or None."""
    try:
        if not directory.exists():
            return f"the stack directory {directory} does not exist"
        if not directory.is_dir():
            return f"{directory} is not a directory; expected the stack's root module directory"
        files = sorted(p for p in directory.iterdir() if p.name.endswith((".tf", ".tf.json")) and p.is_file())
    except OSError as err:
        return f"cannot read the stack directory {directory}: {err.strerror or err}"
    if not files:
        return f"{directory} holds no Terraform files (*.tf); expected the stack's root module"
    for file in files:
        try:
            with file.open("rb") as handle:
                text = handle.read(MAX_TF_BYTES).decode("utf-8", errors="replace")
        except OSError as err:
            return f"cannot read {file}: {err.strerror or err}"
        found = _declares_backend_json(text) if file.name.endswith(".json") else _declares_backend_hcl(text)
        if found:
            return None
    return (
        f"the root module in {directory} declares no backend, so both regions would share its terraform.tfstate; add "
        'an empty `backend "local" {}` block inside its `terraform { }` block (standby supplies the state path per '
        "region)"
    )
