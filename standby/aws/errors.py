"""Classify AWS errors by their ``Error.Code``, never by message text."""

from __future__ import annotations

from botocore.exceptions import ClientError, ConnectionError, ReadTimeoutError

THROTTLING_CODES = frozenset(
    {"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded", "PriorRequestNotComplete"}
)
ACCESS_DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})
NOT_FOUND_CODES = frozenset(
    {
        "DBInstanceNotFound",
        "DBInstanceNotFoundFault",
        "NoSuchHostedZone",
        "NoSuchHealthCheck",
        "ParameterNotFound",
        "ResourceNotFoundException",
        "ValidationError",  # autoscaling answers a missing group with ValidationError
        "NoSuchKey",
        "NoSuchBucket",
        "LoadBalancerNotFound",
        "TargetGroupNotFound",
    }
)


def error_code(err: BaseException) -> str | None:
    if isinstance(err, ClientError):
        return str(err.response.get("Error", {}).get("Code") or "") or None
    return None


def is_throttling(err: BaseException) -> bool:
    return error_code(err) in THROTTLING_CODES


def is_access_denied(err: BaseException) -> bool:
    return error_code(err) in ACCESS_DENIED_CODES


def is_not_found(err: BaseException) -> bool:
    return error_code(err) in NOT_FOUND_CODES


def is_unreachable(err: BaseException) -> bool:
    """The region's endpoint did not answer at all (as in a regional outage), as opposed to answering an error."""
    if isinstance(err, (ConnectionError, ReadTimeoutError)):
        return True
    return error_code(err) in {"ServiceUnavailable", "InternalFailure", "RequestTimeout"}
