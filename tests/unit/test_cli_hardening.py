"""Hardening of the command line: run ids, corrupt journals, JSON envelopes for every error, owner names without a
passwd entry, emulator stop refusing pids it did not start, private journals and logs, and log rotation."""

from __future__ import annotations

import http.server
import json
import logging
import os
import pwd
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from standby.cli.main import KEEP_LOGS, _prune_logs, cli, main
from standby.errors import ExitCode, UsageError
from standby.owner import operator, user_name
from standby.state.journal import (
    RUN_ID_PATTERN,
    Journal,
    JournalUnreadable,
    check_run_id,
)
from standby.state.journal_store import JournalStore

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "webapp" / "standby.toml"
GOOD_ID = "20261128T000000Z-failover-ab12"


def config_for(tmp_path: Path, endpoint: str = "emulator") -> Path:
    """The example's config with its state in ``tmp_path/state`` and absolute stack paths."""
    text = EXAMPLE.read_text()
    text = text.replace('state_dir = ".standby"', f'state_dir = "{tmp_path / "state"}"')
    text = text.replace('endpoint = "emulator"', f'endpoint = "{endpoint}"')
    text = text.replace('"../../terraform/stacks/', f'"{REPO / "terraform" / "stacks"}/')
    path = tmp_path / "standby.toml"
    path.write_text(text)
    return path


def journal(run_id: str = GOOD_ID, started_at: float = 1000.0) -> Journal:
    return Journal(run_id, "failover", "us-west-2", "us-east-1", started_at=started_at, status="failed")


# -- run ids ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "run_id",
    [
        GOOD_ID,
        "20261128T000000Z-failback-0f9e",
        "20261128T235959Z-drill-isolated-abcd",
        "20261128T235959Z-drill-isolated-abcd-restore",
        "20261128T235959Z-drill-full-1234",
        "20261128T235959Z-drill-full-1234-failback",
    ],
)
def test_run_ids_of_every_kind_are_accepted(run_id: str) -> None:
    assert check_run_id(run_id) == run_id


@pytest.mark.parametrize(
    "run_id",
    [
        "",
        "BOGUS",
        "../../../x",
        f"{GOOD_ID}/../../x",
        f"../{GOOD_ID}",
        "20261128T000000Z-exfiltrate-ab12",
        "20261128T000000Z-failover-AB12",
        "20261128T000000Z-failover-ab12-restore-restore",
        f"{GOOD_ID}\n",
    ],
)
def test_malformed_run_ids_are_usage_errors(run_id: str) -> None:
    with pytest.raises(UsageError, match="is not a run id"):
        check_run_id(run_id)
    assert not RUN_ID_PATTERN.fullmatch(run_id)


def test_the_controller_makes_ids_the_pattern_accepts() -> None:
    from standby.failover.controller import new_run_id

    for kind in ("failover", "failback", "drill-isolated", "drill-full"):
        check_run_id(new_run_id(kind, 1_800_000_000.0))


@pytest.mark.parametrize("resume", ["", "../../../x", "BOGUS"])
@pytest.mark.parametrize("verb", ["failover", "failback"])
def test_resume_with_a_bad_run_id_is_exit_2_before_anything_runs(tmp_path: Path, capsys, verb, resume) -> None:
    # The config names the emulator and none runs: anything past the option check would exit 7, not 2.
    config = config_for(tmp_path)
    code = main(["--config", str(config), "--output", "json", verb, "--yes", "--resume", resume])
    captured = capsys.readouterr()
    assert code == ExitCode.USAGE, captured.err
    doc = json.loads(captured.out)
    assert (doc["command"], doc["status"]) == (verb, "error")
    assert doc["error"]["type"] == "UsageError" and doc["error"]["exit_code"] == 2
    assert "is not a run id" in doc["error"]["message"]
    assert not (tmp_path / "state").exists()


def test_resume_reads_no_journal_outside_the_state_dir(tmp_path: Path) -> None:
    outside = tmp_path / "x.json"
    outside.write_text(json.dumps(journal().to_dict()))
    store = JournalStore(tmp_path / "state" / "runs", None)
    with pytest.raises(UsageError):
        store.load("../../x")


