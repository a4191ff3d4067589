"""The control store: where standby keeps its own records in a region (S3 documents and a DynamoDB lock table).

Each region has one, so that a failover reads and writes only in the region it activates: the manifest of
resource names, the role record, the primary's capacity snapshot, run journals and reports.

Writes are optimistic: the bucket and the lock table are made sure of (created when missing) only when a write
finds one of them missing, and the write is then made again once; a store that exists costs no call to check it.

A store's bucket is named after the account. That account never costs a call to a region that may be down: it
is the account configured for the region when set, else the caller's account, learned once from whichever region
answers first among those reached with the same credentials (the same credentials are the same account
everywhere; a region with its own profile or role may be another account) and shared by the session factory.
"""

from __future__ import annotations

import contextvars
import copy
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from standby.aws import dynamodb, s3, sts
from standby.aws.errors import error_code
from standby.aws.session import SessionFactory
from standby.batching import Coalescer

MANIFEST_KEY = "manifest.json"
ROLES_KEY = "roles.json"
CAPACITY_SNAPSHOT_KEY = "capacity-snapshot.json"

# What S3 and DynamoDB answer a write to a bucket or a lock table that does not exist.
MISSING_STORE_CODES = frozenset({"NoSuchBucket", "ResourceNotFoundException"})

T = TypeVar("T")


@dataclass(frozen=True)
class DocumentChange:
    """A change of one JSON object in a control store (``ControlStore.update``): ``apply`` changes it in place;
    ``missing`` gives the object to start from when the store has none."""

    apply: Callable[[dict[str, Any]], None]
    missing: Callable[[], dict[str, Any]] = dict


