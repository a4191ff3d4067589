"""Whether a recorded process has ended, on this machine's process table: ended and reaped, a zombie, its pid
reused, alive; nothing recorded is never judged ended."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from standby import processes

pytestmark = pytest.mark.skipif(processes.namespace() is None, reason="needs /proc (Linux)")


def waiting_child() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)


def test_the_namespace_is_this_boots_pid_namespace() -> None:
    boot, _, inode = (processes.namespace() or "").partition("/pid:")
    assert boot == processes.BOOT_ID.read_text().strip() and inode == str(os.stat("/proc/self/ns/pid").st_ino)
    assert processes.namespace() == processes.namespace()


def test_a_live_process_has_not_ended() -> None:
    assert not processes.has_ended(os.getpid(), processes.start(os.getpid()))
    child = waiting_child()
    try:
        assert not processes.has_ended(child.pid, processes.start(child.pid))
    finally:
        child.communicate(b"")


def test_a_process_that_exited_has_ended_reaped_or_zombie() -> None:
    child = waiting_child()
    started = processes.start(child.pid)
    assert started
    assert child.stdin is not None
    child.stdin.close()
    deadline = time.monotonic() + 10
    while processes._stat(child.pid) is not None and processes._stat(child.pid)[0] not in ("Z", "X"):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert processes.has_ended(child.pid, started)  # exited, not reaped yet: a zombie
    child.wait()
    assert processes.has_ended(child.pid, started)  # reaped: no such process


def test_a_pid_now_held_by_a_process_started_at_another_time_has_ended() -> None:
    assert processes.has_ended(os.getpid(), str(int(processes.start(os.getpid())) - 1))


@pytest.mark.parametrize(("pid", "started"), [(0, "123"), (-1, "123"), (None, "")])
def test_nothing_recorded_is_never_judged_ended(pid: int | None, started: str) -> None:
    assert not processes.has_ended(os.getpid() if pid is None else pid, started)


def test_a_command_name_with_spaces_and_parentheses_is_read_past(tmp_path) -> None:
    named = tmp_path / "a) (b c"  # the kernel names the process after the file it executes
    named.symlink_to(os.path.realpath(sys.executable))
    child = subprocess.Popen([str(named), "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        assert "(a) (b c)" in Path(f"/proc/{child.pid}/stat").read_text()
        started = processes.start(child.pid)
        assert started.isdigit()
        assert not processes.has_ended(child.pid, started)
    finally:
        child.communicate(b"")
