"""The final snapshots a re-seed is preceded by: named per run and instance, taken or reused, and judged ready.

The caller waits for them (``final_snapshot_ready`` is the probe); nothing here waits.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from standby.aws import rds
from standby.aws.errors import is_not_found
from standby.errors import StandbyError

FINAL_SNAPSHOT_PREFIX = "standby-final"
FINAL_SNAPSHOT_TIMEOUT_SECONDS = 3600.0
_SNAPSHOT_ID_MAX = 255
_SNAPSHOT_FAILED = frozenset({"failed", "deleting", "incompatible-restore", "incompatible-parameters"})


def final_snapshot_id(run_id: str, instance: str) -> str:
    """The final snapshot of ``instance`` for run ``run_id``: the same on every attempt of the run.

    Within RDS's rules: 1-255 letters, digits and hyphens, a letter first, no hyphen last nor two in a row. An id
    that would be longer is cut and ends with a digest of the full one, so two instances never share one."""
    raw = f"{FINAL_SNAPSHOT_PREFIX}-{run_id}-{instance}".lower()
    text = re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9-]", "-", raw)).strip("-")
    if len(text) > _SNAPSHOT_ID_MAX:
        digest = hashlib.sha256(raw.encode()).hexdigest()[:12]
        text = f"{text[: _SNAPSHOT_ID_MAX - len(digest) - 1].rstrip('-')}-{digest}"
    return text


@dataclass(frozen=True)
class FinalSnapshot:
    instance: str
    snapshot_id: str
    status: str
    created: bool  # made by this call; False: made earlier in the run and reused


def ensure_final_snapshot(
    client: Any, run_id: str, instance: str, *, tags: Mapping[str, str] | None = None
) -> FinalSnapshot:
    """The run's final snapshot of ``instance``: reused when an earlier attempt of the run made it, else started
    (CreateDBSnapshot). Not waited for: ``final_snapshot_ready`` is the probe for that."""
    snapshot_id = final_snapshot_id(run_id, instance)
    found = rds.describe_snapshot(client, snapshot_id)
    created = False
    if found is None:
        try:
            found, created = rds.create_snapshot(client, snapshot_id, instance, tags=dict(tags or {}))
        except ClientError as err:
            if is_not_found(err):
                raise StandbyError(
                    f"cannot take the final snapshot {snapshot_id}: database {instance} not found",
                    hint="nothing was replaced; check the instance in the RDS console, then resume the run",
                ) from err
            raise
    if found.instance and found.instance != instance:
        raise StandbyError(
            f"snapshot {snapshot_id} exists but was taken of {found.instance}, not of {instance}",
            hint="nothing was replaced; rename or delete that snapshot, then resume the run",
        )
    return FinalSnapshot(instance=instance, snapshot_id=found.identifier, status=found.status, created=created)


def final_snapshot_ready(client: Any, snapshot_id: str) -> rds.DbSnapshot | None:
    """A wait probe: the snapshot once ``available`` (DescribeDBSnapshots), None while it is being made; raises
    when it failed or is gone (the database must then not be replaced)."""
    found = rds.describe_snapshot(client, snapshot_id)
    if found is None:
        raise StandbyError(f"final snapshot {snapshot_id} disappeared before it became available")
    if found.status in _SNAPSHOT_FAILED:
        raise StandbyError(
            f"final snapshot {snapshot_id} is {found.status}, not available: the database is not replaced",
            hint="take a snapshot by hand or delete the failed one, then resume the run",
        )
    return found if found.status == "available" else None
