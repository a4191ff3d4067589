"""The one Terraform runner: build an argv, run it, read JSON.

argv lists are built by python-terraform's ``generate_cmd_string`` (the project's chosen wrapper), called without
ever constructing its ``Terraform`` object, whose constructor parses the stack's ``terraform.tfstate`` (see
``standby.terraform.argv``). They are run here with ``subprocess`` so that each call gets its own environment
(TF_DATA_DIR per stack and region, the CLI config for the provider mirror, the AWS endpoint, the region's
credentials). None of
python-terraform's own run loop is used: it reads the whole parent environment, logs output and variable files at
DEBUG, and passes flags that Terraform 1.x rejects (``destroy -force``). Variables are written to a
``*.auto.tfvars.json`` file in the workspace's data directory and passed with ``-var-file``: their values never
appear in an argv or a log line.

``plan``, ``apply`` and ``destroy`` run with ``-json``: their machine-readable UI is read line by line as it arrives
and shown as per-resource progress (``standby.terraform.progress`` parses it, ``standby.terraform.display`` shows
it); their error diagnostics are the error's text. An apply (or destroy) that runs longer than
``apply_timeout_seconds`` is interrupted (SIGINT, so Terraform can stop its calls and release the state lock),
killed after a grace period, and reported with the resources it still had in flight.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from standby.errors import ExitCode, StandbyError, TerraformError
from standby.terraform import init_stamp
from standby.terraform.argv import ArgvError, IsFlagged, build_argv
from standby.terraform.cli_config import write_cli_config
from standby.terraform.display import StreamDisplay
from standby.terraform.plan import Plan
from standby.terraform.plan_file import read_refresh_only_plan
from standby.terraform.process import (
    INTERRUPT_GRACE_SECONDS,
    Completed,
    Execute,
    Stream,
    replayed,
    run_process,
    stream_process,
)
from standby.terraform.progress import Tracker, format_elapsed, parse_line

log = logging.getLogger(__name__)

PLUGIN_DIR_ENV = "STANDBY_TF_PLUGIN_DIR"

# Environment overrides: a None value removes a variable the process would otherwise inherit.
EnvOverrides = Mapping[str, str | None]


@dataclass(frozen=True)
class Workspace:
    """One stack applied in one place: its code, its private data dir, its backend settings."""

    name: str  # e.g. "region/us-east-1": used in logs, progress lines and file names
    stack_dir: Path
    data_dir: Path
    backend_config: Mapping[str, str] = field(default_factory=dict)
    region: str | None = None  # the region whose credentials the run uses; None: the global stack

    @property
    def var_file(self) -> Path:
        return self.data_dir / "standby.auto.tfvars.json"

    @property
    def plan_file(self) -> Path:
        return self.data_dir / "standby.tfplan"


class ApplyTimedOut(StandbyError):
    """An apply or destroy ran past ``[terraform] apply_timeout_seconds`` and was stopped."""

    exit_code = ExitCode.TERRAFORM


class TerraformRunner:
    """Runs init, plan, show, apply, output, state pull and destroy for workspaces; thread-safe across workspaces."""

    def __init__(
        self,
        binary: str = "terraform",
        *,
        plugin_dir: Path | None = None,
        extra_env: EnvOverrides | None = None,
        credentials_env: Callable[[str | None], EnvOverrides] | None = None,
        cli_config_dir: Path | None = None,
        execute: Execute = run_process,
        stream: Stream | None = None,
        display: StreamDisplay | None = None,
        apply_timeout_seconds: float | None = None,
        interrupt_grace_seconds: float = INTERRUPT_GRACE_SECONDS,
    ) -> None:
        """``execute`` runs the commands read whole (init, show, output, state pull); ``stream`` those whose
        ``-json`` UI is read as it arrives (plan, apply, destroy) — by default the real process, or ``execute``
        replayed when a stand-in ``execute`` is given. ``display`` shows the progress (default: stderr).
        ``extra_env`` applies to every run (the AWS endpoint); ``credentials_env`` gives, for a workspace's region,
        the credential variables of that run (asked at every run, so temporary keys are always current)."""
        self.binary = binary
        self.plugin_dir = plugin_dir
        self.extra_env = dict(extra_env or {})
        self.credentials_env = credentials_env
        self.cli_config_dir = cli_config_dir
        self.apply_timeout_seconds = apply_timeout_seconds
        self.display = display if display is not None else StreamDisplay()
        self._execute = execute
        self.interrupt_grace_seconds = interrupt_grace_seconds
        if stream is None:
            stream = self._stream_process if execute is run_process else replayed(execute)
        self._stream = stream
        self._init_locks: dict[Path, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def _stream_process(
        self,
        argv: Sequence[str],
        cwd: Path,
        env: Mapping[str, str],
        on_line: Callable[[str], None],
        timeout: float | None,
    ) -> Completed:
        return stream_process(argv, cwd, env, on_line, timeout, grace=self.interrupt_grace_seconds)

    # -- argv -------------------------------------------------------------------------------------------------

    def argv(self, workspace: Workspace, command: str, *args: str, **options: Any) -> list[str]:
        """The exact argv for a terraform subcommand (always non-interactive, no colour); reads no file."""
        return build_argv(self.binary, command, *args, no_color=IsFlagged, **options)

    def _locking_argv(
        self,
        workspace: Workspace,
        command: str,
        *args: str,
        variables: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> list[str]:
        """The argv of a command that takes the state lock and streams its ``-json`` UI (plan, apply, destroy): no
        prompt, up to a minute for the lock. ``variables`` are written to the workspace's var file first and passed
        with ``-var-file``, so their values never appear in the argv."""
        if variables is not None:
            options = {"var_file": [str(self.write_variables(workspace, variables))], **options}
        return self.argv(workspace, command, *args, input=False, lock_timeout="60s", json=IsFlagged, **options)

    def environment(self, workspace: Workspace) -> dict[str, str]:
        """The process environment of a run in ``workspace``: never logged, never written to a file."""
        env = dict(os.environ)
        overrides = dict(self.extra_env)
        if self.credentials_env is not None:
            overrides.update(self.credentials_env(workspace.region))
        for name, value in overrides.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        env["TF_DATA_DIR"] = str(self.tf_data_dir(workspace))
        env["TF_IN_AUTOMATION"] = "1"
        env["TF_INPUT"] = "0"
        env.pop("TF_LOG", None)
        if self.plugin_dir is not None:
            config_dir = self.cli_config_dir or workspace.data_dir.parent
            env["TF_CLI_CONFIG_FILE"] = str(write_cli_config(self.plugin_dir, config_dir / "terraform.rc"))
        elif env.get("TF_CLI_CONFIG_FILE") and not Path(env["TF_CLI_CONFIG_FILE"]).exists():
            # A CLI config that does not exist only produces a warning; Terraform's defaults apply either way.
            env.pop("TF_CLI_CONFIG_FILE")
        return env

    def _run(self, workspace: Workspace, argv: list[str], *, ok: Sequence[int] = (0,)) -> Completed:
        workspace.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        log.debug("[%s] run: %s", workspace.name, " ".join(argv))
        done = self._execute(argv, workspace.stack_dir, self.environment(workspace))
        log.debug("[%s] exit %s after %.1fs", workspace.name, done.returncode, done.seconds)
        if done.returncode not in ok:
            log.debug("[%s] stderr:\n%s", workspace.name, done.stderr)
            raise TerraformError(argv, done.returncode, done.stderr or done.stdout)
        return done

    def _run_streamed(self, workspace: Workspace, argv: list[str], *, timeout: float | None = None) -> Completed:
        """Run a ``-json`` command, showing its progress as it goes; its error diagnostics make the error's text."""
        workspace.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        log.debug("[%s] run: %s", workspace.name, " ".join(argv))
        tracker = self.display.open(workspace.name)

        def on_line(line: str) -> None:
            event = parse_line(line)
            if event is None:
                return
            if event.message:
                log.debug("[%s] terraform: %s", workspace.name, event.message)
            self.display.feed(tracker, event)

        try:
            done = self._stream(argv, workspace.stack_dir, self.environment(workspace), on_line, timeout)
        finally:
            self.display.close(tracker)
        log.debug("[%s] exit %s after %.1fs", workspace.name, done.returncode, done.seconds)
        if done.timed_out:
            raise timed_out(workspace, argv, timeout or 0.0, tracker, self.display.clock())
        if done.returncode != 0:
            log.debug("[%s] stderr:\n%s", workspace.name, done.stderr)
            text = "\n\n".join(part for part in (tracker.error_text(), done.stderr.strip()) if part)
            raise TerraformError(argv, done.returncode, text)
        return done

    # -- commands ---------------------------------------------------------------------------------------------

    def init(self, workspace: Workspace, *, reuse: bool = False) -> bool:
        """``terraform init`` of the workspace; returns whether it ran.

        ``reuse``: skip it when the data dir was last initialised for the same program, provider mirror, backend
        configuration, provider lock and module sources (``standby.terraform.init_stamp``). Every init that runs
        records that fingerprint.
        """
        argv = self.argv(
            workspace,
            "init",
            input=False,
            backend_config=dict(workspace.backend_config) or None,
            reconfigure=IsFlagged,
        )
        tf_data_dir = self.tf_data_dir(workspace)
        # Concurrent inits of one stack directory race on its .terraform.lock.hcl: serialise per directory.
        with self._lock_for(workspace.stack_dir):
            if reuse and init_stamp.is_current(tf_data_dir, self._init_fingerprint(workspace)):
                log.debug("[%s] init skipped: the data dir is initialised for this configuration", workspace.name)
                return False
            init_stamp.forget(tf_data_dir)
            self._run(workspace, argv)
            init_stamp.record(tf_data_dir, self._init_fingerprint(workspace))
        return True

    def tf_data_dir(self, workspace: Workspace) -> Path:
        """Terraform's data dir of the workspace (``TF_DATA_DIR``): providers, modules, the backend's settings."""
        return workspace.data_dir / "tfdata"

    def _init_fingerprint(self, workspace: Workspace) -> str:
        settings = {**self.extra_env, "plugin_dir": str(self.plugin_dir or "")}
        return init_stamp.fingerprint(
            self.binary, workspace.stack_dir, self.tf_data_dir(workspace), workspace.backend_config, settings
        )

    def write_variables(self, workspace: Workspace, variables: Mapping[str, Any]) -> Path:
        workspace.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = workspace.var_file.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # a leftover file keeps its mode through O_TRUNC
        with os.fdopen(fd, "w") as out:
            json.dump(dict(variables), out, indent=2, sort_keys=True)
        tmp.replace(workspace.var_file)
        return workspace.var_file

    def plan(
        self,
        workspace: Workspace,
        variables: Mapping[str, Any],
        *,
        refresh_only: bool = False,
        destroy: bool = False,
        replace: Sequence[str] = (),
        target: Sequence[str] = (),
    ) -> Plan:
        """Plan to the workspace's plan file and read it back as JSON (``show -json``; a refresh-only plan is read
        from the plan file itself when its layout is recognised, which spares the provider's start).

        ``replace`` forces those addresses to be replaced (``-replace=ADDR`` each); ``target`` limits the plan to
        those addresses and their dependencies (``-target=ADDR`` each), so a re-seed touches only its databases.
        """
        if isinstance(replace, str) or isinstance(target, str):
            raise ArgvError(f"[{workspace.name}] replace= and target= take a list of addresses, not one string")
        for address in (*replace, *target):
            if not isinstance(address, str) or not address.strip():
                raise ArgvError(
                    f"[{workspace.name}] empty or invalid resource address for -replace/-target: {address!r}"
                )
        argv = self._locking_argv(
            workspace,
            "plan",
            variables=variables,
            out=str(workspace.plan_file),
            refresh_only=IsFlagged if refresh_only else None,
            destroy=IsFlagged if destroy else None,
            replace=list(replace) or None,
            target=list(target) or None,
        )
        self._run_streamed(workspace, argv)
        if workspace.plan_file.exists():  # it holds the variables' values: owner-only, whatever the umask
            os.chmod(workspace.plan_file, 0o600)
        if refresh_only and (read := read_refresh_only_plan(workspace.plan_file)) is not None:
            return read  # no provider start: the plan file holds both states (``plan_file.py``)
        return self.show_plan(workspace)

    def show_plan(self, workspace: Workspace) -> Plan:
        argv = self.argv(workspace, "show", str(workspace.plan_file), json=IsFlagged)
        done = self._run(workspace, argv)
        return Plan.from_json(_parse_json(done, argv), workspace.plan_file)

    def state_pull(self, workspace: Workspace) -> dict[str, Any]:
        """The raw state document of the workspace (``terraform state pull``: any backend, no provider start-up).

        A workspace that has no state yet prints nothing: that is ``{}``.
        """
        argv = self.argv(workspace, "state pull")
        done = self._run(workspace, argv)
        if not done.stdout.strip():
            return {}
        doc = _parse_json(done, argv)
        if not isinstance(doc, dict):
            raise TerraformError(argv, done.returncode, f"expected a JSON state object, got: {done.stdout[:200]!r}")
        return doc

    def show_state(self, workspace: Workspace) -> dict[str, Any]:
        """The workspace's state as ``terraform show -json`` prints it: typed values per resource, modules nested
        under ``values.root_module.child_modules`` (``{}`` when there is no state yet)."""
        argv = self.argv(workspace, "show", json=IsFlagged)
        doc = _parse_json(self._run(workspace, argv), argv)
        if not isinstance(doc, dict):
            raise TerraformError(argv, 0, f"expected a JSON state document, got: {str(doc)[:200]!r}")
        return doc

    def state_resources(self, workspace: Workspace) -> list[tuple[str, str]]:
        """(address, type) of every managed resource in the workspace's state."""
        doc = self.show_state(workspace)
        found: list[tuple[str, str]] = []

        def walk(module: dict[str, Any]) -> None:
            for resource in module.get("resources") or []:
                if resource.get("mode") == "managed":
                    found.append((str(resource["address"]), str(resource["type"])))
            for child in module.get("child_modules") or []:
                walk(child)

        walk((doc.get("values") or {}).get("root_module") or {})
        return found

    def apply(self, workspace: Workspace, plan: Plan) -> float:
        """Apply a saved plan exactly; returns the seconds it took."""
        argv = self._locking_argv(workspace, "apply", str(plan.path), auto_approve=IsFlagged)
        return self._run_streamed(workspace, argv, timeout=self.apply_timeout_seconds).seconds

    def output(self, workspace: Workspace) -> dict[str, Any]:
        """The workspace's outputs as {name: value} (sensitive values included; never log them)."""
        argv = self.argv(workspace, "output", json=IsFlagged)
        doc = _parse_json(self._run(workspace, argv), argv)
        return {name: item.get("value") for name, item in doc.items()}

    def destroy(self, workspace: Workspace, variables: Mapping[str, Any]) -> float:
        argv = self._locking_argv(workspace, "destroy", variables=variables, auto_approve=IsFlagged)
        return self._run_streamed(workspace, argv, timeout=self.apply_timeout_seconds).seconds

    def _lock_for(self, directory: Path) -> threading.Lock:
        with self._locks_guard:
            return self._init_locks.setdefault(directory.resolve(), threading.Lock())


