"""The `standby` command: a click group, and ``main()`` — the only place exceptions become exit codes."""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import NoReturn

import click

from standby import __version__
from standby.cli.context import AppContext
from standby.cli.render import emit_error
from standby.emulator import standby_home
from standby.errors import ExitCode, StandbyError
from standby.interruption import StopSignals, interruption

log = logging.getLogger("standby")

KEEP_LOGS = 20  # debug logs kept in $STANDBY_HOME/logs, the newest first
PRIVATE_UMASK = 0o077  # what standby writes (and Terraform, run by it) is readable by its owner only


def _teardown_logging() -> None:
    root = logging.getLogger("standby")
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()


def _setup_logging(debug: bool) -> Path | None:
    """A debug log file always; stderr shows warnings (everything with --debug)."""
    root = logging.getLogger("standby")
    root.setLevel(logging.DEBUG)
    _teardown_logging()
    path: Path | None = None
    try:
        logs = standby_home() / "logs"
        logs.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = logs / f"standby-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        _prune_logs(logs, keep=KEEP_LOGS, current=path)
        file_handler = logging.FileHandler(path, encoding="utf-8")
        file_handler.setLevel(logging.DEBUG)
        file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"))
        root.addHandler(file_handler)
    except OSError:
        path = None
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setLevel(logging.DEBUG if debug else logging.WARNING)
    stderr.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root.addHandler(stderr)
    root.propagate = False
    return path


def _prune_logs(logs: Path, *, keep: int, current: Path) -> None:
    """Keep the newest ``keep`` debug logs (``current`` always among them); delete the older ones."""
    found = []
    for item in logs.glob("standby-*.log"):
        try:
            found.append((item.stat().st_mtime, item.name, item))
        except OSError:
            continue
    found.sort(reverse=True)
    older = [item for _, _, item in found if item != current][max(keep - 1, 0) :]
    for item in older:
        try:
            item.unlink()
        except OSError:
            continue


def _requested_output(args: list[str]) -> str:
    """The --output value in ``args`` (the last one wins, as click's), for errors raised before click parsed it."""
    found = "text"
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--output" and i + 1 < len(args):
            found = args[i + 1]
        elif arg.startswith("--output="):
            found = arg.split("=", 1)[1]
    return found if found in ("text", "json") else "text"


# Each command and the module that defines it: a command's module (and what it needs: the failover controller,
# the provisioner, ...) is imported only when that command runs, so `standby drift` does not pay for the others.
COMMANDS = {
    "validate": ("cmd_validate", "validate"),
    "failover": ("cmd_failover", "failover"),
    "failback": ("cmd_failover", "failback"),
    "status": ("cmd_failover", "status"),
    "iam-policy": ("cmd_failover", "iam_policy"),
    "drill": ("cmd_drill", "drill"),
    "emulator": ("cmd_emulator", "emulator"),
    "provision": ("cmd_provision", "provision"),
    "demo": ("cmd_demo", "demo"),
    "drift": ("cmd_drift", "drift"),
    "unlock": ("cmd_unlock", "unlock"),
    "plan": ("cmd_plan", "plan"),
    "lint": ("cmd_lint", "lint_command"),
    "init": ("cmd_init", "init"),
    "destroy": ("cmd_destroy", "destroy"),
    "inspect": ("cmd_inspect", "inspect"),
}


class CommandGroup(click.Group):
    """The `standby` group: the commands of ``COMMANDS`` are imported when first looked up (to run, or for
    --help); commands added with ``add_command`` work as in any group."""

    def list_commands(self, ctx: click.Context | None) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context | None, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, attribute = COMMANDS[cmd_name]
            command = getattr(importlib.import_module(f"standby.cli.{module}"), attribute)
            self.add_command(command, cmd_name)
        return self.commands.get(cmd_name)


@click.group(cls=CommandGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Path of standby.toml (default: ./standby.toml).",
)
@click.option("--output", type=click.Choice(["text", "json"]), default="text", help="Result format on stdout.")
@click.option("-v", "--debug", is_flag=True, help="Show debug logs and tracebacks on stderr.")
@click.option(
    "--profile",
    "profile",
    default=None,
    metavar="NAME",
    help="AWS profile of the base credentials: regions without credentials of their own use it, and roles in "
    "[regions.credentials] are assumed through it (default: the default credential chain; ignored with the "
    "emulator).",
)
@click.version_option(__version__, prog_name="standby")
@click.pass_obj
def cli(app: AppContext, config_path: str | None, output: str, debug: bool, profile: str | None) -> None:
    """Keep a warm standby region ready to take over from the primary: provision, fail over, drill, check drift.

    \b
    Exit codes: 0 ok; 1 objectives not met or internal error; 2 invalid config or usage;
    3 drift found; 4 preflight refused; 5 a step failed (resumable); 6 terraform failed;
    7 emulator problem; 8 another run holds the lock; 9 paused for approval (--resume RUN_ID --approve);
    10 not confirmed; 130 interrupted (Ctrl-C, SIGTERM or SIGHUP).
    """
    app.config_option = config_path
    app.output = output
    app.debug = debug
    app.profile = profile or None
    app.log_path = _setup_logging(debug)


