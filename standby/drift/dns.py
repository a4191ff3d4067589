"""Route53 records as comparable facts per region (pure): does each service name have a record for each region,
and do the two records agree?

For each record name, the record of a region is the failover record of its role (PRIMARY for the primary), else
the one that targets the region's load balancer. Its target is named after the load balancer
(``load_balancer:webapp-web``; ``...@peer-region`` when it points at the other region's), and a failover role that
matches the region's role reads ``failover:as-role``, so that a mirror compares equal and a record that sends the
primary's traffic to the wrong place does not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from standby.aws.route53 import Record
from standby.drift.normalise import Localiser, State

_FAILOVER_ROLE = {"primary": "PRIMARY", "standby": "SECONDARY"}


@dataclass(frozen=True)
class RegionEndpoints:
    role: str  # primary | standby
    localiser: Localiser
    load_balancers: Mapping[str, str]  # DNS name (lower case, no trailing dot) -> load balancer name


def _dns(name: str | None) -> str:
    text = (name or "").lower().rstrip(".")
    return text.removeprefix("dualstack.")


def _targets(record: Record) -> list[str]:
    if record.alias_target:
        return [_dns(record.alias_target)]
    return [_dns(v) for v in record.values]


def _choose(records: Sequence[Record], own: RegionEndpoints) -> Record | None:
    """The failover record of the region's role; else the record that targets its load balancer; else the one
    whose set identifier names its role."""
    for record in records:
        if record.failover == _FAILOVER_ROLE[own.role]:
            return record
    for record in records:
        if any(t in own.load_balancers for t in _targets(record)):
            return record
    return next((r for r in records if r.set_identifier == own.role), None)


def _target(record: Record, own: RegionEndpoints, peer: RegionEndpoints) -> str:
    names = []
    for target in _targets(record):
        if target in own.load_balancers:
            names.append(f"load_balancer:{own.localiser.text(own.load_balancers[target])}")
        elif target in peer.load_balancers:
            names.append(f"load_balancer:{peer.localiser.text(peer.load_balancers[target])}@peer-region")
        else:
            names.append(own.localiser.text(target))
    return ",".join(sorted(names))


def _routing(record: Record, role: str) -> str:
    if record.failover:
        return "failover:as-role" if record.failover == _FAILOVER_ROLE[role] else f"failover:{record.failover}"
    if record.weight is not None:
        return "weighted"
    return "simple"


def _attributes(record: Record, own: RegionEndpoints, peer: RegionEndpoints) -> dict[str, Any]:
    raw = getattr(record, "raw", None) or {}
    return {
        "type": record.type,
        "ttl": record.ttl,
        "target": _target(record, own, peer),
        "routing": _routing(record, own.role),
        "health_check": "present" if record.health_check_id else "absent",
        "evaluate_target_health": (raw.get("AliasTarget") or {}).get("EvaluateTargetHealth"),
    }


def record_states(
    records: Sequence[Record], fqdns: Sequence[str], primary: RegionEndpoints, standby: RegionEndpoints
) -> tuple[State, State]:
    """(primary's, standby's) record facts, keyed ``record:<fqdn>``."""
    states: tuple[State, State] = ({}, {})
    for fqdn in fqdns:
        wanted = _dns(fqdn)
        named = [r for r in records if _dns(r.name) == wanted and r.type not in ("NS", "SOA")]
        for state, own, peer in ((states[0], primary, standby), (states[1], standby, primary)):
            chosen = _choose(named, own)
            if chosen is not None:
                state[f"record:{wanted}"] = _attributes(chosen, own, peer)
    return states
