"""DynamoDB driver: the lock table (conditional writes)."""

from __future__ import annotations

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


@requires("dynamodb:PutItem")
def put_if_free(client: Any, table: str, lock_id: str, item: dict[str, str], now: float) -> bool:
    """Write the lock item unless a live one exists; True when this caller now holds it."""
    attributes = {LOCK_KEY: {"S": lock_id}, **{k: {"S": str(v)} for k, v in item.items()}}
    try:
        client.put_item(
            TableName=table,
            Item=attributes,
            ConditionExpression=f"attribute_not_exists({LOCK_KEY}) OR expires_at < :now OR holder = :holder",
            ExpressionAttributeValues={":now": {"S": f"{now:020.3f}"}, ":holder": {"S": item["holder"]}},
        )
    except ClientError as err:
        if error_code(err) == "ConditionalCheckFailedException":
            return False
        raise
    return True


@requires("dynamodb:GetItem")
def get_item(client: Any, table: str, lock_id: str) -> dict[str, str] | None:
    doc = client.get_item(TableName=table, Key={LOCK_KEY: {"S": lock_id}}, ConsistentRead=True).get("Item")
    if not doc:
        return None
    return {k: v.get("S", "") for k, v in doc.items()}


@requires("dynamodb:DeleteItem")
def delete_if_holder(client: Any, table: str, lock_id: str, holder: str) -> bool:
    try:
        client.delete_item(
            TableName=table,
            Key={LOCK_KEY: {"S": lock_id}},
            ConditionExpression="holder = :holder",
            ExpressionAttributeValues={":holder": {"S": holder}},
        )
    except ClientError as err:
        if error_code(err) == "ConditionalCheckFailedException":
            return False
        raise
    return True