def main(argv: list[str] | None = None) -> int:
    return int(_main(argv))


def _interrupted(err: KeyboardInterrupt) -> ExitCode:
    """Ctrl-C, or SIGTERM or SIGHUP turned into one (standby.interruption): say which, exit 130."""
    click.echo(interruption(err), err=True)
    return ExitCode.INTERRUPTED


def _main(argv: list[str] | None) -> ExitCode:
    # "" until the group's callback sets it from --output: errors raised before then scan argv for it.
    app = AppContext(config_option=None, output="", debug=False)
    command = "standby"
    args = sys.argv[1:] if argv is None else list(argv)
    previous_umask = os.umask(PRIVATE_UMASK)
    try:
        command = next((a for a in args if not a.startswith("-") and a in cli.list_commands(None)), "standby")
        stop = StopSignals(after="standby finishes what it started first (SIGKILL stops it at once)")
        with stop.installed():
            stop.armed = True  # SIGTERM and SIGHUP stop a command as Ctrl-C does
            result = cli.main(args=args, prog_name="standby", obj=app, standalone_mode=False)
        # Commands return an ExitCode; click itself returns 0 for --help and --version, None for a bare group.
        return ExitCode.OK if result is None else ExitCode(result)
    except click.exceptions.Abort as aborted:
        # click turns an interruption inside a command into Abort (from it), as it does a declined confirmation
        if isinstance(aborted.__cause__, KeyboardInterrupt):
            return _interrupted(aborted.__cause__)
        click.echo("aborted", err=True)
        return ExitCode.ABORTED
    except click.exceptions.Exit as done:
        return ExitCode(done.exit_code)
    except click.ClickException as err:
        err.show()
        emit_error(
            app.output or _requested_output(args),
            command,
            {"type": type(err).__name__, "message": err.format_message(), "hint": "", "exit_code": ExitCode.USAGE},
        )
        return ExitCode.USAGE
    except StandbyError as err:
        log.debug("failed: %s", err, exc_info=True)
        click.echo(f"error: {err.message}", err=True)
        if err.hint:
            click.echo(f"hint: {err.hint}", err=True)
        if app.log_path is not None:
            click.echo(f"debug log: {app.log_path}", err=True)
        if app.debug:
            traceback.print_exc()
        emit_error(
            app.output or _requested_output(args),
            command,
            {"type": type(err).__name__, "message": err.message, "hint": err.hint, "exit_code": err.exit_code},
        )
        return err.exit_code
    except KeyboardInterrupt as err:  # outside a command's own code (click's parsing, the group's callback)
        return _interrupted(err)
    except Exception as err:
        log.debug("internal error", exc_info=True)
        click.echo(f"internal error: {type(err).__name__}: {err}", err=True)
        if app.log_path is not None:
            click.echo(f"debug log: {app.log_path}", err=True)
        if app.debug:
            traceback.print_exc()
        hint = f"see the debug log {app.log_path}" if app.log_path is not None else "run again with --debug"
        emit_error(
            app.output or _requested_output(args),
            command,
            {
                "type": type(err).__name__,
                "message": f"internal error: {err}",
                "hint": hint,
                "exit_code": ExitCode.FAILED,
            },
        )
        return ExitCode.FAILED
    finally:
        _teardown_logging()
        os.umask(previous_umask)


def entry() -> None:
    exit_now(main())


def exit_now(code: int) -> NoReturn:
    """End the process with ``code`` once the command is done, without the interpreter's teardown.

    Freeing every object of the process one by one (botocore's service models alone are hundreds of thousands)
    takes about 0.15 s that nobody waits for. Skipping it is safe only once nothing else runs: the standard
    streams and the log handlers are flushed first, and while a thread that is not a daemon is still alive the
    process ends as usual, after that thread (a daemon thread, such as a call to a region that hangs, is abandoned
    either way)."""
    others = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon and t.is_alive()]
    if others:
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: what it did not take is lost either way
            pass
    logging.shutdown()
    os._exit(code)
