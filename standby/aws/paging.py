"""The one pager of the drivers: every item of a paginated AWS call, page after page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def paged(client: Any, operation: str, key: str, **params: Any) -> Iterator[dict[str, Any]]:
    """The items under ``key`` on every page of ``operation`` called with ``params``."""
    for page in client.get_paginator(operation).paginate(**params):
        yield from page.get(key) or []
