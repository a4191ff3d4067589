"""Stopping a run from outside: SIGTERM and SIGHUP become ``Terminated`` while a guard is armed, are noted while it
is not, stay ignored when the process was started ignoring them; the CLI ends an interrupted command with 130; a
progress stream that can no longer be written does not stop the run."""

from __future__ import annotations

import errno
import io
import logging
import os
import signal

import pytest

from standby.cli.main import main
from standby.errors import ExitCode
from standby.interruption import StopSignals, Terminated, interruption
from standby.progress import Event, StreamReporter


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_an_armed_guard_turns_a_stop_signal_into_terminated_once(signum: signal.Signals) -> None:
    before = signal.getsignal(signum)
    guard = StopSignals()
    with guard.installed():
        guard.armed = True
        with pytest.raises(Terminated) as raised:
            os.kill(os.getpid(), signum)
        assert raised.value.signum == signum and raised.value.name == signum.name
        assert isinstance(raised.value, KeyboardInterrupt)  # Ctrl-C's way out: no `except Exception` takes it
        assert guard.armed is False
        os.kill(os.getpid(), signum)  # a second one while the run finishes is noted, not raised
        assert guard.pending == signum
    assert signal.getsignal(signum) is before


def test_a_signal_while_disarmed_is_raised_when_the_caller_is_done(caplog, monkeypatch) -> None:
    monkeypatch.setattr(logging.getLogger("standby"), "propagate", True)  # the CLI turns it off for its own run
    guard = StopSignals(after="the rollback finishes first")
    with guard.installed():
        os.kill(os.getpid(), signal.SIGHUP)
        assert guard.pending == signal.SIGHUP
        assert "SIGHUP received: the rollback finishes first" in caplog.text
    with pytest.raises(Terminated) as raised:
        guard.raise_pending()
    assert raised.value.name == "SIGHUP"
    StopSignals().raise_pending()  # nothing pending: nothing raised


def test_a_signal_the_process_ignores_stays_ignored() -> None:
    """As under `nohup`: whoever started the process asked for the run to outlive its terminal."""
    before = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        guard = StopSignals()
        with guard.installed():
            guard.armed = True
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) == guard._handle
            os.kill(os.getpid(), signal.SIGHUP)
            assert guard.armed is True and guard.pending is None
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, before)


def test_what_a_report_says_of_an_interruption() -> None:
    assert interruption(Terminated(signal.SIGTERM)) == "terminated (SIGTERM)"
    assert interruption(Terminated(signal.SIGHUP)) == "terminated (SIGHUP)"
    assert interruption(KeyboardInterrupt()) == "interrupted (Ctrl-C)"
    assert interruption(RuntimeError("x")) is None


@pytest.mark.parametrize(
    ("raised", "said"),
    [(KeyboardInterrupt(), "interrupted (Ctrl-C)"), (Terminated(signal.SIGTERM), "terminated (SIGTERM)")],
)
def test_a_command_interrupted_exits_130_not_as_declined(monkeypatch, capsys, raised, said) -> None:
    """click turns an interruption inside a command into Abort, as it does a declined confirmation (exit 10)."""

    def interrupted(*_: object, **__: object) -> None:
        raise raised

    monkeypatch.setattr("standby.cli.cmd_validate.find_config", interrupted)
    assert main(["validate", "standby.toml"]) == ExitCode.INTERRUPTED == 130
    assert said in capsys.readouterr().err


class BrokenTerminal(io.StringIO):
    def write(self, text: str) -> int:
        raise OSError(errno.EIO, "Input/output error")


def test_progress_to_a_terminal_that_closed_is_given_up_without_failing_the_step(caplog, monkeypatch) -> None:
    monkeypatch.setattr(logging.getLogger("standby"), "propagate", True)
    reporter = StreamReporter(BrokenTerminal())
    reporter(Event("us-west-2", "scale-out:web", "started"))  # a step thread's report: must not raise
    reporter(Event("us-west-2", "scale-out:web", "complete"))
    assert reporter.stream is None
    assert caplog.text.count("progress is no longer shown") == 1
    shown = io.StringIO()
    StreamReporter(shown)(Event("us-west-2", "verify", "complete", seconds=1.0))
    assert shown.getvalue() == "[us-west-2] verify … complete (1.0s)\n"
