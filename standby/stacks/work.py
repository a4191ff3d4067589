"""``StackWork``: what provisioning and teardown both hold while they plan and apply the stacks of both regions."""

from __future__ import annotations

import time
from collections.abc import Callable

from standby.aws.session import SessionFactory
from standby.config.schema import LoadedConfig
from standby.progress import Reporter, silent
from standby.stacks.project import Stacks
from standby.state import Assignment, RegionStates


class StackWork:
    """The config, the stacks (and their one Terraform runner), both regions' states and the role assignment the
    work is done for, with its reporter and clock. ``standby.provision.Provisioner`` and ``standby.teardown.Teardown``
    build on it; ``cli/context.py`` builds both the same way."""

    def __init__(
        self,
        loaded: LoadedConfig,
        stacks: Stacks,
        states: RegionStates,
        *,
        assignment: Assignment,
        reporter: Reporter = silent,
        clock: Callable[[], float] = time.monotonic,
        sessions: SessionFactory | None = None,
    ) -> None:
        self.loaded = loaded
        self.config = loaded.config
        self.stacks = stacks
        self.runner = stacks.runner
        self.states = states
        self.assignment = assignment
        self.report = reporter
        self.clock = clock
        self.sessions = sessions  # for the traffic switches (traffic_mode = "health-check")
