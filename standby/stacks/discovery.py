"""What a region stack created, found in its Terraform state by resource type, pure.

A stack needs no standby-specific outputs: its auto scaling groups, load balancers with their target groups and
its DB instances (with their replication) are found in the ``terraform show -json`` document of its state (or in
a saved plan's ``planned_values``), modules included. The stack's outputs, when it has the contract's (see
docs/stacks.md), stay the first source; discovery fills what they do not give.

A group's key (its ``[capacity.NAME]``) is decided by the first rule that applies, in this order:

1. the group's tag ``standby:group`` (its value is the key);
2. the stack's output ``autoscaling_group_names`` (or the output ``[stacks.NAME.outputs]`` maps to it): when it is
   present, its keys and names are the groups, and discovery only adds their load balancers;
3. the capacity names that appear in the group's address — its resource name, for_each key, or the name or key of
   a module it is in: exactly one must appear;
4. a stack with one group, and a config with one capacity name: they pair up.

A group no rule keys is reported as unmatched; a capacity name claimed by two groups, or an address naming two
capacity names, is an ambiguity naming its candidates. Either refuses provisioning and failover.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from standby.judgements import capacity_key_problems

GROUP_TAG = "standby:group"
OUTPUT = "output"
DISCOVERY = "discovery"

# The outputs standby reads from a region stack, and the outputs [stacks.NAME.outputs] may map.
CONTRACT_OUTPUTS: dict[str, str] = {
    "autoscaling_group_names": "map(string): capacity group -> auto scaling group name",
    "target_group_arns": "map(string): capacity group -> target group ARN",
    "lb_dns_names": "map(string): capacity group -> load balancer DNS name",
    "lb_zone_ids": "map(string): capacity group -> load balancer hosted zone id",
    "db_instance_identifiers": "list(string): the DB instances to promote in the standby",
    "db_instance_arns": "list(string): their ARNs",
    "ssm_parameter_names": "list(string): parameters the drills fingerprint",
}

_MODULE = re.compile(r'module\.([A-Za-z0-9_-]+)(?:\[(?:"([^"]*)"|(\d+))\])?')


@dataclass(frozen=True)
class StateResource:
    """One managed resource instance of a state or a plan: its address, type, names on the way, attributes."""

    address: str
    type: str
    name: str
    index: str | int | None
    modules: tuple[tuple[str, str | int | None], ...]  # (module name, its instance key), outermost first
    values: Mapping[str, Any] = field(repr=False, compare=False)

    def names(self) -> tuple[str, ...]:
        """The names in its address that may be a group's key, innermost first (keys before names)."""
        found: list[str] = []
        for name, key in ((self.name, self.index), *reversed(self.modules)):
            if isinstance(key, str):
                found.append(key)
            found.append(name)
        return tuple(dict.fromkeys(found))


def state_resources(document: Mapping[str, Any]) -> list[StateResource]:
    """Every managed resource instance of a ``show -json`` document: a state's ``values`` or a plan's
    ``planned_values``, walking ``child_modules``."""
    root = (document.get("values") or document.get("planned_values") or {}).get("root_module") or {}
    return list(_walk(root))


def _walk(module: Mapping[str, Any]) -> Iterator[StateResource]:
    modules = tuple(
        (m.group(1), m.group(2) if m.group(2) is not None else (int(m.group(3)) if m.group(3) else None))
        for m in _MODULE.finditer(str(module.get("address") or ""))
    )
    for resource in module.get("resources") or ():
        if resource.get("mode") != "managed":
            continue
        yield StateResource(
            address=str(resource.get("address")),
            type=str(resource.get("type")),
            name=str(resource.get("name")),
            index=resource.get("index"),
            modules=modules,
            values=resource.get("values") or {},
        )
    for child in module.get("child_modules") or ():
        yield from _walk(child)


@dataclass(frozen=True)
class LoadBalancer:
    address: str
    arn: str | None
    name: str | None
    dns_name: str | None
    zone_id: str | None


@dataclass(frozen=True)
class TargetGroup:
    address: str
    arn: str | None
    name: str | None
    load_balancer_arns: tuple[str, ...]


