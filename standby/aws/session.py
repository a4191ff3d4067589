"""botocore sessions per (account, region), with an optional endpoint override and per-region credentials.

No global default session: every client comes from a SessionFactory that was handed the endpoint and
credentials it should use, and every client retries throttling with botocore's standard retry mode.
Fast-failing clients (``fast_fail``), for a region that may be down, give up within a few seconds per call and
consult the budget of the step they run in (``standby.aws.budget``) before every attempt — the STS AssumeRole of
a role-based region included. A region's credentials (``standby.aws.credentials``) are its configured profile or
role, else the base credentials (``profile``: the global ``--profile``, else the default chain); Route53 is global
and always uses the base credentials.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import botocore.loaders
import botocore.session
from botocore.config import Config as BotoConfig
from botocore.credentials import ReadOnlyCredentials

from standby.aws import budget as budgets
from standby.aws.credentials import (
    CREDENTIAL_ENV,
    RegionCredentials,
    assumed_role,
    core_session,
    terraform_credentials,
    use_credentials,
)

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


# Services whose API is global: their calls use the base credentials whatever region signs them.
GLOBAL_SERVICES = frozenset({"route53"})


class _SearchPaths(list):  # type: ignore[type-arg]
    """The loader's search paths; a path already there is not added again (a boto3 session adds its own)."""

    def append(self, path: Any) -> None:
        if path not in self:
            super().append(path)


class PlainJSONFileLoader(botocore.loaders.JSONFileLoader):  # type: ignore[misc]
    """botocore's JSON file loader, parsing into plain dicts. botocore asks ``json`` for an ``OrderedDict`` per
    object, which makes the parser call back into Python for every object of a model: EC2's takes about 1.5 times
    as long to parse. Plain dicts keep the file's order too, and botocore's models only read them as mappings."""

    def _load_file(self, full_path: str, open_method: Any) -> Any:
        if not os.path.isfile(full_path):
            return None
        with open_method(full_path, "rb") as fp:
            return json.loads(fp.read().decode("utf-8"))


class ModelLoader(botocore.loaders.Loader):  # type: ignore[misc]
    """botocore's data loader (service models, paginators, endpoint rules, ...), shared by many sessions and
    threads: each file is parsed once. botocore caches what a loader read, but two threads asking at once would both
    parse it (EC2's model takes ~0.1 s); here the second waits for the first and takes its result."""

    def __init__(self) -> None:
        super().__init__(file_loader=PlainJSONFileLoader())
        self._search_paths = _SearchPaths(self._search_paths)
        self._guard = threading.Lock()
        self._loading: dict[tuple[Any, ...], threading.Lock] = {}

    def _once(self, key: tuple[Any, ...]) -> threading.Lock:
        with self._guard:
            return self._loading.setdefault(key, threading.Lock())

    # Every cached look-up, one at a time per key (a look-up may make others, always of a later kind: no cycle).
    def load_service_model(self, service_name: str, type_name: str, api_version: str | None = None) -> Any:
        with self._once(("model", service_name, type_name, api_version)):
            return super().load_service_model(service_name, type_name, api_version)

    def list_available_services(self, type_name: str) -> Any:
        with self._once(("services", type_name)):
            return super().list_available_services(type_name)

    def determine_latest_version(self, service_name: str, type_name: str) -> Any:
        with self._once(("latest", service_name, type_name)):
            return super().determine_latest_version(service_name, type_name)

    def list_api_versions(self, service_name: str, type_name: str) -> Any:
        with self._once(("versions", service_name, type_name)):
            return super().list_api_versions(service_name, type_name)

    def load_data_with_path(self, name: str) -> Any:
        with self._once(("data", name)):
            return super().load_data_with_path(name)


class RegionSession:
    """A botocore session bound to one region: the part of a ``boto3.Session`` standby uses. boto3 itself is not
    imported: with s3transfer and multiprocessing it costs every process about 60 ms, for resources and S3
    transfer methods standby does not use."""

    def __init__(self, core: botocore.session.Session, region: str) -> None:
        self.core = core
        self.region_name = region

    @property
    def profile_name(self) -> str:
        return self.core.profile or "default"  # "default": boto3's name for none given

    def get_credentials(self) -> Any:
        return self.core.get_credentials()

    def client(self, service: str, *, endpoint_url: str | None = None, config: BotoConfig | None = None) -> Any:
        return self.core.create_client(service, region_name=self.region_name, endpoint_url=endpoint_url, config=config)


