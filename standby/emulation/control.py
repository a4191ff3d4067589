"""The emulator's control calls: HTTP on the private path ``/_standby/`` of the server (loopback only).

GET  /_standby/state         the emulation's state (time scale, latencies, outages, promotions, ...)
POST /_standby/outage        {"region", "plane": "all"|"control", "mode": "hang"|"refuse"}
POST /_standby/restore       {"region": optional}: end the outages (of that region, else all)
POST /_standby/time-scale    {"scale"}: real seconds per modelled second
POST /_standby/latency       {"promotion_seconds", "insync_seconds", "snapshot_seconds"} (modelled; any may be left out)
POST /_standby/replica-lag   {"seconds": number|null, "region": optional, "identifier": optional}
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Any

from standby.emulation import Installed
from standby.emulation.state import Outage

PREFIX = "/_standby/"
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class _NoSuchCall(Exception):
    pass


def _body(environ: dict[str, Any]) -> dict[str, Any]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    doc = json.loads(raw or b"{}")
    if not isinstance(doc, dict):
        raise ValueError("the body must be a JSON object")
    return doc


def _optional_float(doc: dict[str, Any], key: str) -> float | None:
    value = doc.get(key)
    return None if value is None else float(value)


def handle(emulation: Installed, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    state = emulation.state
    method = environ.get("REQUEST_METHOD", "GET")
    action = str(environ.get("PATH_INFO", ""))[len(PREFIX) :].strip("/")
    status = "200 OK"
    try:
        if method == "GET" and action == "state":
            answer: dict[str, Any] = {"pid": os.getpid(), **state.describe()}  # the emulator names itself
        elif method != "POST":
            raise _NoSuchCall(f"{method} {PREFIX}{action}")
        elif action == "outage":
            doc = _body(environ)
            outage = Outage(str(doc.get("region") or ""), str(doc.get("plane", "all")), str(doc.get("mode", "hang")))
            state.set_outage(outage)
            answer = {"outage": outage.__dict__}
        elif action == "restore":
            region = _body(environ).get("region")
            answer = {"restored": [o.__dict__ for o in state.restore(str(region) if region else None)]}
        elif action == "time-scale":
            state.clock.set_scale(float(_body(environ)["scale"]))
            answer = {"time_scale": state.clock.scale}
        elif action == "latency":
            doc = _body(environ)
            state.set_latencies(
                _optional_float(doc, "promotion_seconds"),
                _optional_float(doc, "insync_seconds"),
                _optional_float(doc, "snapshot_seconds"),
            )
            answer = state.latencies()
        elif action == "replica-lag":
            doc = _body(environ)
            emulation.rds.set_lag(_optional_float(doc, "seconds"), doc.get("region"), doc.get("identifier"))
            answer = {"replica_lag": emulation.rds.describe()["replica_lag"]}
        else:
            raise _NoSuchCall(f"{method} {PREFIX}{action}")
    except _NoSuchCall as err:
        status, answer = "404 Not Found", {"error": f"no such control call: {err}"}
    except (ValueError, TypeError, KeyError) as err:
        status, answer = "400 Bad Request", {"error": str(err) or type(err).__name__}
    payload = json.dumps(answer).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]
