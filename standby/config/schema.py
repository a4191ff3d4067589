"""The standby.toml schema: what a project declares about its two regions, its stacks and its objectives.

Models are frozen and reject unknown keys, so a typo is an error rather than a silently ignored setting. Types are
strict: a number must be written as a TOML number (``"900"`` is not 900) and a boolean as ``true``/``false``;
floats must be finite. Every number has an upper bound (see the limits below), so a mistyped value is refused
here rather than failing a failover half way.
Paths are kept as written; the loader resolves them against the config file's directory.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import string
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails

from standby.config.drift_schema import DriftSettings

_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$")
_ACCOUNT = re.compile(r"^\d{12}$")
_PROJECT = re.compile(r"^[a-z][a-z0-9-]{2,19}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_STACK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")

# Upper bounds. Durations: one day; nothing standby waits for or tolerates should take longer.
MAX_SECONDS = 86_400
# Snapshots: RDS keeps automated backups at most 35 days, so an older one is never the latest.
MAX_SNAPSHOT_AGE_SECONDS = 35 * MAX_SECONDS
# Capacity: far above any auto scaling group standby drives (AWS caps instances by account quota, not per group).
MAX_GROUP_SIZE = 10_000

Role = Literal["primary", "standby"]
ROLES: tuple[Role, Role] = ("primary", "standby")


def _region(value: str) -> str:
    if not _REGION.match(value):
        raise ValueError(f"expected an AWS region name such as 'us-east-1', found {value!r}")
    return value


def _account(value: str) -> str:
    if not _ACCOUNT.match(value):
        raise ValueError(f"expected a 12-digit AWS account id, found {value!r}")
    return value


def _project_name(value: str) -> str:
    if not _PROJECT.match(value):
        raise ValueError(
            f"expected 3-20 characters of lowercase letters, digits and '-', starting with a letter, found {value!r}"
        )
    return value


def _env_name(value: str) -> str:
    if not _ENV_NAME.match(value):
        raise ValueError(f"expected an environment variable name, found {value!r}")
    return value


def _stack_name(value: str) -> str:
    if not _STACK_NAME.match(value):
        raise ValueError(
            "expected a stack name of 1-64 letters, digits, '-' and '_', starting with a letter (it names "
            f"directories and state files), found {value!r}"
        )
    return value


def _path_text(value: str) -> str:
    if not value.strip():
        raise ValueError("expected a path, found an empty string")
    if "\x00" in value:
        raise ValueError(f"expected a path without NUL characters, found {value!r}")
    try:
        Path(value).expanduser()
    except RuntimeError as err:  # "~name/..." for a user that does not exist
        raise ValueError(f"cannot expand {value!r}: {err}") from None
    return value


_BACKEND_FIELDS = ("project", "stack", "region", "key")


def _backend_value(value: str) -> str:
    """Values may use {project}, {stack}, {region} and {key}, filled in with ``str.format_map`` per workspace."""
    allowed = ", ".join("{" + f + "}" for f in _BACKEND_FIELDS)
    try:
        fields = list(string.Formatter().parse(value))
    except ValueError as err:
        raise ValueError(
            f"malformed placeholder in {value!r} ({err}); placeholders are {allowed}, write {{{{ and }}}} for a "
            "literal brace"
        ) from None
    for _, name, spec, conversion in fields:
        if name is None:
            continue
        if name not in _BACKEND_FIELDS or spec or conversion:
            whole = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            raise ValueError(f"unknown placeholder {whole} in {value!r}: only {allowed} exist")
    return value


def _terraform_value(value: Any) -> Any:
    """A variable's value must survive JSON (the tfvars file): no dates or times, no inf or nan."""
    pending: list[tuple[Any, str]] = [(value, "")]
    while pending:
        item, where = pending.pop()
        at = f" at {where.lstrip('.')}" if where else ""
        if isinstance(item, (dt.date, dt.time)):  # datetime is a date
            raise ValueError(f"expected a string, number, boolean, array or table{at}, found the date/time {item}")
        if isinstance(item, float) and not math.isfinite(item):
            raise ValueError(f"expected a finite number{at}, found {item}")
        if isinstance(item, dict):
            pending.extend((v, f"{where}.{k}") for k, v in item.items())
        elif isinstance(item, list):
            pending.extend((v, f"{where}.{i}") for i, v in enumerate(item))
    return value