@dataclass(frozen=True)
class Group:
    """An auto scaling group with its capacity key (None: no rule keyed it) and where it was found."""

    key: str | None
    name: str | None
    address: str | None  # None when only the outputs name it
    source: str  # output | discovery
    rule: str  # which rule gave the key
    target_group_arn: str | None = None
    lb_dns_name: str | None = None
    lb_zone_id: str | None = None


@dataclass(frozen=True)
class Database:
    identifier: str
    arn: str | None
    address: str | None
    source: str
    replicate_source_db: str | None = None


@dataclass(frozen=True)
class Findings:
    """What one region's stack holds, as standby reads it (outputs first, then discovery)."""

    region: str
    groups: tuple[Group, ...] = ()
    load_balancers: tuple[LoadBalancer, ...] = ()
    target_groups: tuple[TargetGroup, ...] = ()
    databases: tuple[Database, ...] = ()
    parameters: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()  # ambiguities

    @property
    def keyed(self) -> dict[str, Group]:
        return {g.key: g for g in self.groups if g.key is not None}

    @property
    def unmatched(self) -> tuple[Group, ...]:
        return tuple(g for g in self.groups if g.key is None)

    def refusals(self, capacity_names: Iterable[str]) -> list[str]:
        """Why standby refuses to provision or fail over with these groups: an ambiguity, a group no rule keys,
        or ``[capacity.*]`` names that differ from the groups' keys."""
        found = [*self.keyed, *(f"{g.address or g.name} (no key)" for g in self.unmatched)]
        return [*self.problems, *capacity_key_problems(self.region, capacity_names, found)]

    def contract_outputs(self) -> dict[str, Any]:
        """The contract's outputs as standby reads them (``standby.stacks.outputs`` turns them into the manifest)."""
        keyed = self.keyed
        return {
            "autoscaling_group_names": {k: g.name for k, g in keyed.items() if g.name},
            "target_group_arns": {k: g.target_group_arn for k, g in keyed.items() if g.target_group_arn},
            "lb_dns_names": {k: g.lb_dns_name for k, g in keyed.items() if g.lb_dns_name},
            "lb_zone_ids": {k: g.lb_zone_id for k, g in keyed.items() if g.lb_zone_id},
            "db_instance_identifiers": [d.identifier for d in self.databases],
            "db_instance_arns": [d.arn for d in self.databases if d.arn],
            "ssm_parameter_names": list(self.parameters),
        }


def covered_by_outputs(outputs: Mapping[str, Any]) -> bool:
    """Whether the outputs give everything discovery would (then the state need not be read)."""
    return all(name in outputs for name in CONTRACT_OUTPUTS if name != "ssm_parameter_names")


def discover(
    region: str, outputs: Mapping[str, Any], document: Mapping[str, Any], capacity_names: Iterable[str]
) -> Findings:
    """The region's findings from its contract outputs (already mapped) and its state or plan document."""
    resources = state_resources(document)
    lbs = _load_balancers(resources)
    tgs = _target_groups(resources)
    groups, problems = _groups(outputs, resources, tuple(capacity_names))
    groups = tuple(_with_load_balancer(g, outputs, resources, tgs, lbs) for g in groups)
    return Findings(
        region=region,
        groups=groups,
        load_balancers=tuple(lbs.values()),
        target_groups=tuple(tgs.values()),
        databases=_databases(outputs, resources),
        parameters=_parameters(outputs, resources),
        problems=tuple(problems),
    )


# -- groups -------------------------------------------------------------------------------------------------------


def _tag(values: Mapping[str, Any], key: str) -> str | None:
    for tag in [*(values.get("tag") or ()), *(values.get("tags") or ())]:
        if isinstance(tag, Mapping) and tag.get("key") == key and tag.get("value"):
            return str(tag["value"])
    return None


