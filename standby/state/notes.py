"""Notes: what standby did to a resource, kept beside it in the region's control store."""

from __future__ import annotations

from typing import Any

from standby.state.store import ControlStore

# Note fields.
PROMOTION_REQUESTED_AT = "promotion_requested_at"
PRIOR_CAPACITY = "prior_capacity"


class Notes:
    """What standby did to a resource, kept beside it in the region's control store rather than in tags
    (tags would show up as drift in Terraform): a group's capacity before it was changed, when a promotion
    was requested. One document per resource, so concurrent steps never overwrite each other's notes.
    """

    def __init__(self, store: ControlStore) -> None:
        self.store = store

    def _key(self, kind: str, name: str) -> str:
        return f"notes/{kind}/{name}.json"

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
