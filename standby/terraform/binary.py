"""Which program the configured Terraform binary is — Terraform or OpenTofu — and its version.

``[terraform] binary`` names the program standby runs (``terraform`` by default, ``tofu`` for OpenTofu, or a
path). Both accept the same commands and the bundled stacks, but they differ where standby may need to know
(OpenTofu resolves unqualified provider sources to its own registry; versions are numbered independently), so
``detect_binary`` asks the program itself: ``<binary> version -json`` gives the version. That JSON has the same
keys in both programs (OpenTofu keeps ``terraform_version``), so the name comes from the first line of the
human ``<binary> version`` ("Terraform v1.11.4", "OpenTofu v1.9.0"). Neither call reads a configuration or
reaches the network (``CHECKPOINT_DISABLE`` turns off Terraform's upgrade check).
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import NamedTuple

from standby.errors import TerraformError

TERRAFORM = "terraform"
TOFU = "tofu"
# The first word of `<binary> version` -> the program's name.
_BANNERS = {"Terraform": TERRAFORM, "OpenTofu": TOFU}
VERSION_TIMEOUT_S = 60.0


class BinaryVersion(NamedTuple):
    name: str  # TERRAFORM or TOFU
    version: str  # e.g. "1.11.4"


def detect_binary(binary: str = TERRAFORM) -> BinaryVersion:
    """The name (``terraform`` or ``tofu``) and version of ``binary``; raises TerraformError when it cannot be
    run or is neither program."""
    version = _version_from_json(binary, _run(binary, "version", "-json"))
    return BinaryVersion(_name_from_banner(binary, _run(binary, "version")), version)


def _version_from_json(binary: str, text: str) -> str:
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    version = document.get("terraform_version") if isinstance(document, dict) else None
    if not isinstance(version, str) or not version:
        raise TerraformError([binary, "version", "-json"], 0, f"no terraform_version in {text.strip()[:80]!r}")
    return version


def _name_from_banner(binary: str, banner: str) -> str:
    first_word = banner.split(maxsplit=1)[0] if banner.strip() else ""
    name = _BANNERS.get(first_word)
    if name is None:
        raise TerraformError(
            [binary, "version"],
            0,
            f"expected 'Terraform v...' or 'OpenTofu v...', found {banner.strip()[:80]!r}",
            hint="set [terraform] binary to terraform or tofu (a name on the PATH or a path)",
        )
    return name


def _run(binary: str, *args: str) -> str:
    """stdout of ``binary args``; Terraform's warnings (such as a missing CLI config file) go to stderr."""
    argv = [binary, *args]
    env = {**os.environ, "CHECKPOINT_DISABLE": "1"}
    try:
        done = subprocess.run(
            argv,
            env=env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=VERSION_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TerraformError(
            argv, 127, str(exc), hint="set [terraform] binary to terraform or tofu (a name on the PATH or a path)"
        ) from exc
    if done.returncode != 0:
        raise TerraformError(argv, done.returncode, done.stderr or done.stdout)
    return done.stdout
