"""Terraform's ``.tf`` files parsed into Python values (python-hcl2), one parse at a time in the process.

python-hcl2 (8.x) serializes its parse tree with state it shares between all calls: every rule's ``serialize``
takes a ``SerializationContext()`` created once as a default argument and flips fields on it while it walks
(``inside_dollar_string`` among them), restoring the old value afterwards. Two threads parsing at once restore
each other's values, and the flag can stay set for the rest of the process. From then on every expression comes
back without its ``${...}``: the drift check's threads did this, and later reads of ``lifecycle { ignore_changes }``
found nothing in modules (their drift was reported as drift). Every parse therefore goes through
:func:`parse_hcl`, which holds one lock for the whole parse and serialization.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

_ONE_AT_A_TIME = threading.Lock()


def parse_hcl(text: str) -> dict[str, Any]:
    """The document python-hcl2 makes of ``text``; raises what the parser raises for text it cannot parse."""
    import hcl2  # only the stack and IaC drift readers need it (the scheduled drift Lambda never imports it)

    with _ONE_AT_A_TIME:
        return hcl2.loads(text)


def read_hcl_file(path: Path) -> dict[str, Any]:
    """A ``.tf`` file parsed (Terraform reads its files as UTF-8, whatever the locale)."""
    return parse_hcl(path.read_text(encoding="utf-8"))
