"""Botocore event hooks that record calls or inject faults, installed through SessionFactory.on_client.

- CallRecorder: every operation called, with its region (to assert a dry run mutates nothing).
- RegionOutage: every call to the listed regions fails to connect, as in a regional outage.
- FailOperation: an operation fails with an error code, a given number of times.
- ThrottleFirstAttempt: the first attempt of every request answers with a throttling error, so botocore's
  retry handler (not the code under test) must absorb it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError, EndpointConnectionError

READ_PREFIXES = ("Describe", "Get", "List", "Head")


def is_read_only(operation: str) -> bool:
    return operation.startswith(READ_PREFIXES)


def combine(*hooks: Callable[[Any], None]) -> Callable[[Any], None]:
    def on_client(client: Any) -> None:
        for hook in hooks:
            hook(client)

    return on_client


class CallRecorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []  # (region, service, operation)
        self._lock = threading.Lock()

    def __call__(self, client: Any) -> None:
        region = client.meta.region_name
        service = client.meta.service_model.service_name

        def record(model: Any, **_: Any) -> None:
            with self._lock:
                self.calls.append((region, service, model.name))

        client.meta.events.register_first("before-call", record)

    def operations(self, region: str | None = None) -> list[str]:
        return [op for r, _, op in self.calls if region is None or r == region]

    def mutating(self) -> list[tuple[str, str, str]]:
        return [c for c in self.calls if not is_read_only(c[2])]


class RegionOutage:
    def __init__(self, regions: Iterable[str]) -> None:
        self.regions = set(regions)
        self.refused = 0

    def __call__(self, client: Any) -> None:
        if client.meta.region_name not in self.regions:
            return
        url = client.meta.endpoint_url

        def refuse(**_: Any) -> None:
            self.refused += 1
            raise EndpointConnectionError(endpoint_url=url)

        client.meta.events.register_first("before-call", refuse)


class FailOperation:
    def __init__(self, operation: str, code: str, times: int = 1, region: str | None = None) -> None:
        self.operation, self.code, self.remaining, self.region = operation, code, times, region
        self._lock = threading.Lock()

    def __call__(self, client: Any) -> None:
        if self.region is not None and client.meta.region_name != self.region:
            return

        def maybe_fail(model: Any, **_: Any) -> None:
            if model.name != self.operation:
                return
            with self._lock:
                if self.remaining <= 0:
                    return
                self.remaining -= 1
            raise ClientError({"Error": {"Code": self.code, "Message": "injected by the test"}}, model.name)

        client.meta.events.register_first("before-call", maybe_fail)


class ThrottleFirstAttempt:
    def __init__(self) -> None:
        self.throttled = 0
        self._lock = threading.Lock()
        self._pending = threading.local()  # set once per API call, consumed by its first send

    def __call__(self, client: Any) -> None:
        protocol = client.meta.service_model.metadata.get("protocol", "query")

        def arm(**_: Any) -> None:
            self._pending.armed = True

        def throttle(request: Any, **_: Any) -> AWSResponse | None:
            if not getattr(self._pending, "armed", False):
                return None
            self._pending.armed = False
            with self._lock:
                self.throttled += 1
            if protocol in ("json", "rest-json"):
                body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
                headers = {"Content-Type": "application/x-amz-json-1.1"}
            else:
                body = (
                    b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
                    b"<Message>Rate exceeded</Message></Error><RequestId>x</RequestId></ErrorResponse>"
                )
                headers = {"Content-Type": "text/xml"}
            return AWSResponse(request.url, 400, headers, _Raw(body))

        client.meta.events.register("before-call", arm)
        client.meta.events.register_first("before-send", throttle)


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterable[bytes]:
        yield self._body

    def read(self, *_: Any) -> bytes:
        return self._body
