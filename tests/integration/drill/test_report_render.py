"""The HTML report as a browser renders it: every phase drawn, with the JSON's numbers."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from standby.config import load_config
from standby.drill.report import build_report
from standby.report import browser
from standby.report.html import render_html
from standby.state.journal import Journal, StepRecord

REPO = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.skipif(browser.chromium() is None, reason="chromium is not installed (.ci/run installs it)")


def journal() -> Journal:
    j = Journal("r1", "drill", "us-west-2", "us-east-1", started_at=1000.0, status="complete")
    spans = {
        "preflight": ("preflight", 0, 2),
        "promote-db:webapp-db-drill": ("promote-db", 2, 95),
        "scale-out:web": ("scale-out", 2, 4),
        "wait-healthy:web": ("wait-healthy", 4, 70),
        "shift-traffic": ("shift-traffic", 95, 130),
        "verify": ("verify", 130, 133),
    }
    for key, (slug, start, end) in spans.items():
        j.steps[key] = StepRecord(key, slug, "us-west-2", "complete", 1000.0 + start, 1000.0 + end)
    j.steps["promote-db:webapp-db-drill"].before = {"replica_lag_seconds": 1.5}
    return j


class Rects(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.phases: dict[str, float] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "rect" and "data-phase" in a:
            self.phases[a["data-phase"]] = float(a["data-seconds"])


def test_chart_shows_every_phase_with_the_json_numbers(tmp_path: Path) -> None:
    config = load_config(REPO / "examples" / "webapp" / "standby.toml").config
    report = build_report(
        config,
        mode="isolated",
        run_id="r1",
        measured=journal(),
        restores=[],
        before={"a": "1"},
        after={"a": "1"},
        left_behind=[],
        error=None,
        finished_at=1200.0,
    ).to_dict()
    assert report["status"] == "passed"
    page = tmp_path / "report.html"
    page.write_text(render_html(report))
    rects = Rects()
    rects.feed(browser.rendered_dom(page))
    assert rects.phases == {p["name"]: p["seconds"] for p in report["phases"]}
    assert list(rects.phases) == ["preflight", "promote", "scale", "healthy", "traffic", "verify"]
    png = browser.screenshot(page, tmp_path / "report.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 10_000
