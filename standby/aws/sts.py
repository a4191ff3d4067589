"""STS driver: who the caller is."""

from __future__ import annotations

from typing import Any

from standby.aws.permissions import requires


@requires("sts:GetCallerIdentity")
def caller_account(client: Any) -> str:
    return str(client.get_caller_identity()["Account"])
