"""Which program the configured Terraform binary is: the real terraform on the PATH, and stand-ins for the rest."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from standby.errors import TerraformError
from standby.terraform.binary import TERRAFORM, TOFU, BinaryVersion, detect_binary


def _stand_in(tmp_path: Path, name: str, banner: str, document: str) -> str:
    """An executable answering ``version`` with ``banner`` and ``version -json`` with ``document``."""
    script = tmp_path / name
    script.write_text(
        "#!/bin/sh\n"
        'if [ "$1 $2" = "version -json" ]; then\n'
        f"  cat <<'EOF'\n{document}\nEOF\n"
        'elif [ "$1" = "version" ]; then\n'
        f"  echo '{banner}'\n"
        "else\n  exit 1\nfi\n"
    )
    script.chmod(0o755)
    return str(script)


@pytest.fixture(scope="module")
def terraform_on_path() -> str:
    binary = shutil.which("terraform")
    if binary is None:
        pytest.fail("terraform is not on the PATH")
    return binary


def test_the_terraform_on_the_path_is_terraform_at_its_version(terraform_on_path: str) -> None:
    printed = subprocess.run([terraform_on_path, "version", "-json"], capture_output=True, text=True, check=True)
    expected = json.loads(printed.stdout)["terraform_version"]

    found = detect_binary("terraform")

    assert found == BinaryVersion(TERRAFORM, expected)
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", found.version)


def test_a_missing_cli_config_file_does_not_disturb_the_detection(
    terraform_on_path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(tmp_path / "missing.tfrc"))  # Terraform warns on stderr
    assert detect_binary(terraform_on_path).name == TERRAFORM


def test_opentofu_is_named_by_its_banner_not_by_its_json(tmp_path: Path) -> None:
    # OpenTofu's `version -json` keeps Terraform's keys; only the human banner tells the programs apart.
    document = '{"terraform_version": "1.9.0", "platform": "linux_amd64", "provider_selections": {}}'
    binary = _stand_in(tmp_path, "terraform-wrapper", "OpenTofu v1.9.0", document)
    assert detect_binary(binary) == BinaryVersion(TOFU, "1.9.0")


def test_a_program_that_is_neither_is_refused(tmp_path: Path) -> None:
    binary = _stand_in(tmp_path, "tofu", "Pulumi v3.0.0", '{"terraform_version": "3.0.0"}')
    with pytest.raises(TerraformError, match=re.escape("expected 'Terraform v...' or 'OpenTofu v...'")):
        detect_binary(binary)


def test_output_without_a_version_is_refused(tmp_path: Path) -> None:
    binary = _stand_in(tmp_path, "terraform", "Terraform v1.11.4", "not json")
    with pytest.raises(TerraformError, match="no terraform_version"):
        detect_binary(binary)


def test_a_binary_that_cannot_be_run_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(TerraformError) as raised:
        detect_binary(str(tmp_path / "no-such-terraform"))
    assert "[terraform] binary" in raised.value.hint
