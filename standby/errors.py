"""The one root error type of standby, and its subclasses.

Each error carries the process exit code the CLI returns for it and a hint that tells the user what to do next.
Only the CLI's ``main()`` turns these into exit codes; library code raises them and never exits.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence


class ExitCode(enum.IntEnum):
    """Documented process exit codes (README: "Exit codes")."""

    OK = 0
    FAILED = 1  # a run finished but its objectives were not met, or an unexpected internal error
    USAGE = 2  # invalid configuration or command line
    DRIFT = 3  # a check found drift
    PREFLIGHT = 4  # a preflight check refused to start; nothing was changed
    STEP = 5  # a step failed mid-run; the run can be resumed
    TERRAFORM = 6  # terraform failed
    EMULATOR = 7  # the local emulator could not be started, found or used
    LOCKED = 8  # another run holds the lock
    PAUSED = 9  # a run paused before a step that needs approval; `--resume RUN_ID --approve` continues it
    ABORTED = 10  # the user declined a confirmation, or no terminal to ask on
    INTERRUPTED = 130


class StandbyError(Exception):
    """Root of every error standby raises on purpose."""

    exit_code: ExitCode = ExitCode.FAILED
    default_hint: str = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint if hint is not None else self.default_hint


class ConfigError(StandbyError):
    """The configuration file is missing, unreadable or invalid. Carries every problem found at once."""

    exit_code = ExitCode.USAGE
    default_hint = "fix the listed fields; `standby validate` checks a file without touching AWS"

    def __init__(self, problems: Sequence[str], *, hint: str | None = None) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        head = f"configuration has {count} problem{'s' if count != 1 else ''}"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in self.problems), hint=hint)


class UsageError(StandbyError):
    exit_code = ExitCode.USAGE


class PreflightFailed(StandbyError):
    exit_code = ExitCode.PREFLIGHT
    default_hint = "nothing was changed; fix the reasons above and run again"


class StepFailed(StandbyError):
    exit_code = ExitCode.STEP


class TerraformError(StandbyError):
    """A terraform command failed. Carries the command line (no variable values) and the tail of its stderr."""

    exit_code = ExitCode.TERRAFORM

    def __init__(self, command: Sequence[str], returncode: int, stderr: str, *, hint: str | None = None) -> None:
        self.command = list(command)
        self.returncode = returncode
        self.stderr_tail = tail(stderr, 40)
        verb = " ".join(self.command[1:2]) or "terraform"
        super().__init__(
            f"terraform {verb} failed (exit {returncode}): {' '.join(self.command)}\n{self.stderr_tail}",
            hint=hint or "read terraform's message above; the full output is in the debug log",
        )


class EmulatorError(StandbyError):
    exit_code = ExitCode.EMULATOR


class LockHeld(StandbyError):
    exit_code = ExitCode.LOCKED


class RunPaused(StandbyError):
    """A run is paused at an approval point (``[failover] approve_before``) and was not approved."""

    exit_code = ExitCode.PAUSED


class Aborted(StandbyError):
    exit_code = ExitCode.ABORTED


def tail(text: str, lines: int) -> str:
    parts = text.rstrip().splitlines()
    return "\n".join(parts[-lines:])
