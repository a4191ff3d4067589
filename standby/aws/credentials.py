"""Credentials per region: a named profile, or a role assumed with STS; and what Terraform gets of them.

A region's credentials belong to the account its resources live in, whatever role (primary or standby) the region
plays now: a failover swaps the roles, never the accounts. A role is assumed through the base credentials (the
global ``--profile``, else the default chain) with STS in the region whose account it is (the regional endpoint),
lazily at the first call and again before the temporary credentials expire (botocore's
``DeferredRefreshableCredentials``). In emulator mode nothing of the user's ``~/.aws`` or environment is read:
sessions are sealed (no profile, no config or credentials file) and start from the emulator's dummy keys.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import botocore.session
from botocore.credentials import CredentialProvider, CredentialResolver, DeferredRefreshableCredentials

# Every variable through which a child process (Terraform's AWS provider) could find credentials or a profile of
# its own. Emulator runs and assumed roles remove them all; a profile keeps only the files its profile lives in.
CREDENTIAL_FILES_ENV = ("AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE")
CREDENTIAL_ENV = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    *CREDENTIAL_FILES_ENV,
)

# botocore session variables that would otherwise come from the environment or ~/.aws: emptied in emulator mode.
_SEALED_SESSION_VARS: dict[str, tuple[Any, ...]] = {
    "profile": (None, None, None, None),
    "config_file": (None, None, os.devnull, None),
    "credentials_file": (None, None, os.devnull, None),
    "ca_bundle": (None, None, None, None),
}

_SESSION_NAME_CHARS = re.compile(r"[^\w+=,.@-]")
MAX_SESSION_NAME = 64


@dataclass(frozen=True)
class RegionCredentials:
    """How one region's account is reached: a named profile, or a role (with its external id) to assume."""

    profile: str | None = None
    role_arn: str | None = None
    external_id: str | None = None


def role_session_name(operator: str) -> str:
    """``standby-<operator>`` in the characters STS allows, at most 64: CloudTrail shows who ran standby."""
    name = "standby-" + _SESSION_NAME_CHARS.sub("-", operator)
    return name[:MAX_SESSION_NAME]


def core_session(*, profile: str | None, sealed: bool) -> botocore.session.Session:
    """A botocore session for ``profile`` (None: the default chain); ``sealed`` reads no profile, no environment
    profile and no config or credentials file (emulator mode)."""
    if sealed:
        return botocore.session.Session(session_vars=_SEALED_SESSION_VARS)
    return botocore.session.Session(profile=profile)


class _AssumedRoleProvider(CredentialProvider):  # type: ignore[misc]
    """The one credential provider of a role-based region's session: the assumed role's refreshable credentials."""

    METHOD = "standby-assume-role"
    CANONICAL_NAME = "StandbyAssumeRole"

    def __init__(self, credentials: DeferredRefreshableCredentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> DeferredRefreshableCredentials:
        return self._credentials


def use_credentials(core: botocore.session.Session, credentials: DeferredRefreshableCredentials) -> None:
    """Make ``credentials`` the only source ``core`` resolves (no environment, file or metadata lookup)."""
    core.register_component("credential_provider", CredentialResolver([_AssumedRoleProvider(credentials)]))


def assumed_role(
    sts_client: Callable[[], Any], role_arn: str, external_id: str | None, session_name: str
) -> DeferredRefreshableCredentials:
    """The role's temporary credentials: assumed at first use, assumed again before they expire.

    ``sts_client`` builds the STS client of the base credentials in the role's region (built once, on first use),
    with the retry and timeout settings of the factory that asks: a region that may be down is not waited on.
    """
    lock = threading.Lock()
    built: list[Any] = []

    def client() -> Any:
        with lock:
            if not built:
                built.append(sts_client())
            return built[0]

    def fetch() -> dict[str, str]:
        request: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": session_name}
        if external_id is not None:
            request["ExternalId"] = external_id
        answer = client().assume_role(**request)["Credentials"]
        expiry = answer["Expiration"]
        return {
            "access_key": answer["AccessKeyId"],
            "secret_key": answer["SecretAccessKey"],
            "token": answer["SessionToken"],
            "expiry_time": expiry.isoformat() if hasattr(expiry, "isoformat") else str(expiry),
        }

    return DeferredRefreshableCredentials(refresh_using=fetch, method="assume-role")


def terraform_credentials(
    credentials: RegionCredentials | None, base_profile: str | None, keys: Any | None, *, sealed: bool
) -> dict[str, str | None]:
    """The credential variables of a Terraform process for one region; None removes a variable it would inherit.

    ``keys`` are the region's frozen credentials (access key, secret key, token) when standby holds them itself: an
    assumed role's temporary keys, or the emulator's dummy keys. Otherwise the provider is told which profile to
    use (the region's, else ``--profile``), or, with neither, inherits the environment's own chain untouched.
    """
    if keys is not None:
        env: dict[str, str | None] = dict.fromkeys(CREDENTIAL_ENV)
        env["AWS_ACCESS_KEY_ID"] = keys.access_key
        env["AWS_SECRET_ACCESS_KEY"] = keys.secret_key
        if keys.token:
            env["AWS_SESSION_TOKEN"] = keys.token
        return env
    if sealed:
        raise ValueError("emulator mode: Terraform gets standby's own keys, never a profile or the environment's")
    profile = credentials.profile if credentials is not None and credentials.profile else base_profile
    if profile is None:
        return {}
    env = {name: None for name in CREDENTIAL_ENV if name not in CREDENTIAL_FILES_ENV}
    env["AWS_PROFILE"] = profile
    return env
