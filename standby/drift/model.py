"""What a drift check produces: findings, check errors, and the report that carries them (no I/O here)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from standby.errors import ExitCode
from standby.state.roles import Assignment

Status = Literal["drift", "ignored", "allowed", "unknown", "ok"]
STATUSES: tuple[Status, ...] = ("drift", "ignored", "allowed", "unknown", "ok")

# The keys of one finding in the JSON document, in order. Pinned by tests: consumers parse them.
FINDING_KEYS = (
    "check",
    "status",
    "resource",
    "attribute",
    "region",
    "primary",
    "standby",
    "expected",
    "actual",
    "rule",
    "reason",
)


@dataclass(frozen=True)
class Finding:
    """One observation of a check.

    parity:    ``primary`` and ``standby`` hold the normalised values of the two regions.
    iac:       ``expected`` is Terraform's recorded value, ``actual`` what the refresh read (also in the column of
               the region's role).
    readiness: ``expected`` is the bound (e.g. ``<= 60``), ``actual`` the measurement.
    ``rule`` names what decided the status: a parity rule (``parity.security_group.ingress``), an allowed
    difference (``allowed.capacity_ratio``), an ignore rule (its name), or an objective (``objectives.rpo_seconds``).
    """

    check: str
    resource: str
    attribute: str
    status: Status = "drift"
    region: str | None = None
    primary: Any = None
    standby: Any = None
    expected: Any = None
    actual: Any = None
    rule: str | None = None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in FINDING_KEYS}

    @property
    def sort_key(self) -> tuple[int, str, str, str, str]:
        return (STATUSES.index(self.status), self.check, self.resource, self.attribute, self.region or "")


@dataclass(frozen=True)
class CheckError:
    """A check (or one region of it) that could not run; the report is incomplete."""

    check: str
    region: str | None
    error: str  # an exception type or an AWS error code
    message: str
    exit_code: int = ExitCode.FAILED

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class DriftReport:
    """One drift run: its findings and check errors; ``drift/render.py`` writes it as text, JSON, JUnit and Markdown."""

    project: str
    assignment: Assignment  # which region was primary and which standby when the checks ran
    checks: tuple[str, ...]
    findings: tuple[Finding, ...]
    errors: tuple[CheckError, ...] = ()
    compared: Mapping[str, int] = field(default_factory=dict)  # check -> attributes or resources examined
    scope_source: str = ""  # manifest | outputs
    started_at: float = 0.0
    seconds: float = 0.0
    fail_on_unknown: bool = False

    @property
    def primary_region(self) -> str:
        return self.assignment.primary

    @property
    def standby_region(self) -> str:
        return self.assignment.standby

    def of(self, status: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.status == status)

    @property
    def drifted(self) -> bool:
        return bool(self.of("drift")) or (self.fail_on_unknown and bool(self.of("unknown")))

    @property
    def status(self) -> str:
        """error (a check could not run), drift, or parity."""
        if self.errors:
            return "error"
        return "drift" if self.drifted else "parity"

    @property
    def exit_code(self) -> int:
        """0 in parity; 3 when drift was found; a check's error code when a check could not run (errors win)."""
        if self.errors:
            return self.errors[0].exit_code
        return ExitCode.DRIFT if self.drifted else ExitCode.OK

    def counts(self) -> dict[str, int]:
        return {status: len(self.of(status)) for status in STATUSES}
