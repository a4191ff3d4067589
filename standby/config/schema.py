"""The standby.toml schema: what a project declares about its two regions, its stacks and its objectives.

Models are frozen and reject unknown keys, so a typo is an error rather than a silently ignored setting. Types are
strict: a number must be written as a TOML number (``"900"`` is not 900) and a boolean as ``true``/``false``;
floats must be finite. Every number has an upper bound (the limits in ``standby.config.fields``), so a mistyped
value is refused here rather than failing a failover half way. The value types and the one model base are in
``standby.config.fields``; the operational sections ([failover], [drill], [lock]) in ``standby.config.sections``.
Paths are kept as written; the loader resolves them against the config file's directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from standby.config.drift_schema import DriftSettings
from standby.config.fields import MAX_GROUP_SIZE as MAX_GROUP_SIZE
from standby.config.fields import MAX_SECONDS as MAX_SECONDS
from standby.config.fields import ROLES as ROLES
from standby.config.fields import (
    AccountId,
    BackendValue,
    Endpoint,
    EnvName,
    ExternalId,
    GroupSize,
    OutputName,
    PathText,
    ProfileName,
    ProjectName,
    Region,
    Role,
    RoleArn,
    Seconds,
    SecondsFromZero,
    StackName,
    StrictModel,
    TerraformValue,
)
from standby.config.sections import STEP_SLUGS as STEP_SLUGS
from standby.config.sections import CanarySettings as CanarySettings
from standby.config.sections import DrillSettings, FailoverSettings, LockSettings


class Project(StrictModel):
    name: ProjectName
    tags: dict[str, str] = Field(default_factory=dict)


class RegionCredentials(StrictModel):
    """How standby reaches one region's account: a named profile, or a role assumed through the base credentials
    (``--profile``, else the default chain). Keyed by region, not by role: a failover swaps the roles, never the
    account a region's resources live in."""

    profile: ProfileName | None = Field(default=None, description="An AWS CLI profile (~/.aws/config).")
    role_arn: RoleArn | None = Field(default=None, description="A role to assume with STS in this region.")
    external_id: ExternalId | None = Field(default=None, description="The ExternalId the role's trust policy asks.")

    @model_validator(mode="after")
    def _one_way(self) -> RegionCredentials:
        if self.profile is not None and self.role_arn is not None:
            raise ValueError(
                f"expected either profile or role_arn, found both (profile = {self.profile!r}, role_arn = "
                f"{self.role_arn!r}); to assume a role from a profile, pass the profile as --profile"
            )
        if self.profile is None and self.role_arn is None:
            raise ValueError("expected profile or role_arn, found neither")
        if self.external_id is not None and self.role_arn is None:
            raise ValueError("external_id goes with role_arn; a profile sets its own external_id in ~/.aws/config")
        return self

    @property
    def role_account(self) -> str | None:
        """The account of ``role_arn`` (its fifth field), when a role is set."""
        return self.role_arn.split(":")[4] if self.role_arn else None


class Regions(StrictModel):
    primary: Region
    standby: Region
    primary_account: AccountId | None = None
    standby_account: AccountId | None = None
    credentials: dict[Region, RegionCredentials] = Field(
        default_factory=dict,
        description="Region name -> how to reach that region's account; unset: --profile or the default chain.",
    )

    @model_validator(mode="after")
    def _distinct(self) -> Regions:
        if self.primary == self.standby:
            raise ValueError(f"primary and standby must be different regions, both are {self.primary!r}")
        return self

    def of(self, role: Role) -> str:
        return self.primary if role == "primary" else self.standby

    def account_of(self, role: Role) -> str | None:
        return self.primary_account if role == "primary" else self.standby_account

    def credential_problems(self) -> list[tuple[tuple[str, ...], str]]:
        """Credentials for a region that is neither of the two, or a role in another account than the region's."""
        problems: list[tuple[tuple[str, ...], str]] = []
        accounts = {self.primary: self.primary_account, self.standby: self.standby_account}
        for region, credentials in self.credentials.items():
            where = ("regions", "credentials", region)
            if region not in accounts:
                problems.append(
                    (
                        where,
                        f"expected the primary or standby region ({self.primary}, {self.standby}), found {region!r}",
                    )
                )
                continue
            account, role_account = accounts[region], credentials.role_account
            if account and role_account and account != role_account:
                problems.append(
                    (
                        (*where, "role_arn"),
                        f"the role is in account {role_account}, the config expects {account} in {region}",
                    )
                )
        return problems


class AwsSettings(StrictModel):
    endpoint: Endpoint | None = Field(
        default=None,
        description="'emulator' for the endpoint recorded by `standby emulator start`, or an endpoint URL.",
    )


class TerraformSettings(StrictModel):
    binary: PathText = Field(
        default="terraform", description="The program standby runs: terraform, tofu (OpenTofu), or a path to either."
    )
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


# The outputs standby reads from a region stack (docs/stacks.md); [stacks.NAME.outputs] maps them to a stack's own.
ContractOutput = Literal[
    "autoscaling_group_names",
    "target_group_arns",
    "lb_dns_names",
    "lb_zone_ids",
    "db_instance_identifiers",
    "db_instance_arns",
    "ssm_parameter_names",
]


class Stack(StrictModel):
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
    outputs: dict[ContractOutput, OutputName] = Field(
        default_factory=dict,
        description="Contract output -> the stack's own output that holds it (e.g. autoscaling_group_names = "
        '"my_asgs"), where discovery in the state is ambiguous.',
    )


class Capacity(StrictModel):
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


class Scale(StrictModel):
    fraction: float = Field(gt=0, le=1)
    floor: GroupSize = 1


class Traffic(StrictModel):
    hosted_zone: str
    records: list[str] = Field(min_length=1, max_length=100)
    ttl: int = Field(default=60, ge=0, le=86400)
    routing: Literal["failover", "weighted"] = "failover"
    entrypoint: str | None = Field(default=None, description="Capacity group whose load balancer serves the records.")


class Objectives(StrictModel):
    rto_seconds: Seconds
    rpo_seconds: SecondsFromZero


class Config(StrictModel):
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
        problems: list[tuple[tuple[str, ...], str]] = list(self.regions.credential_problems())
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
            if stack.outputs and stack.scope != "region":
                problems.append(
                    (("stacks", name, "outputs"), "only a region stack's outputs are read: expected scope = 'region'")
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
