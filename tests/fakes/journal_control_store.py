"""A control store in memory for the journal store's tests: objects by key as stored, puts and GETs counted; and
the journal those tests run (steps started and ended as the executor does)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from standby.aws.s3 import ungzipped
from standby.state.journal import Journal, StepRecord
from standby.state.journal_store import JournalStore

RUN = "20261128T000000Z-failover-ab12"


class DictStore:
    """A control store in memory: objects by key as stored, every put counted with its size, every GET counted."""

    bucket = "standby-test"
    region = "us-west-2"

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.bytes_put = 0
        self.puts = 0
        self.gets = 0

    def put_bytes(self, key: str, body: bytes, content_type: str, content_encoding: str | None = None) -> None:
        assert content_encoding == "gzip" and body.startswith(b"\x1f\x8b")
        assert content_type == ("application/x-ndjson" if key.count("/") > 1 else "application/json")
        self.puts += 1
        self.bytes_put += len(body)
        self.objects[key] = body

    def put_plain(self, key: str, document: Any) -> None:
        """A document as earlier versions stored it: plain JSON."""
        self.objects[key] = json.dumps(document, indent=2).encode()

    def get_bytes(self, key: str) -> bytes | None:
        self.gets += 1
        return self.objects.get(key)

    def get(self, key: str) -> Any | None:
        body = self.get_bytes(key)
        return None if body is None else json.loads(ungzipped(body))

    def doc(self, key: str) -> Any:
        return json.loads(ungzipped(self.objects[key]))

    def keys(self, prefix: str) -> list[str]:
        return sorted(k for k in self.objects if k.startswith(prefix))

    def segments(self) -> list[str]:
        return self.keys(f"runs/{RUN}/")


def wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def new_journal(steps: int) -> Journal:
    journal = Journal(RUN, "failover", "us-west-2", "us-east-1", started_at=1000.0)
    for i in range(steps):
        journal.steps[f"s{i}"] = StepRecord(f"s{i}", "scale-out", "us-west-2")
    return journal


def run_steps(store: JournalStore, journal: Journal, keys: list[str]) -> None:
    """Start and end each step as the executor does: the change, then its record."""
    for n, key in enumerate(keys):
        rec = journal.steps[key]
        rec.status, rec.started_at, rec.attempts = "running", 1000.0 + n, rec.attempts + 1
        store.record(journal, key)
        rec.status, rec.ended_at, rec.after = "complete", 1001.0 + n, {"desired_capacity": 4}
        store.record(journal, key)
