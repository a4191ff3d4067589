"""Where reports go: JSON, HTML and Markdown files in a local directory, JSON and HTML in a control store, and
the stored reports read back for the history."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from standby.report.html import render_html
from standby.report.markdown import render_markdown
from standby.state import AWS_ERRORS
from standby.state.store import ControlStore

log = logging.getLogger(__name__)

DRILL_REPORTS = "drills/"  # the drills' reports in a control store
RUN_REPORTS = "reports/"  # the failovers' and failbacks' reports
PREFIXES = (DRILL_REPORTS, RUN_REPORTS)


@dataclass(frozen=True)
class Written:
    """Where a report went: its local files, and the control store's region when it was stored there."""

    files: dict[str, Path]
    stored_in: str | None


def write_files(doc: dict[str, Any], report_dir: Path) -> dict[str, Path]:
    """``<run_id>.json``, ``.html`` and ``.md`` in ``report_dir`` (created when missing)."""
    report_dir.mkdir(parents=True, exist_ok=True)
    base = report_dir / doc["run_id"]
    files = {
        "json": base.with_suffix(".json"),
        "html": base.with_suffix(".html"),
        "markdown": base.with_suffix(".md"),
    }
    files["json"].write_text(json.dumps(doc, indent=2, sort_keys=True))
    files["html"].write_text(render_html(doc))
    files["markdown"].write_text(render_markdown(doc))
    return files


def store_report(store: ControlStore, prefix: str, doc: dict[str, Any], html: str) -> bool:
    """``<prefix><run_id>.json`` and ``.html`` in ``store``; best effort: False (and a warning) when it failed."""
    try:
        store.put(f"{prefix}{doc['run_id']}.json", doc)
        store.put_text(f"{prefix}{doc['run_id']}.html", html, "text/html")
    except AWS_ERRORS as err:
        log.warning("the report of %s was not stored in %s: %s", doc["run_id"], store.region, err)
        return False
    return True


def save(doc: dict[str, Any], report_dir: Path, store: ControlStore, prefix: str) -> Written:
    files = write_files(doc, report_dir)
    stored = store_report(store, prefix, doc, files["html"].read_text())
    return Written(files, store.region if stored else None)


def stored_reports(stores: Iterable[ControlStore], prefixes: tuple[str, ...] = PREFIXES) -> list[dict[str, Any]]:
    """Every report stored under ``prefixes`` in ``stores``; a store that does not answer is skipped, logged."""
    found: list[dict[str, Any]] = []
    for store in stores:
        for prefix in prefixes:
            try:
                for key in store.keys(prefix):
                    if key.endswith(".json"):
                        doc = store.get(key)
                        if doc:
                            found.append(doc)
            except (*AWS_ERRORS, ValueError) as err:
                log.warning("reports under %s in %s unreadable: %s", prefix, store.region, err)
    return found
