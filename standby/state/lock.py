"""One run at a time: a lock item in the activated region's DynamoDB table, with an expiry.

A crashed run leaves its lock; resuming that run (same run id) takes it back, and an expired lock is free.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from standby.aws import dynamodb
from standby.errors import LockHeld
from standby.state.store import ControlStore

LOCK_ID = "failover"
LOCK_TTL_SECONDS = 6 * 3600


@dataclass
class RunLock:
    store: ControlStore
    run_id: str
    operator: str
    ttl_seconds: float = LOCK_TTL_SECONDS

    def acquire(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        self.store.ensure()
        client = self.store.dynamodb()
        item = {
            "holder": self.run_id,
            "operator": self.operator,
            "acquired_at": f"{now:020.3f}",
            "expires_at": f"{now + self.ttl_seconds:020.3f}",
        }
        if dynamodb.put_if_free(client, self.store.lock_table, LOCK_ID, item, now):
            return
        held = dynamodb.get_item(client, self.store.lock_table, LOCK_ID) or {}
        since = float(held.get("acquired_at") or 0)
        raise LockHeld(
            f"another run holds the failover lock in {self.store.region}: run {held.get('holder', '?')} by "
            f"{held.get('operator', '?')} since {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(since))}",
            hint="wait for it to finish, or resume it with `standby failover --resume RUN_ID`; "
            "`standby status` shows the last run",
        )

    def release(self) -> None:
        dynamodb.delete_if_holder(self.store.dynamodb(), self.store.lock_table, LOCK_ID, self.run_id)
