"""Notes: what standby did to a resource, kept beside it in the region's control store."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from standby.state.store import ControlStore, DocumentChange

# Note fields.
PRIOR_CAPACITY = "prior_capacity"

GROUP_NOTES = "asg"  # a group's capacity before a run changed it
EVICTED_RECORD = "evicted-record"  # a record set a failover deleted, kept until a failback puts it back
FENCE_NOTES = "fence"  # the security groups a fence replaced on a database, kept until a failback gives them back

# Kinds kept in one document per region (``notes/<kind>.json``: name -> fields) rather than one per resource: a
# failover notes every group (every record set, every database) at once, and one read and one write for all of
# them cost the same at 10 groups as at 1,000.
COMBINED_KINDS = frozenset({GROUP_NOTES, EVICTED_RECORD, FENCE_NOTES})

Document = dict[str, dict[str, Any]]  # a combined kind's document: name -> fields


def evicted_record_name(doc: dict[str, Any]) -> str:
    """The note name of an evicted record set: its region (set identifier), name and type."""
    return f"{doc.get('SetIdentifier')}-{str(doc.get('Name', '')).rstrip('.').lower()}-{doc.get('Type')}"


class Notes:
    """What standby did to a resource, kept beside it in the region's control store rather than in tags
    (tags would show up as drift in Terraform): a group's capacity before it was changed, a record set a failover
    deleted, the security groups a fence replaced. A kind not in ``COMBINED_KINDS`` is kept one document per
    resource, so concurrent steps never overwrite each other's notes.

    Notes record what standby changed, never whether AWS did something: a judgement (a database promoted, a
    group ready) is made from AWS state alone.

    The kinds in ``COMBINED_KINDS`` are kept in one document per region: changes made at the same time
    (every scale-out step of a run noting its group) are written together (``ControlStore.update``), and
    ``all`` reads every note of the kind at once. Notes of those kinds written one per resource by an earlier
    version are read (a listing of ``notes/<kind>/``) until the kind's document exists, and folded into it by its
    first write. ``standby provision`` creates the documents (``create_documents``), so a deployment provisioned
    by this version never lists.
    """

    def __init__(self, store: ControlStore) -> None:
        self.store = store

    def _key(self, kind: str, name: str) -> str:
        return f"notes/{kind}/{name}.json"

    def _combined_key(self, kind: str) -> str:
        return f"notes/{kind}.json"

    def all(self, kind: str) -> dict[str, dict[str, Any]]:
        """Every note of ``kind``: name -> fields."""
        if kind in COMBINED_KINDS:
            doc = self.store.get(self._combined_key(kind))
            if isinstance(doc, dict):
                return {str(k): dict(v) for k, v in doc.items() if isinstance(v, dict)}
        return self._separate(kind)

    def _separate(self, kind: str) -> dict[str, dict[str, Any]]:
        return {name: doc for name in self._separate_names(kind) if (doc := self.get_separate(kind, name))}

    def get_separate(self, kind: str, name: str) -> dict[str, Any]:
        return dict(self.store.get(self._key(kind, name)) or {})

    def _change(self, kind: str, apply: Callable[[Document], None]) -> None:
        self.store.update(self._combined_key(kind), DocumentChange(apply, lambda: self._separate(kind)))

    def change(self, kind: str, apply: Callable[[Document], None]) -> None:
        """Change the notes of a combined kind in place (name -> fields): one read and one write for all of them,
        returning once written."""
        if kind not in COMBINED_KINDS:
            raise ValueError(f"notes of {kind!r} are kept one per resource")
        self._change(kind, apply)

    def create_documents(self) -> None:
        """Create the document of every combined kind that has none yet: empty, or holding the notes an earlier
        version kept one per resource. An existing document is never written."""
        for kind in sorted(COMBINED_KINDS):
            self._change(kind, lambda doc: None)

    def keep_first(self, kind: str, notes: dict[str, dict[str, Any]]) -> None:
        """Note each name's fields where that name has no value for them yet (a value noted first is kept: a
        re-run must not note the capacity its own first run set). One write for every name."""

        def apply(doc: dict[str, Any]) -> None:
            for name, fields in notes.items():
                entry = doc.setdefault(name, {})
                for f, value in fields.items():
                    if not entry.get(f):
                        entry[f] = value

        if kind in COMBINED_KINDS:
            self._change(kind, apply)
            return
        for name in notes:  # one document per resource
            doc = {name: self.get_separate(kind, name)}
            apply(doc)
            self.store.put(self._key(kind, name), doc[name])

    def names(self, kind: str) -> list[str]:
        """The names that have notes of ``kind``."""
        if kind in COMBINED_KINDS:
            return sorted(self.all(kind))
        return self._separate_names(kind)

    def _separate_names(self, kind: str) -> list[str]:
        prefix = f"notes/{kind}/"
        return [k[len(prefix) : -len(".json")] for k in self.store.keys(prefix) if k.endswith(".json")]

    def get(self, kind: str, name: str) -> dict[str, Any]:
        if kind in COMBINED_KINDS:
            return dict(self.all(kind).get(name) or {})
        return self.get_separate(kind, name)

    def update(self, kind: str, name: str, **fields: Any) -> None:
        self.update_many(kind, {name: fields})

    def update_many(self, kind: str, notes: Mapping[str, Mapping[str, Any]]) -> None:
        """Set each name's fields; for a combined kind, one read and one write for every name."""
        if kind in COMBINED_KINDS:

            def apply(doc: Document) -> None:
                for name, fields in notes.items():
                    doc.setdefault(name, {}).update(fields)

            self._change(kind, apply)
            return
        for name, fields in notes.items():  # one document per resource
            doc = self.get_separate(kind, name)
            doc.update(fields)
            self.store.put(self._key(kind, name), doc)

    def forget(self, kind: str, name: str, *fields: str) -> None:
        self.forget_many(kind, {name: fields})

    def forget_many(self, kind: str, notes: Mapping[str, Iterable[str]]) -> None:
        """Remove each name's fields (a name left with none is removed); for a combined kind, one read and one
        write for every name."""
        if kind in COMBINED_KINDS:

            def apply(doc: Document) -> None:
                for name, fields in notes.items():
                    entry = doc.get(name)
                    if isinstance(entry, dict):
                        for f in fields:
                            entry.pop(f, None)
                        if not entry:
                            del doc[name]

            self._change(kind, apply)
            return
        for name, fields in notes.items():  # one document per resource
            doc = self.get_separate(kind, name)
            for f in fields:
                doc.pop(f, None)
            if doc:
                self.store.put(self._key(kind, name), doc)
            else:
                self.store.delete(self._key(kind, name))
