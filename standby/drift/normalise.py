"""Turn one region's raw inventory into comparable facts: ``{resource: {attribute: value}}`` (pure).

Region-specific identifiers are replaced so that a mirror compares equal: the region's own name becomes
``<region>``, the other region's name ``<peer-region>`` (so a setting that points at the other region stays
visible), account ids ``<account>``; resources are keyed by their names (the same in both regions of a mirror),
security groups, target groups and load balancers referenced by id or ARN are named, and AMIs are compared by
name, since their ids differ per region.

Names Terraform generates from ``name_prefix`` differ per region too: the AWS provider appends
``id.PrefixedUniqueId``'s 26 characters (the UTC time as ``yyyymmddHHMMSS``, 4 digits of fractional seconds,
an 8-digit hex counter), so ``web-20240101123456789000000001`` becomes ``web-<generated>``. Names generated
another way are matched by ``[drift] name_patterns``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from standby.aws.ec2 import SecurityGroupRule
from standby.drift.inventory import RegionInventory

State = dict[str, dict[str, Any]]

REGION = "<region>"
PEER_REGION = "<peer-region>"
ACCOUNT = "<account>"
GENERATED = "<generated>"
_ACCOUNT_IN_ARN = re.compile(r"(arn:[^:]+:[^:]*:[^:]*:)(\d{12})(:)")
_ECR_ACCOUNT = re.compile(r"^\d{12}(?=\.dkr\.ecr\.)")
# id.PrefixedUniqueId's suffix: fmt.Sprintf("%s%s%08x", prefix, time.Now().UTC().Format("20060102150405.0000")
# without the dot, counter) — a plausible timestamp, then 8 lower-case hex digits, ending the name.
_PREFIXED_UNIQUE_ID = re.compile(
    r"20\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:[01]\d|2[0-3])[0-5]\d[0-5]\d\d{4}[0-9a-f]{8}(?![0-9A-Za-z])"
)


@dataclass(frozen=True)
class NamePatterns:
    """Turns generated names into their stable part: Terraform's ``name_prefix`` suffix always, and names that
    fully match a configured pattern (``[drift] name_patterns``: one group, the stable part) into that group."""

    patterns: tuple[re.Pattern[str], ...] = ()

    @classmethod
    def of(cls, patterns: Iterable[str]) -> NamePatterns:
        return cls(tuple(re.compile(p) for p in patterns))

    def stable(self, value: str) -> str:
        for pattern in self.patterns:
            match = pattern.fullmatch(value)
            if match is not None:
                return (match.group(1) or "") + GENERATED
        return _PREFIXED_UNIQUE_ID.sub(GENERATED, value)


@dataclass(frozen=True)
class Localiser:
    """Replaces the names of one region, its peer and the accounts inside a value, and generated name suffixes."""

    region: str
    peer: str
    accounts: tuple[str, ...] = ()
    names: NamePatterns = NamePatterns()

    def text(self, value: str) -> str:
        # Generated names first (a configured pattern sees the name as AWS holds it), then the regions: the
        # longer name first, in case one region's name contains the other's.
        out = self.names.stable(value)
        pairs = sorted(((self.region, REGION), (self.peer, PEER_REGION)), key=lambda p: -len(p[0]))
        for name, token in pairs:
            if name:
                out = out.replace(name, token)
        out = _ACCOUNT_IN_ARN.sub(lambda m: m.group(1) + ACCOUNT + m.group(3), out)
        out = _ECR_ACCOUNT.sub(ACCOUNT, out)
        for account in self.accounts:
            out = out.replace(account, ACCOUNT)
        return out

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, (list, tuple)):
            return [self.value(v) for v in value]
        return value


def short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def user_data_hash(user_data: str | None, localiser: Localiser) -> str | None:
    """sha256 (16 hex digits) of the decoded user data with region names replaced; None when there is none."""
    if not user_data:
        return None
    try:
        text = base64.b64decode(user_data, validate=True).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        text = user_data
    return short_hash(localiser.text(text))


def rule_attribute(rule: SecurityGroupRule, group_names: Mapping[str, str], localiser: Localiser) -> str:
    """A rule as an attribute name: ``ingress:tcp:443:0.0.0.0/0``, ``egress:all:all:0.0.0.0/0``,
    ``ingress:tcp:80:sg/webapp-alb`` (no spaces, so ignore rules can match it)."""
    protocol = "all" if rule.protocol in ("-1", "all") else rule.protocol
    if protocol == "all" or rule.from_port is None:
        ports = "all"
    elif rule.from_port == rule.to_port or rule.to_port is None:
        ports = str(rule.from_port)
    else:
        ports = f"{rule.from_port}-{rule.to_port}"
    if rule.source_kind == "security-group":
        source = "sg/" + localiser.text(group_names.get(rule.source, rule.source))
    elif rule.source_kind == "prefix-list":
        source = "pl/" + localiser.text(rule.source)
    else:
        source = rule.source
    return f"{rule.direction}:{protocol}:{ports}:{source}"


def _names(items: Iterable[str]) -> list[str]:
    return sorted(set(items))


def region_state(inventory: RegionInventory, localiser: Localiser) -> State:
    """Every resource of the region's inventory as comparable attributes, keyed ``service:name``."""
    state: State = {}
    sg_names = {g.id: g.name for g in inventory.security_groups} | dict(inventory.referenced_groups)
    tg_names = {tg.arn: localiser.text(tg.name) for tg in inventory.target_groups}
    lb_names = {lb.arn: localiser.text(lb.name) for lb in inventory.load_balancers}

    def sg_list(ids: Iterable[str]) -> list[str]:
        return _names(localiser.text(sg_names.get(i, i)) for i in ids)

    for group, spec in inventory.groups.items():
        template = inventory.templates.get(group)
        state[f"capacity:{group}"] = {
            "min_size": spec.state.min_size,
            "max_size": spec.state.max_size,
            "desired_capacity": spec.state.desired_capacity,
            "launch_template": localiser.text(template.template_name) if template else None,
            "target_groups": _names(tg_names.get(a, localiser.text(a)) for a in spec.state.target_group_arns),
        }
        if template is not None:
            image = inventory.images.get(template.image_id or "")
            state[f"launch_template:{group}"] = {
                "image": image.name if image and image.name else localiser.value(template.image_id),
                "instance_type": template.instance_type,
                "user_data_sha256": user_data_hash(template.user_data, localiser),
                "security_groups": sg_list(template.security_group_ids),
                "key_name": localiser.value(template.key_name),
                "iam_profile": localiser.value(template.iam_profile),
            }

    for tg in inventory.target_groups:
        state[f"target_group:{localiser.text(tg.name)}"] = {
            "port": tg.port,
            "protocol": tg.protocol,
            "health_check": ",".join(f"{k}={localiser.text(v)}" for k, v in tg.health_check),
        }
    for lb in inventory.load_balancers:
        state[f"load_balancer:{localiser.text(lb.name)}"] = {
            "type": lb.type,
            "scheme": lb.scheme,
            "security_groups": sg_list(lb.security_group_ids),
        }
    for listener in inventory.listeners:
        lb_name = lb_names.get(listener.load_balancer_arn, localiser.text(listener.load_balancer_arn))
        actions = []
        for action in listener.default_actions:
            targets = "+".join(tg_names.get(a, localiser.text(a)) for a in action.target_group_arns)
            detail = targets or action.redirect or action.fixed_response or ""
            actions.append(f"{action.type}:{localiser.text(detail)}" if detail else action.type)
        state[f"listener:{lb_name}:{listener.port}"] = {
            "protocol": listener.protocol,
            "ssl_policy": listener.ssl_policy,
            "certificates": len(listener.certificate_arns),
            "default_action": actions,
        }
    for group in inventory.security_groups:
        attributes: dict[str, Any] = {"description": localiser.text(group.description)}
        for rule in group.rules:
            attributes[rule_attribute(rule, sg_names, localiser)] = "present"
        state[f"security_group:{localiser.text(group.name)}"] = attributes
    for db in inventory.databases:
        state[f"database:{localiser.text(db.identifier)}"] = {
            "engine": db.engine,
            "engine_version": db.engine_version,
            "instance_class": db.instance_class,
            "parameter_groups": [localiser.text(p) for p in db.parameter_groups],
            "allocated_storage": db.allocated_storage,
            "storage_type": db.storage_type,
            "security_groups": sg_list(db.security_group_ids),
        }
    for parameter in inventory.parameters:
        value = "<encrypted>" if parameter.type == "SecureString" else localiser.text(parameter.value)
        state[f"parameter:{localiser.text(parameter.name)}"] = {"type": parameter.type, "value": value}
    for task in inventory.task_definitions:
        environment = "\n".join(f"{c}\t{n}\t{localiser.text(v)}" for c, n, v in task.environment)
        state[f"task_definition:{localiser.text(task.family)}"] = {
            "images": [localiser.text(i) for i in task.images],
            "cpu": task.cpu,
            "memory": task.memory,
            "network_mode": task.network_mode,
            "environment_sha256": short_hash(environment),
        }
    return state
