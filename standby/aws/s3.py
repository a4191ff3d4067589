"""S3 driver: the small JSON documents standby keeps (manifest, roles, journals, reports).

A JSON document may be stored gzip-compressed (``put_bytes`` with ``content_encoding="gzip"``, as journals are):
``get_json`` reads either form, told apart by the gzip magic bytes.

Every call takes ``owner``: the account expected to own the bucket, sent as ``ExpectedBucketOwner`` so that a
bucket of the same name in another account (a squatted name) is refused by S3 instead of read or written.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from standby.aws.errors import error_code
from standby.aws.paging import paged
from standby.aws.permissions import requires


def _owned(owner: str | None, **params: Any) -> dict[str, Any]:
    """``params`` with ``ExpectedBucketOwner`` when an owner is expected."""
    if owner is not None:
        params["ExpectedBucketOwner"] = owner
    return params


def _unless_no_bucket(call: Callable[..., Any], owner: str | None, **params: Any) -> bool:
    """Make a bucket call; False when S3 says there is no such bucket (HeadBucket answers a bare 404)."""
    try:
        call(**_owned(owner, **params))
    except ClientError as err:
        if error_code(err) in ("404", "NoSuchBucket", "NotFound"):
            return False
        raise
    return True


@requires("s3:ListBucket")
def bucket_exists(client: Any, bucket: str, *, owner: str | None = None) -> bool:
    return _unless_no_bucket(client.head_bucket, owner, Bucket=bucket)


@requires("s3:CreateBucket", "s3:PutBucketVersioning")
def create_bucket(client: Any, bucket: str, region: str, *, owner: str | None = None) -> None:
    kwargs: dict[str, Any] = {"Bucket": bucket}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        client.create_bucket(**kwargs)
    except ClientError as err:
        if error_code(err) != "BucketAlreadyOwnedByYou":
            raise
    client.put_bucket_versioning(**_owned(owner, Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}))


GZIP_MAGIC = b"\x1f\x8b"


def ungzipped(body: bytes) -> bytes:
    """``body`` decompressed when it is gzip (its magic bytes), else as it is; ValueError when it is gzip but not
    whole (a truncated or corrupted stream)."""
    if not body.startswith(GZIP_MAGIC):
        return body
    try:
        return gzip.decompress(body)
    except (OSError, EOFError) as err:
        raise ValueError(f"a gzip body that does not decompress ({err})") from err


@requires("s3:GetObject")
def get_bytes(client: Any, bucket: str, key: str, *, owner: str | None = None) -> bytes | None:
    """The object's body as stored (not decompressed); None when there is no such key or bucket."""
    try:
        body: bytes = client.get_object(**_owned(owner, Bucket=bucket, Key=key))["Body"].read()
    except ClientError as err:
        if error_code(err) in ("NoSuchKey", "404", "NoSuchBucket"):
            return None
        raise
    return body


@requires("s3:GetObject")
def get_json(client: Any, bucket: str, key: str, *, owner: str | None = None) -> Any | None:
    """The JSON document at ``key``, plain or gzip; None when there is none; ValueError when it is not JSON."""
    body = get_bytes(client, bucket, key, owner=owner)
    return None if body is None else json.loads(ungzipped(body))


@requires("s3:PutObject")
def put_json(client: Any, bucket: str, key: str, document: Any, *, owner: str | None = None) -> None:
    body = json.dumps(document, indent=2, sort_keys=True, default=str).encode()
    client.put_object(**_owned(owner, Bucket=bucket, Key=key, Body=body, ContentType="application/json"))


@requires("s3:PutObject")
def put_text(client: Any, bucket: str, key: str, text: str, content_type: str, *, owner: str | None = None) -> None:
    put_bytes(client, bucket, key, text.encode(), content_type, owner=owner)


@requires("s3:PutObject")
def put_bytes(
    client: Any,
    bucket: str,
    key: str,
    body: bytes,
    content_type: str,
    *,
    content_encoding: str | None = None,
    owner: str | None = None,
) -> None:
    params: dict[str, Any] = {"Bucket": bucket, "Key": key, "Body": body, "ContentType": content_type}
    if content_encoding is not None:
        params["ContentEncoding"] = content_encoding
    client.put_object(**_owned(owner, **params))


@requires("s3:ListBucket")
def list_keys(client: Any, bucket: str, prefix: str, *, owner: str | None = None) -> list[str]:
    keys: list[str] = []
    try:
        keys.extend(
            o["Key"]
            for o in paged(client, "list_objects_v2", "Contents", **_owned(owner, Bucket=bucket, Prefix=prefix))
        )
    except ClientError as err:
        if error_code(err) == "NoSuchBucket":
            return []
        raise
    return sorted(keys)


@requires("s3:DeleteObject")
def delete_object(client: Any, bucket: str, key: str, *, owner: str | None = None) -> None:
    client.delete_object(**_owned(owner, Bucket=bucket, Key=key))


@requires("s3:ListBucketVersions", "s3:DeleteObjectVersion")
def delete_all_versions(client: Any, bucket: str, prefix: str, *, owner: str | None = None) -> int:
    """Delete every version and delete marker under ``prefix``: nothing is left, versioned bucket or not."""
    targets: list[dict[str, str]] = []
    try:
        pages = client.get_paginator("list_object_versions").paginate(**_owned(owner, Bucket=bucket, Prefix=prefix))
        for page in pages:
            for item in (page.get("Versions") or []) + (page.get("DeleteMarkers") or []):
                targets.append({"Key": item["Key"], "VersionId": item.get("VersionId") or "null"})
    except ClientError as err:
        if error_code(err) == "NoSuchBucket":
            return 0
        raise
    for start in range(0, len(targets), 1000):
        batch = {"Objects": targets[start : start + 1000], "Quiet": True}
        client.delete_objects(**_owned(owner, Bucket=bucket, Delete=batch))
    return len(targets)


@requires("s3:ListBucketVersions", "s3:DeleteObjectVersion", "s3:DeleteBucket")
def delete_bucket(client: Any, bucket: str, *, owner: str | None = None) -> bool:
    """Empty the bucket (every version and delete marker) and delete it; False when there was no such bucket."""
    delete_all_versions(client, bucket, "", owner=owner)
    return _unless_no_bucket(client.delete_bucket, owner, Bucket=bucket)