# -- corrupt and wrong-shape journals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object, found list"),
        ('{"run_id": 5}', "'run_id' is missing or not a string"),
        (json.dumps({**journal().to_dict(), "started_at": "yesterday"}), "'started_at' is missing or not a number"),
        (json.dumps({**journal().to_dict(), "steps": [1]}), "'steps' is not an object of step objects"),
        (json.dumps({**journal().to_dict(), "steps": {"a": {"bogus": 1}}}), "unexpected keyword"),
    ],
)
def test_a_corrupt_journal_is_a_usage_error_naming_its_file(tmp_path: Path, text: str, problem: str) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    path = runs / f"{GOOD_ID}.json"
    path.write_text(text)
    with pytest.raises(JournalUnreadable) as caught:
        JournalStore(runs, None).load(GOOD_ID)
    assert caught.value.exit_code == ExitCode.USAGE
    assert str(path) in caught.value.message and problem in caught.value.message


def test_latest_skips_unreadable_journals_with_a_warning(tmp_path: Path, caplog, monkeypatch) -> None:
    monkeypatch.setattr(logging.getLogger("standby"), "propagate", True)  # the CLI turns it off for its own run
    runs = tmp_path / "runs"
    store = JournalStore(runs, None)
    store.save(journal(GOOD_ID, started_at=1000.0))
    (runs / "20261129T000000Z-failover-0000.json").write_text("[]")
    (runs / "20261130T000000Z-failover-1111.json").write_text('{"run_id": "x", "started_at": "late"}')
    (runs / "20261201T000000Z-failover-2222.json").write_text("{truncated")
    with caplog.at_level(logging.WARNING, logger="standby"):
        latest = store.latest()
    assert latest is not None and latest.run_id == GOOD_ID
    skipped = [r.getMessage() for r in caplog.records if r.getMessage().startswith("skipped:")]
    assert len(skipped) == 3
    assert any("20261201T000000Z-failover-2222.json" in m and "not valid JSON" in m for m in skipped)


def test_a_journal_round_trips_and_is_private(tmp_path: Path) -> None:
    previous = os.umask(0o022)  # even with a permissive umask
    try:
        store = JournalStore(tmp_path / "state" / "runs", None)
        store.save(journal())
    finally:
        os.umask(previous)
    path = tmp_path / "state" / "runs" / f"{GOOD_ID}.json"
    assert path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "state" / "runs").stat().st_mode & 0o777 == 0o700
    loaded = store.load(GOOD_ID)
    assert loaded is not None and loaded.to_dict() == journal().to_dict()
    assert [p.name for p in (tmp_path / "state" / "runs").iterdir()] == [path.name]  # no .tmp left


# -- JSON envelopes for every error -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["--output", "json", "frobnicate"],
        ["--output=json", "frobnicate"],
        ["--output", "json", "--no-such-option", "validate"],
        ["--no-such-option", "--output", "json", "validate"],
        ["--output", "json", "validate", "--no-such-option"],
        ["--output", "json", "emulator", "start", "--port", "80"],
    ],
)
def test_usage_errors_print_a_json_envelope(argv: list[str], capsys) -> None:
    assert main(argv) == ExitCode.USAGE
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert doc["schema_version"] == 1 and doc["status"] == "error"
    assert doc["error"]["exit_code"] == 2 and doc["error"]["type"] in {"NoSuchCommand", "NoSuchOption", "BadParameter"}
    assert captured.err  # and the human message on stderr


def test_usage_errors_in_text_print_nothing_on_stdout(capsys) -> None:
    assert main(["--output", "text", "frobnicate"]) == ExitCode.USAGE
    assert capsys.readouterr().out == ""


@click.command("boom-for-test")
def _boom() -> None:
    """A command that fails as a bug would."""
    raise RuntimeError("the flux capacitor is empty")


@pytest.fixture
def boom() -> Iterator[str]:
    cli.add_command(_boom)
    yield "boom-for-test"
    cli.commands.pop("boom-for-test", None)


def test_internal_errors_print_a_json_envelope(boom: str, capsys) -> None:
    assert main(["--output", "json", boom]) == ExitCode.FAILED
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert (doc["command"], doc["status"]) == (boom, "error")
    assert doc["error"]["type"] == "RuntimeError" and doc["error"]["exit_code"] == 1
    assert "flux capacitor" in doc["error"]["message"]
    assert "internal error: RuntimeError" in captured.err


def test_internal_errors_in_text_print_nothing_on_stdout(boom: str, capsys) -> None:
    assert main([boom]) == ExitCode.FAILED
    assert capsys.readouterr().out == ""


def test_the_cli_restores_the_callers_umask(boom: str) -> None:
    previous = os.umask(0o022)
    try:
        main([boom])
        assert os.umask(0o022) == 0o022
    finally:
        os.umask(previous)


# -- owner names without a passwd entry ---------------------------------------------------------------------------


