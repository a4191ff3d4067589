"""Service Quotas driver: headroom to scale the standby to production capacity."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from standby.aws.errors import error_code
from standby.aws.permissions import requires

# Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances, counted in vCPUs.
EC2_STANDARD_VCPU_QUOTA = ("ec2", "L-1216C47A")


@requires("servicequotas:GetServiceQuota")
def quota_value(client: Any, service: str, code: str) -> float | None:
    """The applied quota value, or None when the service does not answer with one."""
    try:
        return float(client.get_service_quota(ServiceCode=service, QuotaCode=code)["Quota"]["Value"])
    except ClientError as err:
        if error_code(err) in ("NoSuchResourceException", "ResourceNotFoundException"):
            return None
        raise
    except KeyError:
        return None
