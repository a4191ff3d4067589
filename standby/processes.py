"""Whether a process recorded earlier has ended, judged on this machine's own process table.

A run lock's holder records where it runs (``namespace``: on Linux the kernel's boot id and the process's pid
namespace) and which process it is (its pid and ``start``: when the kernel started that process). A contender in
the same namespace then sees for itself that the holder has ended — no process has that pid any more, or the pid
now belongs to a process started at another time, or it is a zombie — without waiting out a lease. Anywhere else
(another machine, another container, a system without ``/proc``) nothing is known: ``namespace`` is None there,
and a record without one is never judged ended.
"""

from __future__ import annotations

import os
from pathlib import Path

BOOT_ID = Path("/proc/sys/kernel/random/boot_id")  # random for each boot of a kernel
PID_NAMESPACE = Path("/proc/self/ns/pid")


def namespace() -> str | None:
    """This process's pid namespace on this boot of this kernel (``<boot id>/pid:<inode>``); None when unknown."""
    try:
        boot = BOOT_ID.read_text(encoding="ascii").strip()
        inode = os.stat(PID_NAMESPACE).st_ino
    except (OSError, UnicodeDecodeError):
        return None
    return f"{boot}/pid:{inode}" if boot else None


def _stat(pid: int) -> tuple[str, str] | None:
    """``(state, start)`` of process ``pid`` from ``/proc/PID/stat`` (its 3rd and 22nd fields; ``start`` in clock
    ticks since boot); None when it cannot be read."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    # The 2nd field, the command's name in parentheses, may hold spaces and parentheses: read after the last ")".
    fields = text[text.rfind(")") + 1 :].split()
    return (fields[0], fields[19]) if len(fields) > 19 else None


def start(pid: int) -> str:
    """When process ``pid`` started, as the kernel counts it; "" when unknown."""
    found = _stat(pid)
    return found[1] if found is not None else ""


def has_ended(pid: int, started: str) -> bool:
    """Whether the process ``pid`` that started at ``started`` (``start``) has ended. Only meaningful in the
    ``namespace`` it ran in; False whenever that cannot be known (nothing recorded, a process this user may not
    read: ``/proc`` mounted with ``hidepid`` hides other users' processes, the kernel still knows them)."""
    if pid <= 0 or not started:
        return False
    found = _stat(pid)
    if found is not None:
        state, now = found
        return state in ("Z", "X") or now != started  # a zombie, or the pid reused by another process
    return not exists(pid)


def exists(pid: int) -> bool:
    """Whether a process ``pid`` exists, whoever owns it (signal 0: nothing is sent)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's
        return True
    return True
