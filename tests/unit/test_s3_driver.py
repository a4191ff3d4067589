"""The S3 driver's bucket calls: a bucket that does not exist is an answer (False), any other error is raised."""

from __future__ import annotations

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
