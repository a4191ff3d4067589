"""RDS as AWS behaves where standby depends on it: promotion takes time and ends the replica link; a manual
snapshot takes time to become available.

moto answers PromoteReadReplica at once, keeps the instance ``available`` and leaves the replica link on both
sides. Here a promotion goes ``modifying`` (first third of the modelled duration), ``rebooting`` (second
third), ``modifying`` (last third), then ``available`` with the link gone: the replica no longer names a
source, the source no longer lists it. States are computed when instances are described (no threads).

Promoting an instance that is not a read replica, or one not ``available`` (e.g. already promoting), is
refused with ``InvalidDBInstanceState`` (HTTP 400), as AWS refuses it.

A manual DB snapshot (CreateDBSnapshot, and the final snapshot of a DeleteDBInstance) is ``creating`` for the
modelled snapshot duration after the call, its ``PercentProgress`` growing, then ``available``; moto makes it
available at once. Computed when snapshots are described, like promotions.

The emulator can also publish ``AWS/RDS ReplicaLag`` for replicas from a modelled lag (off by default).

An instance created without VpcSecurityGroupIds gets, as on AWS, the default security group of its DB subnet
group's VPC in its own region. moto gives it the default VPC's group instead, and a read replica the source's
groups: for a cross-region replica, ids that do not exist in the replica's region. moto also looks a cross-region
replica's DB subnet group up in the source's region; here it is the replica's own region's.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass
from typing import Any

from moto.cloudwatch.models import MetricDatum
from moto.core.common_models import CloudWatchMetricProvider
from moto.ec2.models import ec2_backends
from moto.rds.exceptions import DBInstanceNotFoundError, RDSClientError
from moto.rds.models import DBInstance, RDSBackend, rds_backends

from standby.emulation.state import EmulationState

PHASES = ((1 / 3, "modifying"), (2 / 3, "rebooting"), (1.0, "modifying"))  # status until that fraction is done
LAG_PERIOD_S = 60  # RDS publishes ReplicaLag once a minute
LAG_HISTORY_S = 3 * 3600  # how far back modelled datapoints reach


@dataclass(frozen=True)
class InFlight:
    """A modelled change in flight on one resource: a replica being promoted, a snapshot being made."""

    account: str
    region: str
    identifier: str
    started: float  # modelled time of the call that started it
    duration: float  # modelled seconds

    def done(self, now: float) -> float:
        """The share of the change done at ``now`` (1.0 and above: finished)."""
        return (now - self.started) / self.duration


def status_at(fraction: float) -> str:
    for until, status in PHASES:
        if fraction < until:
            return status
    return "available"


@dataclass(frozen=True)
class Lag:
    seconds: float
    since: float  # wall-clock time the lag was set: datapoints start there


class RdsEmulation:
    """Promotions in flight and the modelled replica lag."""

    def __init__(self, state: EmulationState) -> None:
        self.state = state
        self.promotions: dict[tuple[str, str, str], InFlight] = {}
        self.snapshots: dict[tuple[str, str, str], InFlight] = {}
        self.lag_all: Lag | None = None
        self.lag_of: dict[tuple[str | None, str], Lag] = {}  # (region or None for any, identifier)
        self._lock = threading.Lock()  # the lag settings are read by the metric provider

    def reset(self) -> None:
        self.promotions.clear()
        self.snapshots.clear()
        with self._lock:
            self.lag_all = None
            self.lag_of.clear()

    def describe(self) -> dict[str, Any]:
        now = self.state.clock.now()
        with self._lock:
            lag = {
                "all": self.lag_all.seconds if self.lag_all else None,
                "instances": [
                    {"region": region, "identifier": identifier, "seconds": value.seconds}
                    for (region, identifier), value in self.lag_of.items()
                ],
            }
        return {
            "promotions": [
                {
                    "region": p.region,
                    "identifier": p.identifier,
                    "status": status_at(p.done(now)),
                    "modelled_elapsed": now - p.started,
                    "modelled_duration": p.duration,
                }
                for p in self.promotions.values()
            ],
            "snapshots_creating": [
                {"region": n.region, "identifier": n.identifier, "modelled_elapsed": now - n.started}
                for n in self.snapshots.values()
            ],
            "replica_lag": lag,
        }

    def set_lag(self, seconds: float | None, region: str | None = None, identifier: str | None = None) -> None:
        """The lag to publish: for one instance (in a region, or any), or for every replica; None turns it off."""
        if seconds is not None and float(seconds) < 0:
            raise ValueError(f"replica lag must not be negative, not {seconds}")
        value = Lag(float(seconds), time.time()) if seconds is not None else None
        with self._lock:
            if identifier is None:
                if region is not None:
                    raise ValueError("a region without an identifier: name the instance, or neither for all replicas")
                self.lag_all = value
                if value is None:
                    self.lag_of.clear()
            elif value is None:
                self.lag_of.pop((region, identifier), None)
            else:
                self.lag_of[(region, identifier)] = value

    def lag_for(self, region: str, identifier: str) -> Lag | None:
        with self._lock:
            return self.lag_of.get((region, identifier)) or self.lag_of.get((None, identifier)) or self.lag_all

    # Promotions: called under the dispatch lock.
    def advance(self) -> None:
        now = self.state.clock.now()
        for key, promotion in list(self.promotions.items()):
            backend = rds_backends[promotion.account][promotion.region]
            db = backend.databases.get(promotion.identifier)
            if db is None:  # deleted meanwhile
                del self.promotions[key]
                continue
            fraction = promotion.done(now)
            if fraction < 1.0:
                db.status = status_at(fraction)
                continue
            _end_replication(promotion.account, db)
            db.status = "available"
            del self.promotions[key]

    # Snapshots: called under the dispatch lock.
    def snapshot_started(self, snapshot: Any) -> None:
        """A manual snapshot just made by moto (``available``): ``creating`` until the modelled duration passed."""
        if snapshot.snapshot_type != "manual" or self.state.snapshot_seconds <= 0:
            return
        key = (snapshot.backend.account_id, snapshot.backend.region_name, snapshot.db_snapshot_identifier)
        self.snapshots[key] = InFlight(*key, self.state.clock.now(), self.state.snapshot_seconds)
        snapshot.status, snapshot.percent_progress = "creating", 0

    def advance_snapshots(self) -> None:
        now = self.state.clock.now()
        for key, flight in list(self.snapshots.items()):
            snapshot = rds_backends[flight.account][flight.region].database_snapshots.get(flight.identifier)
            if snapshot is None:  # deleted meanwhile
                del self.snapshots[key]
                continue
            fraction = flight.done(now)
            if fraction < 1.0:
                snapshot.percent_progress = int(fraction * 100)
                continue
            snapshot.status, snapshot.percent_progress = "available", 100
            del self.snapshots[key]

    def promote(self, backend: RDSBackend, db_kwargs: dict[str, Any]) -> Any:
        self.advance()
        identifier = db_kwargs["db_instance_identifier"]
        db = backend.databases.get(identifier)
        if db is None:
            raise DBInstanceNotFoundError(identifier)
        key = (backend.account_id, backend.region_name, identifier)
        if key in self.promotions or db.status != "available":
            raise RDSClientError("InvalidDBInstanceState", f"DB Instance {identifier} is not in available state.")
        if not db.is_replica:
            raise RDSClientError("InvalidDBInstanceState", "DB Instance is not a read replica.")
        db.update(**db_kwargs)
        db.status = status_at(0.0)
        self.promotions[key] = InFlight(*key, self.state.clock.now(), self.state.promotion_seconds)
        return db

    def replica_lag_metrics(self, account_id: str, region: str) -> list[MetricDatum]:
        account = rds_backends.get(account_id)
        if account is None or region not in account:
            return []
        now = time.time()
        data: list[MetricDatum] = []
        for db in list(account[region].databases.values()):
            if not db.is_replica or (account_id, region, db.db_instance_identifier) in self.promotions:
                continue
            lag = self.lag_for(region, db.db_instance_identifier)
            if lag is None:
                continue
            start = max(lag.since, now - LAG_HISTORY_S)
            steps = int((now - start) // LAG_PERIOD_S)
            for k in range(steps + 1):
                at = dt.datetime.fromtimestamp(now - k * LAG_PERIOD_S, tz=dt.UTC).replace(tzinfo=None)
                data.append(
                    MetricDatum(
                        "AWS/RDS",
                        "ReplicaLag",
                        lag.seconds,
                        [{"Name": "DBInstanceIdentifier", "Value": db.db_instance_identifier}],
                        at,
                        "Seconds",
                    )
                )
        return data


def _end_replication(account: str, db: Any) -> None:
    """The replica stops naming its source, and the source stops listing it (same or another region)."""
    source_id = db.source_db_instance_identifier
    db.is_replica = False
    db.source_db_instance_identifier = None
    if not source_id:
        return
    if source_id.startswith("arn:"):
        parts = source_id.split(":")
        region, name = parts[3], parts[-1]
    else:
        region, name = db.region, source_id
    source_backend = rds_backends[account].get(region) if region in rds_backends[account] else None
    source = source_backend.databases.get(name) if source_backend is not None else None
    if source is not None:
        names = {db.db_instance_identifier, db.db_instance_arn}
        source.replicas = [r for r in source.replicas if r not in names]


_active: RdsEmulation | None = None


class _ReplicaLagProvider(CloudWatchMetricProvider):
    """Feeds moto's CloudWatch the modelled ReplicaLag, computed when metrics are read."""

    @staticmethod
    def get_cloudwatch_metrics(account_id: str, region: str) -> list[MetricDatum]:
        return _active.replica_lag_metrics(account_id, region) if _active is not None else []


