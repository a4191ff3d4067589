"""The S3 driver: a bucket that does not exist is an answer (False), any other error is raised; JSON documents
read plain or gzip-compressed."""

from __future__ import annotations

import gzip
import io
from typing import Any

import pytest
from botocore.exceptions import ClientError

from standby.aws import s3


class Client:
    """Records the bucket calls; answers each with ``error`` (an S3 error code) when one is given."""

    def __init__(self, error: str | None = None) -> None:
        self.error = error
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def _answer(self, name: str, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((name, params))
        if self.error is not None:
            raise ClientError({"Error": {"Code": self.error, "Message": self.error}}, name)
        return {}

    def head_bucket(self, **params: Any) -> dict[str, Any]:
        return self._answer("HeadBucket", params)

    def delete_bucket(self, **params: Any) -> dict[str, Any]:
        return self._answer("DeleteBucket", params)

    def get_paginator(self, name: str) -> Client:
        return self  # an empty bucket: one page without versions

    def paginate(self, **params: Any) -> list[dict[str, Any]]:
        return [{}]


@pytest.mark.parametrize("code", ["404", "NoSuchBucket", "NotFound"])
def test_a_missing_bucket_is_false_for_both_bucket_calls(code: str) -> None:
    assert s3.bucket_exists(Client(code), "b") is False
    assert s3.delete_bucket(Client(code), "b") is False


def test_an_existing_bucket_is_true_and_the_expected_owner_is_sent() -> None:
    client = Client()
    assert s3.bucket_exists(client, "b", owner="111122223333") is True
    assert s3.delete_bucket(client, "b") is True
    assert client.calls == [
        ("HeadBucket", {"Bucket": "b", "ExpectedBucketOwner": "111122223333"}),
        ("DeleteBucket", {"Bucket": "b"}),
    ]


def test_any_other_error_is_raised() -> None:
    with pytest.raises(ClientError, match="AccessDenied"):
        s3.bucket_exists(Client("AccessDenied"), "b")
    with pytest.raises(ClientError, match="AccessDenied"):
        s3.delete_bucket(Client("AccessDenied"), "b")


class Objects:
    """Stores put bodies by key and answers gets with them, as stored."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}
        self.puts: list[dict[str, Any]] = []

    def put_object(self, **params: Any) -> dict[str, Any]:
        self.puts.append(params)
        self.bodies[params["Key"]] = params["Body"]
        return {}

    def get_object(self, **params: Any) -> dict[str, Any]:
        if params["Key"] not in self.bodies:
            raise ClientError({"Error": {"Code": "NoSuchKey", "Message": "none"}}, "GetObject")
        return {"Body": io.BytesIO(self.bodies[params["Key"]])}


def test_a_json_document_reads_plain_or_gzip_and_a_broken_gzip_is_not_json() -> None:
    client = Objects()
    s3.put_json(client, "b", "plain.json", {"a": 1})
    s3.put_bytes(client, "b", "packed.json", gzip.compress(b'{"a": 1}'), "application/json", content_encoding="gzip")
    assert client.puts[1]["ContentEncoding"] == "gzip" and "ContentEncoding" not in client.puts[0]
    assert s3.get_json(client, "b", "plain.json") == s3.get_json(client, "b", "packed.json") == {"a": 1}
    assert s3.get_bytes(client, "b", "packed.json") == gzip.compress(b'{"a": 1}')  # as stored
    assert s3.get_json(client, "b", "missing.json") is None and s3.get_bytes(client, "b", "missing.json") is None
    client.bodies["cut.json"] = gzip.compress(b'{"a": 1}')[:-6]
    with pytest.raises(ValueError, match="does not decompress"):
        s3.get_json(client, "b", "cut.json")
