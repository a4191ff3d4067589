"""RDS driver: describe database instances, promote a read replica, take and describe snapshots."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from standby.aws.documents import texts
from standby.aws.errors import error_code, is_not_found
from standby.aws.paging import paged
from standby.aws.permissions import requires


@dataclass(frozen=True)
class DbInstance:
    identifier: str
    arn: str
    status: str
    engine: str
    engine_version: str
    instance_class: str
    replica_source: str | None  # ReadReplicaSourceDBInstanceIdentifier (an ARN for cross-region replicas)
    replicas: tuple[str, ...]
    parameter_groups: tuple[str, ...] = ()
    multi_az: bool = False
    security_groups: tuple[str, ...] = ()  # VPC security group ids
    vpc_id: str | None = None

    @property
    def is_replica(self) -> bool:
        return self.replica_source is not None


def _instance(doc: dict[str, Any]) -> DbInstance:
    """The one reading of an instance's document; ``_settings`` builds on it."""
    return DbInstance(
        identifier=doc["DBInstanceIdentifier"],
        **texts(
            doc,
            arn="DBInstanceArn",
            status="DBInstanceStatus",
            engine="Engine",
            engine_version="EngineVersion",
            instance_class="DBInstanceClass",
        ),
        replica_source=doc.get("ReadReplicaSourceDBInstanceIdentifier") or None,
        replicas=tuple(doc.get("ReadReplicaDBInstanceIdentifiers") or ()),
        parameter_groups=tuple(p.get("DBParameterGroupName", "") for p in doc.get("DBParameterGroups") or ()),
        multi_az=bool(doc.get("MultiAZ", False)),
        security_groups=tuple(
            g["VpcSecurityGroupId"] for g in doc.get("VpcSecurityGroups") or () if g.get("VpcSecurityGroupId")
        ),
        vpc_id=(doc.get("DBSubnetGroup") or {}).get("VpcId") or None,
    )


IDS_PER_FILTER = 100  # DescribeDBInstances filters take at most 100 values


