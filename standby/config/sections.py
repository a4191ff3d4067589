"""The operational sections of standby.toml: [failover], [drill] (with its canary) and [lock].

How a run behaves rather than what the project is: timeouts, budgets, fencing, pauses for approval, the drill's
mode and canary, the run lock's lease. ``standby.config.schema`` assembles them into ``Config`` (and re-exports
them).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ModelWrapValidatorHandler, ValidationError, model_validator
from pydantic_core import InitErrorDetails

from standby.config.fields import (
    MAX_SECONDS,
    MAX_SNAPSHOT_AGE_SECONDS,
    BucketTemplate,
    PathText,
    Role,
    Seconds,
    SecondsFromZero,
    StrictModel,
)

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


class FailoverSettings(StrictModel):
    fence: Literal["scale-in", "none"] = Field(
        default="scale-in", description="How the old primary is fenced (best effort, time-boxed)."
    )
    fence_timeout_seconds: Seconds = Field(
        default=60,
        description="The longest a fence step waits on the demoted region; demote_budget_seconds caps it (the "
        "smaller of the two applies, and the plan shows it).",
    )
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
    drain_seconds: SecondsFromZero = Field(
        default=30,
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
    expected_healthy_seconds: Seconds | None = Field(
        default=None,
        description="How long the standby's new instances usually take to be in service behind healthy targets "
        "(a drill's wait-healthy step measures it). Until then the waits poll sparsely, closing in on it; after "
        "it, and always when unset, every 2 s or 2 % of the time waited. Fewer calls; never a later answer when "
        "the instances are ready at or after this time.",
    )
    expected_promotion_seconds: Seconds | None = Field(
        default=None,
        description="How long a replica's promotion usually takes (a drill's promote-db step measures it); "
        "polled as expected_healthy_seconds.",
    )
    expected_dns_seconds: Seconds | None = Field(
        default=None,
        description="How long a Route53 change usually takes to be INSYNC (the shift-traffic step measures it); "
        "polled as expected_healthy_seconds.",
    )
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

    @property
    def fence_seconds(self) -> float:
        """How long a fence step (fence-writes, fence-primary) waits on the demoted region at most: its timeout,
        within the per-step budget for that region."""
        return min(float(self.fence_timeout_seconds), self.demote_budget_seconds)


class CanarySettings(StrictModel):
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


class DrillSettings(StrictModel):
    mode: Literal["isolated", "full"] = "isolated"
    hold_seconds: SecondsFromZero = Field(default=300, description="Full drills: time on the standby before failback.")
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


class LockSettings(StrictModel):
    ttl_seconds: float = Field(
        default=60.0,
        ge=1.0,
        le=3600.0,
        description="The run lock's lease: a holder whose heartbeat is seen unchanged this long is gone.",
    )
