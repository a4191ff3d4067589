"""What every section of standby.toml is built from: the strict model base, the value types and their limits.

``StrictModel`` is the one pydantic base of every section (frozen, unknown keys and loose types refused, floats
finite). The value types (``Region``, ``PathText``, ``Seconds``, ...) carry their own validation, so a section
declares a field by its type and each message is written once.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import string
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# Upper bounds. Durations: one day; nothing standby waits for or tolerates should take longer.
MAX_SECONDS = 86_400
# Snapshots: RDS keeps automated backups at most 35 days, so an older one is never the latest.
MAX_SNAPSHOT_AGE_SECONDS = 35 * MAX_SECONDS
# Capacity: far above any auto scaling group standby drives (AWS caps instances by account quota, not per group).
MAX_GROUP_SIZE = 10_000

Role = Literal["primary", "standby"]
ROLES: tuple[Role, Role] = ("primary", "standby")


class StrictModel(BaseModel):
    """A section of standby.toml: frozen; unknown keys, strings for numbers and inf/nan are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


def matching(pattern: str, expected: str) -> Callable[[str], str]:
    """A validator that accepts a string matching ``pattern`` and otherwise says what was ``expected``."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.match(value):
            raise ValueError(f"expected {expected}, found {value!r}")
        return value

    return check


def _path_text(value: str) -> str:
    if not value.strip():
        raise ValueError("expected a path, found an empty string")
    if "\x00" in value:
        raise ValueError(f"expected a path without NUL characters, found {value!r}")
    try:
        Path(value).expanduser()
    except RuntimeError as err:  # "~name/..." for a user that does not exist
        raise ValueError(f"cannot expand {value!r}: {err}") from None
    return value


BACKEND_FIELDS = ("project", "stack", "region", "key")


def _backend_value(value: str) -> str:
    """Values may use {project}, {stack}, {region} and {key}, filled in with ``str.format_map`` per workspace."""
    allowed = ", ".join("{" + f + "}" for f in BACKEND_FIELDS)
    try:
        fields = list(string.Formatter().parse(value))
    except ValueError as err:
        raise ValueError(
            f"malformed placeholder in {value!r} ({err}); placeholders are {allowed}, write {{{{ and }}}} for a "
            "literal brace"
        ) from None
    for _, name, spec, conversion in fields:
        if name is None:
            continue
        if name not in BACKEND_FIELDS or spec or conversion:
            whole = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            raise ValueError(f"unknown placeholder {whole} in {value!r}: only {allowed} exist")
    return value


def _terraform_value(value: Any) -> Any:
    """A variable's value must survive JSON (the tfvars file): no dates or times, no inf or nan."""
    pending: list[tuple[Any, str]] = [(value, "")]
    while pending:
        item, where = pending.pop()
        at = f" at {where.lstrip('.')}" if where else ""
        if isinstance(item, (dt.date, dt.time)):  # datetime is a date
            raise ValueError(f"expected a string, number, boolean, array or table{at}, found the date/time {item}")
        if isinstance(item, float) and not math.isfinite(item):
            raise ValueError(f"expected a finite number{at}, found {item}")
        if isinstance(item, dict):
            pending.extend((v, f"{where}.{k}") for k, v in item.items())
        elif isinstance(item, list):
            pending.extend((v, f"{where}.{i}") for i, v in enumerate(item))
    return value


def _endpoint(value: str) -> str:
    if value != "emulator" and not re.match(r"^https?://[^/\s]+/?$", value):
        raise ValueError(f"expected 'emulator' or a URL such as 'http://127.0.0.1:5000', found {value!r}")
    return value


def _bucket_template(value: str) -> str:
    unknown = sorted(set(re.findall(r"\{([^}]*)\}", value)) - {"project", "region"})
    if unknown:
        raise ValueError(f"unknown placeholder {{{unknown[0]}}} in {value!r}: only {{project}} and {{region}} exist")
    return value


_region = matching(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$", "an AWS region name such as 'us-east-1'")
_account = matching(r"^\d{12}$", "a 12-digit AWS account id")
_project_name = matching(
    r"^[a-z][a-z0-9-]{2,19}$", "3-20 characters of lowercase letters, digits and '-', starting with a letter"
)
_profile_name = matching(r"^[A-Za-z0-9_.+@:/-]{1,128}$", "an AWS CLI profile name (letters, digits and _.+@:/-)")
_role_arn = matching(
    r"^arn:aws(-cn|-us-gov|-iso[a-z]?)?:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$",
    "an IAM role ARN such as 'arn:aws:iam::123456789012:role/standby'",
)
_external_id = matching(r"^[A-Za-z0-9+=,.@:/_-]{2,1224}$", "an external id of 2-1224 letters, digits and +=,.@:/-_")
_env_name = matching(r"^[A-Za-z_][A-Za-z0-9_]*$", "an environment variable name")
_stack_name = matching(
    r"^[A-Za-z][A-Za-z0-9_-]{0,63}$",
    "a stack name of 1-64 letters, digits, '-' and '_', starting with a letter (it names directories and state files)",
)
_output_name = matching(
    r"^[A-Za-z_][A-Za-z0-9_-]{0,127}$", "a Terraform output name (letters, digits, '_' and '-', not a digit first)"
)

Region = Annotated[str, AfterValidator(_region)]
AccountId = Annotated[str, AfterValidator(_account)]
ProjectName = Annotated[str, AfterValidator(_project_name)]
ProfileName = Annotated[str, AfterValidator(_profile_name)]
RoleArn = Annotated[str, AfterValidator(_role_arn)]
ExternalId = Annotated[str, AfterValidator(_external_id)]
EnvName = Annotated[str, AfterValidator(_env_name)]
StackName = Annotated[str, AfterValidator(_stack_name)]
OutputName = Annotated[str, AfterValidator(_output_name)]
PathText = Annotated[str, AfterValidator(_path_text)]
TerraformValue = Annotated[Any, AfterValidator(_terraform_value)]
BackendValue = Annotated[str, AfterValidator(_backend_value)]
Endpoint = Annotated[str, AfterValidator(_endpoint)]
BucketTemplate = Annotated[str, AfterValidator(_bucket_template)]
Seconds = Annotated[int, Field(gt=0, le=MAX_SECONDS)]  # a timeout or a wait: at least a second
SecondsFromZero = Annotated[int, Field(ge=0, le=MAX_SECONDS)]  # zero allowed: a hold, a margin, an RPO
GroupSize = Annotated[int, Field(ge=0, le=MAX_GROUP_SIZE)]