Region = Annotated[str, AfterValidator(_region)]
AccountId = Annotated[str, AfterValidator(_account)]
EnvName = Annotated[str, AfterValidator(_env_name)]
StackName = Annotated[str, AfterValidator(_stack_name)]
PathText = Annotated[str, AfterValidator(_path_text)]
TerraformValue = Annotated[Any, AfterValidator(_terraform_value)]
BackendValue = Annotated[str, AfterValidator(_backend_value)]
Seconds = Annotated[int, Field(gt=0, le=MAX_SECONDS)]
GroupSize = Annotated[int, Field(ge=0, le=MAX_GROUP_SIZE)]

# The slugs of the failover's and failback's steps (standby.failover.model; a unit test keeps the two equal): what
# ``[failover] approve_before`` may name.
STEP_SLUGS = (
    "preflight",
    "scale-out",
    "wait-healthy",
    "fence-writes",
    "restore-writes",
    "promote-db",
    "reseed-db",
    "shift-traffic",
    "verify",
    "record",
    "drain",
    "fence-primary",
    "scale-in",
)


def _step_slugs(value: list[str]) -> list[str]:
    unknown = [slug for slug in value if slug not in STEP_SLUGS]
    if unknown:
        raise ValueError(f"unknown step slug(s) {', '.join(map(repr, unknown))}; known: {', '.join(STEP_SLUGS)}")
    if len(set(value)) != len(value):
        raise ValueError("a step slug is listed twice")
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class Project(_Model):
    name: Annotated[str, AfterValidator(_project_name)]
    tags: dict[str, str] = Field(default_factory=dict)


class Regions(_Model):
    primary: Region
    standby: Region
    primary_account: AccountId | None = None
    standby_account: AccountId | None = None

    @model_validator(mode="after")
    def _distinct(self) -> Regions:
        if self.primary == self.standby:
            raise ValueError(f"primary and standby must be different regions, both are {self.primary!r}")
        return self

    def of(self, role: Role) -> str:
        return self.primary if role == "primary" else self.standby

    def account_of(self, role: Role) -> str | None:
        return self.primary_account if role == "primary" else self.standby_account


def _endpoint(value: str) -> str:
    if value != "emulator" and not re.match(r"^https?://[^/\s]+/?$", value):
        raise ValueError(f"expected 'emulator' or a URL such as 'http://127.0.0.1:5000', found {value!r}")
    return value


class AwsSettings(_Model):
    endpoint: Annotated[str, AfterValidator(_endpoint)] | None = Field(
        default=None,
        description="'emulator' for the endpoint recorded by `standby emulator start`, or an endpoint URL.",
    )


class TerraformSettings(_Model):
    binary: PathText = "terraform"
    plugin_dir: PathText | None = Field(
        default=None, description="Provider filesystem mirror; STANDBY_TF_PLUGIN_DIR is used when this is unset."
    )
    state_dir: PathText = ".standby"
    parallel: bool = True
    apply_timeout_seconds: Seconds | None = Field(
        default=None,
        description="Stop an apply or destroy that runs longer (SIGINT, then a kill after a grace period); "
        "unset: no limit.",
    )


class Stack(_Model):
    path: PathText = Field(description="The root module's directory; it must declare a backend.")
    scope: Literal["region", "global"] = "region"
    vars: dict[str, TerraformValue] = Field(default_factory=dict)
    region_vars: dict[Region, dict[str, TerraformValue]] = Field(
        default_factory=dict, description="Region name -> variables for that region only (e.g. an AMI id)."
    )
    secrets: dict[str, EnvName] = Field(
        default_factory=dict, description="Terraform variable name -> environment variable holding its value."
    )
    backend_config: dict[str, BackendValue] = Field(
        default_factory=dict,
        description="-backend-config values; they may use {project}, {stack}, {region} and {key} (stack-region).",
    )


class Capacity(_Model):
    min_size: GroupSize
    max_size: Annotated[int, Field(ge=1, le=MAX_GROUP_SIZE)]
    desired_capacity: GroupSize

    @model_validator(mode="after")
    def _ordered(self) -> Capacity:
        if not self.min_size <= self.desired_capacity <= self.max_size:
            raise ValueError(
                "expected min_size <= desired_capacity <= max_size, found "
                f"{self.min_size} <= {self.desired_capacity} <= {self.max_size}"
            )
        return self