def _instance_docs(client: Any, identifiers: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The documents of the named instances; a missing identifier is left out, not an error. One identifier is
    described by name; several (identifiers or ARNs) by a ``db-instance-id`` filter of at most 100 a call, paged,
    so that the calls do not grow with the instances."""
    unique = sorted(set(identifiers))
    if len(unique) == 1:
        try:
            yield from client.describe_db_instances(DBInstanceIdentifier=unique[0]).get("DBInstances") or []
        except ClientError as err:
            if not is_not_found(err):
                raise
        return
    for start in range(0, len(unique), IDS_PER_FILTER):
        chunk = unique[start : start + IDS_PER_FILTER]
        named = [{"Name": "db-instance-id", "Values": chunk}]
        yield from paged(client, "describe_db_instances", "DBInstances", Filters=named)


@requires("rds:DescribeDBInstances")
def describe_instances(client: Any, identifiers: Sequence[str] | None = None) -> list[DbInstance]:
    """Instances by identifier (all when None); a missing identifier is left out, not an error."""
    if identifiers is None:
        return [_instance(d) for d in paged(client, "describe_db_instances", "DBInstances")]
    return [_instance(d) for d in _instance_docs(client, identifiers)]


@requires("rds:PromoteReadReplica")
def promote_replica(client: Any, identifier: str, *, backup_retention_days: int = 1) -> None:
    client.promote_read_replica(DBInstanceIdentifier=identifier, BackupRetentionPeriod=backup_retention_days)


@dataclass(frozen=True)
class DbSettings:
    """The settings of an instance that a mirror should share with its counterpart in the other region."""

    identifier: str
    engine: str
    engine_version: str
    instance_class: str
    parameter_groups: tuple[str, ...]
    allocated_storage: int | None
    storage_type: str | None
    security_group_ids: tuple[str, ...]
    replica_source: str | None


def _settings(doc: dict[str, Any]) -> DbSettings:
    """An instance's settings: its reading by ``_instance``, lists sorted (their order is not a difference), and
    the storage."""
    instance = _instance(doc)
    return DbSettings(
        identifier=instance.identifier,
        engine=instance.engine,
        engine_version=instance.engine_version,
        instance_class=instance.instance_class,
        parameter_groups=tuple(sorted(instance.parameter_groups)),
        allocated_storage=doc.get("AllocatedStorage"),
        storage_type=doc.get("StorageType"),
        security_group_ids=tuple(sorted(instance.security_groups)),
        replica_source=instance.replica_source,
    )


@requires("rds:DescribeDBInstances")
def describe_settings(client: Any, identifiers: Sequence[str]) -> list[DbSettings]:
    """Settings of the instances by identifier; a missing identifier is left out, not an error."""
    return [_settings(d) for d in _instance_docs(client, sorted(set(identifiers)))]


@requires("rds:ModifyDBInstance")
def set_security_groups(client: Any, identifier: str, group_ids: Sequence[str]) -> None:
    """Give an instance exactly these VPC security groups, at once."""
    client.modify_db_instance(
        DBInstanceIdentifier=identifier, VpcSecurityGroupIds=list(group_ids), ApplyImmediately=True
    )


@requires("rds:CreateDBInstanceReadReplica")
def create_replica(client: Any, identifier: str, source: str, instance_class: str | None = None) -> None:
    """A read replica of ``source`` (an identifier in this region, or an ARN) named ``identifier``."""
    kwargs: dict[str, Any] = {"DBInstanceIdentifier": identifier, "SourceDBInstanceIdentifier": source}
    if instance_class:
        kwargs["DBInstanceClass"] = instance_class
    client.create_db_instance_read_replica(**kwargs)


@requires("rds:DeleteDBInstance")
def delete_instance(client: Any, identifier: str) -> bool:
    """Delete without a final snapshot; False when it does not exist."""
    try:
        client.delete_db_instance(DBInstanceIdentifier=identifier, SkipFinalSnapshot=True, DeleteAutomatedBackups=True)
    except ClientError as err:
        if is_not_found(err):
            return False
        raise
    return True


# -- snapshots ---------------------------------------------------------------------------------------------------

SNAPSHOT_NOT_FOUND_CODES = frozenset({"DBSnapshotNotFound", "DBSnapshotNotFoundFault"})
SNAPSHOT_EXISTS_CODES = frozenset({"DBSnapshotAlreadyExists", "DBSnapshotAlreadyExistsFault"})


@dataclass(frozen=True)
class DbSnapshot:
    identifier: str
    instance: str  # the DB instance it was taken of
    status: str  # creating | available | failed | ...
    arn: str = ""
    snapshot_type: str = ""
    created_at: float | None = None


def _snapshot(doc: dict[str, Any]) -> DbSnapshot:
    created = doc.get("SnapshotCreateTime")
    return DbSnapshot(
        identifier=doc["DBSnapshotIdentifier"],
        **texts(
            doc, instance="DBInstanceIdentifier", status="Status", arn="DBSnapshotArn", snapshot_type="SnapshotType"
        ),
        created_at=created.timestamp() if hasattr(created, "timestamp") else None,
    )


@requires("rds:DescribeDBSnapshots")
def describe_snapshot(client: Any, identifier: str) -> DbSnapshot | None:
    """The manual snapshot named ``identifier``, or None when there is none."""
    try:
        docs = client.describe_db_snapshots(DBSnapshotIdentifier=identifier).get("DBSnapshots") or []
    except ClientError as err:
        if error_code(err) in SNAPSHOT_NOT_FOUND_CODES:
            return None
        raise
    return next((_snapshot(d) for d in docs if d.get("DBSnapshotIdentifier") == identifier), None)


@requires("rds:CreateDBSnapshot", "rds:AddTagsToResource", "rds:DescribeDBSnapshots")
def create_snapshot(
    client: Any, identifier: str, instance: str, *, tags: dict[str, str] | None = None
) -> tuple[DbSnapshot, bool]:
    """A manual snapshot ``identifier`` of ``instance``: (the snapshot, True) when created by this call, (the
    existing one, False) when a snapshot by that name exists already (whatever it was taken of: the caller
    checks ``instance``). The snapshot is usually ``creating`` when this returns."""
    kwargs: dict[str, Any] = {"DBSnapshotIdentifier": identifier, "DBInstanceIdentifier": instance}
    if tags:
        kwargs["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
    try:
        doc = client.create_db_snapshot(**kwargs)["DBSnapshot"]
    except ClientError as err:
        if error_code(err) not in SNAPSHOT_EXISTS_CODES:
            raise
        existing = describe_snapshot(client, identifier)
        if existing is None:  # deleted between the two calls
            raise
        return existing, False
    return _snapshot(doc), True
