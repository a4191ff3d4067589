"""Terraform: the runner (argv, run, JSON), typed plans, and which program the binary is (terraform or tofu)."""

from standby.terraform.binary import BinaryVersion, detect_binary
from standby.terraform.plan import Plan, PlannedResource, ResourceChange, StateValues
from standby.terraform.runner import TerraformRunner, Workspace, plugin_dir_from

__all__ = [
    "BinaryVersion",
    "Plan",
    "PlannedResource",
    "ResourceChange",
    "StateValues",
    "TerraformRunner",
    "Workspace",
    "detect_binary",
    "plugin_dir_from",
]
