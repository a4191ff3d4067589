"""IaC drift: a Terraform refresh-only plan per stack and region, read as JSON, with the noise taken out.

Terraform's exit code cannot be trusted for this: an RDS instance drifts on every read
(``latest_restorable_time``) and the first refresh after an apply reports computed values and empty-vs-null
changes. So findings are judged from the JSON: empty-equivalent values are equal, a short list of computed
attributes is noise (extendable in ``[drift] iac_ignore_attributes``), and the inline rule lists of security
groups and route tables are compared with the rules and routes the state manages as separate resources — an
extra rule added by hand shows there and only there.

A refresh-only plan reports every attribute changed outside Terraform, even those the configuration tells
Terraform to leave alone (``lifecycle { ignore_changes = [...] }``, often inside a module). The plan's JSON
``configuration`` does not carry lifecycle blocks, so they are read from the ``.tf`` files of the stack and of
its modules (the directories ``terraform init`` lists in ``<data dir>/modules/modules.json``); those attributes
are reported with status ``ignored``, naming the configuration, never as drift and never dropped silently.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from standby.drift.lifecycle import (  # noqa: F401 - re-exported for the check and its tests
    ALL,
    AttributePath,
    IgnoreChanges,
    ignore_path,
    ignored_below,
    ignored_reason,
    lifecycle_ignores,
    module_directories,
    module_key,
    read_directory,
    render_path,
    value_at,
    without_path,
)
from standby.drift.model import Finding
from standby.stacks import StackTarget
from standby.terraform import Plan, ResourceChange, TerraformRunner

log = logging.getLogger(__name__)

RULE = "terraform.refresh-only"
IGNORE_CHANGES_RULE = "terraform.lifecycle.ignore_changes"

# Computed attributes whose change says nothing about configuration drift.
BUILTIN_NOISE: dict[str, frozenset[str]] = {
    "aws_db_instance": frozenset({"latest_restorable_time", "replicas", "status"}),
    "aws_lb_target_group": frozenset({"load_balancer_arns"}),
    # Deprecated inline blocks of the bucket; the separate aws_s3_bucket_* resources carry their drift.
    "aws_s3_bucket": frozenset(
        {
            "versioning",
            "server_side_encryption_configuration",
            "replication_configuration",
            "lifecycle_rule",
            "logging",
            "acl",
            "grant",
            "cors_rule",
            "website",
            "object_lock_configuration",
            "policy",
            "acceleration_status",
            "request_payer",
        }
    ),
}


def scrub(value: Any) -> Any:
    """Empty-equivalent values (None, "", [], {}) become None, recursively, so null -> [] is no change."""
    if isinstance(value, Mapping):
        kept = {k: scrub(v) for k, v in value.items()}
        kept = {k: v for k, v in kept.items() if v is not None}
        return kept or None
    if isinstance(value, (list, tuple)):
        items = [scrub(v) for v in value]
        return items or None
    if value == "":
        return None
    return value


# -- state: the rules and routes managed as separate resources ---------------------------------------------------


@dataclass(frozen=True)
class StateResource:
    type: str
    attributes: Mapping[str, Any]


def state_resources(state: Mapping[str, Any]) -> list[StateResource]:
    """Managed resources of a raw state document (``terraform state pull``)."""
    found = []
    for resource in state.get("resources") or ():
        if resource.get("mode") != "managed":
            continue
        for instance in resource.get("instances") or ():
            found.append(StateResource(str(resource.get("type", "")), instance.get("attributes") or {}))
    return found


def recorded_state(plan: Plan) -> list[StateResource]:
    """The managed resources as Terraform's state recorded them before the plan refreshed it, from the plan alone.

    A plan's ``prior_state`` is the refreshed state; its ``resource_drift`` holds, for each resource that changed
    outside Terraform, the recorded value (``before``). So the recorded state is ``prior_state`` with each drifted
    resource's ``before`` in place of its refreshed value, plus the resources deleted outside Terraform (gone from
    ``prior_state``, still in the drift) — what ``terraform state pull`` returns, without running it.
    """
    recorded = {change.address: change for change in plan.drift if change.before is not None}
    found = []
    for resource in plan.prior_resources():
        change = recorded.pop(resource.address, None)
        found.append(StateResource(resource.type, change.before if change is not None else resource.values))
    found.extend(StateResource(change.type, change.before) for change in recorded.values() if change.before)
    return found


def _ports(protocol: Any, low: Any, high: Any) -> str:
    if str(protocol) in ("-1", "all") or low is None:
        return "all"
    return str(low) if low == high or high is None else f"{low}-{high}"


def _proto(protocol: Any) -> str:
    return "all" if str(protocol) in ("-1", "all") else str(protocol).lower()


def _inline_rules(entries: Any, own_id: str) -> set[str]:
    rules: set[str] = set()
    for e in entries or ():
        head = f"{_proto(e.get('protocol'))}:{_ports(e.get('protocol'), e.get('from_port'), e.get('to_port'))}"
        sources = [*(e.get("cidr_blocks") or ()), *(e.get("ipv6_cidr_blocks") or ())]
        sources += [*(e.get("prefix_list_ids") or ()), *(e.get("security_groups") or ())]
        if e.get("self"):
            sources.append(own_id)
        rules.update(f"{head}:{source}" for source in sources)
    return rules


def _managed_rules(resources: Iterable[StateResource], group_id: str, direction: str) -> set[str]:
    rules: set[str] = set()
    for r in resources:
        a = r.attributes
        if a.get("security_group_id") != group_id:
            continue
        if r.type == f"aws_vpc_security_group_{direction}_rule":
            head = (
                f"{_proto(a.get('ip_protocol'))}:{_ports(a.get('ip_protocol'), a.get('from_port'), a.get('to_port'))}"
            )
            for key in ("cidr_ipv4", "cidr_ipv6", "prefix_list_id", "referenced_security_group_id"):
                if a.get(key):
                    rules.add(f"{head}:{a[key]}")
        elif r.type == "aws_security_group_rule" and a.get("type") == direction:
            entry = dict(
                a, security_groups=[a["source_security_group_id"]] if a.get("source_security_group_id") else []
            )
            rules |= _inline_rules([entry], group_id)
    return rules


def _has_separate_rules(resources: Iterable[StateResource], group_id: str, direction: str) -> bool:
    """Whether the state manages any of the group's rules of one direction as resources of their own."""
    for r in resources:
        if r.attributes.get("security_group_id") != group_id:
            continue
        if r.type == f"aws_vpc_security_group_{direction}_rule":
            return True
        if r.type == "aws_security_group_rule" and r.attributes.get("type") == direction:
            return True
    return False


