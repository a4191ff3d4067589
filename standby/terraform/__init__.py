"""Terraform: the runner (argv, run, JSON) and typed plans."""

from standby.terraform.plan import Plan, ResourceChange
from standby.terraform.runner import TerraformRunner, Workspace, plugin_dir_from

__all__ = ["Plan", "ResourceChange", "TerraformRunner", "Workspace", "plugin_dir_from"]
