"""Terraform's ``.tf`` files parsed into Python values (python-hcl2), one parse at a time in the process.

python-hcl2 (8.x) serializes its parse tree with state it shares between all calls: every rule's ``serialize``
takes a ``SerializationContext()`` created once as a default argument and flips fields on it while it walks
(``inside_dollar_string`` among them), restoring the old value afterwards. Two threads parsing at once restore
each other's values, and the flag can stay set for the rest of the process. From then on every expression comes
back without its ``${...}``: the drift check's threads did this, and later reads of ``lifecycle { ignore_changes }``
found nothing in modules (their drift was reported as drift). Every parse therefore goes through
:func:`parse_hcl`, which holds one lock for the whole parse and serialization.

python-hcl2 is also slow: importing it and loading its grammar take about 0.3 s, and a stack's files take tenths
of a second more, before Terraform can even start. :func:`read_hcl_file` therefore keeps each file's parsed document
in ``$STANDBY_HOME/cache/hcl`` (``~/.standby`` by default), named by the SHA-256 of the file's bytes and of
python-hcl2's version: a file is parsed once for as long as its text and the parser stay the same. A cache entry
that cannot be written or read is left aside (the file is parsed); ``STANDBY_HCL_CACHE=off`` turns the cache off.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import threading
from importlib import metadata
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_ONE_AT_A_TIME = threading.Lock()
CACHE_SWITCH_ENV = "STANDBY_HCL_CACHE"  # "off": parse every time


def parse_hcl(text: str) -> dict[str, Any]:
    """The document python-hcl2 makes of ``text``; raises what the parser raises for text it cannot parse."""
    import hcl2  # only the stack and IaC drift readers need it (the scheduled drift Lambda never imports it)

    with _ONE_AT_A_TIME:
        return hcl2.loads(text)


def read_hcl_file(path: Path) -> dict[str, Any]:
    """A ``.tf`` file parsed (Terraform reads its files as UTF-8, whatever the locale), from the cache when this
    text was parsed before by this version of python-hcl2."""
    data = path.read_bytes()
    entry = _cache_entry(data)
    if entry is not None:
        with contextlib.suppress(OSError, ValueError):
            cached = json.loads(entry.read_text(encoding="utf-8"))
            if isinstance(cached, dict):
                return cached
    document = parse_hcl(data.decode("utf-8"))
    if entry is not None:
        _store(entry, document)
    return document


def cache_directory() -> Path | None:
    """Where parsed documents are kept (None: not kept)."""
    if os.environ.get(CACHE_SWITCH_ENV, "").strip().lower() == "off":
        return None
    home = os.environ.get("STANDBY_HOME") or str(Path.home() / ".standby")  # standby's per-user directory
    return Path(home) / "cache" / "hcl"


def _cache_entry(data: bytes) -> Path | None:
    directory = cache_directory()
    if directory is None:
        return None
    try:
        parser = metadata.version("python-hcl2")
    except metadata.PackageNotFoundError:
        return None
    digest = hashlib.sha256(parser.encode() + b"\0" + data).hexdigest()
    return directory / f"{digest}.json"


def _store(entry: Path, document: dict[str, Any]) -> None:
    """Keep ``document`` at ``entry`` (written whole or not at all); a failure is logged, never raised."""
    try:
        entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(document, out)
            os.replace(tmp, entry)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except (OSError, TypeError, ValueError) as err:
        log.debug("parsed HCL not kept at %s: %s", entry, err)