class Scale(_Model):
    fraction: float = Field(gt=0, le=1)
    floor: GroupSize = 1


class Traffic(_Model):
    hosted_zone: str
    records: list[str] = Field(min_length=1, max_length=100)
    ttl: int = Field(default=60, ge=0, le=86400)
    routing: Literal["failover", "weighted"] = "failover"
    entrypoint: str | None = Field(default=None, description="Capacity group whose load balancer serves the records.")


class Objectives(_Model):
    rto_seconds: Seconds
    rpo_seconds: int = Field(ge=0, le=MAX_SECONDS)


class FailoverSettings(_Model):
    fence: Literal["scale-in", "none"] = Field(
        default="scale-in", description="How the old primary is fenced (best effort, time-boxed)."
    )
    fence_timeout_seconds: Seconds = 60
    demote_budget_seconds: float = Field(
        default=10.0,
        ge=1,
        le=300,
        description="The total time one step (and planning) waits on the region being demoted, which may be down: "
        "its calls give up when this is spent, and the run goes on without them.",
    )
    fence_writes: Literal["security-group", "none"] = Field(
        default="security-group",
        description="How the demoted primary's databases are fenced against writes before the standby's are promoted "
        "(best effort, time-boxed): security-group revokes the ingress of the databases' security groups (restored "
        "by the failback before that region serves again); none leaves them writable.",
    )
    drain_seconds: int = Field(
        default=30,
        ge=0,
        le=MAX_SECONDS,
        description="After traffic moves, how long beyond the records' TTL the demoted region keeps its capacity "
        "(for cached DNS answers and open connections) before it is scaled in.",
    )
    traffic_mode: Literal["records", "health-check"] = Field(
        default="records",
        description="records: one atomic Route53 change batch per hosted zone. health-check: flip the traffic "
        "switch (a CloudWatch alarm in the activated region that the demoted region's health check follows): "
        "no Route53 control-plane call during recovery.",
    )
    promote_timeout_seconds: Seconds = 1800
    healthy_timeout_seconds: Seconds = 900
    dns_timeout_seconds: Seconds = 300
    snapshot_max_age_seconds: int = Field(default=86400, gt=0, le=MAX_SNAPSHOT_AGE_SECONDS)
    approve_before: Annotated[list[str], AfterValidator(_step_slugs)] = Field(
        default_factory=list,
        max_length=len(STEP_SLUGS),
        description="Step slugs before which a failover or failback pauses (exit 9) until "
        '`--resume RUN --approve`; e.g. ["shift-traffic"].',
    )
    report_dir: PathText = Field(
        default="run-reports", description="Where failover and failback reports are written locally."
    )
    max_parallel: int = Field(
        default=256,
        ge=1,
        le=1024,
        description="Steps that run at once (worker threads). A plan has about two steps per auto scaling group and "
        "a step that waits (promotion, health, DNS) holds its worker: with fewer workers than about twice the "
        "groups, a ready step (e.g. promote-db after the fence) queues behind waiting ones.",
    )

    @model_validator(mode="wrap")
    @classmethod
    def _removed_settings(cls, data: Any, handler: ModelWrapValidatorHandler[FailoverSettings]) -> FailoverSettings:
        """``promotion_settle_seconds`` is gone: refused by name (not as an unknown key), with the other problems
        of the table, if any."""
        removed = "promotion_settle_seconds"
        if not isinstance(data, dict) or removed not in data:
            return handler(data)
        problems = [
            InitErrorDetails(
                type="value_error",
                ctx={"error": ValueError("removed: promotion is judged from AWS state alone")},
                loc=(removed,),
                input=data[removed],
            )
        ]
        try:
            handler({k: v for k, v in data.items() if k != removed})
        except ValidationError as err:
            problems.extend(
                InitErrorDetails(type=e["type"], loc=e["loc"], input=e["input"], ctx=e.get("ctx", {}))
                for e in err.errors(include_url=False)
            )
        raise ValidationError.from_exception_data(cls.__name__, problems)


def _bucket_template(value: str) -> str:
    unknown = sorted(set(re.findall(r"\{([^}]*)\}", value)) - {"project", "region"})
    if unknown:
        raise ValueError(f"unknown placeholder {{{unknown[0]}}} in {value!r}: only {{project}} and {{region}} exist")
    return value


BucketTemplate = Annotated[str, AfterValidator(_bucket_template)]


