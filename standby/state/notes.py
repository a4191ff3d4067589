"""Notes: what standby did to a resource, kept beside it in the region's control store."""

from __future__ import annotations

from typing import Any

from standby.state.store import ControlStore

# Note fields.
PRIOR_CAPACITY = "prior_capacity"


EVICTED_RECORD = "evicted-record"  # a record set a failover deleted, kept until a failback puts it back


def evicted_record_name(doc: dict[str, Any]) -> str:
    """The note name of an evicted record set: its region (set identifier), name and type."""
    return f"{doc.get('SetIdentifier')}-{str(doc.get('Name', '')).rstrip('.').lower()}-{doc.get('Type')}"


class Notes:
    """What standby did to a resource, kept beside it in the region's control store rather than in tags
    (tags would show up as drift in Terraform): a group's capacity before it was changed. One document per
    resource, so concurrent steps never overwrite each other's notes.

    Notes record what standby changed, never whether AWS did something: a judgement (a database promoted, a
    group ready) is made from AWS state alone.
    """

    def __init__(self, store: ControlStore) -> None:
        self.store = store

    def _key(self, kind: str, name: str) -> str:
        return f"notes/{kind}/{name}.json"

    def names(self, kind: str) -> list[str]:
        """The names that have notes of ``kind``."""
        prefix = f"notes/{kind}/"
        return [k[len(prefix) : -len(".json")] for k in self.store.keys(prefix) if k.endswith(".json")]

    def get(self, kind: str, name: str) -> dict[str, Any]:
        return dict(self.store.get(self._key(kind, name)) or {})

    def update(self, kind: str, name: str, **fields: Any) -> None:
        doc = self.get(kind, name)
        doc.update(fields)
        self.store.put(self._key(kind, name), doc)

    def forget(self, kind: str, name: str, *fields: str) -> None:
        doc = self.get(kind, name)
        for f in fields:
            doc.pop(f, None)
        if doc:
            self.store.put(self._key(kind, name), doc)
        else:
            self.store.delete(self._key(kind, name))