@dataclass
class _Shared:
    """What a factory and its bounded copies share: the caller's account per set of credentials, once learned
    (the same credentials are the same account everywhere), the bounded copies themselves (so their clients are
    built once), one model loader for all their sessions (a service model is parsed once, not once per region,
    credentials or client settings), and the sessions that hold nothing of a copy's client settings (all but an
    assumed role's, whose STS client has the settings of the factory that asks): a botocore session takes about
    10 ms to build."""

    accounts: dict[RegionCredentials | None, str] = field(default_factory=dict)
    looking_up: dict[RegionCredentials | None, Future[str]] = field(default_factory=dict)  # account look-ups in flight
    bounded: dict[tuple[float, int], SessionFactory] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    loader: ModelLoader = field(default_factory=ModelLoader)
    sessions: dict[tuple[str | None, str, RegionCredentials | None], RegionSession] = field(default_factory=dict)
    sessions_lock: threading.Lock = field(default_factory=threading.Lock)


# Credentials that the emulator accepts and real AWS refuses; used only when the endpoint is the emulator.
EMULATOR_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@dataclass(frozen=True)
class Target:
    """Where AWS calls go: real AWS (endpoint None) or an endpoint URL such as the local emulator."""

    endpoint_url: str | None = None
    emulator: bool = False

    def environment(self) -> dict[str, str | None]:
        """Environment for child processes (terraform) so they reach the same target as the clients; a None value
        removes a variable the process would inherit. With the emulator, every credential variable of the
        environment (a profile, a session token, a web identity, the ~/.aws files) is removed and the dummy keys
        set: nothing real reaches a process that talks to the emulator."""
        if self.endpoint_url is None:
            return {}
        env: dict[str, str | None] = {"AWS_ENDPOINT_URL": self.endpoint_url, "AWS_EC2_METADATA_DISABLED": "true"}
        if self.emulator:
            env.update(dict.fromkeys(CREDENTIAL_ENV))
            env["AWS_ACCESS_KEY_ID"] = EMULATOR_CREDENTIALS["aws_access_key_id"]
            env["AWS_SECRET_ACCESS_KEY"] = EMULATOR_CREDENTIALS["aws_secret_access_key"]
        return env