class CanarySettings(_Model):
    """The write-marker canary: markers written to a primary-side bucket and read from its replica in the standby.

    Bucket names may use ``{project}`` and ``{region}``; ``{region}`` is the primary's region in ``primary_bucket``
    and the standby's in ``standby_bucket`` (the region stack's data bucket is ``{project}-{region}-data``).
    """

    primary_bucket: BucketTemplate = Field(min_length=3, description="Written during a drill; replicated.")
    standby_bucket: BucketTemplate = Field(min_length=3, description="Read during a drill: the replica.")
    prefix: str = Field(default="standby-canary/", min_length=1, description="Markers are kept under this prefix.")
    interval_seconds: float = Field(
        default=5, gt=0, le=MAX_SECONDS, description="A marker is written this often during a drill."
    )
    warmup_timeout_seconds: float = Field(
        default=900,
        ge=0,
        le=MAX_SECONDS,
        description="Before the measured part, wait up to this long for the first marker to reach the standby.",
    )

    def bucket(self, role: Role, *, project: str, region: str) -> str:
        template = self.primary_bucket if role == "primary" else self.standby_bucket
        return template.replace("{project}", project).replace("{region}", region)


class DrillSettings(_Model):
    mode: Literal["isolated", "full"] = "isolated"
    hold_seconds: int = Field(
        default=300, ge=0, le=MAX_SECONDS, description="Full drills: time on the standby before failback."
    )
    dns_label: str = Field(
        default="standby-drill",
        pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$",
        description="Isolated drills shift this name (under the hosted zone), never the production records.",
    )
    copy_suffix: str = Field(default="-drill", pattern=r"^-[a-z0-9-]{1,20}$")
    report_dir: PathText = Field(default="drill-reports", description="Where reports are written locally.")
    canary: CanarySettings | None = Field(
        default=None, description="A write-marker canary measuring replication's data loss (optional)."
    )


class LockSettings(_Model):
    ttl_seconds: float = Field(
        default=60.0,
        ge=1.0,
        le=3600.0,
        description="The run lock's lease: a holder whose heartbeat is seen unchanged this long is gone.",
    )


class Config(_Model):
    project: Project
    regions: Regions
    aws: AwsSettings = AwsSettings()
    terraform: TerraformSettings = TerraformSettings()
    stacks: dict[StackName, Stack] = Field(min_length=1)
    capacity: dict[str, Capacity] = Field(min_length=1)
    scale: Scale
    traffic: Traffic
    objectives: Objectives
    failover: FailoverSettings = FailoverSettings()
    drill: DrillSettings = DrillSettings()
    drift: DriftSettings = DriftSettings()
    lock: LockSettings = LockSettings()

    def cross_reference_problems(self) -> list[tuple[tuple[str, ...], str]]:
        """Problems that involve more than one field, as (field path, message); empty when consistent."""
        problems: list[tuple[tuple[str, ...], str]] = []
        if self.traffic.entrypoint is not None and self.traffic.entrypoint not in self.capacity:
            problems.append(
                (
                    ("traffic", "entrypoint"),
                    f"expected one of the capacity groups {sorted(self.capacity)}, found {self.traffic.entrypoint!r}",
                )
            )
        if not any(s.scope == "region" for s in self.stacks.values()):
            problems.append((("stacks",), "expected at least one stack with scope = 'region'"))
        for name, stack in self.stacks.items():
            for region in stack.region_vars:
                if region not in (self.regions.primary, self.regions.standby):
                    problems.append(
                        (
                            ("stacks", name, "region_vars", region),
                            f"expected the primary or standby region ({self.regions.primary}, {self.regions.standby}),"
                            f" found {region!r}",
                        )
                    )
        if sum(1 for s in self.stacks.values() if s.scope == "global") > 1:
            problems.append((("stacks",), "expected at most one stack with scope = 'global'"))
        return problems

    @property
    def entrypoint(self) -> str:
        return self.traffic.entrypoint or next(iter(self.capacity))


class LoadedConfig(BaseModel):
    """A validated config together with where it came from, so relative paths resolve against its directory."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    config: Config
    path: Path

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def resolve(self, relative: str) -> Path:
        p = Path(relative).expanduser()
        return p if p.is_absolute() else (self.base_dir / p).resolve()

    @property
    def state_dir(self) -> Path:
        return self.resolve(self.config.terraform.state_dir)
