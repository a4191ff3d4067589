"""What standby finds in the region stack of each region, for `standby inspect`: its groups with their capacity
keys, load balancers, target groups and databases (with their replicas in the standby), where each came from
(the stack's outputs or discovery in its state), the injected variables the stack declares, and what is missing.

``inspect_stacks`` reads through ``Stacks`` (the one Terraform runner: ``output -json``, ``show -json``); the
judgement of what is missing is pure (``missing``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from standby.config.schema import Config
from standby.errors import StandbyError
from standby.stacks.declared import DeclaredVariables
from standby.stacks.discovery import Findings, replica_of
from standby.stacks.layout import CAPACITY_VARIABLE, INJECTED_REGION_VARIABLES
from standby.stacks.project import Stacks
from standby.state.roles import Assignment

CAPACITY_NOT_DECLARED = (
    f"the stack declares no `{CAPACITY_VARIABLE}` variable: standby sizes its groups through the AWS API only "
    "(failover and failback scale them; `standby provision` raises the standby's to their [scale] capacity and "
    "leaves the primary's to the stack)"
)


@dataclass(frozen=True)
class RegionInspection:
    region: str
    role: str
    findings: Findings | None
    error: str | None = None  # the stack could not be read in this region


@dataclass(frozen=True)
class Inspection:
    stack: str
    path: str
    declared: DeclaredVariables
    regions: tuple[RegionInspection, ...]
    missing: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        primary = next((r for r in self.regions if r.role == "primary"), None)
        return {
            "stack": self.stack,
            "path": self.path,
            "variables": _variables(self.declared),
            "regions": [_region_dict(r, primary) for r in self.regions],
            "missing": list(self.missing),
        }


def _variables(declared: DeclaredVariables) -> dict[str, Any]:
    injected = [v for v in INJECTED_REGION_VARIABLES if declared.declares(v)]
    return {
        "injected": injected,
        "not_declared": [v for v in INJECTED_REGION_VARIABLES if v not in injected],
        "error": declared.error,
        "scales_through_terraform": declared.declares(CAPACITY_VARIABLE),
    }


def _region_dict(region: RegionInspection, primary: RegionInspection | None) -> dict[str, Any]:
    out: dict[str, Any] = {"region": region.region, "role": region.role, "error": region.error}
    found = region.findings
    if found is None:
        return out
    primary_dbs = primary.findings.databases if primary and primary.findings else ()
    out.update(
        groups=[asdict(g) for g in found.groups],
        load_balancers=[asdict(lb) for lb in found.load_balancers],
        target_groups=[asdict(tg) for tg in found.target_groups],
        databases=[
            {**asdict(db), "replica_of": (src.identifier if (src := replica_of(db, primary_dbs)) else None)}
            for db in found.databases
        ],
        problems=list(found.problems),
    )
    return out


def inspect_stacks(stacks: Stacks, assignment: Assignment) -> Inspection:
    """Read the region stack in both regions (primary first) and judge what is missing."""
    name, stack = stacks.region_stack()
    regions = []
    for region in assignment.regions:
        role = assignment.role_of(region)
        try:
            regions.append(RegionInspection(region, role, stacks.findings(region)))
        except StandbyError as err:
            regions.append(RegionInspection(region, role, None, err.message))
    declared = stacks.declared_variables(name)
    return Inspection(
        stack=name,
        path=str(stacks.loaded.resolve(stack.path)),
        declared=declared,
        regions=tuple(regions),
        missing=tuple(missing(stacks.config, declared, regions)),
    )


def missing(config: Config, declared: DeclaredVariables, regions: list[RegionInspection]) -> list[str]:
    """What standby lacks to provision and fail over this stack, one sentence each."""
    found: list[str] = []
    if declared.error:
        found.append(f"the stack's variables could not be read ({declared.error}): every injected one is passed")
    elif not declared.declares(CAPACITY_VARIABLE):
        found.append(CAPACITY_NOT_DECLARED)
    primary = next((r for r in regions if r.role == "primary"), None)
    for region in regions:
        if region.findings is None:
            found.append(f"{region.region}: the stack could not be read: {region.error}")
            continue
        found.extend(f"{region.region}: {p}" for p in region.findings.refusals(config.capacity))
        entry = region.findings.keyed.get(config.entrypoint)
        if entry is not None and not (entry.lb_dns_name and entry.lb_zone_id):
            found.append(
                f"{region.region}: no load balancer found for the entrypoint group {config.entrypoint!r} "
                "(the global DNS stack points the records at it)"
            )
        if region.role == "standby" and primary is not None and primary.findings is not None:
            for db in primary.findings.databases:
                if not any(replica_of(s, [db]) for s in region.findings.databases):
                    found.append(
                        f"{region.region}: no replica of the primary's database {db.identifier} "
                        "(a DB instance whose replicate_source_db is its ARN): a failover has nothing to promote"
                    )
    return found
