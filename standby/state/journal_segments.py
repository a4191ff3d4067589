"""How a run journal is laid out in the control store: its whole document and its record segments.

- ``runs/<run_id>.json``: the whole document, compact JSON, gzip-compressed (``Content-Encoding: gzip``), without
  the fields at their defaults (``DOCUMENT_DEFAULTS``, a step's ``STEP_DEFAULTS``), its times to the millisecond.
  Read plain and whole as well: documents of earlier versions were stored uncompressed, with every field.
- ``runs/<run_id>/records-<first>-<last>.jsonl``: one segment per background upload, gzip-compressed JSON lines,
  the step records numbered ``first`` to ``last`` (the same records as the local ``.steps.jsonl``, their times to
  the millisecond). A segment is
  never overwritten: an upload retried after a failure names its wider range, and records a reader has already
  applied are skipped by their number.

A reader takes the document, then applies in number order the segments holding records it does not include
(``last`` above its ``step_records``): a record sets a step's changed fields, or (a run record) the document's own
(its status and end among them: a finished run's last segment holds them). The plan's steps have no record
until they start: the first record of a step the journal lacks adds the plan's steps, pending. Records that
create them (slug and region: an earlier form) apply as they are. Segments included in a later document
(one a resumed run uploaded whole) cost no GET. A trailing segment that is missing or unreadable is skipped with
a warning (an upload cut short: its records were never reported anywhere but locally); any other segment that
is, or a gap in the numbers, makes the journal unreadable. Within a segment, a step's records of the same upload
are one line (``merged``).
"""

from __future__ import annotations

import gzip
import json
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

from standby.aws.s3 import ungzipped
from standby.state.journal import JOURNALS_PREFIX, Journal, JournalUnreadable, apply_records

log = logging.getLogger(__name__)

DOCUMENT_TYPE = "application/json"
SEGMENT_TYPE = "application/x-ndjson"
ENCODING = "gzip"
_SEGMENT_NAME = re.compile(r"records-(\d+)-(\d+)\.jsonl")


def compact(doc: Any) -> str:
    """JSON without indentation (C-encoded, about half the bytes of the indented form)."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str)


# Fields a document in the control store omits at these values (a reader takes the journal's defaults for them).
DOCUMENT_DEFAULTS: dict[str, Any] = {
    "ended_at": None,
    "command_started_at": None,
    "rto_seconds": None,
    "plan": {},
    "steps": {},
    "warnings": [],
    "problems": [],
    "resumes": [],
    "approvals": [],
    "step_records": 0,
}
# A step's fields a document omits at these values (a step's defaults, as ``StepRecord`` has them).
STEP_DEFAULTS: dict[str, Any] = {
    "status": "pending",
    "started_at": None,
    "ended_at": None,
    "detail": "",
    "before": {},
    "after": {},
    "error": None,
    "attempts": 0,
}


def to_the_millisecond(fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` with its times (the ``..._at`` numbers) rounded to the millisecond: a clock's last digits are
    noise, and cost a record's bytes."""
    return {k: round(v, 3) if k.endswith("_at") and type(v) is float else v for k, v in fields.items()}


def uploaded_document(doc: dict[str, Any]) -> str:
    """A journal's document as the control store keeps it: compact, its times to the millisecond, without the
    fields at their defaults (``DOCUMENT_DEFAULTS``, and a step's ``STEP_DEFAULTS``)."""
    steps = {
        key: to_the_millisecond({k: v for k, v in step.items() if k not in STEP_DEFAULTS or STEP_DEFAULTS[k] != v})
        for key, step in (doc.get("steps") or {}).items()
    }
    kept = {k: v for k, v in {**doc, "steps": steps}.items() if k not in DOCUMENT_DEFAULTS or DOCUMENT_DEFAULTS[k] != v}
    return compact(to_the_millisecond(kept))


def uploaded_record(record: dict[str, Any]) -> str:
    """A record as a segment holds it: compact, its times to the millisecond."""
    kind = "set" if "set" in record else "run"
    return compact({**record, kind: to_the_millisecond(record[kind])})


def compressed(text: str) -> bytes:
    """``text`` gzip-compressed (level 6: most of level 9's gain for a fraction of its time; no timestamp)."""
    return gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)


def document_key(run_id: str) -> str:
    return f"{JOURNALS_PREFIX}{run_id}.json"


def segments_prefix(run_id: str) -> str:
    return f"{JOURNALS_PREFIX}{run_id}/"


def segment_key(run_id: str, first: int, last: int) -> str:
    return f"{segments_prefix(run_id)}records-{first:08d}-{last:08d}.jsonl"


def segment_body(lines: Iterable[str]) -> bytes:
    """Compact record lines, one a line, compressed."""
    return compressed("".join(f"{line}\n" for line in lines))


def merged(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per step (and one run record) out of ``records`` (in number order): each step's changes
    combined, later over earlier, numbered as the last of them. A segment holds records of the same moments, so a
    step's start and end usually travel as one line; a reader applies the merged record as it would the ones it
    replaces (their final values), and knows the segment's range from its name."""
    combined: dict[str | None, dict[str, Any]] = {}
    for record in records:
        key = record.get("key")
        kind = "set" if key is not None else "run"
        known = combined.get(key)
        changes = {**(known[kind] if known is not None else {}), **record[kind]}
        combined[key] = {**record, kind: changes}
    return sorted(combined.values(), key=lambda r: int(r["number"]))


def segments_after(keys: Iterable[str], run_id: str, included: int) -> list[tuple[int, int, str]]:
    """``(first, last, key)`` of the run's segments among ``keys`` that hold records numbered after ``included``,
    in number order; other keys are ignored."""
    prefix = segments_prefix(run_id)
    found = []
    for key in keys:
        match = _SEGMENT_NAME.fullmatch(key[len(prefix) :]) if key.startswith(prefix) else None
        if match is not None and int(match[2]) > included:
            found.append((int(match[1]), int(match[2]), key))
    return sorted(found)


def with_segments(
    journal: Journal, segments: list[tuple[int, int, str]], read: Callable[[str], bytes | None], where: str
) -> Journal:
    """``journal`` with the records of ``segments`` (``segments_after``) applied in order, each read by ``read``
    (None: missing); ``where`` prefixes a segment's key in messages (``s3://bucket/``)."""
    for n, (first, _, key) in enumerate(segments, 1):
        source = f"{where}{key}"
        if first > journal.step_records + 1:
            raise JournalUnreadable(source, f"records {journal.step_records + 1} to {first - 1} are missing")
        try:
            records = _records(read(key))
        except ValueError as err:
            if n == len(segments):  # the last upload, cut short or lost: its records were never relied on
                log.warning("the last step records of %s (%s) are unreadable and ignored: %s", where, key, err)
                break
            raise JournalUnreadable(source, str(err)) from err
        apply_records(journal, records, source)
    return journal


def _records(body: bytes | None) -> list[Any]:
    """A segment's records; ValueError when it is missing or not whole JSON lines."""
    if body is None:
        raise ValueError("the segment is missing")
    try:
        text = ungzipped(body).decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"not text ({err})") from err
    records = []
    for n, line in enumerate(text.splitlines(), 1):
        try:
            records.append(json.loads(line))
        except ValueError as err:
            raise ValueError(f"line {n} is not valid JSON ({err})") from err
    return records
