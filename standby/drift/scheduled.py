"""Scheduled mode: the drift check as an AWS Lambda function, deployed in the standby region by
terraform/modules/drift-schedule (EventBridge Scheduler -> this handler -> a CloudWatch metric -> alarm -> SNS).

The function runs the parity and readiness checks (Terraform is not in the Lambda runtime: the IaC check runs
in CI, see docs/drift.md), publishes the number of drifted findings as ``Standby/Drift Findings`` (dimension
``Project``), keeps the latest report in the standby region's control store (``drift/latest.json``) and returns it.
A run that fails publishes nothing, so the alarm's missing-data policy (breaching) catches it.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from standby.aws import autoscaling, cloudwatch, dynamodb, ec2, ecs, elbv2, rds, route53, s3, servicequotas, ssm, sts
from standby.aws.permissions import actions_of
from standby.aws.session import SessionFactory, Target
from standby.config import LoadedConfig, load_config
from standby.drift.model import DriftReport
from standby.drift.render import report_dict
from standby.drift.run import DriftRun
from standby.emulator import is_loopback
from standby.state import RegionStates

log = logging.getLogger(__name__)

METRIC_NAMESPACE = "Standby/Drift"
FINDINGS_METRIC = "Findings"
ERRORS_METRIC = "CheckErrors"
LATEST_REPORT_KEY = "drift/latest.json"
CONFIG_ENV = "STANDBY_CONFIG"  # path of standby.toml; default: standby.toml at the root of the package
ENDPOINT_ENV = "STANDBY_AWS_ENDPOINT"  # only for the emulator; unset on AWS


# Every driver function the scheduled check calls (inventory, readiness, control store, metric).
DRIVERS = (
    autoscaling.describe_group_specs,
    autoscaling.describe_groups,
    ec2.describe_launch_template_version,
    ec2.describe_images,
    ec2.describe_security_groups,
    ec2.running_instance_types,
    ec2.vcpus_of,
    elbv2.describe_target_groups,
    elbv2.describe_load_balancer_settings,
    elbv2.describe_listeners,
    rds.describe_settings,
    ssm.get_parameters_by_path,
    ssm.get_parameters,
    ecs.list_task_definition_families,
    ecs.describe_task_definition,
    route53.list_zones,
    route53.list_records,
    cloudwatch.latest_metric,
    cloudwatch.put_metric,
    servicequotas.quota_value,
    s3.bucket_exists,
    s3.create_bucket,
    s3.get_json,
    s3.put_json,
    dynamodb.ensure_lock_table,
    sts.caller_account,
)


def required_actions() -> list[str]:
    """The IAM actions of the scheduled check, from what its drivers declare (the module's ``iam_actions``)."""
    return actions_of(*DRIVERS)


def package_root() -> Path:
    return Path(__file__).resolve().parents[2]


def run_scheduled(
    loaded: LoadedConfig,
    sessions: SessionFactory,
    *,
    metric_region: str | None = None,
    clock: Callable[[], float] = time.time,
) -> DriftReport:
    """Run the checks that need no Terraform, publish the metric, keep the report; returns the report."""
    config = loaded.config
    checks = [c for c in config.drift.checks if c != "iac"] or ["parity", "readiness"]
    states = RegionStates.of(loaded, sessions)
    report = DriftRun(loaded, sessions, states, clock=clock).run(checks)
    region = metric_region or report.standby_region
    client = sessions.client("cloudwatch", region, config.regions.account_of("standby"))
    dimensions = {"Project": config.project.name}
    cloudwatch.put_metric(client, METRIC_NAMESPACE, FINDINGS_METRIC, float(len(report.of("drift"))), dimensions)
    cloudwatch.put_metric(client, METRIC_NAMESPACE, ERRORS_METRIC, float(len(report.errors)), dimensions)
    states[report.standby_region].store.put(LATEST_REPORT_KEY, report_dict(report))
    return report


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda entry point (``standby.drift.scheduled.handler``)."""
    logging.getLogger("standby").setLevel(logging.INFO)
    config_path = os.environ.get(CONFIG_ENV) or str(package_root() / "standby.toml")
    loaded = load_config(config_path, check_stacks=False)  # the package holds the config, not the stacks
    endpoint = os.environ.get(ENDPOINT_ENV) or None
    sessions = SessionFactory(target=Target(endpoint, emulator=bool(endpoint and is_loopback(endpoint))))
    report = run_scheduled(loaded, sessions, metric_region=os.environ.get("AWS_REGION"))
    log.info("drift check: %s (%s)", report.status, report.counts())
    return {"status": report.status, "exit_code": report.exit_code, "counts": report.counts()}
