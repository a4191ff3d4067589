"""One read and one judgement per fact: is this database promoted, is this group ready, how far behind is this
replica, what is the vCPU quota. Failover steps, drills, planning observation and drift readiness all call these.
"""

from __future__ import annotations

import datetime as dt
import logging
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


def check_capacity(asg: Any, elb: Any, group: str, target_group_arn: str | None, desired: int) -> j.Readiness:
    """Describe a group (and its target group's targets) and judge it against ``desired``: only healthy targets that
    are the group's InService instances count (a load balancer keeps stale targets after a scale-in)."""
    found = autoscaling.describe_groups(asg, [group])
    if not found:
        return j.Readiness(False, f"auto scaling group {group} not found", found=False)
    healthy = None
    if target_group_arn and elb is not None:
        targets = elbv2.describe_targets(elb, target_group_arn)
        healthy = j.healthy_in_service(found[0].in_service_ids, [(t.id, t.state) for t in targets]).healthy
    return j.capacity_ready(found[0], desired, healthy)


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
