"""DynamoDB driver: the lock table (conditional writes).

Every write is conditional on what the caller last read (compare and swap), so that two writers never both win.
Items are flat maps of strings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from standby.aws.errors import error_code
from standby.aws.permissions import requires

LOCK_KEY = "lock_id"


@requires("dynamodb:DescribeTable", "dynamodb:CreateTable")
def ensure_lock_table(client: Any, table: str) -> None:
    try:
        client.describe_table(TableName=table)
        return
    except ClientError as err:
        if error_code(err) != "ResourceNotFoundException":
            raise
    try:
        client.create_table(
            TableName=table,
            AttributeDefinitions=[{"AttributeName": LOCK_KEY, "AttributeType": "S"}],
            KeySchema=[{"AttributeName": LOCK_KEY, "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
    except ClientError as err:
        if error_code(err) != "ResourceInUseException":
            raise
    client.get_waiter("table_exists").wait(TableName=table, WaiterConfig={"Delay": 1, "MaxAttempts": 60})


def _condition(expected: Mapping[str, str | None]) -> tuple[str, dict[str, str], dict[str, dict[str, str]]]:
    """A condition expression that holds when each attribute has the expected value (None: is absent)."""
    parts: list[str] = []
    names: dict[str, str] = {}
    values: dict[str, dict[str, str]] = {}
    for i, (attribute, value) in enumerate(sorted(expected.items())):
        names[f"#c{i}"] = attribute
        if value is None:
            parts.append(f"attribute_not_exists(#c{i})")
        else:
            values[f":c{i}"] = {"S": value}
            parts.append(f"#c{i} = :c{i}")
    return " AND ".join(parts), names, values


def _expecting(expected: Mapping[str, str | None]) -> dict[str, Any]:
    """The condition arguments of a write that requires the ``expected`` attribute values."""
    condition, names, values = _condition(expected)
    kwargs: dict[str, Any] = {"ConditionExpression": condition, "ExpressionAttributeNames": names}
    if values:
        kwargs["ExpressionAttributeValues"] = values
    return kwargs


def _conditionally(write: Callable[..., Any], **kwargs: Any) -> bool:
    """Make a conditional write; False when its condition does not hold (another writer won)."""
    try:
        write(**kwargs)
    except ClientError as err:
        if error_code(err) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _attributes(lock_id: str, item: Mapping[str, str]) -> dict[str, dict[str, str]]:
    return {LOCK_KEY: {"S": lock_id}, **{k: {"S": str(v)} for k, v in item.items()}}


@requires("dynamodb:PutItem")
def put_if_absent(client: Any, table: str, lock_id: str, item: Mapping[str, str]) -> bool:
    """Write the item unless one exists; True when written."""
    return _conditionally(
        client.put_item,
        TableName=table,
        Item=_attributes(lock_id, item),
        ConditionExpression="attribute_not_exists(#k)",
        ExpressionAttributeNames={"#k": LOCK_KEY},
    )


@requires("dynamodb:PutItem")
def replace_if(
    client: Any, table: str, lock_id: str, item: Mapping[str, str], expected: Mapping[str, str | None]
) -> bool:
    """Replace the item when it still has the ``expected`` attribute values; True when replaced."""
    return _conditionally(client.put_item, TableName=table, Item=_attributes(lock_id, item), **_expecting(expected))


@requires("dynamodb:UpdateItem")
def update_if(
    client: Any, table: str, lock_id: str, changes: Mapping[str, str], expected: Mapping[str, str | None]
) -> bool:
    """Set ``changes`` on the item when it still has the ``expected`` attribute values; True when updated."""
    condition, names, values = _condition(expected)
    sets = []
    for i, (attribute, value) in enumerate(sorted(changes.items())):
        names[f"#s{i}"] = attribute
        values[f":s{i}"] = {"S": value}
        sets.append(f"#s{i} = :s{i}")
    return _conditionally(
        client.update_item,
        TableName=table,
        Key={LOCK_KEY: {"S": lock_id}},
        UpdateExpression="SET " + ", ".join(sets),
        ConditionExpression=condition,
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )


@requires("dynamodb:GetItem")
def get_item(client: Any, table: str, lock_id: str) -> dict[str, str] | None:
    doc = client.get_item(TableName=table, Key={LOCK_KEY: {"S": lock_id}}, ConsistentRead=True).get("Item")
    if not doc:
        return None
    return {k: v.get("S", "") for k, v in doc.items() if k != LOCK_KEY}


@requires("dynamodb:DeleteItem")
def delete_if(client: Any, table: str, lock_id: str, expected: Mapping[str, str | None]) -> bool:
    """Delete the item when it still has the ``expected`` attribute values; True when deleted."""
    return _conditionally(client.delete_item, TableName=table, Key={LOCK_KEY: {"S": lock_id}}, **_expecting(expected))


@requires("dynamodb:DeleteTable")
def delete_table(client: Any, table: str) -> bool:
    """Delete the table; False when there was no such table."""
    try:
        client.delete_table(TableName=table)
    except ClientError as err:
        if error_code(err) == "ResourceNotFoundException":
            return False
        raise
    return True
