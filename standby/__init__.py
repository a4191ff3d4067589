"""standby: a warm-standby disaster-recovery orchestrator for AWS, built on Terraform."""

__version__ = "0.1.0"
