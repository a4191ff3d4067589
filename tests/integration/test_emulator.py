"""The emulator: start, status, reset, stop; a second start; a busy port; loopback only; the control CLI."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest

from standby import emulator as emulator_module
from standby.cli.main import main
from standby.emulator import Emulator, emulation_state, free_port, is_loopback, require_loopback
from standby.errors import EmulatorError


@pytest.fixture
def emulator(tmp_path: Path):
    em = Emulator(tmp_path / "emu-home")
    yield em
    em.stop()


def test_start_status_reset_stop(emulator: Emulator) -> None:
    info, started = emulator.start()
    assert started
    assert info.endpoint.startswith("http://127.0.0.1:")
    assert emulator.status() == info

    ssm = boto3.client(
        "ssm", region_name="us-east-1", endpoint_url=info.endpoint, aws_access_key_id="t", aws_secret_access_key="t"
    )
    ssm.put_parameter(Name="/x", Value="1", Type="String")
    emulator.reset()
    assert ssm.describe_parameters()["Parameters"] == []

    assert emulator.stop() == info
    assert emulator.status() is None
    assert emulator.stop() is None


def test_second_start_returns_the_running_one(emulator: Emulator) -> None:
    first, started = emulator.start()
    again, started_again = emulator.start()
    assert started and not started_again
    assert again == first
    with pytest.raises(EmulatorError, match=f"already running on port {first.port}"):
        emulator.start(port=first.port + 1 if first.port < 65535 else first.port - 1)


def test_busy_port_is_refused(emulator: Emulator) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(EmulatorError, match=f"port {port} on 127.0.0.1 is already in use"):
            emulator.start(port=port)
    assert emulator.status() is None


class _AnotherEmulator(BaseHTTPRequestHandler):
    """Answers like another emulator server: moto's data and a control state naming a pid that is not ours."""

    def do_GET(self) -> None:
        body = json.dumps({"pid": 1} if self.path.startswith("/_standby/") else {}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def taken_port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AnotherEmulator)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_a_free_port_taken_before_the_server_binds_it_is_chosen_again(
    emulator: Emulator, taken_port: int, monkeypatch
) -> None:
    """Two emulators starting at once (test workers) can be handed the same free port: the one that loses the
    bind must not take the other's answers for its own."""
    choices = iter([taken_port])
    monkeypatch.setattr(emulator_module, "free_port", lambda: next(choices, None) or free_port())
    info, started = emulator.start()
    assert started and info.port != taken_port
    assert emulation_state(info.endpoint)["pid"] == info.pid  # the server answering is the one recorded
    assert emulator.status() == info

    emulator.stop()
    monkeypatch.setattr(emulator_module, "free_port", lambda: taken_port)
    monkeypatch.setattr(emulator_module, "PORT_ATTEMPTS", 2)
    with pytest.raises(EmulatorError, match=f"port {taken_port} on 127.0.0.1 was taken by another process"):
        emulator.start()
    assert emulator.status() is None


def test_record_is_found_by_another_process_through_the_cli(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("STANDBY_HOME", str(tmp_path / "cli-home"))
    assert main(["emulator", "start"]) == 0
    try:
        assert "emulator started: http://127.0.0.1:" in capsys.readouterr().out
        assert main(["--output", "json", "emulator", "status"]) == 0
        assert '"running": true' in capsys.readouterr().out
        assert main(["emulator", "reset"]) == 0
        capsys.readouterr()
        assert main(["emulator", "outage", "us-east-1", "--plane", "control", "--mode", "refuse"]) == 0
        assert "us-east-1 (Route53 control plane) refuses until restore" in capsys.readouterr().out
        assert main(["emulator", "outage", "us-west-2", "--plane", "control"]) == 7  # the control plane is us-east-1
        assert main(["emulator", "time-scale", "0.5"]) == 0
        assert main(["emulator", "replica-lag", "3"]) == 0
        capsys.readouterr()
        info = Emulator().require()
        state = emulation_state(info.endpoint)
        assert state["outages"] == [{"region": "us-east-1", "plane": "control", "mode": "refuse"}]
        assert state["time_scale"] == 0.5 and state["rds"]["replica_lag"]["all"] == 3.0
        assert main(["emulator", "restore"]) == 0
        assert "emulator restored: us-east-1 (control)" in capsys.readouterr().out
        assert emulation_state(info.endpoint)["outages"] == []
    finally:
        assert main(["emulator", "stop"]) == 0
    assert main(["emulator", "status"]) == 7


def test_stale_record_is_cleared(tmp_path: Path) -> None:
    em = Emulator(tmp_path)
    tmp_path.mkdir(exist_ok=True)
    em.record.write_text(
        '{"pid": 999999, "port": 1, "endpoint": "http://127.0.0.1:1", "started_at": 0, "log_path": ""}'
    )
    assert em.status() is None
    assert not em.record.exists()


@pytest.mark.parametrize(
    ("endpoint", "loopback"),
    [
        ("http://127.0.0.1:5000", True),
        ("http://localhost:4566", True),
        ("http://[::1]:5000", True),
        ("http://127.8.9.10", True),
        ("http://10.0.0.1:5000", False),
        ("https://ec2.us-east-1.amazonaws.com", False),
    ],
)
def test_loopback_detection(endpoint: str, loopback: bool) -> None:
    assert is_loopback(endpoint) is loopback


def test_start_with_a_time_scale(emulator: Emulator) -> None:
    info, _ = emulator.start(time_scale=0.05)
    assert emulation_state(info.endpoint)["time_scale"] == 0.05


def test_demo_refuses_a_non_loopback_endpoint() -> None:
    with pytest.raises(EmulatorError, match="runs only against the local emulator"):
        require_loopback("https://rds.us-east-1.amazonaws.com", "demo")
    with pytest.raises(EmulatorError):
        require_loopback(None, "demo")
    with pytest.raises(EmulatorError, match="runs only against the local emulator"):
        emulation_state("https://rds.us-east-1.amazonaws.com")
