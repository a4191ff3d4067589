"""RDS driver: describe database instances, promote a read replica."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from standby.aws.errors import is_not_found
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

    @property
    def is_replica(self) -> bool:
        return self.replica_source is not None


def _instance(doc: dict[str, Any]) -> DbInstance:
    return DbInstance(
        identifier=doc["DBInstanceIdentifier"],
        arn=doc.get("DBInstanceArn", ""),
        status=doc.get("DBInstanceStatus", ""),
        engine=doc.get("Engine", ""),
        engine_version=doc.get("EngineVersion", ""),
        instance_class=doc.get("DBInstanceClass", ""),
        replica_source=doc.get("ReadReplicaSourceDBInstanceIdentifier") or None,
        replicas=tuple(doc.get("ReadReplicaDBInstanceIdentifiers") or ()),
        parameter_groups=tuple(p.get("DBParameterGroupName", "") for p in doc.get("DBParameterGroups") or ()),
        multi_az=bool(doc.get("MultiAZ", False)),
    )


@requires("rds:DescribeDBInstances")
def describe_instances(client: Any, identifiers: Sequence[str] | None = None) -> list[DbInstance]:
    """Instances by identifier (all when None); a missing identifier is left out, not an error."""
    if identifiers is None:
        result: list[DbInstance] = []
        for page in client.get_paginator("describe_db_instances").paginate():
            result.extend(_instance(d) for d in page.get("DBInstances") or [])
        return result
    found = []
    for identifier in identifiers:
        try:
            docs = client.describe_db_instances(DBInstanceIdentifier=identifier).get("DBInstances") or []
        except ClientError as err:
            if is_not_found(err):
                continue
            raise
        found.extend(_instance(d) for d in docs)
    return found


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


@requires("rds:DescribeDBInstances")
def describe_settings(client: Any, identifiers: Sequence[str]) -> list[DbSettings]:
    """Settings of the instances by identifier; a missing identifier is left out, not an error."""
    found: list[DbSettings] = []
    for identifier in sorted(set(identifiers)):
        try:
            docs = client.describe_db_instances(DBInstanceIdentifier=identifier).get("DBInstances") or []
        except ClientError as err:
            if is_not_found(err):
                continue
            raise
        for doc in docs:
            found.append(
                DbSettings(
                    identifier=doc["DBInstanceIdentifier"],
                    engine=doc.get("Engine", ""),
                    engine_version=doc.get("EngineVersion", ""),
                    instance_class=doc.get("DBInstanceClass", ""),
                    parameter_groups=tuple(
                        sorted(p.get("DBParameterGroupName", "") for p in doc.get("DBParameterGroups") or ())
                    ),
                    allocated_storage=doc.get("AllocatedStorage"),
                    storage_type=doc.get("StorageType"),
                    security_group_ids=tuple(
                        sorted(
                            g["VpcSecurityGroupId"]
                            for g in doc.get("VpcSecurityGroups") or ()
                            if g.get("VpcSecurityGroupId")
                        )
                    ),
                    replica_source=doc.get("ReadReplicaSourceDBInstanceIdentifier") or None,
                )
            )
    return found


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
