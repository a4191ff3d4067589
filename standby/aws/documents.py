"""Reading AWS's response documents: the text fields a driver's records take from them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def texts(doc: Mapping[str, Any], **keys: str) -> dict[str, str]:
    """The text fields of a record read from ``doc``: ``keys`` maps each field to the document's key that holds it;
    a key the document lacks reads as ""."""
    return {field: doc.get(key, "") for field, key in keys.items()}