def install(state: EmulationState) -> RdsEmulation:
    global _active
    emulation = RdsEmulation(state)
    _active = emulation
    state.register("rds", emulation)
    original_describe = RDSBackend.describe_db_instances

    def describe_db_instances(self: RDSBackend, *args: Any, **kwargs: Any) -> Any:
        emulation.advance()
        return original_describe(self, *args, **kwargs)

    def promote_read_replica(self: RDSBackend, db_kwargs: dict[str, Any]) -> Any:
        return emulation.promote(self, db_kwargs)

    original_create = RDSBackend.create_db_instance
    original_replica = RDSBackend.create_db_instance_read_replica
    original_snapshot = RDSBackend.create_db_snapshot
    original_describe_snapshots = RDSBackend.describe_db_snapshots

    def create_db_snapshot(self: RDSBackend, *args: Any, **kwargs: Any) -> Any:
        snapshot = original_snapshot(self, *args, **kwargs)
        emulation.snapshot_started(snapshot)
        return snapshot

    def describe_db_snapshots(self: RDSBackend, *args: Any, **kwargs: Any) -> Any:
        emulation.advance_snapshots()
        return original_describe_snapshots(self, *args, **kwargs)

    def create_db_instance(self: RDSBackend, db_kwargs: dict[str, Any]) -> Any:
        given = bool(db_kwargs.get("vpc_security_group_ids"))
        created = original_create(self, db_kwargs)
        if not given and created.db_cluster_identifier is None:
            _default_security_group(created)
        return created

    def create_db_instance_read_replica(self: RDSBackend, db_kwargs: dict[str, Any]) -> Any:
        given = bool(db_kwargs.get("vpc_security_group_ids"))
        # moto resolves the subnet group's name before the replica has moved to its own region: in the source's.
        subnet_group = db_kwargs.pop("db_subnet_group_name", None)
        replica = original_replica(self, db_kwargs)
        if subnet_group:
            replica.db_subnet_group_name = subnet_group  # resolved in the replica's region now
        if not given:
            _default_security_group(replica)
        return replica

    RDSBackend.describe_db_instances = describe_db_instances  # type: ignore[method-assign]
    RDSBackend.promote_read_replica = promote_read_replica  # type: ignore[method-assign]
    RDSBackend.create_db_instance = create_db_instance  # type: ignore[method-assign]
    RDSBackend.create_db_instance_read_replica = create_db_instance_read_replica  # type: ignore[method-assign]
    RDSBackend.create_db_snapshot = create_db_snapshot  # type: ignore[method-assign]
    RDSBackend.describe_db_snapshots = describe_db_snapshots  # type: ignore[method-assign]
    return emulation


def _default_security_group(instance: DBInstance) -> None:
    """Give ``instance`` the default security group of its subnet group's VPC (else of the default VPC), in its
    own region, as AWS does when no VpcSecurityGroupIds are given."""
    ec2 = ec2_backends[instance.account_id][instance.region]
    subnet_group = getattr(instance, "db_subnet_group", None)
    vpc_id = subnet_group.vpc_id if subnet_group is not None else getattr(ec2.default_vpc, "id", None)
    if vpc_id is None:
        return
    group = ec2.get_default_security_group(vpc_id)
    if group is not None:
        instance.vpc_security_group_ids = [group.id]