@dataclass
class ControlStore:
    sessions: SessionFactory
    project: str
    region: str
    account: str | None = None
    peers: tuple[str, ...] = ()  # other regions that may tell the caller's account when this one does not answer
    _account_id: str | None = field(default=None, init=False, repr=False)
    _ensured: bool = field(default=False, init=False, repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _updates: dict[str, Coalescer[DocumentChange, None]] = field(default_factory=dict, init=False, repr=False)

    def _client(self, service: str) -> Any:
        return self.sessions.client(service, self.region, self.account)

    @property
    def account_id(self) -> str:
        """The configured account of this region, else the caller's (never waiting on this region alone)."""
        if self.account:
            return self.account
        if self._account_id is None:
            self._account_id = caller_account(self.sessions, (self.region, *self.peers))
        return self._account_id

    @property
    def bucket(self) -> str:
        return f"standby-{self.project}-{self.account_id}-{self.region}"

    @property
    def lock_table(self) -> str:
        return f"standby-{self.project}-locks"

    def ensure(self) -> None:
        """Create the bucket and the lock table when missing (idempotent). Writes call it themselves when they find
        either missing (``ensuring``)."""
        with self._guard:
            if self._ensured:
                return
            if not s3.bucket_exists(self._client("s3"), self.bucket, owner=self.account_id):
                s3.create_bucket(self._client("s3"), self.bucket, self.region, owner=self.account_id)
            dynamodb.ensure_lock_table(self._client("dynamodb"), self.lock_table)
            self._ensured = True

    def ensuring(self, write: Callable[[], T]) -> T:
        """``write()``; when it fails because the bucket or the lock table does not exist, create them (``ensure``)
        and make it once more. Any other error, and the second attempt's, is raised as it is."""
        try:
            return write()
        except ClientError as err:
            if error_code(err) not in MISSING_STORE_CODES:
                raise
        with self._guard:
            self._ensured = False  # missing, whatever was made sure of before (removed since)
        self.ensure()
        return write()

    def get(self, key: str) -> Any | None:
        return s3.get_json(self._client("s3"), self.bucket, key, owner=self.account_id)

    def get_bytes(self, key: str) -> bytes | None:
        return s3.get_bytes(self._client("s3"), self.bucket, key, owner=self.account_id)

    def put(self, key: str, document: Any) -> None:
        self.ensuring(lambda: s3.put_json(self._client("s3"), self.bucket, key, document, owner=self.account_id))

    def put_text(self, key: str, text: str, content_type: str) -> None:
        self.ensuring(
            lambda: s3.put_text(self._client("s3"), self.bucket, key, text, content_type, owner=self.account_id)
        )

    def update(self, key: str, change: DocumentChange) -> None:
        """Change the JSON object at ``key`` in place with ``change`` (read, change, write), returning once it is
        written. Changes of the same key made at the same time are written together: one read and one write for
        all of them, applied in the order they were made (``standby.batching``). ``missing()`` of the first
        change gives the document when there is none yet."""
        with self._guard:
            coalescer = self._updates.get(key)
            if coalescer is None:
                coalescer = self._updates[key] = Coalescer(lambda changes: self._apply(key, changes))
        coalescer.submit(change)

    def _apply(self, key: str, changes: Sequence[DocumentChange]) -> list[None]:
        stored = self.get(key)
        doc = copy.deepcopy(stored) if isinstance(stored, dict) else (changes[0].missing() if changes else {})
        for change in changes:
            change.apply(doc)
        if doc != stored:
            self.put(key, doc)
        return [None] * len(changes)

    def put_bytes(self, key: str, body: bytes, content_type: str, content_encoding: str | None = None) -> None:
        self.ensuring(
            lambda: s3.put_bytes(
                self._client("s3"),
                self.bucket,
                key,
                body,
                content_type,
                content_encoding=content_encoding,
                owner=self.account_id,
            )
        )

    def delete(self, key: str) -> None:
        s3.delete_object(self._client("s3"), self.bucket, key, owner=self.account_id)

    def keys(self, prefix: str) -> list[str]:
        return s3.list_keys(self._client("s3"), self.bucket, prefix, owner=self.account_id)

    def dynamodb(self) -> Any:
        return self._client("dynamodb")

    def remove_bucket(self) -> bool:
        """Delete the bucket and every record in it (``standby destroy``); False when it did not exist."""
        with self._guard:
            self._ensured = False
        return s3.delete_bucket(self._client("s3"), self.bucket, owner=self.account_id)

    def remove_lock_table(self) -> bool:
        """Delete the lock table (``standby destroy``, once its run lock is released); False when it did not exist."""
        with self._guard:
            self._ensured = False
        return dynamodb.delete_table(self._client("dynamodb"), self.lock_table)


def caller_account(sessions: SessionFactory, regions: Sequence[str]) -> str:
    """The caller's account: known to ``sessions`` already, or the first answer of STS asked in every one of
    ``regions`` at once (a region that does not answer is not waited on while another does). Only the regions
    reached with the first one's credentials are asked: another region's credentials may be another account.
    Threads asking at once share one look-up (``SessionFactory.account_once``)."""
    regions = [region for region in regions if sessions.same_credentials(regions[0], region)]
    return sessions.account_once(regions[0], lambda: _first_answer(sessions, regions))


def _first_answer(sessions: SessionFactory, regions: Sequence[str]) -> str:
    answers: queue.SimpleQueue[tuple[str | None, BaseException | None]] = queue.SimpleQueue()

    def ask(region: str) -> None:
        try:
            answers.put((sts.caller_account(sessions.client("sts", region)), None))
        except Exception as err:  # noqa: BLE001 - handed to the waiting caller, raised there
            answers.put((None, err))

    for region in dict.fromkeys(regions):
        context = contextvars.copy_context()  # the caller's step budget, if any, applies to these calls too
        threading.Thread(target=context.run, args=(ask, region), name="sts-account", daemon=True).start()
    errors: list[BaseException] = []
    for _ in dict.fromkeys(regions):
        account, err = answers.get()
        if account is not None:
            return account
        if err is not None:
            errors.append(err)
    raise errors[0]