@pytest.fixture
def no_passwd_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in a container running an arbitrary uid: no login name in the environment, no passwd entry."""
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.delenv(name, raising=False)

    def getpwuid(uid: int) -> pwd.struct_passwd:
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    monkeypatch.setattr(pwd, "getpwuid", getpwuid)


def test_a_uid_without_passwd_entry_is_named_by_uid(no_passwd_entry: None) -> None:
    import getpass

    with pytest.raises(KeyError):  # what standby used to call directly
        getpass.getuser()
    assert user_name() == f"uid-{os.getuid()}"
    assert operator().startswith(f"uid-{os.getuid()}@")
    assert journal().operator.startswith(f"uid-{os.getuid()}@")  # the journal's operator, and the lock's owner


def test_the_login_name_from_the_environment_wins(monkeypatch: pytest.MonkeyPatch, no_passwd_entry: None) -> None:
    monkeypatch.setenv("USER", "ops-alice")
    assert user_name() == "ops-alice"
    assert journal().operator.startswith("ops-alice@")


# -- debug logs: private, and rotated -----------------------------------------------------------------------------


def test_debug_logs_are_private_and_only_the_newest_are_kept(tmp_path: Path, monkeypatch, capsys) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("STANDBY_HOME", str(home))
    logs = home / "logs"
    logs.mkdir(parents=True)
    old = []
    for i in range(KEEP_LOGS + 5):
        path = logs / f"standby-20200101-0000{i:02d}-{i}.log"
        path.write_text("old\n")
        os.utime(path, (1_600_000_000 + i, 1_600_000_000 + i))
        old.append(path)
    other = logs / "notes.txt"  # not a debug log: left alone
    other.write_text("mine\n")
    assert main(["validate", str(EXAMPLE)]) == 0
    kept = sorted(logs.glob("standby-*.log"))
    assert len(kept) == KEEP_LOGS
    new = [p for p in kept if p not in old]
    assert len(new) == 1 and new[0].stat().st_mode & 0o777 == 0o600
    assert set(kept) - set(new) == set(old[-(KEEP_LOGS - 1) :])  # the newest of the old ones
    assert other.exists()


def test_prune_keeps_the_current_log_even_when_older(tmp_path: Path) -> None:
    paths = []
    for i in range(5):
        path = tmp_path / f"standby-{i}.log"
        path.write_text("")
        os.utime(path, (1_600_000_000 + i, 1_600_000_000 + i))
        paths.append(path)
    _prune_logs(tmp_path, keep=2, current=paths[0])
    assert sorted(tmp_path.iterdir()) == [paths[0], paths[4]]


def test_a_fresh_home_gets_a_private_logs_directory(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("STANDBY_HOME", str(tmp_path / "fresh"))
    assert main(["validate", str(EXAMPLE)]) == 0
    assert (tmp_path / "fresh").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "fresh" / "logs").stat().st_mode & 0o777 == 0o700


# -- emulator stop signals only the emulator it started ----------------------------------------------------------


class _AnswersLikeMoto(http.server.BaseHTTPRequestHandler):
    """Answers 200 to anything: an endpoint that looks alive to a liveness probe."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def live_endpoint() -> Iterator[tuple[int, str]]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _AnswersLikeMoto)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    yield port, f"http://127.0.0.1:{port}"
    server.shutdown()
    server.server_close()


# Runs in a child process in its own session, so that a wrong signal ends the child (and fails the test), never
# the test runner. It records PID (or its own pid: it leads its own group) and asks the emulator to stop it.
STOP_CHILD = textwrap.dedent(
    """
    import json, os, sys
    from pathlib import Path
    from standby.emulator import Emulator
    from standby.errors import EmulatorError

    home, pid, port, endpoint = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
    pid = os.getpid() if pid == "self" else int(pid)
    home.mkdir(parents=True, exist_ok=True)
    record = {"pid": pid, "port": port, "endpoint": endpoint, "started_at": 0.0, "log_path": ""}
    (home / "emulator.json").write_text(json.dumps(record))
    try:
        Emulator(home).stop()
    except EmulatorError as err:
        print("refused:", err.message)
    else:
        print("stopped")
    print("record left:", (home / "emulator.json").exists())
    """
)


def run_stop_in_child(home: Path, pid: str, port: int, endpoint: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", STOP_CHILD, str(home), pid, str(port), endpoint],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        start_new_session=True,
        check=False,
    )


@pytest.mark.parametrize("pid", ["0", "-1", "1", "self"])
def test_stop_refuses_pids_it_did_not_start(tmp_path: Path, live_endpoint, pid: str) -> None:
    port, endpoint = live_endpoint
    done = run_stop_in_child(tmp_path / "home", pid, port, endpoint)
    assert done.returncode == 0, (done.returncode, done.stderr)  # -15: it signalled its own group
    assert "refused:" in done.stdout and "nothing was signalled" in done.stdout, done.stdout
    assert "record left: False" in done.stdout


