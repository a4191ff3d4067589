"""boto3 sessions per (account, region), with an optional endpoint override.

No global default session: every client comes from a SessionFactory that was handed the endpoint and
credentials it should use, and every client retries throttling with botocore's standard retry mode.
Fast-failing clients (``fast_fail``), for a region that may be down, give up within a few seconds per call and
consult the budget of the step they run in (``standby.aws.budget``) before every attempt.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config as BotoConfig

from standby.aws import budget as budgets

RETRY_CONFIG = BotoConfig(retries={"mode": "standard", "max_attempts": 8}, connect_timeout=5, read_timeout=30)
# For a region that may be down (the old primary during a failover): answer fast rather than retry long. Two
# attempts of at most FAST_FAIL_ATTEMPT_SECONDS each: one call gives up within about 2 × 4 s (plus < 1 s backoff).
FAST_FAIL_ATTEMPT_SECONDS = 4.0


def bounded_config(attempt_seconds: float, max_attempts: int) -> BotoConfig:
    """Standard retries, at most ``max_attempts`` attempts of at most ``attempt_seconds`` (connect and read) each."""
    return BotoConfig(
        retries={"mode": "standard", "max_attempts": max_attempts},
        connect_timeout=min(2.0, attempt_seconds),
        read_timeout=attempt_seconds,
    )


def fast_fail_attempt_seconds(budget_seconds: float | None = None) -> float:
    """One attempt's timeout on a region that may be down; with a step budget, two attempts fit in about it."""
    if budget_seconds is None:
        return FAST_FAIL_ATTEMPT_SECONDS
    return min(FAST_FAIL_ATTEMPT_SECONDS, max(0.5, budget_seconds / 3))


@dataclass
class _Shared:
    """What a factory and its bounded copies share: the caller's account, once learned (same credentials), and
    the bounded copies themselves (so their clients are built once)."""

    account: str | None = None
    bounded: dict[tuple[float, int], SessionFactory] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


# Credentials that the emulator accepts and real AWS refuses; used only when the endpoint is the emulator.
EMULATOR_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@dataclass(frozen=True)
class Target:
    """Where AWS calls go: real AWS (endpoint None) or an endpoint URL such as the local emulator."""

    endpoint_url: str | None = None
    emulator: bool = False

    def environment(self) -> dict[str, str]:
        """Environment for child processes (terraform) so they reach the same target as boto3."""
        if self.endpoint_url is None:
            return {}
        env = {"AWS_ENDPOINT_URL": self.endpoint_url, "AWS_EC2_METADATA_DISABLED": "true"}
        if self.emulator:
            env["AWS_ACCESS_KEY_ID"] = EMULATOR_CREDENTIALS["aws_access_key_id"]
            env["AWS_SECRET_ACCESS_KEY"] = EMULATOR_CREDENTIALS["aws_secret_access_key"]
            env.pop("AWS_PROFILE", None)
        return env


@dataclass
class SessionFactory:
    """Hands out boto3 sessions and clients per (account, region); safe to share between threads.

    ``on_client`` is called with every new client, so callers can register botocore event hooks (for example to
    record operations in a dry run, or to inject faults in tests) before the client is used.
    """

    target: Target = field(default_factory=Target)
    profile: str | None = None
    on_client: Callable[[Any], None] | None = None
    client_config: BotoConfig = RETRY_CONFIG
    budgeted: bool = False  # clients refuse new attempts once the budget of the work they run in is spent
    _shared: _Shared = field(default_factory=_Shared, repr=False)
    # One model loader for every session: service models are parsed once per process, not once per region.
    _loader: Any = field(default_factory=botocore.loaders.create_loader, init=False, repr=False)
    _sessions: dict[tuple[str | None, str], boto3.Session] = field(default_factory=dict, init=False, repr=False)
    _clients: dict[tuple[str | None, str, str], Any] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def session(self, region: str, account: str | None = None) -> boto3.Session:
        key = (account, region)
        with self._lock:
            if key not in self._sessions:
                core = botocore.session.Session(profile=None if self.target.emulator else self.profile)
                core.register_component("data_loader", self._loader)
                kwargs: dict[str, Any] = {"region_name": region, "botocore_session": core}
                if self.target.emulator:
                    kwargs.update(EMULATOR_CREDENTIALS)
                self._sessions[key] = boto3.Session(**kwargs)
            return self._sessions[key]

    def fast_fail(self, budget_seconds: float | None = None) -> SessionFactory:
        """Clients that give up quickly, for a region that may be down: each attempt times out after a few seconds
        (a third of ``budget_seconds`` when given, at most 4 s), two attempts at most, and no attempt starts once
        the budget of the work the client runs in (``standby.aws.budget``) is spent."""
        return self.bounded(fast_fail_attempt_seconds(budget_seconds), 2)

    def bounded(self, attempt_seconds: float, max_attempts: int) -> SessionFactory:
        """The same target, hooks and credentials, with clients whose attempts are bounded (``bounded_config``)
        and that consult the budget of the work they run in before every attempt. One copy per setting."""
        key = (round(attempt_seconds, 3), max_attempts)
        with self._shared.lock:
            found = self._shared.bounded.get(key)
            if found is None:
                found = SessionFactory(
                    target=self.target,
                    profile=self.profile,
                    on_client=self.on_client,
                    client_config=bounded_config(*key),
                    budgeted=True,
                    _shared=self._shared,
                )
                self._shared.bounded[key] = found
            return found

    @property
    def known_account(self) -> str | None:
        """The caller's account, when learned (by any factory sharing these credentials)."""
        with self._shared.lock:
            return self._shared.account

    def remember_account(self, account: str) -> None:
        with self._shared.lock:
            self._shared.account = account

    def client(self, service: str, region: str, account: str | None = None) -> Any:
        key = (account, region, service)
        with self._lock:
            cached = self._clients.get(key)
        if cached is not None:
            return cached
        session = self.session(region, account)
        endpoint = self.target.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
        client = session.client(service, endpoint_url=endpoint, config=self.client_config)
        if self.budgeted:
            budgets.install(client)
        if self.on_client is not None:
            self.on_client(client)
        with self._lock:
            return self._clients.setdefault(key, client)
