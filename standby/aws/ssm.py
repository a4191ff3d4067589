"""SSM Parameter Store driver: read and write parameters (application settings, standby's own records)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from standby.aws.errors import error_code
from standby.aws.paging import paged
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
    return sorted(
        p["Name"] for p in paged(client, "describe_parameters", "Parameters") if p["Name"].startswith(path_prefix)
    )


@dataclass(frozen=True)
class ParameterDetail:
    name: str
    type: str  # String | StringList | SecureString
    value: str  # the stored value; for SecureString the (undecrypted) ciphertext
    version: int


@requires("ssm:GetParametersByPath")
def get_parameters_by_path(client: Any, path: str) -> list[ParameterDetail]:
    """Every parameter under a path (recursively), paging through every result; SecureStrings stay encrypted."""
    found: list[ParameterDetail] = []
    for doc in paged(client, "get_parameters_by_path", "Parameters", Path=path, Recursive=True, WithDecryption=False):
        found.append(
            ParameterDetail(doc["Name"], doc.get("Type", "String"), doc.get("Value", ""), int(doc.get("Version", 0)))
        )
    return sorted(found, key=lambda p: p.name)


@requires("ssm:GetParameters")
def get_parameters(client: Any, names: list[str]) -> list[ParameterDetail]:
    """Parameters by name (10 per call, the API's limit); names that do not exist are left out."""
    found: list[ParameterDetail] = []
    unique = sorted(set(names))
    for start in range(0, len(unique), 10):
        response = client.get_parameters(Names=unique[start : start + 10], WithDecryption=False)
        for doc in response.get("Parameters") or []:
            found.append(
                ParameterDetail(
                    doc["Name"], doc.get("Type", "String"), doc.get("Value", ""), int(doc.get("Version", 0))
                )
            )
    return sorted(found, key=lambda p: p.name)
