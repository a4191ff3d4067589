"""The control store: where standby keeps its own records in a region (S3 documents and a DynamoDB lock table).

Each region has one, so that a failover reads and writes only in the region it activates: the manifest of
resource names, the role record, the primary's capacity snapshot, run journals and reports.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from standby.aws import dynamodb, s3, sts
from standby.aws.session import SessionFactory

MANIFEST_KEY = "manifest.json"
ROLES_KEY = "roles.json"
CAPACITY_SNAPSHOT_KEY = "capacity-snapshot.json"


@dataclass
class ControlStore:
    sessions: SessionFactory
    project: str
    region: str
    account: str | None = None
    _account_id: str | None = field(default=None, init=False, repr=False)
    _ensured: bool = field(default=False, init=False, repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def _client(self, service: str) -> Any:
        return self.sessions.client(service, self.region, self.account)

    @property
    def account_id(self) -> str:
        if self._account_id is None:
            self._account_id = sts.caller_account(self._client("sts"))
        return self._account_id

    @property
    def bucket(self) -> str:
        return f"standby-{self.project}-{self.account_id}-{self.region}"

    @property
    def lock_table(self) -> str:
        return f"standby-{self.project}-locks"

    def ensure(self) -> None:
        """Create the bucket and the lock table when missing (idempotent)."""
        with self._guard:
            if self._ensured:
                return
            if not s3.bucket_exists(self._client("s3"), self.bucket):
                s3.create_bucket(self._client("s3"), self.bucket, self.region)
            dynamodb.ensure_lock_table(self._client("dynamodb"), self.lock_table)
            self._ensured = True

    def get(self, key: str) -> Any | None:
        return s3.get_json(self._client("s3"), self.bucket, key)

    def put(self, key: str, document: Any) -> None:
        self.ensure()
        s3.put_json(self._client("s3"), self.bucket, key, document)

    def put_text(self, key: str, text: str, content_type: str) -> None:
        self.ensure()
        s3.put_text(self._client("s3"), self.bucket, key, text, content_type)

    def delete(self, key: str) -> None:
        s3.delete_object(self._client("s3"), self.bucket, key)

    def keys(self, prefix: str) -> list[str]:
        return s3.list_keys(self._client("s3"), self.bucket, prefix)

    def dynamodb(self) -> Any:
        return self._client("dynamodb")
