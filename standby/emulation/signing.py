"""Which region and service a request is for: the SigV4 credential scope of its signature."""

from __future__ import annotations

import re
from urllib.parse import parse_qs

_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")


def signed_scope(authorization: str | None, query: str = "") -> tuple[str | None, str | None]:
    """(region, service) from an ``Authorization`` header, else from a presigned URL's X-Amz-Credential."""
    match = _SCOPE.search(authorization or "")
    if match is None and query:
        credential = (parse_qs(query).get("X-Amz-Credential") or [""])[0]
        match = _SCOPE.search(f"Credential={credential}")
    return (match.group(1), match.group(2)) if match else (None, None)
