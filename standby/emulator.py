"""The local AWS emulator: a moto server bound to 127.0.0.1, started and found across processes.

``standby emulator start`` runs the server detached and records its endpoint in ``$STANDBY_HOME/emulator.json``
so that later commands (and other processes) find it. Only loopback addresses are ever used.

The server behaves like AWS where standby depends on it (docs/emulator.md); the functions at the end of this
module are its control calls: outages, the time scale of modelled latencies, the modelled replica lag.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import json
import logging
import os
import signal
import socket
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from standby import processes
from standby.errors import EmulatorError

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
TIME_SCALE_ENV = "STANDBY_EMULATOR_TIME_SCALE"  # the server's time scale when it is not given one
PORT_ATTEMPTS = 3  # an automatically chosen port found taken at start-up is chosen again, this many times in all
STATE_PATH = "/_standby/state"  # the server's control call that names its pid
START_TIMEOUT_S = 90.0  # a loaded 2-core machine can take tens of seconds to import moto


def standby_home() -> Path:
    """Per-user state of the tool (the emulator record, debug logs): $STANDBY_HOME, else ~/.standby."""
    return Path(os.environ.get("STANDBY_HOME") or Path.home() / ".standby")


@dataclass(frozen=True)
class EmulatorInfo:
    pid: int
    port: int
    endpoint: str
    started_at: float
    log_path: str


def is_loopback(endpoint: str) -> bool:
    host = urlparse(endpoint).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_loopback(endpoint: str | None, what: str) -> str:
    """Refuse emulator-only work against anything but a loopback endpoint."""
    if endpoint is None or not is_loopback(endpoint):
        raise EmulatorError(
            f"{what} runs only against the local emulator, but the AWS endpoint is {endpoint or 'real AWS'}",
            hint='run `standby emulator start` and set `[aws] endpoint = "emulator"` in the config',
        )
    return endpoint


SERVER_MODULES = ("moto", "flask", "werkzeug")  # what the server process imports: moto[server]
EMULATOR_EXTRA = "standby[emulator]"


def require_server_installed() -> None:
    """Refuse to start when moto's server is not installed (it is the ``emulator`` extra, not a dependency)."""
    missing = [name for name in SERVER_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise EmulatorError(
            f"the emulator needs moto's server, which is not installed (missing: {', '.join(missing)})",
            hint=f"install the emulator extra: pip install '{EMULATOR_EXTRA}' (into the environment running standby)",
        )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return True
    return False


def _answers(endpoint: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=timeout) as response:  # noqa: S310 - loopback only
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _served_by(endpoint: str, timeout: float = 1.0) -> int | None:
    """The pid of the emulator server answering on ``endpoint`` (its control call ``state``), or None when
    nothing answers there as standby's emulator."""
    try:
        with urllib.request.urlopen(f"{endpoint}{STATE_PATH}", timeout=timeout) as response:  # noqa: S310 - loopback only
            pid = json.loads(response.read()).get("pid")
    except (urllib.error.URLError, OSError, ValueError, AttributeError):
        return None
    return pid if isinstance(pid, int) and not isinstance(pid, bool) else None


def _unsafe_pid(pid: int) -> str | None:
    """Why ``pid`` must never be signalled as an emulator (0 and negative pids name process groups, 1 is init,
    our own pid or group would stop the caller), or None."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 1:
        return f"pid {pid!r} names no single process"
    if pid == os.getpid():
        return f"pid {pid} is this process"
    if pid == os.getpgrp():
        return f"pid {pid} leads this process's group"
    return None


def _emulator_cmdline(pid: int, port: int) -> bool | None:
    """Whether /proc/PID/cmdline is standby's emulator server on ``port`` (None when it cannot be read)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    return b"standby.emulator_server" in cmdline and str(port).encode() in cmdline


def _is_emulator_process(info: EmulatorInfo) -> bool:
    if _unsafe_pid(info.pid) is not None or not processes.exists(info.pid):
        return False
    verified = _emulator_cmdline(info.pid, info.port)
    return _answers(info.endpoint) if verified is None else verified


def _spawn_detached(argv: list[str], log_path: Path) -> int:
    """Start a process in its own session, output to log_path, owned by no Popen object (it outlives us)."""
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, str(log_path), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    return os.posix_spawn(argv[0], argv, dict(os.environ), file_actions=actions, setsid=True)


def _reap(pid: int) -> int | None:
    """Collect our child's exit status if it has ended (None while it runs or when it is not our child)."""
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return None
    return os.waitstatus_to_exitcode(status) if done else None


def _not_our_emulator(info: EmulatorInfo) -> str | None:
    """Why the live process ``info.pid`` is not standby's emulator, or None when it is verified to be."""
    cmdline = _emulator_cmdline(info.pid, info.port)
    if cmdline is None:
        return f"/proc/{info.pid}/cmdline cannot be read to verify pid {info.pid}"
    if not cmdline:
        return f"pid {info.pid} is not standby's emulator server on port {info.port}"
    try:
        group = os.getpgid(info.pid)
    except ProcessLookupError:
        return f"pid {info.pid} has ended"
    if group != info.pid:
        return f"pid {info.pid} does not lead its own process group"
    return None


def _kill_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


class Emulator:
    """Start, find, reset and stop the moto server recorded under ``home``."""

    def __init__(self, home: Path | None = None) -> None:
        self.home = home or standby_home()
        self.record = self.home / "emulator.json"

    def _read_record(self) -> EmulatorInfo | None:
        """The recorded emulator, or None (a record that is not one is removed)."""
        try:
            info = EmulatorInfo(**json.loads(self.record.read_text()))
        except FileNotFoundError:
            return None
        except (ValueError, TypeError):
            self.record.unlink(missing_ok=True)
            return None
        if not isinstance(info.pid, int) or not isinstance(info.port, int) or not isinstance(info.endpoint, str):
            self.record.unlink(missing_ok=True)
            return None
        return info

    def status(self) -> EmulatorInfo | None:
        """The running emulator, or None. A stale record (its process gone) is removed.

        A busy server that is slow to answer is still running: liveness is judged by the recorded process
        (checked to be a moto server on the recorded port, so a reused pid is never mistaken for it).
        """
        info = self._read_record()
        if info is None:
            return None
        if _is_emulator_process(info):
            return info
        self.record.unlink(missing_ok=True)
        return None

    def start(self, port: int | None = None, time_scale: float | None = None) -> tuple[EmulatorInfo, bool]:
        """Start the server unless one is running; returns (info, started_now).

        ``time_scale``: real seconds per modelled second of the emulated latencies (default: the server's,
        $STANDBY_EMULATOR_TIME_SCALE or 1). A running emulator is returned as it is: set its scale with
        `set_time_scale`.
        """
        running = self.status()
        if running is not None:
            if port is not None and port != running.port:
                raise EmulatorError(
                    f"an emulator is already running on port {running.port} (pid {running.pid})",
                    hint="`standby emulator stop` first to start one on another port",
                )
            return running, False
        require_server_installed()
        if port is not None and port_in_use(port):
            raise EmulatorError(
                f"port {port} on {HOST} is already in use", hint="choose another --port, or omit it for a free one"
            )
        self.home.mkdir(parents=True, exist_ok=True)
        for attempt in range(1, PORT_ATTEMPTS + 1):
            chosen = port or free_port()
            info = self._spawn(chosen, time_scale)
            if info is not None:
                self._write_record(info)
                return info, True
            # Another process took the free port between its choice and the server's bind (emulators started
            # at once, as test workers do): the server exited. An automatically chosen port is chosen again.
            if port is not None or attempt == PORT_ATTEMPTS:
                raise EmulatorError(
                    f"port {chosen} on {HOST} was taken by another process while the emulator started",
                    hint="choose another --port, or omit it for a free one",
                )
            log.info("port %d was taken while the emulator started; choosing another", chosen)
        raise AssertionError("unreachable")

    def _spawn(self, port: int, time_scale: float | None) -> EmulatorInfo | None:
        """Start the server on ``port`` and wait until it answers as itself; None when it could not bind the port
        because another process holds it. Only an answer naming the spawned process counts: another server
        answering on the port is not this one."""
        log_path = self.home / "emulator.log"
        endpoint = f"http://{HOST}:{port}"
        argv = [sys.executable, "-m", "standby.emulator_server", "--host", HOST, "--port", str(port)]
        if time_scale is not None:
            argv += ["--time-scale", repr(float(time_scale))]
        pid = _spawn_detached(argv, log_path)
        deadline = time.monotonic() + START_TIMEOUT_S
        while _served_by(endpoint, timeout=0.5) != pid:
            exited = _reap(pid)
            if exited is not None:
                if port_in_use(port):
                    return None
                raise EmulatorError(f"the emulator exited during start-up (status {exited})", hint=f"see {log_path}")
            if time.monotonic() > deadline:
                _kill_group(pid, signal.SIGKILL)
                _reap(pid)
                raise EmulatorError(
                    f"the emulator did not answer within {START_TIMEOUT_S:.0f}s", hint=f"see {log_path}"
                )
            time.sleep(0.1)
        return EmulatorInfo(pid=pid, port=port, endpoint=endpoint, started_at=time.time(), log_path=str(log_path))

    def _write_record(self, info: EmulatorInfo) -> None:
        """Record ``info`` atomically, readable by this user only."""
        self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = self.record.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(json.dumps(asdict(info), indent=2))
        tmp.replace(self.record)

    def stop(self) -> EmulatorInfo | None:
        """Stop the running emulator; returns what was stopped, or None when none was running.

        Only a process verified to be standby's emulator server is signalled (a pid above 1, not this process
        nor its group, leading its own group as the emulator started detached does, /proc/PID/cmdline naming
        standby.emulator_server); any other record is removed and an EmulatorError says nothing was signalled.
        """
        info = self._read_record()
        if info is None:
            return None
        problem = _unsafe_pid(info.pid)
        if problem is None and not processes.exists(info.pid):
            self.record.unlink(missing_ok=True)  # stale: the emulator has ended
            return None
        if problem is None:
            problem = _not_our_emulator(info)
        if problem is not None:
            self.record.unlink(missing_ok=True)
            raise EmulatorError(
                f"refusing to stop the recorded emulator: {problem}; nothing was signalled",
                hint=f"the stale record {self.record} was removed; stop a leftover emulator process by hand",
            )
        _kill_group(info.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while _reap(info.pid) is None and processes.exists(info.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if processes.exists(info.pid):
            _kill_group(info.pid, signal.SIGKILL)
            _reap(info.pid)
        self.record.unlink(missing_ok=True)
        return info

    def reset(self) -> EmulatorInfo:
        """Forget every resource in every account and region of the running emulator."""
        info = self.require()
        reset_endpoint(info.endpoint)
        return info

    def require(self) -> EmulatorInfo:
        info = self.status()
        if info is None:
            raise EmulatorError("no emulator is running", hint="start one with `standby emulator start`")
        return info


RESET_TIMEOUT_SECONDS = 120


def reset_endpoint(endpoint: str) -> None:
    require_loopback(endpoint, "reset")
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")  # noqa: S310 - loopback http only
    # The emulator answers one request at a time: on a loaded machine, with a large world to forget, a reset can
    # take well over ten seconds. It is standby's own local process, never a region that may be down.
    with urllib.request.urlopen(request, timeout=RESET_TIMEOUT_SECONDS) as response:  # noqa: S310 - loopback http only
        if response.status != 200:
            raise EmulatorError(f"emulator reset answered HTTP {response.status}")


def _control(endpoint: str, method: str, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """One control call on the emulator's private path; the server's JSON answer."""
    require_loopback(endpoint, "an emulator control call")
    data = json.dumps(body or {}).encode() if method == "POST" else None
    request = urllib.request.Request(  # noqa: S310 - loopback http only
        f"{endpoint}/_standby/{action}", data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback http only
            answer: dict[str, Any] = json.loads(response.read() or b"{}")
            return answer
    except urllib.error.HTTPError as err:
        try:
            detail = json.loads(err.read() or b"{}").get("error") or err.reason
        except ValueError:
            detail = err.reason
        if err.code == 404:
            raise EmulatorError(
                f"the emulator at {endpoint} has no control call {action}: {detail}",
                hint="restart it (`standby emulator stop` then `start`) to run this version's emulator",
            ) from err
        raise EmulatorError(f"the emulator refused {action}: {detail}") from err
    except (urllib.error.URLError, OSError) as err:
        raise EmulatorError(f"the emulator at {endpoint} did not answer: {err}") from err


def set_outage(endpoint: str, region: str, plane: str = "all", mode: str = "hang") -> dict[str, Any]:
    """Make ``region`` unreachable: every request signed for it (plane "all"), or only Route53's control plane
    (plane "control", region us-east-1), hangs unanswered (mode "hang") or is reset (mode "refuse")."""
    return _control(endpoint, "POST", "outage", {"region": region, "plane": plane, "mode": mode})


def restore(endpoint: str, region: str | None = None) -> list[dict[str, Any]]:
    """End the outages (of ``region``, else all); held requests are then answered. Returns the ended outages."""
    ended: list[dict[str, Any]] = _control(endpoint, "POST", "restore", {"region": region} if region else {})[
        "restored"
    ]
    return ended


def set_time_scale(endpoint: str, scale: float) -> float:
    """Real seconds per modelled second of the emulated latencies (promotion, Route53 propagation)."""
    return float(_control(endpoint, "POST", "time-scale", {"scale": scale})["time_scale"])


def set_latencies(
    endpoint: str,
    promotion_seconds: float | None = None,
    insync_seconds: float | None = None,
    snapshot_seconds: float | None = None,
) -> dict[str, Any]:
    """The modelled durations of a promotion, of a Route53 change reaching INSYNC and of a manual DB snapshot
    becoming available (None: unchanged)."""
    latencies = {"promotion_seconds": promotion_seconds, "insync_seconds": insync_seconds}
    return _control(endpoint, "POST", "latency", latencies | {"snapshot_seconds": snapshot_seconds})


def set_replica_lag(
    endpoint: str, seconds: float | None, region: str | None = None, identifier: str | None = None
) -> dict[str, Any]:
    """Publish AWS/RDS ReplicaLag of ``seconds`` for one replica (``identifier``, in ``region`` or any) or for
    every replica; ``seconds=None`` stops publishing it."""
    return _control(endpoint, "POST", "replica-lag", {"seconds": seconds, "region": region, "identifier": identifier})


def emulation_state(endpoint: str) -> dict[str, Any]:
    """The emulation's state: time scale, latencies, outages, promotions in flight, replica lag, ..."""
    return _control(endpoint, "GET", "state")
