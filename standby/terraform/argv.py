"""Terraform argv lists from python-terraform's command builder, without ever constructing its ``Terraform``.

``Terraform(working_dir=...)`` parses ``<working_dir>/terraform.tfstate`` in its constructor: a stack without a
backend block that holds a local state (or a corrupt one) made every argv build fail with a ``JSONDecodeError``.
``Terraform.generate_cmd_string`` needs only two attributes of its instance, so it is called unbound with a
minimal stand-in that has them. The translation it performs, per option (in the order given):

- ``foo_bar=IsFlagged`` → ``-foo-bar``; ``None`` or ``IsNotFlagged`` → nothing;
- ``foo=True``/``False`` → ``-foo=true``/``-foo=false``; any other scalar → ``-foo=VALUE``;
- ``foo=[a, b]`` → ``-foo=a -foo=b`` (a repeated flag);
- ``backend_config={k: v}`` → ``-backend-config=k=v`` per item.

Positional arguments follow the options. A mapping for any other option would make python-terraform write the
values to a temporary variable file it never cleans up: that is refused here (variables go through the runner's
private ``*.auto.tfvars.json``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from python_terraform import IsFlagged, IsNotFlagged, Terraform

from standby.errors import StandbyError

__all__ = ["ArgvError", "IsFlagged", "IsNotFlagged", "build_argv"]


class ArgvError(StandbyError):
    """A terraform argv was requested with an option python-terraform would turn into a side effect."""


class _RefuseVarFiles:
    def create(self, variables: Any) -> str:  # build_argv refuses such mappings before python-terraform sees them
        raise ArgvError("refusing to write a temporary variable file for a terraform option")


class _Builder:
    """What ``Terraform.generate_cmd_string`` reads from ``self``, and nothing else."""

    def __init__(self, binary: str) -> None:
        self.terraform_bin_path = binary
        self.temp_var_files = _RefuseVarFiles()


def build_argv(binary: str, command: str, *args: str, **options: Any) -> list[str]:
    """``[binary, *command.split(), *flags, *args]`` for a terraform subcommand; no file is read or written."""
    normalised: dict[str, Any] = {}
    for name, value in options.items():
        # python-terraform tests ``type(value) is list`` / ``is dict``: a tuple or a mapping proxy would be
        # formatted with str() into one bogus flag.
        if isinstance(value, Mapping):
            if name != "backend_config":
                raise ArgvError(f"terraform option {name!r} cannot take a mapping (only backend_config can)")
            value = dict(value)
        elif isinstance(value, (tuple, list)):
            value = list(value)
        normalised[name] = value
    built = Terraform.generate_cmd_string(_Builder(binary), command, *args, **normalised)
    return [str(part) for part in built]
