"""A failback's re-seed: replace a region's databases with fresh replicas of the primary's, through Terraform.

Each database the targeted replace destroys gets a final snapshot first, verified ``available``; re-running is a
no-op once the databases are such replicas (judged from AWS state alone, ``judgements.promotion_state``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from standby import judgements as j
from standby.aws import rds
from standby.aws.session import SessionFactory
from standby.clock import Clock
from standby.config.schema import Config
from standby.failover.builders import NO_DATABASES
from standby.failover.context import Outcome
from standby.failover.model import RESEED_DB, FailoverPlan, ReseedDb
from standby.failover.waits import wait_until
from standby.progress import Event, Reporter
from standby.stacks import (
    FINAL_SNAPSHOT_TIMEOUT_SECONDS,
    Reseed,
    Stacks,
    ensure_final_snapshot,
    final_snapshot_id,
    final_snapshot_ready,
    project_tags,
)
from standby.state import Assignment, Manifest


@dataclass(frozen=True)
class Reseeder:
    """Re-seeds databases with the one Terraform runner (``stacks``); ``manifest`` reads a region's manifest (None
    when it cannot be read)."""

    config: Config
    sessions: SessionFactory
    stacks: Stacks
    clock: Clock
    report: Reporter
    manifest: Callable[[str], Manifest | None]

    def reseed(self, region: str, primary_region: str, run_id: str) -> Outcome | None:
        """Replace ``region``'s databases with fresh replicas of ``primary_region``'s, through a targeted
        Terraform replace; each database the plan destroys gets a final snapshot first, verified ``available``.

        None when they already are such replicas (never promoted since): re-running is a no-op. A stack without
        databases plans and applies nothing; when the manifest lists none, Terraform does not even start. On
        resume, the run's snapshots already made are reused.
        """
        manifest = self.manifest(region)
        if manifest is not None and not manifest.has_databases:
            return Outcome("skipped", NO_DATABASES)
        if self.replicas_of(region, primary_region):
            return None
        snapshots: dict[str, str] = {}
        reseed = self.stacks.replace_databases(
            region,
            Assignment(primary=primary_region, standby=region),
            before_apply=lambda planned: snapshots.update(self._final_snapshots(region, run_id, planned)),
        )
        if reseed.plan is None:
            return Outcome("skipped", reseed.summary())
        kept = ", ".join(f"{db} -> {sid}" for db, sid in sorted(snapshots.items())) or "none (nothing destroyed)"
        return Outcome(
            "complete",
            f"final snapshot(s): {kept}; {len(reseed.databases)} database(s) replaced with replicas of "
            f"{primary_region}: {reseed.summary()}",
            before={"databases": {db.identifier: db.address for db in reseed.databases}},
            after={
                "final_snapshots": dict(sorted(snapshots.items())),
                "replaced": list(reseed.addresses),
                "plan": reseed.summary(),
            },
        )

    def _final_snapshots(self, region: str, run_id: str, reseed: Reseed) -> dict[str, str]:
        """Take (or, on resume, reuse) the final snapshot of each database ``reseed`` destroys and wait until it is
        available: database identifier -> snapshot id. Runs between the re-seed's plan and its apply."""
        key = f"{RESEED_DB}:{region}"
        client = self.sessions.client("rds", region)
        tags = {**project_tags(self.config), "standby:run-id": run_id, "standby:purpose": "final-snapshot"}
        snapshots: dict[str, str] = {}
        for db in reseed.databases:
            existing = rds.describe_snapshot(client, final_snapshot_id(run_id, db.identifier))
            if existing is None and not reseed.destroys(db):
                continue  # nothing of it is destroyed (already gone: the plan creates it)
            taken = ensure_final_snapshot(client, run_id, db.identifier, tags=tags)
            how = "started" if taken.created else f"reused ({taken.status})"
            self.report(Event(region, key, "final snapshot", detail=f"{taken.snapshot_id} of {db.identifier} {how}"))
            ready = wait_until(
                lambda sid=taken.snapshot_id: final_snapshot_ready(client, sid),
                what=f"final snapshot {taken.snapshot_id} available",
                timeout=FINAL_SNAPSHOT_TIMEOUT_SECONDS,
                clock=self.clock,
                first_wait=5.0,
                max_wait=60.0,
            )
            snapshots[db.identifier] = ready.identifier
            self.report(Event(region, key, "final snapshot", detail=f"{ready.identifier} {ready.status}"))
        return snapshots

    def preview(self, plan: FailoverPlan) -> list[Reseed]:
        """The exact targeted replace each pending re-seed step of ``plan`` would apply, planned now and never
        applied. Empty, without starting Terraform, when the plan has no re-seed step to run or is refused."""
        steps = [s for s in plan.steps if isinstance(s, ReseedDb) and not s.nochange and not s.skip_reason]
        if not steps or plan.preflight.problems:
            return []
        previews = []
        for step in steps:
            primary = plan.demote if step.region == plan.activate else plan.activate
            if self.replicas_of(step.region, primary):
                continue
            previews.append(self.stacks.plan_reseed(step.region, Assignment(primary=primary, standby=step.region)))
        return previews

    def replicas_of(self, region: str, primary_region: str) -> bool:
        """Whether every database of ``region`` is a replica of ``primary_region``'s, judged from AWS state alone
        (``judgements.promotion_state``). One that is not available (a promotion in flight, or another change)
        is waited on first: only once available can it be told a replica from a promoted instance."""
        manifest = self.manifest(region)
        identifiers = manifest.region(region).databases if manifest is not None else ()
        if not identifiers:
            return False
        client = self.sessions.client("rds", region)

        def settled() -> list[rds.DbInstance] | None:
            found = rds.describe_instances(client, list(identifiers))
            return None if any(j.promotion_state(db) == j.Promotion.PROMOTING for db in found) else found

        found = wait_until(
            settled,
            what=f"the databases in {region} available",
            timeout=self.config.failover.promote_timeout_seconds,
            clock=self.clock,
            first_wait=5.0,
            max_wait=60.0,
        )
        return len(found) == len(identifiers) and all(
            j.promotion_state(db) == j.Promotion.REPLICA
            and db.replica_source is not None
            and f":{primary_region}:" in db.replica_source
            for db in found
        )