def _managed_routes(resources: Iterable[StateResource], table_id: str) -> set[str]:
    keys = ("destination_cidr_block", "destination_ipv6_cidr_block", "destination_prefix_list_id")
    return {
        str(r.attributes[k])
        for r in resources
        if r.type == "aws_route" and r.attributes.get("route_table_id") == table_id
        for k in keys
        if r.attributes.get(k)
    }


def _routes(entries: Any) -> set[str]:
    keys = ("cidr_block", "ipv6_cidr_block", "destination_prefix_list_id")
    return {str(e[k]) for e in entries or () for k in keys if e.get(k)}


def unmanaged_members(
    change: ResourceChange, attribute: str, state: list[StateResource]
) -> tuple[list[str], list[str]] | None:
    """(added by hand, removed by hand) for a collection that separate resources may manage; None otherwise.

    Rules are judged by their content (protocol, ports, peer), never by id. When the state manages a security
    group's rules of one direction as separate resources, those resources are the whole of what Terraform expects
    in that direction, so a rule Terraform replaced is not drift while one added or removed by hand is; otherwise
    the group's inline rules in the state are.
    """
    before, after = change.before or {}, change.after or {}
    own_id = str(after.get("id") or before.get("id") or "")
    if change.type == "aws_security_group" and attribute in ("ingress", "egress"):
        now = _inline_rules(after.get(attribute), own_id)
        if _has_separate_rules(state, own_id, attribute):
            # The group's own rule list in the state is a snapshot from its last refresh: a rule that Terraform
            # replaced since (new id, new content) is still there. The rule resources are what Terraform manages.
            expected = _managed_rules(state, own_id, attribute)
            return sorted(now - expected), sorted(expected - now)
        was = _inline_rules(before.get(attribute), own_id)
        expected = was
    elif change.type == "aws_route_table" and attribute == "route":
        was, now = _routes(before.get(attribute)), _routes(after.get(attribute))
        expected = was | _managed_routes(state, own_id)
    else:
        return None
    return sorted(now - expected), sorted(was - now)


