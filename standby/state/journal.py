"""The run journal: every step's start and end, what was observed before and after, errors, and the RTO.

Saved after every change to a local file and to the control store of the region being activated, so that a
crashed or failed run can be resumed from either, on this machine or another.
"""

from __future__ import annotations

import getpass
import json
import logging
import os
import socket
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from standby.state.store import ControlStore

# The steps whose end marks the end of the recovery time (traffic moved, capacity healthy).
SHIFT_TRAFFIC = "shift-traffic"
WAIT_HEALTHY = "wait-healthy"

log = logging.getLogger(__name__)

JOURNAL_SCHEMA = 1
DONE = ("complete", "skipped")


@dataclass
class StepRecord:
    key: str
    slug: str
    region: str
    status: str = "pending"  # pending | running | complete | skipped | failed | not-run
    started_at: float | None = None
    ended_at: float | None = None
    detail: str = ""
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    attempts: int = 0

    @property
    def seconds(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return self.ended_at - self.started_at


@dataclass
class Journal:
    run_id: str
    kind: str
    activate: str
    demote: str
    started_at: float
    status: str = "running"  # running | complete | failed | refused
    ended_at: float | None = None
    plan: dict[str, Any] = field(default_factory=dict)
    steps: dict[str, StepRecord] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    operator: str = field(default_factory=lambda: f"{getpass.getuser()}@{socket.gethostname()}")
    resumes: list[float] = field(default_factory=list)
    schema_version: int = JOURNAL_SCHEMA

    def done_keys(self) -> set[str]:
        return {k for k, s in self.steps.items() if s.status in DONE}

    @property
    def traffic_moved_at(self) -> float | None:
        """When traffic was on the activated region with its capacity healthy (the end of the RTO)."""
        shift = self.steps.get(SHIFT_TRAFFIC)
        healthy = [s for s in self.steps.values() if s.slug == WAIT_HEALTHY]
        ends = [s.ended_at for s in [shift, *healthy] if s is not None]
        if shift is None or shift.status not in DONE or any(s.status not in DONE for s in healthy):
            return None
        return max(e for e in ends if e is not None)

    @property
    def rto_seconds(self) -> float | None:
        moved = self.traffic_moved_at
        return None if moved is None else moved - self.started_at

    def to_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["rto_seconds"] = self.rto_seconds
        return doc

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Journal:
        data = {k: v for k, v in doc.items() if k in cls.__dataclass_fields__}
        data["steps"] = {k: StepRecord(**v) for k, v in (doc.get("steps") or {}).items()}
        return cls(**data)


class JournalStore:
    """Saves a journal locally and in a control store; thread-safe; remote failures are logged, not fatal."""

    def __init__(self, local_dir: Path, remote: ControlStore | None) -> None:
        self.local_dir = local_dir
        self.remote = remote
        self._lock = threading.Lock()

    def key(self, run_id: str) -> str:
        return f"runs/{run_id}.json"

    def save(self, journal: Journal) -> None:
        with self._lock:
            doc = journal.to_dict()
            self.local_dir.mkdir(parents=True, exist_ok=True)
            path = self.local_dir / f"{journal.run_id}.json"
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(doc, indent=2, sort_keys=True, default=str))
            os.replace(tmp, path)
            if self.remote is not None:
                try:
                    self.remote.put(self.key(journal.run_id), doc)
                except (ClientError, BotoCoreError) as err:
                    log.warning("journal %s not saved in %s: %s", journal.run_id, self.remote.region, err)

    def load(self, run_id: str) -> Journal | None:
        path = self.local_dir / f"{run_id}.json"
        if path.exists():
            return Journal.from_dict(json.loads(path.read_text()))
        if self.remote is not None:
            doc = self.remote.get(self.key(run_id))
            if doc:
                return Journal.from_dict(doc)
        return None

    def latest(self) -> Journal | None:
        """The most recent journal, local or remote."""
        candidates: list[Journal] = []
        if self.local_dir.exists():
            for path in self.local_dir.glob("*.json"):
                try:
                    candidates.append(Journal.from_dict(json.loads(path.read_text())))
                except (ValueError, TypeError):
                    continue
        if self.remote is not None:
            try:
                keys = self.remote.keys("runs/")
            except (ClientError, BotoCoreError):
                keys = []
            if keys:
                doc = self.remote.get(max(keys))
                if doc:
                    candidates.append(Journal.from_dict(doc))
        return max(candidates, key=lambda j: j.started_at, default=None)
