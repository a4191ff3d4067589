"""Terraform's machine-readable UI as progress, fed with real lines.

The files in ``terraform_ui/`` are Terraform 1.11's ``-json`` output for the runner's one-parameter stack
(``tests/e2e/stacks/ssm``) and its invalid one (``broken``) against the emulator: plan, apply, plan -destroy,
apply of that plan, an invalid configuration, a plan with an undeclared variable's warning, and an apply whose
region hung (emulator outage) until standby's apply timeout interrupted it.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from standby.terraform.display import AboveStream, StreamDisplay
from standby.terraform.progress import TEXT, Tracker, format_elapsed, parse_line

UI = Path(__file__).resolve().parent / "terraform_ui"
ADDR = "aws_ssm_parameter.this"


def events(name: str):
    return [e for e in (parse_line(line) for line in (UI / f"{name}.jsonl").read_text().splitlines()) if e]


def fed(name: str, *, live: bool = False, step: float = 1.0) -> tuple[Tracker, list[str]]:
    """Every event of a file fed to a tracker, ``step`` seconds apart; the lines it printed."""
    tracker = Tracker("ssm/us-east-1", live=live)
    lines: list[str] = []
    for i, event in enumerate(events(name)):
        lines.extend(tracker.feed(event, now=i * step))
    return tracker, lines


def test_every_line_of_a_real_apply_parses_to_its_message_type() -> None:
    kinds = [e.kind for e in events("apply")]
    assert kinds == ["version", "planned_change", "apply_start", "apply_complete", "change_summary", "outputs"]
    complete = events("apply")[3]
    assert (complete.address, complete.action, complete.elapsed, complete.id_value) == (
        ADDR,
        "create",
        1.0,
        "/runner-test/us-east-1",
    )


def test_an_apply_shows_each_resource_start_and_completion() -> None:
    tracker, lines = fed("apply")
    assert lines == [
        f"[ssm/us-east-1] {ADDR}: creating…",
        f"[ssm/us-east-1] {ADDR}: created (1s) [id=/runner-test/us-east-1]",
        "[ssm/us-east-1] Apply complete! Resources: 1 added, 0 changed, 0 destroyed.",
    ]
    assert tracker.in_flight == {} and tracker.errors == []
    assert tracker.summary == {"add": 1, "change": 0, "import": 0, "remove": 0, "operation": "apply"}


def test_a_destroy_plan_and_its_apply() -> None:
    tracker, lines = fed("plan-destroy")
    assert lines == ["[ssm/us-east-1] Plan: 0 to add, 0 to change, 1 to destroy."]
    assert tracker.in_flight == {}  # the refresh started and completed
    _, applied = fed("apply-destroy")
    assert applied == [
        f"[ssm/us-east-1] {ADDR}: destroying…",
        f"[ssm/us-east-1] {ADDR}: destroyed (0s)",
        "[ssm/us-east-1] Apply complete! Resources: 0 added, 0 changed, 1 destroyed.",
    ]


def test_a_hung_resource_shows_still_creating_then_fails_when_interrupted() -> None:
    tracker, lines = fed("apply-hang", step=10.0)
    assert lines[:4] == [
        f"[ssm/us-east-1] {ADDR}: creating…",
        f"[ssm/us-east-1] {ADDR}: still creating… 10s",
        f"[ssm/us-east-1] {ADDR}: still creating… 20s",
        f"[ssm/us-east-1] {ADDR}: still creating… 30s",
    ]
    assert f"[ssm/us-east-1] {ADDR}: create failed after 31s" in lines
    assert tracker.failed == [f"{ADDR} (creating, 31s)"]
    assert [d.summary for d in tracker.errors][1:] == ["execution halted", "execution halted"]
    assert "PutParameter" in tracker.errors[0].summary


def test_a_resource_in_flight_is_shown_live_with_its_elapsed_time() -> None:
    tracker = Tracker("ssm/us-east-1", live=True)
    start = next(e for e in events("apply-hang") if e.kind == "apply_start")
    progress = next(e for e in events("apply-hang") if e.kind == "apply_progress")
    assert tracker.feed(start, now=100.0) == []  # live: shown in the status block, not as a line
    assert tracker.status(now=170.0) == [f"[ssm/us-east-1] {ADDR}: creating… 1m10s"]
    assert tracker.feed(progress, now=110.0) == []
    assert tracker.still_in_flight(now=125.0) == [f"{ADDR} (creating, 25s)"]


def test_errors_are_kept_exactly_with_file_line_and_code() -> None:
    tracker, lines = fed("broken-plan")
    assert lines == []  # errors are shown once, in the runner's error
    assert tracker.error_text() == (
        "Error: Missing required argument\n"
        "\n"
        '  on main.tf line 6, in resource "aws_ssm_parameter" "this":\n'
        '   6: resource "aws_ssm_parameter" "this" {\n'
        "\n"
        'The argument "type" is required, but no definition was found.\n'
        "\n"
        "Error: Unsupported argument\n"
        "\n"
        '  on main.tf line 8, in resource "aws_ssm_parameter" "this":\n'
        "   8:   not_a_real_arg = true\n"
        "\n"
        'An argument named "not_a_real_arg" is not expected here.'
    )


def test_a_warning_is_one_line_and_not_an_error() -> None:
    tracker, lines = fed("plan-warning")
    assert "[ssm/us-east-1] warning: Value for undeclared variable" in lines
    assert tracker.errors == []


def test_lines_that_are_not_ui_messages_are_kept_for_the_error() -> None:
    tracker = Tracker("x")
    event = parse_line("Error: something printed as text")
    assert event is not None and event.kind == TEXT
    assert tracker.feed(event, now=0.0) == []
    assert tracker.error_text() == "Error: something printed as text"
    assert parse_line("   ") is None
    assert parse_line('["a list"]').kind == TEXT  # type: ignore[union-attr]


@pytest.mark.parametrize(("seconds", "text"), [(0, "0s"), (59.9, "59s"), (70, "1m10s"), (3723, "1h2m3s")])
def test_elapsed_reads_as_terraform_counts(seconds: float, text: str) -> None:
    assert format_elapsed(seconds) == text


# -- the display ---------------------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_plain_display_prints_one_line_per_event() -> None:
    out = io.StringIO()
    display = StreamDisplay(out, live=False)
    tracker = display.open("ssm/us-east-1")
    for event in events("apply"):
        display.feed(tracker, event)
    display.close(tracker)
    assert out.getvalue().splitlines() == [
        f"[ssm/us-east-1] {ADDR}: creating…",
        f"[ssm/us-east-1] {ADDR}: created (1s) [id=/runner-test/us-east-1]",
        "[ssm/us-east-1] Apply complete! Resources: 1 added, 0 changed, 0 destroyed.",
    ]
    assert "\x1b" not in out.getvalue()


def test_a_live_display_redraws_one_status_line_per_resource_in_flight() -> None:
    out = io.StringIO()
    clock = Clock()
    display = StreamDisplay(out, live=True, clock=clock)
    east, west = display.open("ssm/us-east-1"), display.open("ssm/us-west-2")
    start = next(e for e in events("apply") if e.kind == "apply_start")
    display.feed(east, start)
    clock.now = 5.0
    display.feed(west, start)
    clock.now = 70.0
    AboveStream(display).write("[us-east-1] apply … started\n")
    screen = out.getvalue()
    # the step line lands above the block; then both resources, each with its own elapsed time
    assert screen.endswith(
        "[us-east-1] apply … started\n"
        f"\x1b[2K  [ssm/us-east-1] {ADDR}: creating… 1m10s\n"
        f"\x1b[2K  [ssm/us-west-2] {ADDR}: creating… 1m5s\n"
    )
    before = len(out.getvalue())
    display.feed(east, next(e for e in events("apply") if e.kind == "apply_complete"))
    redraw = out.getvalue()[before:]
    assert redraw.startswith("\x1b[1A\x1b[2K" * 2 + "\r")  # the old block is erased first
    assert (
        f"[ssm/us-east-1] {ADDR}: created (1s)" in redraw
        and "ssm/us-east-1] aws_ssm_parameter.this: creating" not in redraw
    )
    display.close(east)
    display.close(west)