@dataclass
class SessionFactory:
    """Hands out sessions and clients per (account, region); safe to share between threads.

    ``on_client`` is called with every new client, so callers can register botocore event hooks (for example to
    record operations in a dry run, or to inject faults in tests) before the client is used. ``profile`` is the
    base profile (``--profile``); ``credentials`` (region -> profile or role) override it per region, and a role
    is assumed as ``role_session_name``.
    """

    target: Target = field(default_factory=Target)
    profile: str | None = None
    credentials: Mapping[str, RegionCredentials] = field(default_factory=dict)
    role_session_name: str = "standby"
    on_client: Callable[[Any], None] | None = None
    client_config: BotoConfig = RETRY_CONFIG
    budgeted: bool = False  # clients refuse new attempts once the budget of the work they run in is spent
    _shared: _Shared = field(default_factory=_Shared, repr=False)
    _sessions: dict[tuple[str | None, str, RegionCredentials | None], RegionSession] = field(
        default_factory=dict, init=False, repr=False
    )
    _clients: dict[tuple[str | None, str, str], Any] = field(default_factory=dict, init=False, repr=False)
    _building: dict[tuple[str | None, str, str], threading.Lock] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def model_loader(self) -> ModelLoader:
        """The model loader of every session of this factory and of its bounded copies."""
        return self._shared.loader

    def credentials_of(self, region: str | None, service: str | None = None) -> RegionCredentials | None:
        """The credentials configured for ``region`` (None: the base credentials; always so for a global service)."""
        if region is None or service in GLOBAL_SERVICES:
            return None
        return self.credentials.get(region)

    def session(self, region: str, account: str | None = None, service: str | None = None) -> RegionSession:
        """The session of ``region``'s credentials (of the base credentials for a global ``service``)."""
        credentials = self.credentials_of(region, service)
        key = (account, region, credentials)
        if credentials is None or not credentials.role_arn:  # the same for every copy of this factory
            sessions, lock = self._shared.sessions, self._shared.sessions_lock
        else:
            sessions, lock = self._sessions, self._lock
        with lock:
            if key not in sessions:
                sessions[key] = self._new_session(region, credentials)
            return sessions[key]

    def _new_session(self, region: str, credentials: RegionCredentials | None) -> RegionSession:
        emulator = self.target.emulator
        profile = credentials.profile if credentials is not None and credentials.profile else self.profile
        role = credentials if credentials is not None and credentials.role_arn else None
        core = core_session(profile=None if role else profile, sealed=emulator)
        core.register_component("data_loader", self.model_loader)
        core.set_config_variable("region", region)
        if role is not None:
            use_credentials(core, self._assumed_role(region, role))
        elif emulator:
            core.set_credentials(
                EMULATOR_CREDENTIALS["aws_access_key_id"], EMULATOR_CREDENTIALS["aws_secret_access_key"]
            )
        return RegionSession(core, region)

    def _assumed_role(self, region: str, role: RegionCredentials) -> Any:
        """The role's refreshable credentials, assumed through the base credentials with STS in ``region``."""

        def sts_client() -> Any:
            base = core_session(profile=self.profile, sealed=self.target.emulator)
            base.register_component("data_loader", self.model_loader)
            base.set_config_variable("sts_regional_endpoints", "regional")
            keys = EMULATOR_CREDENTIALS if self.target.emulator else {}
            client = base.create_client(
                "sts", region_name=region, endpoint_url=self._endpoint(), config=self.client_config, **keys
            )
            return self._prepared(client)

        assert role.role_arn is not None
        return assumed_role(sts_client, role.role_arn, role.external_id, self.role_session_name)

    def terraform_environment(self, region: str | None) -> dict[str, str | None]:
        """The credential variables of a Terraform run in ``region`` (None: the global stack, base credentials);
        a None value removes a variable the process would otherwise inherit. Temporary keys are fetched (and
        refreshed when near expiry) at each call; they live only in the child's environment."""
        credentials = self.credentials_of(region)
        if credentials is not None and credentials.role_arn and region is not None:
            keys = self.session(region).get_credentials().get_frozen_credentials()
        elif self.target.emulator:
            keys = ReadOnlyCredentials(
                EMULATOR_CREDENTIALS["aws_access_key_id"], EMULATOR_CREDENTIALS["aws_secret_access_key"], None
            )
        else:
            keys = None
        return terraform_credentials(credentials, self.profile, keys, sealed=self.target.emulator)

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
                # Every init field is kept (the shared state included); the caches start empty.
                found = dataclasses.replace(self, client_config=bounded_config(*key), budgeted=True)
                self._shared.bounded[key] = found
            return found

    def known_account(self, region: str) -> str | None:
        """The caller's account in ``region``, when learned (in any region reached with the same credentials, by
        any factory sharing them)."""
        with self._shared.lock:
            return self._shared.accounts.get(self.credentials_of(region))

    def remember_account(self, account: str, region: str) -> None:
        """Remember the caller's account as STS told it in ``region``."""
        with self._shared.lock:
            self._shared.accounts[self.credentials_of(region)] = account

    def account_once(self, region: str, look_up: Callable[[], str]) -> str:
        """The caller's account in ``region``: known, else ``look_up()``'s answer, remembered. Threads asking at
        once (for the same credentials, through any factory sharing them) share one look-up: its answer, or its
        error."""
        key = self.credentials_of(region)
        with self._shared.lock:
            known = self._shared.accounts.get(key)
            if known is not None:
                return known
            pending = self._shared.looking_up.get(key)
            leader = pending is None
            if pending is None:
                pending = self._shared.looking_up[key] = Future()
        if not leader:
            return pending.result()
        try:
            account = look_up()
        except BaseException as err:
            pending.set_exception(err)
            raise
        else:
            pending.set_result(account)
            self.remember_account(account, region)
            return account
        finally:
            with self._shared.lock:
                self._shared.looking_up.pop(key, None)

    def same_credentials(self, region: str, other: str) -> bool:
        """Whether both regions are reached with the same credentials (so the same account)."""
        return self.credentials_of(region) == self.credentials_of(other)

    def client(self, service: str, region: str, account: str | None = None) -> Any:
        """The client of ``service`` in ``region``, built once: threads asking at once wait for the first one's."""
        key = (account, region, service)
        with self._lock:
            cached = self._clients.get(key)
            building = None if cached is not None else self._building.setdefault(key, threading.Lock())
        if building is None:
            return cached
        with building:
            with self._lock:
                cached = self._clients.get(key)
            if cached is not None:
                return cached
            session = self.session(region, account, service)
            client = self._prepared(session.client(service, endpoint_url=self._endpoint(), config=self.client_config))
            with self._lock:
                self._clients[key] = client
            return client

    def _endpoint(self) -> str | None:
        return self.target.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None

    def _prepared(self, client: Any) -> Any:
        """A new client with the budget check (bounded factories) and the caller's hooks installed."""
        if self.budgeted:
            budgets.install(client)
        if self.on_client is not None:
            self.on_client(client)
        return client
