"""``Stacks``: the layout's I/O through the one Terraform runner (targets with secrets, outputs, the re-seed)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from standby.config.schema import LoadedConfig, Stack
from standby.errors import StandbyError
from standby.stacks.declared import DeclaredVariables, read_declared_variables
from standby.stacks.discovery import Findings, covered_by_outputs, discover
from standby.stacks.layout import (
    CAPACITY_VARIABLE,
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
from standby.terraform import Plan, TerraformRunner, Workspace


class Stacks:
    """The configured stacks of one project, run through the one Terraform runner.

    ``secrets`` are the stacks' secret variables (never printed); targets carry only those their stack declares.
    """

    def __init__(self, loaded: LoadedConfig, runner: TerraformRunner, secrets: Mapping[str, str]) -> None:
        self.loaded = loaded
        self.config = loaded.config
        self.runner = runner
        self.secrets = dict(secrets)
        self._declared: dict[str, DeclaredVariables] = {}

    # layout

    def region_stack(self) -> tuple[str, Stack]:
        """The region stack whose outputs name the resources (the first one declared)."""
        return region_stack(self.config)

    def global_stack(self) -> tuple[str, Stack] | None:
        return global_stack(self.config)

    def declared_variables(self, name: str) -> DeclaredVariables:
        """The variables stack ``name``'s root module declares (read once per stack)."""
        if name not in self._declared:
            self._declared[name] = read_declared_variables(self.loaded.resolve(self.config.stacks[name].path))
        return self._declared[name]

    def sizes_groups_through_terraform(self) -> bool:
        """Whether the region stack declares the ``capacity`` variable (or may: its files could not be read)."""
        name, _ = self.region_stack()
        return self.declared_variables(name).declares(CAPACITY_VARIABLE)

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
                        variables=region_variables(
                            self.config, stack, region, assignment, secrets, self.declared_variables(name)
                        ),
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
            self.config,
            stack,
            assignment,
            region_outputs,
            switch_health_checks,
            evicted_regions,
            self.declared_variables(name),
        )
        if variables is None:
            return None
        return StackTarget(name, "global", None, None, workspace_for(self.loaded, name, stack, None), variables)

    # outputs

    def region_outputs(self, regions: tuple[str, ...]) -> dict[str, dict[str, Any]]:
        """The region stack's outputs in each region, the contract's completed by discovery in its state when
        the stack does not give them all (the state is read only then)."""
        outputs: dict[str, dict[str, Any]] = {}
        for region in regions:
            raw = self.contract_outputs(region)
            if covered_by_outputs(raw):
                outputs[region] = raw
            else:
                outputs[region] = {**self.findings(region, outputs=raw).contract_outputs(), **raw}  # outputs first
        return outputs

    def contract_outputs(self, region: str) -> dict[str, Any]:
        """The region stack's outputs in ``region``, with those [stacks.NAME.outputs] maps under their contract
        names."""
        name, stack = self.region_stack()
        workspace = self.workspace(name, region)
        self.runner.init(workspace, reuse=True)  # only reads the state: an initialised data dir will do
        return mapped_outputs(name, stack, self.runner.output(workspace))

    def findings(self, region: str, *, outputs: Mapping[str, Any] | None = None) -> Findings:
        """What the region stack holds in ``region``: its contract outputs first, then its state (``show -json``)."""
        name, _ = self.region_stack()
        if outputs is None:
            outputs = self.contract_outputs(region)
        state = self.runner.show_state(self.workspace(name, region))
        return discover(region, outputs, state, self.config.capacity)

    def planned_findings(self, region: str, plan: Plan) -> Findings:
        """What the region stack will hold in ``region`` once ``plan`` is applied (values unknown until the apply
        are missing), from the plan's ``planned_values``."""
        name, stack = self.region_stack()
        planned = plan.planned_values
        outputs = {k: v.get("value") for k, v in (planned.get("outputs") or {}).items() if "value" in v}
        mapped = mapped_outputs(name, stack, outputs, strict=False)  # an output unknown until the apply is missing
        return discover(region, mapped, {"values": planned}, self.config.capacity)

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


def mapped_outputs(name: str, stack: Stack, outputs: Mapping[str, Any], *, strict: bool = True) -> dict[str, Any]:
    """``outputs`` with each output [stacks.NAME.outputs] maps copied under its contract name; a mapped output
    the stack does not have is an error naming the ones it has (``strict``), else left out."""
    mapped = dict(outputs)
    for contract, own in stack.outputs.items():
        if own not in outputs and not strict:
            continue
        if own not in outputs:
            raise StandbyError(
                f"[stacks.{name}.outputs] maps {contract} to the output {own!r}, which the stack does not have "
                f"(its outputs: {', '.join(sorted(outputs)) or 'none'})",
                hint="fix the output name in standby.toml, or apply the stack so that the output exists",
            )
        mapped[contract] = outputs[own]
    return mapped
