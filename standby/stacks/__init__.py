"""The stacks standby runs, laid out per region: targets, workspaces, the variables standby injects, and the
stacks' outputs read into the manifest — completed by what discovery finds in their state (docs/stacks.md).

Pure layout and variables are plain functions (``layout``, ``outputs``); ``Stacks`` (``project``) adds the I/O
through the one Terraform runner. The databases' re-seed is a targeted replace that touches nothing else
(``reseed``); the final snapshots it is preceded by are taken and judged in ``snapshots`` (the caller waits for
them). Provision, failover (re-seeding), drift and drills all use this package through the names below; none of
them imports another for stack layout. Provisioning and teardown both hold a ``StackWork`` (``work``).
"""

from standby.stacks.declared import DeclaredVariables, read_declared_variables
from standby.stacks.discovery import GROUP_TAG, Findings, discover
from standby.stacks.layout import (
    INJECTED_GLOBAL_VARIABLES,
    INJECTED_REGION_VARIABLES,
    StackTarget,
    global_stack,
    global_variables,
    project_tags,
    region_stack,
    region_variables,
    select_regions,
    workspace_for,
)
from standby.stacks.outputs import build_manifest, dns_refs, region_resources
from standby.stacks.project import Stacks
from standby.stacks.reseed import ManagedDatabase, Reseed, ReseedRefused, databases_in_state, reseed_problems
from standby.stacks.snapshots import (
    FINAL_SNAPSHOT_PREFIX,
    FINAL_SNAPSHOT_TIMEOUT_SECONDS,
    FinalSnapshot,
    ensure_final_snapshot,
    final_snapshot_id,
    final_snapshot_ready,
)
from standby.stacks.work import StackWork

__all__ = [
    "FINAL_SNAPSHOT_PREFIX",
    "FINAL_SNAPSHOT_TIMEOUT_SECONDS",
    "GROUP_TAG",
    "INJECTED_GLOBAL_VARIABLES",
    "INJECTED_REGION_VARIABLES",
    "DeclaredVariables",
    "FinalSnapshot",
    "Findings",
    "ManagedDatabase",
    "Reseed",
    "ReseedRefused",
    "StackTarget",
    "StackWork",
    "Stacks",
    "build_manifest",
    "databases_in_state",
    "discover",
    "dns_refs",
    "ensure_final_snapshot",
    "final_snapshot_id",
    "final_snapshot_ready",
    "global_stack",
    "global_variables",
    "project_tags",
    "read_declared_variables",
    "region_resources",
    "region_stack",
    "region_variables",
    "reseed_problems",
    "select_regions",
    "workspace_for",
]