def _groups(
    outputs: Mapping[str, Any], resources: Sequence[StateResource], capacity: tuple[str, ...]
) -> tuple[list[Group], list[str]]:
    asgs = [r for r in resources if r.type == "aws_autoscaling_group"]
    named = outputs.get("autoscaling_group_names")
    if isinstance(named, Mapping):
        by_name = {r.values.get("name"): r for r in asgs}
        found = []
        for key, name in named.items():
            resource = by_name.get(name)
            found.append(Group(str(key), str(name), resource and resource.address, OUTPUT, "output"))
        return found, []
    keys: dict[str, tuple[str | None, str]] = {}  # address -> (key, rule)
    problems: list[str] = []
    for asg in asgs:
        tagged = _tag(asg.values, GROUP_TAG)
        if tagged:
            keys[asg.address] = (tagged, f"tag {GROUP_TAG}")
            continue
        candidates = [n for n in asg.names() if n in capacity]
        if len(candidates) == 1:
            keys[asg.address] = (candidates[0], f"address names {candidates[0]!r}")
        elif candidates:
            problems.append(
                f"auto scaling group {asg.address} matches several capacity groups ({', '.join(candidates)}): "
                f'tag it {GROUP_TAG} = "NAME" or map the output autoscaling_group_names'
            )
            keys[asg.address] = (None, "ambiguous")
    if len(asgs) == 1 and len(capacity) == 1 and asgs[0].address not in keys:
        keys[asgs[0].address] = (capacity[0], "the only group")
    found = []
    for asg in asgs:
        key, rule = keys.get(asg.address, (None, "unmatched"))
        found.append(Group(key, _str(asg.values.get("name")), asg.address, DISCOVERY, rule))
    claimed: dict[str, list[str]] = {}
    for group in found:
        if group.key is not None:
            claimed.setdefault(group.key, []).append(group.address or "?")
    for key, addresses in sorted(claimed.items()):
        if len(addresses) > 1:
            problems.append(
                f"capacity group {key!r} is claimed by several auto scaling groups ({', '.join(addresses)}): "
                f'tag one {GROUP_TAG} = "NAME" or map the output autoscaling_group_names'
            )
    return found, problems


# -- load balancers and target groups -----------------------------------------------------------------------------


def _load_balancers(resources: Sequence[StateResource]) -> dict[str, LoadBalancer]:
    found = {}
    for r in resources:
        if r.type in ("aws_lb", "aws_alb"):
            v = r.values
            lb = LoadBalancer(
                r.address, _str(v.get("arn")), _str(v.get("name")), _str(v.get("dns_name")), _str(v.get("zone_id"))
            )
            found[lb.arn or r.address] = lb
    return found


def _forwards(action: Mapping[str, Any]) -> list[str]:
    arns = [action.get("target_group_arn")]
    for forward in action.get("forward") or ():
        arns.extend(tg.get("arn") for tg in forward.get("target_group") or ())
    return [str(a) for a in arns if a]


def _target_groups(resources: Sequence[StateResource]) -> dict[str, TargetGroup]:
    """Target groups with the load balancers that forward to them (listeners and their rules)."""
    listeners = {
        _str(r.values.get("arn")): r.values for r in resources if r.type in ("aws_lb_listener", "aws_alb_listener")
    }
    sending: dict[str, set[str]] = {}
    for values in listeners.values():
        for action in values.get("default_action") or ():
            for arn in _forwards(action):
                sending.setdefault(arn, set()).add(str(values.get("load_balancer_arn") or ""))
    for r in resources:
        if r.type in ("aws_lb_listener_rule", "aws_alb_listener_rule"):
            listener = listeners.get(_str(r.values.get("listener_arn"))) or {}
            for action in r.values.get("action") or ():
                for arn in _forwards(action):
                    sending.setdefault(arn, set()).add(str(listener.get("load_balancer_arn") or ""))
    found = {}
    for r in resources:
        if r.type in ("aws_lb_target_group", "aws_alb_target_group"):
            arn = _str(r.values.get("arn"))
            lbs = set(sending.get(arn or "", ())) | {str(a) for a in r.values.get("load_balancer_arns") or ()}
            found[arn or r.address] = TargetGroup(
                r.address, arn, _str(r.values.get("name")), tuple(sorted(a for a in lbs if a))
            )
    return found