def test_this_process_and_its_group_are_never_emulators() -> None:
    from standby.emulator import _unsafe_pid

    assert _unsafe_pid(os.getpid()) is not None
    assert _unsafe_pid(os.getpgrp()) is not None
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"], start_new_session=True)
    try:
        assert _unsafe_pid(other.pid) is None  # another process: left to the /proc check
    finally:
        other.kill()
        other.wait()


def test_stop_refuses_an_unrelated_process_and_leaves_it_running(tmp_path: Path, live_endpoint) -> None:
    port, endpoint = live_endpoint
    # An unrelated process that leads its own group, listening on nothing: e.g. a reused pid.
    unrelated = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True)
    try:
        done = run_stop_in_child(tmp_path / "home", str(unrelated.pid), port, endpoint)
        assert done.returncode == 0, done.stderr
        assert f"pid {unrelated.pid} is not standby's emulator server" in done.stdout, done.stdout
        assert "record left: False" in done.stdout
        time.sleep(0.2)
        assert unrelated.poll() is None  # still running: never signalled
    finally:
        unrelated.send_signal(signal.SIGKILL)
        unrelated.wait()


def test_stop_through_the_cli_refuses_with_exit_7(tmp_path: Path, monkeypatch, capsys) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("STANDBY_HOME", str(home))
    (home / "emulator.json").write_text(
        json.dumps({"pid": 1, "port": 1, "endpoint": "http://127.0.0.1:1", "started_at": 0.0, "log_path": ""})
    )
    assert main(["--output", "json", "emulator", "stop"]) == ExitCode.EMULATOR
    doc = json.loads(capsys.readouterr().out)
    assert doc["error"]["type"] == "EmulatorError" and "pid 1 names no single process" in doc["error"]["message"]
    assert not (home / "emulator.json").exists()


def test_stop_of_a_record_whose_process_ended_is_quiet(tmp_path: Path) -> None:
    from standby.emulator import Emulator

    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    home = tmp_path / "home"
    home.mkdir()
    record = {"pid": ended.pid, "port": 1, "endpoint": "http://127.0.0.1:1", "started_at": 0.0, "log_path": ""}
    (home / "emulator.json").write_text(json.dumps(record))
    assert Emulator(home).stop() is None
    assert not (home / "emulator.json").exists()


# -- resume and status through the CLI, on the emulator -----------------------------------------------------------


def test_resume_of_an_unknown_run_is_exit_2(tmp_path: Path, clean_emulator: str, capsys) -> None:
    config = config_for(tmp_path, clean_emulator)
    assert main(["--config", str(config), "--output", "json", "failover", "--yes", "--resume", GOOD_ID]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert doc["error"]["type"] == "UsageError" and f"no journal found for run {GOOD_ID}" in doc["error"]["message"]


@pytest.mark.parametrize("text", ["{not json", '["a", "list"]', '{"run_id": 5}'])
def test_resume_of_a_corrupt_journal_is_exit_2_naming_the_file(
    tmp_path: Path, clean_emulator: str, capsys, text: str
) -> None:
    config = config_for(tmp_path, clean_emulator)
    path = tmp_path / "state" / "runs" / f"{GOOD_ID}.json"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    assert main(["--config", str(config), "--output", "json", "failover", "--yes", "--resume", GOOD_ID]) == 2
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert doc["error"]["type"] == "JournalUnreadable" and str(path) in doc["error"]["message"]
    assert f"error: the journal {path} is unreadable" in captured.err
    assert "internal error" not in captured.err


def test_status_skips_unreadable_journals_and_warns(tmp_path: Path, clean_emulator: str, capsys) -> None:
    config = config_for(tmp_path, clean_emulator)
    runs = tmp_path / "state" / "runs"
    JournalStore(runs, None).save(journal(GOOD_ID, started_at=1000.0))
    (runs / "20261129T000000Z-failover-0000.json").write_text('{"run_id": "x", "started_at": "late"}')
    (runs / "20261130T000000Z-failover-1111.json").write_text("[]")
    assert main(["--config", str(config), "status"]) == 0
    captured = capsys.readouterr()
    assert f"last run: failover {GOOD_ID}: failed" in captured.out
    assert "20261129T000000Z-failover-0000.json is unreadable" in captured.err
    assert "20261130T000000Z-failover-1111.json is unreadable" in captured.err
