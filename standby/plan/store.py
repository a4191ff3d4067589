"""Writing the plan: local files, and versioned copies in both regions' control stores (best effort per region)."""

from __future__ import annotations

import difflib
import logging
from dataclasses import dataclass, field
from pathlib import Path

from standby.plan.document import PlanDoc
from standby.plan.render import render_html, render_markdown, stable_lines
from standby.state import AWS_ERRORS, RegionStates

log = logging.getLogger(__name__)

PLANS_PREFIX = "plans/"
BASENAME = "dr-plan"
FORMATS = {"md": ("text/markdown", render_markdown), "html": ("text/html", render_html)}


@dataclass(frozen=True)
class Written:
    files: dict[str, Path]
    stored_in: tuple[str, ...]
    missed: dict[str, str] = field(default_factory=dict)  # region -> why not stored there


def formats_of(choice: str) -> tuple[str, ...]:
    return ("md", "html") if choice == "both" else (choice,)


def render(doc: PlanDoc, fmt: str) -> str:
    return FORMATS[fmt][1](doc)


def write(doc: PlanDoc, out_dir: Path, formats: tuple[str, ...], states: RegionStates | None) -> Written:
    out_dir.mkdir(parents=True, exist_ok=True)
    texts = {fmt: render(doc, fmt) for fmt in formats}
    files = {}
    for fmt, text in texts.items():
        path = out_dir / f"{BASENAME}.{fmt}"
        path.write_text(text, encoding="utf-8")
        files[fmt] = path
    stored: list[str] = []
    missed: dict[str, str] = {}
    for region in states or ():
        assert states is not None
        try:
            for fmt, text in texts.items():
                states[region].store.put_text(f"{PLANS_PREFIX}{doc.version}.{fmt}", text, FORMATS[fmt][0])
            stored.append(region)
        except AWS_ERRORS as err:
            missed[region] = str(err).splitlines()[0][:160]
            log.warning("the plan was not stored in %s: %s", region, missed[region])
    return Written(files, tuple(stored), missed)


def fmt_of(path: Path) -> str:
    return "html" if path.suffix.lower() in (".html", ".htm") else "md"


def differences(committed: str, fresh: str, name: str = "committed") -> list[str]:
    """The unified diff of the stable lines; empty when the copies agree but for their volatile lines."""
    return list(difflib.unified_diff(stable_lines(committed), stable_lines(fresh), name, "fresh", lineterm="", n=1))
