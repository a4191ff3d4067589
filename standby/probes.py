"""One read and one judgement per fact: is this database promoted, is this group ready, how far behind is this
replica, what is the vCPU quota. Failover steps, drills, planning observation and drift readiness all call these.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from standby import judgements as j
from standby.aws import autoscaling, cloudwatch, elbv2, rds, servicequotas
from standby.aws.errors import error_code

log = logging.getLogger(__name__)

AWS_ERRORS = (ClientError, BotoCoreError)


@dataclass(frozen=True)
class PromotionCheck:
    db: rds.DbInstance | None  # None: not found
    state: j.Promotion

    @property
    def promoted(self) -> bool:
        return self.state == j.Promotion.PROMOTED


def check_promotion(client: Any, identifier: str) -> PromotionCheck:
    """Describe ``identifier`` and judge its promotion from that alone (``judgements.promotion_state``)."""
    found = rds.describe_instances(client, [identifier])
    if not found:
        return PromotionCheck(None, j.Promotion.REPLICA)
    return PromotionCheck(found[0], j.promotion_state(found[0]))


# (auto scaling group, its target group or None, desired): one group's capacity as a wait judges it
CapacityWanted = tuple[str, str | None, int]
TARGET_HEALTH_WORKERS = 64  # DescribeTargetHealth is one target group a call: these many at a time


def check_capacity(asg: Any, elb: Any, group: str, target_group_arn: str | None, desired: int) -> j.Readiness:
    """Describe a group (and its target group's targets) and judge it against ``desired``: only healthy targets that
    are the group's InService instances count (a load balancer keeps stale targets after a scale-in)."""
    wanted = (group, target_group_arn, desired)
    return check_capacities(asg, elb, [wanted])[wanted]


def check_capacities(asg: Any, elb: Any, asked: Iterable[CapacityWanted]) -> dict[CapacityWanted, j.Readiness]:
    """``check_capacity`` of many groups at once: the groups described together (50 names a call), then the targets
    of only those target groups whose group has its instances in service and healthy (nothing else can make it
    ready), several at a time."""
    wanted = list(dict.fromkeys(asked))
    found = {g.name: g for g in describe_groups_at_once(asg, sorted({w[0] for w in wanted}))}
    readings: dict[CapacityWanted, j.Readiness] = {}
    targets_wanted: list[CapacityWanted] = []
    for w in wanted:
        group, target_group_arn, desired = w
        if group not in found:
            readings[w] = j.Readiness(False, f"auto scaling group {group} not found", found=False)
            continue
        readings[w] = j.capacity_ready(found[group], desired, None)
        if readings[w].ready and target_group_arn and elb is not None:
            targets_wanted.append(w)
    arns = sorted({w[1] for w in targets_wanted if w[1]})
    if arns:
        targets = describe_targets_of(elb, arns)
        for w in targets_wanted:
            group, arn, desired = w
            states = [(t.id, t.state) for t in targets[arn or ""]]
            healthy = j.healthy_in_service(found[group].in_service_ids, states).healthy
            readings[w] = j.capacity_ready(found[group], desired, healthy)
    return readings


def describe_groups_at_once(asg: Any, names: Sequence[str]) -> list[autoscaling.GroupState]:
    """``autoscaling.describe_groups`` of many groups, its calls (50 names each) several at a time (each within
    the caller's budget, if any)."""
    unique = sorted(set(names))
    chunks = [
        unique[i : i + autoscaling.NAMES_PER_DESCRIBE] for i in range(0, len(unique), autoscaling.NAMES_PER_DESCRIBE)
    ]
    if len(chunks) <= 1:
        return autoscaling.describe_groups(asg, unique)
    with ThreadPoolExecutor(min(len(chunks), TARGET_HEALTH_WORKERS), thread_name_prefix="groups") as pool:
        calls = [pool.submit(contextvars.copy_context().run, autoscaling.describe_groups, asg, c) for c in chunks]
        return [g for call in calls for g in call.result()]


def describe_targets_of(elb: Any, arns: Sequence[str]) -> dict[str, list[elbv2.Target]]:
    """The targets of each target group, ``TARGET_HEALTH_WORKERS`` target groups at a time (one call each: AWS
    has no call for several)."""
    if not arns:
        return {}
    with ThreadPoolExecutor(min(len(arns), TARGET_HEALTH_WORKERS), thread_name_prefix="targets") as pool:
        calls = [pool.submit(contextvars.copy_context().run, elbv2.describe_targets, elb, arn) for arn in arns]
        return {arn: call.result() for arn, call in zip(arns, calls, strict=True)}


def read_replica_lag(client: Any, identifier: str, now: float) -> float | None:
    """The newest ReplicaLag datapoint (seconds) of a replica; None when there is none or it is unreadable."""
    try:
        reading = cloudwatch.replica_lag(client, identifier, now=dt.datetime.fromtimestamp(now, tz=dt.UTC))
    except AWS_ERRORS as err:
        log.warning("ReplicaLag of %s unreadable: %s", identifier, err)
        return None
    return reading.value if reading is not None else None


@dataclass(frozen=True)
class QuotaReading:
    value: float | None
    problem: str = ""  # why the value is unknown


def read_vcpu_quota(client: Any, region: str) -> QuotaReading:
    """The EC2 on-demand standard vCPU quota; unknown (with the reason) when it cannot be read."""
    service, code = servicequotas.EC2_STANDARD_VCPU_QUOTA
    try:
        value = servicequotas.quota_value(client, service, code)
    except AWS_ERRORS as err:
        reason = error_code(err) or type(err).__name__
        log.info("EC2 vCPU quota unknown in %s: %s", region, err)
        return QuotaReading(None, f"{reason} from service-quotas in {region}")
    if value is None:
        return QuotaReading(None, f"no value for {service}/{code} in {region}")
    return QuotaReading(value)