def timed_out(workspace: Workspace, argv: Sequence[str], timeout: float, tracker: Tracker, now: float) -> ApplyTimedOut:
    """The error for an apply stopped after ``timeout``: which stack, which region, what was still in flight."""
    stack, _, place = workspace.name.partition("/")
    verb = argv[1] if len(argv) > 1 else "apply"
    flights = tracker.still_in_flight(now) + tracker.failed  # an interrupted resource ends as errored
    still = "; in flight: " + ", ".join(flights) if flights else "; no resource was in flight"
    return ApplyTimedOut(
        f"terraform {verb} of stack {stack} in {place or 'global'} did not finish within "
        f"{format_elapsed(timeout)} ([terraform] apply_timeout_seconds = {timeout:g}) and was stopped{still}",
        hint="Terraform was interrupted (SIGINT, then killed if it did not stop); its state may lag what exists. "
        "Read the resources' own errors in the debug log, then run `standby provision --plan` to see where the "
        "stack stands",
    )


def _parse_json(done: Completed, argv: Sequence[str]) -> Any:
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError as err:
        raise TerraformError(argv, done.returncode, f"expected JSON on stdout, got: {done.stdout[:400]!r}") from err


def plugin_dir_from(configured: str | None, base: Path | None = None) -> Path | None:
    """The provider mirror: the configured path, else $STANDBY_TF_PLUGIN_DIR, else None (Terraform's defaults)."""
    value = configured or os.environ.get(PLUGIN_DIR_ENV) or None
    if value is None:
        return None
    path = Path(value).expanduser()
    if not path.is_absolute() and base is not None:
        path = base / path
    return path.resolve()
