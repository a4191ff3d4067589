"""Which AWS calls each step makes, where, and on which plane: one table, pure.

``STEP_CALLS`` maps every step type (the failover's, in ``standby.failover.model``, and the isolated drill's, in
``standby.drill.isolated``) to the driver functions its handler calls, with where each call goes (the step's
region, the activated or demoted region, Route53's API) and whether the handler treats it as best effort
(time-boxed, its failure tolerated). The IAM actions come from the drivers' ``@requires``. The plan document and
the lint read this table; ``tests/unit/test_lint.py`` keeps it complete.

Planes. Route53's API (records, changes, health checks and their status: GetHealthCheckStatus is served by the same
API endpoint, so it counts as control plane too) is one global control plane hosted in us-east-1; only DNS answers
and the health checkers' verdicts are Route53's data plane, and standby calls neither. CloudWatch metric and alarm
calls, S3 object calls, DynamoDB item calls and STS are regional data planes. Auto Scaling, RDS, EC2, Elastic Load
Balancing, Service Quotas, S3 bucket calls and DynamoDB table calls are regional control planes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from standby.aws import autoscaling, cloudwatch, dynamodb, ec2, elbv2, rds, route53, s3, servicequotas, sts
from standby.config.schema import Config
from standby.drill.isolated import DeleteCopy, DeleteDrillRecord, PromoteCopy, ShiftDrillRecord, VerifyDrill
from standby.failover.model import (
    Drain,
    FailoverPlan,
    FenceGroups,
    FenceWrites,
    Preflight,
    PromoteDb,
    RecordRoles,
    ReseedDb,
    RestoreWrites,
    ScaleGroup,
    ShiftTraffic,
    Step,
    Verify,
    WaitHealthy,
)
from standby.traffic_switch import ROUTE53_REGION

TRAFFIC_MODES = ("records", "health-check")

# Where a call goes, relative to the step and its plan.
STEP = "step"  # the step's own region
ACTIVATE = "activate"  # the region the plan activates
DEMOTE = "demote"  # the region the plan demotes
RECORD_IN = "record-in"  # the control store a fence records in (FenceWrites/RestoreWrites.record_in)
OTHER = "other"  # the region other than the step's
ROUTE53 = "route53"  # Route53's API: us-east-1
WHERES = (STEP, ACTIVATE, DEMOTE, RECORD_IN, OTHER, ROUTE53)

DATA = "data"
CONTROL = "control"

# IAM service prefix -> plane, by action; the actions not listed take their service's default.
_DATA_ACTIONS = {
    "s3:GetObject",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:ListBucket",  # object listing and HeadBucket: served by the bucket's regional endpoint
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
}
_DATA_SERVICES = {"cloudwatch", "sts"}


@dataclass(frozen=True)
class CallSpec:
    """One driver function a handler calls (``fn``), or a tool's calls (``actions``, e.g. Terraform's)."""

    fn: Callable[..., Any] | None
    where: str
    best_effort: bool = False
    modes: tuple[str, ...] = TRAFFIC_MODES
    actions_: tuple[str, ...] = ()
    via: str = ""  # who makes the call when not standby's driver (e.g. "terraform")

    @property
    def actions(self) -> tuple[str, ...]:
        found = tuple(getattr(self.fn, "__iam_actions__", ())) if self.fn is not None else ()
        return found + self.actions_

    @property
    def name(self) -> str:
        if self.fn is None:
            return self.via
        return f"{self.fn.__module__.rsplit('.', 1)[-1]}.{self.fn.__name__}"


def _call(fn: Callable[..., Any], where: str = STEP, **kw: Any) -> CallSpec:
    return CallSpec(fn, where, **kw)


def store(where: str, *, write: bool = False, listing: bool = False, delete: bool = False, **kw: Any) -> list[CallSpec]:
    """The control store's calls (``standby.state.store``): a read, and what a write, a listing or a delete adds
    (a write that finds the bucket or the lock table missing creates them, then writes again)."""
    found = [_call(s3.get_json, where, **kw)]
    if listing:
        found.append(_call(s3.list_keys, where, **kw))
    if write:
        found += [
            _call(s3.bucket_exists, where, **kw),
            _call(s3.create_bucket, where, **kw),
            _call(dynamodb.ensure_lock_table, where, **kw),
            _call(s3.put_json, where, **kw),
        ]
    if delete:
        found.append(_call(s3.delete_object, where, **kw))
    return found


HC = ("health-check",)
REC = ("records",)

# Every step type -> the driver functions its handler calls (standby.failover.steps, .fencing, standby.drill).
STEP_CALLS: dict[type[Step], tuple[CallSpec, ...]] = {
    Preflight: (),  # its checks ran at planning; the step itself calls nothing
    ScaleGroup: (
        _call(autoscaling.describe_groups),
        *store(STEP, write=True, delete=True),  # the prior capacity noted before scaling out, forgotten after
        _call(autoscaling.set_capacity),
    ),
    WaitHealthy: (_call(autoscaling.describe_groups), _call(elbv2.describe_target_health)),
    FenceWrites: (  # time-boxed: a region that does not answer makes the step skipped
        _call(rds.describe_instances, best_effort=True),
        _call(ec2.describe_security_groups, best_effort=True),
        _call(ec2.ensure_empty_group, best_effort=True),
        *store(RECORD_IN, write=True, best_effort=True),
        *store(STEP, write=True, best_effort=True),
        _call(rds.set_security_groups, best_effort=True),
    ),
    RestoreWrites: (
        *store(RECORD_IN, write=True, listing=True, delete=True),
        *store(STEP, write=True, listing=True, delete=True),
        _call(rds.describe_instances),
        _call(rds.set_security_groups),
    ),
    Drain: (),  # waits; calls nothing
    FenceGroups: (  # within [failover] demote_budget_seconds: abandoned when spent
        _call(autoscaling.describe_groups, best_effort=True),
        *store(STEP, write=True, best_effort=True),
        _call(autoscaling.set_capacity, best_effort=True),
    ),
    PromoteDb: (
        _call(rds.describe_instances),
        _call(cloudwatch.latest_metric),  # ReplicaLag at promotion (unreadable: unknown)
        _call(rds.promote_replica),
    ),
    ShiftTraffic: (
        # records: one change batch through Route53's API, the evicted records noted in the control stores
        _call(route53.list_records, ROUTE53, modes=REC),
        *store(ACTIVATE, write=True, listing=True, delete=True, modes=REC),
        *store(OTHER, write=True, listing=True, delete=True, modes=REC, best_effort=True),
        _call(route53.change_records, ROUTE53, modes=REC),
        _call(route53.change_status, ROUTE53, modes=REC),
        # health-check: the demoted region's switch (its alarm lives in the activated region) set to ALARM; the
        # activated region's own switch (its alarm lives in the demoted region) reset within the budget
        _call(cloudwatch.alarm_state, ACTIVATE, modes=HC),
        _call(cloudwatch.put_metric, ACTIVATE, modes=HC),
        _call(cloudwatch.set_alarm_state, ACTIVATE, modes=HC),
        _call(cloudwatch.put_metric, DEMOTE, modes=HC, best_effort=True),
        _call(cloudwatch.set_alarm_state, DEMOTE, modes=HC, best_effort=True),
    ),
    Verify: (
        _call(autoscaling.describe_groups),
        _call(elbv2.describe_targets),
        _call(rds.describe_instances),
        _call(route53.list_records, ROUTE53, modes=REC),
        _call(route53.health_check_status, ROUTE53, modes=REC),
        _call(cloudwatch.alarm_state, ACTIVATE, modes=HC),
        _call(cloudwatch.alarm_state, DEMOTE, modes=HC, best_effort=True),
        _call(route53.list_health_checks, ROUTE53, modes=HC, best_effort=True),  # judged from the alarms if unread
        _call(route53.health_check_status, ROUTE53, modes=HC, best_effort=True),
    ),
    RecordRoles: (
        *store(STEP, write=True),  # authoritative: the step fails if it cannot be written
        *store(OTHER, write=True, best_effort=True),  # the copy: the next run writes it when missed
    ),
    ReseedDb: (
        *store(STEP),  # the manifest
        _call(rds.describe_instances),
        _call(rds.describe_snapshot),
        _call(rds.create_snapshot),
        CallSpec(
            None,
            STEP,
            actions_=("rds:DeleteDBInstance", "rds:CreateDBInstanceReadReplica", "rds:DescribeDBInstances"),
            via="terraform",
        ),
    ),
    # The isolated drill's steps (standby.drill.isolated).
    PromoteCopy: (
        _call(cloudwatch.latest_metric),
        _call(rds.describe_instances),
        _call(rds.create_replica),
        _call(rds.promote_replica),
    ),
    ShiftDrillRecord: (
        _call(route53.list_records, ROUTE53),
        _call(route53.change_records, ROUTE53),
        _call(route53.change_status, ROUTE53),
    ),
    VerifyDrill: (
        _call(autoscaling.describe_groups),
        _call(rds.describe_instances),
        _call(route53.list_records, ROUTE53),
    ),
    DeleteCopy: (_call(rds.describe_instances), _call(rds.delete_instance)),
    DeleteDrillRecord: (_call(route53.list_records, ROUTE53), _call(route53.change_records, ROUTE53)),
}

# What every run of a plan does around its steps (standby.failover.controller, standby.state): the lock, held in
# the activated region and mirrored in the other within the budget; the journal, saved in the activated region.
_LOCK = (dynamodb.put_if_absent, dynamodb.get_item, dynamodb.replace_if, dynamodb.update_if, dynamodb.delete_if)
RUN_CALLS: tuple[CallSpec, ...] = (
    _call(sts.caller_account, ACTIVATE),  # the control stores' account, asked in both regions at once
    _call(sts.caller_account, DEMOTE, best_effort=True),
    *store(ACTIVATE, write=True),
    *[_call(fn, ACTIVATE) for fn in _LOCK],
    *store(DEMOTE, write=True, best_effort=True),
    *[_call(fn, DEMOTE, best_effort=True) for fn in _LOCK],
)

# Planning (standby.failover.observe): read-only; the demoted region and, in records mode, Route53 within the budget.
PLAN_CALLS: tuple[CallSpec, ...] = (
    *store(ACTIVATE),  # the manifest, the capacity snapshot, the role record
    *store(DEMOTE, best_effort=True),  # the role record there
    _call(autoscaling.describe_groups, ACTIVATE),
    _call(rds.describe_instances, ACTIVATE),
    _call(sts.caller_account, ACTIVATE),
    _call(cloudwatch.latest_metric, ACTIVATE),
    _call(servicequotas.quota_value, ACTIVATE),
    _call(ec2.default_instance_types, ACTIVATE),
    _call(ec2.vcpus_of, ACTIVATE),
    _call(autoscaling.describe_groups, DEMOTE, best_effort=True),
    _call(rds.describe_instances, DEMOTE, best_effort=True),
    _call(route53.list_records, ROUTE53, modes=REC, best_effort=True),  # unread: the shift reads them itself
    _call(cloudwatch.alarm_state, ACTIVATE, modes=HC),
    _call(cloudwatch.alarm_state, DEMOTE, modes=HC, best_effort=True),
)


@dataclass(frozen=True)
class Call:
    """One API call a plan makes: in which step, the IAM action, the region it goes to and the plane it needs."""

    step: str  # the step's key, or "planning" / "run"
    action: str  # service:Action
    region: str
    plane: str  # data | control
    best_effort: bool
    via: str  # the driver function (module.function), or the tool that makes it

    @property
    def where(self) -> str:
        return f"{self.plane} plane of {self.region}"


def plane_of(action: str) -> str:
    service = action.split(":", 1)[0]
    if action in _DATA_ACTIONS or service in _DATA_SERVICES:
        return DATA
    return CONTROL


def region_of(spec: CallSpec, step: Step | None, plan: FailoverPlan) -> str:
    if spec.where == ROUTE53:
        return ROUTE53_REGION
    if spec.where == ACTIVATE:
        return plan.activate
    if spec.where == DEMOTE:
        return plan.demote
    here = step.region if step is not None else plan.activate
    if spec.where == RECORD_IN:
        return str(getattr(step, "record_in", here))
    if spec.where == OTHER:
        return plan.demote if here == plan.activate else plan.activate
    return here


def _mode_of(step: Step, mode: str) -> str:
    return str(getattr(step, "mode", mode))


def _expand(key: str, specs: Iterable[CallSpec], step: Step | None, plan: FailoverPlan, mode: str) -> list[Call]:
    """One call per (action, region); a call made both as required and as best effort counts as required."""
    found: dict[tuple[str, str], Call] = {}
    for spec in specs:
        if mode not in spec.modes:
            continue
        region = region_of(spec, step, plan)
        for action in spec.actions:
            earlier = found.get((action, region))
            if earlier is None or (earlier.best_effort and not spec.best_effort):
                found[(action, region)] = Call(key, action, region, plane_of(action), spec.best_effort, spec.name)
    return list(found.values())


def step_calls(step: Step, plan: FailoverPlan, mode: str) -> list[Call]:
    """The calls ``step``'s handler may make (``mode``: the traffic mode it runs in)."""
    return _expand(step.key, STEP_CALLS[type(step)], step, plan, _mode_of(step, mode))