def _attached_target_groups(group: Group, resources: Sequence[StateResource]) -> list[str]:
    """The target groups an auto scaling group sends its instances to, in the order the stack lists them."""
    arns: list[str] = []
    for r in resources:
        v = r.values
        if r.address == group.address:
            arns.extend(str(a) for a in v.get("target_group_arns") or ())
        elif r.type == "aws_autoscaling_attachment" and v.get("autoscaling_group_name") == group.name:
            arns.append(str(v.get("lb_target_group_arn") or ""))
        elif r.type == "aws_autoscaling_traffic_source_attachment" and v.get("autoscaling_group_name") == group.name:
            arns.extend(str(s.get("identifier") or "") for s in v.get("traffic_source") or ())
    return [a for a in dict.fromkeys(arns) if a]


def _with_load_balancer(
    group: Group,
    outputs: Mapping[str, Any],
    resources: Sequence[StateResource],
    tgs: Mapping[str, TargetGroup],
    lbs: Mapping[str, LoadBalancer],
) -> Group:
    """The group with its target group and load balancer: from the outputs when they give them, else the first
    attached target group that a load balancer forwards to."""
    key = group.key or ""
    tg_arn = _lookup(outputs, "target_group_arns", key)
    dns, zone = _lookup(outputs, "lb_dns_names", key), _lookup(outputs, "lb_zone_ids", key)
    attached = _attached_target_groups(group, resources)
    if tg_arn is None and attached:
        tg_arn = next((a for a in attached if tgs.get(a) and tgs[a].load_balancer_arns), attached[0])
    tg = tgs.get(tg_arn or "")
    lb = next((lbs[a] for a in (tg.load_balancer_arns if tg else ()) if a in lbs), None)
    return Group(
        group.key,
        group.name,
        group.address,
        group.source,
        group.rule,
        target_group_arn=tg_arn,
        lb_dns_name=dns or (lb.dns_name if lb else None),
        lb_zone_id=zone or (lb.zone_id if lb else None),
    )


# -- databases and parameters ---------------------------------------------------------------------------------------


def _databases(outputs: Mapping[str, Any], resources: Sequence[StateResource]) -> tuple[Database, ...]:
    instances = [r for r in resources if r.type == "aws_db_instance"]
    by_id = {_str(r.values.get("identifier")): r for r in instances}
    named = outputs.get("db_instance_identifiers")
    if isinstance(named, list):
        arns = list(outputs.get("db_instance_arns") or ())
        found = []
        for i, identifier in enumerate(named):
            r = by_id.get(str(identifier))
            arn = arns[i] if i < len(arns) else (_str(r.values.get("arn")) if r else None)
            source = _str(r.values.get("replicate_source_db")) if r else None
            found.append(Database(str(identifier), arn, r and r.address, OUTPUT, source))
        return tuple(found)
    return tuple(
        Database(
            str(identifier), _str(r.values.get("arn")), r.address, DISCOVERY, _str(r.values.get("replicate_source_db"))
        )
        for identifier, r in by_id.items()
        if identifier
    )


def _parameters(outputs: Mapping[str, Any], resources: Sequence[StateResource]) -> tuple[str, ...]:
    named = outputs.get("ssm_parameter_names")
    if isinstance(named, list):
        return tuple(str(n) for n in named)
    return tuple(
        sorted(str(r.values["name"]) for r in resources if r.type == "aws_ssm_parameter" and r.values.get("name"))
    )


def replica_of(database: Database, primary: Iterable[Database]) -> Database | None:
    """The primary's database that ``database`` replicates (its ``replicate_source_db`` is that one's ARN or
    identifier), or None."""
    source = database.replicate_source_db
    if not source:
        return None
    return next((p for p in primary if source in (p.arn, p.identifier)), None)


def _lookup(outputs: Mapping[str, Any], name: str, key: str) -> str | None:
    values = outputs.get(name)
    return _str(values.get(key)) if isinstance(values, Mapping) else None


def _str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
