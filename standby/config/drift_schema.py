"""The [drift] section of standby.toml: the parity spec between the regions, and ignore rules.

```toml
[drift]
checks = ["iac", "parity", "readiness"]

[drift.parity]                       # what must be equal; an empty list turns a service off
database = ["engine", "engine_version", "instance_class", "parameter_groups"]

[drift.allowed]                      # what may differ, and how
capacity_ratio = { min = 0.25, max = 1.0 }
db_instance_classes = ["db.t3.micro", "db.t3.small"]

[[drift.ignore]]                     # known drift, each with a reason
name = "flags-roll-out"
resource = "parameter:/webapp/feature_flags"
attribute = "value"
reason = "feature flags roll out one region at a time"
```
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from standby.config.fields import Region, StrictModel, matching

Check = Literal["iac", "parity", "readiness"]
CHECKS: tuple[Check, ...] = ("iac", "parity", "readiness")

# Every attribute the parity check can compare, per service. Security-group rules and listeners are families:
# "ingress" covers every ingress rule ("ingress:tcp:443:0.0.0.0/0"), and so on.
PARITY_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "launch_template": ("image", "instance_type", "user_data_sha256", "security_groups", "key_name", "iam_profile"),
    "security_group": ("ingress", "egress", "description"),
    "load_balancer": ("type", "scheme", "security_groups"),
    "listener": ("protocol", "ssl_policy", "certificates", "default_action"),
    "target_group": ("port", "protocol", "health_check"),
    "database": (
        "engine",
        "engine_version",
        "instance_class",
        "parameter_groups",
        "allocated_storage",
        "storage_type",
        "security_groups",
    ),
    "record": ("type", "ttl", "target", "routing", "health_check", "evaluate_target_health"),
    "parameter": ("type", "value"),
    "task_definition": ("images", "cpu", "memory", "environment_sha256", "network_mode"),
    "capacity": ("min_size", "max_size", "desired_capacity", "launch_template", "target_groups"),
}

_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")


def _reason(value: str) -> str:
    if len(value.strip()) < 3:
        raise ValueError("expected a reason that says why this drift is accepted (at least 3 characters)")
    return value.strip()


def _name_pattern(value: str) -> str:
    """A regular expression with exactly one group: the stable part of a generated name."""
    try:
        groups = re.compile(value).groups
    except re.error as err:
        raise ValueError(f"name pattern {value!r} is not a regular expression: {err}") from None
    if groups != 1:
        raise ValueError(
            f"name pattern {value!r} must have exactly one group, the stable part of the name "
            f"(e.g. '(web-)[0-9a-z]{{8}}'), found {groups}"
        )
    return value


def _instance_type(value: str) -> str:
    if not _INSTANCE_TYPE.match(value) or value.startswith("db."):
        raise ValueError(f"expected an EC2 instance type such as 't3.micro', found {value!r}")
    return value


def _db_class(value: str) -> str:
    if not value.startswith("db.") or not _INSTANCE_TYPE.match(value[3:]):
        raise ValueError(f"expected an RDS instance class such as 'db.t3.micro', found {value!r}")
    return value


Pattern = Annotated[
    str, AfterValidator(matching(r"^[^\s]+$", "a pattern without spaces such as 'parameter:/webapp/*'"))
]


class CapacityRatio(StrictModel):
    """Bounds of standby / primary for a group's desired and minimum capacity."""

    min: float = Field(ge=0, le=1)
    max: float = Field(default=1.0, gt=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> CapacityRatio:
        if self.min > self.max:
            raise ValueError(f"expected min <= max, found min = {self.min} > max = {self.max}")
        return self


class AllowedDifferences(StrictModel):
    capacity_ratio: CapacityRatio | None = Field(
        default=None, description="Default: from [scale] — min = fraction, max = 1.0."
    )
    instance_types: list[Annotated[str, AfterValidator(_instance_type)]] = Field(
        default_factory=list, description="EC2 instance types the standby may run instead of the primary's."
    )
    db_instance_classes: list[Annotated[str, AfterValidator(_db_class)]] = Field(
        default_factory=list, description="RDS instance classes the standby may run instead of the primary's."
    )


def _attributes_of(service: str):  # type: ignore[no-untyped-def]
    known = PARITY_ATTRIBUTES[service]

    def check(values: list[str]) -> list[str]:
        unknown = [v for v in values if v not in known]
        if unknown:
            raise ValueError(
                f"unknown attribute(s) {', '.join(map(repr, unknown))}; expected some of: {', '.join(known)}"
            )
        return values

    return Annotated[list[str], AfterValidator(check)]


class ParitySpec(StrictModel):
    """What must be equal between the regions, per service (default: every attribute; [] turns a service off)."""

    launch_template: _attributes_of("launch_template") = list(PARITY_ATTRIBUTES["launch_template"])  # type: ignore[valid-type]
    security_group: _attributes_of("security_group") = list(PARITY_ATTRIBUTES["security_group"])  # type: ignore[valid-type]
    load_balancer: _attributes_of("load_balancer") = list(PARITY_ATTRIBUTES["load_balancer"])  # type: ignore[valid-type]
    listener: _attributes_of("listener") = list(PARITY_ATTRIBUTES["listener"])  # type: ignore[valid-type]
    target_group: _attributes_of("target_group") = list(PARITY_ATTRIBUTES["target_group"])  # type: ignore[valid-type]
    database: _attributes_of("database") = list(PARITY_ATTRIBUTES["database"])  # type: ignore[valid-type]
    record: _attributes_of("record") = list(PARITY_ATTRIBUTES["record"])  # type: ignore[valid-type]
    parameter: _attributes_of("parameter") = list(PARITY_ATTRIBUTES["parameter"])  # type: ignore[valid-type]
    task_definition: _attributes_of("task_definition") = list(PARITY_ATTRIBUTES["task_definition"])  # type: ignore[valid-type]
    capacity: _attributes_of("capacity") = list(PARITY_ATTRIBUTES["capacity"])  # type: ignore[valid-type]

    def attributes(self, service: str) -> tuple[str, ...]:
        return tuple(getattr(self, service))


class IgnoreRule(StrictModel):
    """Known drift to accept: matches findings by check, resource and attribute (shell-style patterns)."""

    name: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(
        default=None, description="Shown in the report; default 'ignore[N]'."
    )
    check: Check | None = None
    resource: Pattern
    attribute: Pattern = "*"
    region: Region | None = Field(default=None, description="Only findings of this region (iac and readiness).")
    reason: Annotated[str, AfterValidator(_reason)]


class DriftSettings(StrictModel):
    checks: list[Check] = Field(default_factory=lambda: list(CHECKS), min_length=1)
    parity: ParitySpec = ParitySpec()
    allowed: AllowedDifferences = AllowedDifferences()
    ignore: list[IgnoreRule] = Field(default_factory=list)
    iac_ignore_attributes: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Terraform resource type -> attributes whose drift is noise (added to the built-in list).",
    )
    name_patterns: list[Annotated[str, AfterValidator(_name_pattern)]] = Field(
        default_factory=list,
        description="Parity: regexes for generated names (one group, the stable part) matched against whole names; "
        "Terraform's name_prefix suffix is recognised without one.",
    )
    replica_lag_max_seconds: float | None = Field(
        default=None, ge=0, le=86_400, description="Default: [objectives] rpo_seconds."
    )
    fail_on_unknown: bool = Field(
        default=False, description="Treat a check that could not be made (e.g. no quota data) as drift."
    )

    @field_validator("ignore")
    @classmethod
    def _unique_rule_names(cls, rules: list[IgnoreRule]) -> list[IgnoreRule]:
        names = [r.name for r in rules if r.name]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"ignore rule names must be unique, found duplicates: {', '.join(duplicates)}")
        return rules

    def rule_name(self, index: int) -> str:
        return self.ignore[index].name or f"ignore[{index}]"