def plan_calls(plan: FailoverPlan, config: Config, *, around: bool = True) -> list[Call]:
    """Every call of ``plan`` in order: planning and the run's own calls (``around``), then each step's."""
    mode = config.failover.traffic_mode
    found: list[Call] = []
    if around:
        found += _expand("planning", PLAN_CALLS, None, plan, mode)
        found += _expand("run", RUN_CALLS, None, plan, mode)
    for step in plan.steps:
        found += step_calls(step, plan, mode)
    return found


# botocore's service and operation names -> the IAM action that authorizes them, where they are not the same.
_SERVICE_PREFIX = {"elbv2": "elasticloadbalancing", "service-quotas": "servicequotas"}
_OPERATION_ACTION = {
    ("s3", "HeadBucket"): "s3:ListBucket",
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "ListObjects"): "s3:ListBucket",
    ("s3", "HeadObject"): "s3:GetObject",
    ("s3", "ListObjectVersions"): "s3:ListBucketVersions",
    ("s3", "DeleteObjects"): "s3:DeleteObject",
}


def iam_action(service: str, operation: str) -> str:
    """The IAM action of one API operation as botocore names them (``elbv2``, ``HeadBucket`` -> ...)."""
    return _OPERATION_ACTION.get((service, operation)) or f"{_SERVICE_PREFIX.get(service, service)}:{operation}"
