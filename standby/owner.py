"""Who runs standby: the user name written into journals (the operator) and locks (the owner).

``getpass.getuser()`` reads LOGNAME, USER, LNAME and USERNAME, then the passwd database; a uid with no passwd
entry (common in containers) makes it raise. Standby then names the user by uid, ``uid-N``, instead of failing.
"""

from __future__ import annotations

import getpass
import os
import socket


def user_name() -> str:
    """The login name, else ``uid-N`` when the environment names none and the uid has no passwd entry."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError, ImportError):  # KeyError: no passwd entry (3.11); OSError from 3.13
        name = ""
    return name or f"uid-{os.getuid()}"


def operator() -> str:
    """``user@host``: who ran a run, as journals and locks record it."""
    return f"{user_name()}@{socket.gethostname()}"
