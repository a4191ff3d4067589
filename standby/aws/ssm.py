"""SSM Parameter Store driver: read and write parameters (application settings, standby's own records)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from standby.aws.errors import error_code
from standby.aws.permissions import requires


@dataclass(frozen=True)
class Parameter:
    name: str
    value: str
    version: int


@requires("ssm:GetParameter")
def get_parameter(client: Any, name: str) -> Parameter | None:
    try:
        doc = client.get_parameter(Name=name)["Parameter"]
    except ClientError as err:
        if error_code(err) == "ParameterNotFound":
            return None
        raise
    return Parameter(doc["Name"], doc["Value"], int(doc.get("Version", 0)))


@requires("ssm:PutParameter")
def put_parameter(client: Any, name: str, value: str) -> int:
    return int(client.put_parameter(Name=name, Value=value, Type="String", Overwrite=True).get("Version", 0))


@requires("ssm:DescribeParameters")
def list_parameter_names(client: Any, path_prefix: str = "/") -> list[str]:
    names = []
    for page in client.get_paginator("describe_parameters").paginate():
        names.extend(p["Name"] for p in page.get("Parameters") or [] if p["Name"].startswith(path_prefix))
    return sorted(names)