# -- findings ---------------------------------------------------------------------------------------------------


def drift_findings(
    changes: Iterable[ResourceChange],
    *,
    region: str,
    role: str | None,
    state: list[StateResource],
    extra_noise: Mapping[str, Iterable[str]] | None = None,
    ignore_changes: IgnoreChanges | None = None,
) -> list[Finding]:
    """One finding per drifted attribute that is not noise, for one stack in one region (pure).

    Attributes (or paths below them) that the configuration's ``ignore_changes`` lists become findings with
    status ``ignored``; what else changed in the same attribute is still drift.
    """
    extra = {k: frozenset(v) for k, v in (extra_noise or {}).items()}
    ignores = ignore_changes or IgnoreChanges()
    column = "primary" if role == "primary" else "standby" if role == "standby" else None
    findings: list[Finding] = []

    def add(address: str, attribute: str, expected: Any, actual: Any, reason: str, ignored: bool = False) -> None:
        values: dict[str, Any] = {"expected": expected, "actual": actual}
        if column:
            values[column] = actual
        findings.append(
            Finding(
                check="iac",
                resource=address,
                attribute=attribute,
                region=region,
                status="ignored" if ignored else "drift",
                rule=IGNORE_CHANGES_RULE if ignored else RULE,
                reason=reason,
                **values,
            )
        )

    for change in changes:
        if "delete" in change.actions or (change.before and change.after is None):
            add(change.address, "exists", "present", None, "deleted outside Terraform")
            continue
        noise = (
            BUILTIN_NOISE.get(change.type, frozenset())
            | extra.get(change.type, frozenset())
            | extra.get("*", frozenset())
        )
        ignored_paths = ignores.paths(change)
        for attribute in change.attributes:
            if attribute in noise:
                continue
            before = (change.before or {}).get(attribute)
            after = (change.after or {}).get(attribute)
            below = ignored_below(attribute, ignored_paths)
            for path in below or ():
                was, now = scrub(value_at(before, path)), scrub(value_at(after, path))
                if was != now:
                    name = render_path((attribute, *path))
                    add(change.address, name, was, now, ignored_reason(change.address), ignored=True)
                before, after = without_path(before, path), without_path(after, path)
            if below and () in below:
                continue
            members = unmanaged_members(change, attribute, state)
            if members is not None:
                added, removed = members
                if added or removed:
                    changes_by_hand = [f"+{rule}" for rule in added] + [f"-{rule}" for rule in removed]
                    add(change.address, attribute, None, changes_by_hand, _members_reason(added, removed))
                continue
            before, after = scrub(before), scrub(after)
            if before != after:
                add(change.address, attribute, before, after, "changed outside Terraform")
    return findings


def _members_reason(added: list[str], removed: list[str]) -> str:
    parts = []
    if added:
        parts.append(f"not managed by Terraform: {', '.join(added)}")
    if removed:
        parts.append(f"removed outside Terraform: {', '.join(removed)}")
    return "; ".join(parts)


# -- I/O -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StackDrift:
    target: StackTarget
    findings: tuple[Finding, ...]
    resources: int  # managed resources in the state


def check_stack(
    runner: TerraformRunner, target: StackTarget, extra_noise: Mapping[str, Iterable[str]] | None = None
) -> StackDrift:
    """One refresh-only plan of the stack, judged: the plan carries the state as recorded too (no ``state pull``).

    Terraform is initialised only when the data dir is not already initialised for the stack's configuration. The
    configuration's ``ignore_changes`` are read while Terraform plans (after the init: it lists the modules).
    """
    runner.init(target.workspace, reuse=True)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="drift-lifecycle") as pool:
        reading = pool.submit(IgnoreChanges.read, target.workspace.stack_dir, runner.tf_data_dir(target.workspace))
        plan = runner.plan(target.workspace, target.variables, refresh_only=True)
        ignores = reading.result()
    state = recorded_state(plan)
    findings = drift_findings(
        plan.drift,
        region=target.label,
        role=target.role,
        state=state,
        extra_noise=extra_noise,
        ignore_changes=ignores,
    )
    return StackDrift(target, tuple(findings), len(state))
