"""What every command shares: the config, the AWS target, sessions, the Terraform runner, output and prompts.

This is the composition root: the only place where configuration turns into concrete objects — the regions'
states, the stacks, the provisioner, the failover controller, the drift run and the drill runner. Command modules
ask it for what they need and never import each other. Each orchestration is imported by the method that builds it:
a command pays only for the ones it uses.
"""

from __future__ import annotations

import os
import sys
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from standby.aws.credentials import RegionCredentials, role_session_name
from standby.aws.session import SessionFactory, Target
from standby.config import LoadedConfig, find_config, load_config
from standby.emulator import Emulator, is_loopback
from standby.errors import Aborted
from standby.owner import operator
from standby.progress import Reporter, StreamReporter
from standby.secrets import resolve_secrets
from standby.stacks import Stacks, StackWork
from standby.state import Assignment, RegionStates
from standby.terraform import TerraformRunner, plugin_dir_from
from standby.terraform.display import AboveStream, StreamDisplay

if TYPE_CHECKING:
    from standby.drift.run import DriftRun
    from standby.drill.runner import DrillRunner
    from standby.failover.controller import Controller
    from standby.provision import Provisioner
    from standby.stacks.inspection import Inspection
    from standby.teardown import Teardown

Work = TypeVar("Work", bound=StackWork)


@dataclass
class AppContext:
    config_option: str | None
    output: str  # text | json
    debug: bool
    log_path: Path | None = None
    emulator: Emulator = field(default_factory=Emulator)
    profile: str | None = None  # --profile: the base credentials

    @cached_property
    def loaded(self) -> LoadedConfig:
        return load_config(find_config(self.config_option))

    @cached_property
    def target(self) -> Target:
        return resolve_target(self.loaded.config.aws.endpoint, self.emulator)

    @cached_property
    def sessions(self) -> SessionFactory:
        """Sessions with each region's credentials ([regions.credentials]) over the base ones (--profile)."""
        configured = self.loaded.config.regions.credentials
        return SessionFactory(
            target=self.target,
            profile=self.profile,
            credentials={
                region: RegionCredentials(c.profile, c.role_arn, c.external_id) for region, c in configured.items()
            },
            role_session_name=role_session_name(operator()),
        )

    @cached_property
    def runner(self) -> TerraformRunner:
        settings = self.loaded.config.terraform
        return TerraformRunner(
            settings.binary,
            plugin_dir=plugin_dir_from(settings.plugin_dir, self.loaded.base_dir),
            extra_env=self.target.environment(),
            credentials_env=self.sessions.terraform_environment,
            cli_config_dir=self.loaded.state_dir,
            display=self.terraform_display,
            apply_timeout_seconds=settings.apply_timeout_seconds,
        )

    @cached_property
    def terraform_display(self) -> StreamDisplay:
        """Terraform's per-resource progress on stderr (a live status block on a terminal)."""
        return StreamDisplay(sys.stderr)

    @cached_property
    def reporter(self) -> Reporter:
        return StreamReporter(AboveStream(self.terraform_display))  # type: ignore[arg-type]

    @cached_property
    def states(self) -> RegionStates:
        return RegionStates.of(self.loaded, self.sessions)

    @cached_property
    def stacks(self) -> Stacks:
        return Stacks(self.loaded, self.runner, self.secrets())

    def provisioner(self, assignment: Assignment | None = None) -> Provisioner:
        """A provisioner for the recorded role assignment (after a failover, the standby region is the primary)."""
        from standby.provision import Provisioner

        return self._stack_work(Provisioner, assignment)

    def controller(self, *, with_terraform: bool = False) -> Controller:
        """The failover controller; ``with_terraform`` when the run may re-seed databases (failback, drills)."""
        from standby.failover.controller import Controller

        return Controller(
            self.loaded,
            self.sessions,
            self.states,
            reporter=self.reporter,
            stacks=self.stacks if with_terraform else None,
        )

    def provision_lock(self, assignment: Assignment) -> AbstractContextManager[None]:
        """The run lock around a provision's apply: authoritative in the current primary's region (the region
        expected to answer, and the one a provision applies first), mirrored in the standby region when it answers.
        A provision keeps no journal: a crashed one's lock is free once its heartbeat is stale."""
        from standby.failover.controller import new_run_id

        controller = self.controller()
        run_id = new_run_id("provision", controller.clock.now())
        return controller.locked(assignment.primary, run_id, operator())

    def teardown(self, assignment: Assignment | None = None) -> Teardown:
        """The teardown of what standby provisioned, for the recorded role assignment."""
        from standby.teardown import Teardown

        return self._stack_work(Teardown, assignment)

    def _stack_work(self, kind: type[Work], assignment: Assignment | None) -> Work:
        """``kind`` (the provisioner or the teardown) for ``assignment``, by default the one recorded in the states."""
        return kind(
            self.loaded,
            self.stacks,
            self.states,
            assignment=assignment or self.states.fast().assignment(),
            reporter=self.reporter,
            sessions=self.sessions,
        )

    def teardown_lock(self, assignment: Assignment) -> AbstractContextManager[None]:
        """The run lock around a teardown, taken as a provision takes it: no failover starts while stacks go."""
        from standby.failover.controller import new_run_id

        controller = self.controller()
        return controller.locked(assignment.primary, new_run_id("destroy", controller.clock.now()), operator())

    def drift_run(self, *, iac: bool) -> DriftRun:
        """The drift checks. Terraform reads the stacks' outputs when no manifest was recorded; the IaC check
        (``iac``) also plans the stacks, with their secret variables."""
        from standby.drift.run import DriftRun

        stacks = self.stacks if iac else Stacks(self.loaded, self.runner, {})
        return DriftRun(self.loaded, self.sessions, self.states, stacks=stacks, reporter=self.reporter)

    def inspection(self) -> Inspection:
        """What standby finds in the region stack of each region, for the recorded role assignment. Reads outputs
        and state only: no secret is resolved and nothing is planned."""
        from standby.stacks.inspection import inspect_stacks

        stacks = Stacks(self.loaded, self.runner, {})
        return inspect_stacks(stacks, self.states.fast().assignment())

    def drill_runner(self) -> DrillRunner:
        from standby.drill.runner import DrillRunner

        return DrillRunner(self.controller(with_terraform=True))

    def secrets(self) -> dict[str, str]:
        wanted: dict[str, str] = {}
        for stack in self.loaded.config.stacks.values():
            wanted.update(stack.secrets)
        return resolve_secrets(wanted, state_dir=self.loaded.state_dir, allow_generated=self.target.emulator)

    def confirm(self, question: str, yes: bool) -> None:
        """Go on when --yes was given or the user agrees; refuse without a terminal to ask on."""
        if yes:
            return
        if not sys.stdin.isatty():
            raise Aborted(f"{question} — refused: no terminal to confirm on", hint="pass --yes to proceed")
        if not click.confirm(question, default=False, err=True):
            raise Aborted("declined at the prompt; nothing was changed")


def resolve_target(endpoint_setting: str | None, emulator: Emulator) -> Target:
    """Where AWS calls go: the running emulator, a configured endpoint, $AWS_ENDPOINT_URL, or real AWS."""
    if endpoint_setting == "emulator":
        return Target(emulator.require().endpoint, emulator=True)
    endpoint = endpoint_setting or os.environ.get("AWS_ENDPOINT_URL") or None
    if endpoint is None:
        return Target()
    return Target(endpoint.rstrip("/"), emulator=is_loopback(endpoint))
