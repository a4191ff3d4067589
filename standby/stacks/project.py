"""``Stacks``: the layout's I/O through the one Terraform runner (targets with secrets, outputs, the re-seed)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from standby.config.schema import LoadedConfig, Stack
from standby.stacks.layout import (
    StackTarget,
    global_stack,
    global_variables,
    region_stack,
    region_variables,
    workspace_for,
)
from standby.stacks.outputs import build_manifest
from standby.stacks.reseed import ManagedDatabase, Reseed, ReseedRefused, databases_in_state
from standby.state.manifest import Manifest
from standby.state.roles import Assignment
from standby.terraform import TerraformRunner, Workspace


class Stacks:
    """The configured stacks of one project, run through the one Terraform runner.

    ``secrets`` are the stacks' secret variables (never printed); targets carry only those their stack declares.
    """

    def __init__(self, loaded: LoadedConfig, runner: TerraformRunner, secrets: Mapping[str, str]) -> None:
        self.loaded = loaded
        self.config = loaded.config
        self.runner = runner
        self.secrets = dict(secrets)

    # layout

    def region_stack(self) -> tuple[str, Stack]:
        """The region stack whose outputs name the resources (the first one declared)."""
        return region_stack(self.config)

    def global_stack(self) -> tuple[str, Stack] | None:
        return global_stack(self.config)

    def workspace(self, name: str, region: str | None) -> Workspace:
        return workspace_for(self.loaded, name, self.config.stacks[name], region)

    def region_targets(self, assignment: Assignment, regions: tuple[str, ...]) -> list[StackTarget]:
        targets = []
        for region in regions:
            for name, stack in self.config.stacks.items():
                if stack.scope != "region":
                    continue
                secrets = {var: self.secrets[var] for var in stack.secrets if var in self.secrets}
                targets.append(
                    StackTarget(
                        stack=name,
                        scope="region",
                        region=region,
                        role=assignment.role_of(region),
                        workspace=workspace_for(self.loaded, name, stack, region),
                        variables=region_variables(self.config, stack, region, assignment, secrets),
                    )
                )
        return targets

    def global_target(
        self,
        assignment: Assignment,
        region_outputs: Mapping[str, Mapping[str, Any]],
        switch_health_checks: Mapping[str, str] | None = None,
        evicted_regions: Iterable[str] = (),
    ) -> StackTarget | None:
        """The global stack's target, or None when there is none or a region has no load balancer yet."""
        found = self.global_stack()
        if found is None:
            return None
        name, stack = found
        variables = global_variables(
            self.config, stack, assignment, region_outputs, switch_health_checks, evicted_regions
        )
        if variables is None:
            return None
        return StackTarget(name, "global", None, None, workspace_for(self.loaded, name, stack, None), variables)

    # outputs

    def region_outputs(self, regions: tuple[str, ...]) -> dict[str, dict[str, Any]]:
        """The region stack's outputs in each region."""
        name, _ = self.region_stack()
        outputs: dict[str, dict[str, Any]] = {}
        for region in regions:
            workspace = self.workspace(name, region)
            self.runner.init(workspace, reuse=True)  # only reads the state: an initialised data dir will do
            outputs[region] = self.runner.output(workspace)
        return outputs

    def global_outputs(self) -> dict[str, Any] | None:
        found = self.global_stack()
        if found is None:
            return None
        workspace = self.workspace(found[0], None)
        self.runner.init(workspace, reuse=True)
        return self.runner.output(workspace)

    def manifest(self, regions: tuple[str, ...]) -> Manifest:
        """What the stacks created, read from their outputs."""
        return build_manifest(self.config, self.region_outputs(regions), self.global_outputs())

    # re-seeding

    def reseed_target(self, region: str, assignment: Assignment) -> StackTarget:
        """The region stack's target in ``region``, planned for ``assignment``."""
        name, _ = self.region_stack()
        return next(t for t in self.region_targets(assignment, (region,)) if t.stack == name)

    def managed_databases(self, target: StackTarget) -> tuple[ManagedDatabase, ...]:
        """The ``aws_db_instance`` resources in the target's Terraform state (``state pull``: no provider runs)."""
        self.runner.init(target.workspace)
        return databases_in_state(self.runner.state_pull(target.workspace))

    def plan_reseed(self, region: str, assignment: Assignment) -> Reseed:
        """Plan — never apply — the targeted replace of ``region``'s databases for ``assignment``.

        Nothing is planned when the stack manages no database. The plan is limited to the databases
        (``-target``) and forces their replacement (``-replace``); ``Reseed.problems`` says what in it
        re-seeding refuses to apply."""
        target = self.reseed_target(region, assignment)
        databases = self.managed_databases(target)
        if not databases:
            return Reseed(region=region, stack=target.stack, databases=(), plan=None)
        addresses = [db.address for db in databases]
        plan = self.runner.plan(target.workspace, target.variables, replace=addresses, target=addresses)
        return Reseed(region=region, stack=target.stack, databases=databases, plan=plan)

    def replace_databases(
        self, region: str, assignment: Assignment, *, before_apply: Callable[[Reseed], None] | None = None
    ) -> Reseed:
        """Replace ``region``'s databases (``aws_db_instance`` in its region stack) through a targeted Terraform
        replace planned for ``assignment`` — with ``region`` as the standby, they come back as replicas of the
        primary's.

        A stack without databases plans and applies nothing. A plan that would change anything but the databases
        is refused (ReseedRefused) before anything is changed. ``before_apply`` runs between the plan and the
        apply (the failback takes the final snapshots there); when it raises, nothing is applied."""
        reseed = self.plan_reseed(region, assignment)
        if reseed.plan is None:
            return reseed
        if reseed.problems:
            raise ReseedRefused(
                f"re-seeding {region} refused: " + "; ".join(reseed.problems),
                hint="the re-seed applies only its databases: apply or revert the other pending changes of the "
                "region stack first (`standby provision --dry-run` shows them), then resume the run",
            )
        if before_apply is not None:
            before_apply(reseed)
        self.runner.apply(self.workspace(reseed.stack, region), reseed.plan)
        return reseed
