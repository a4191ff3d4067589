"""`standby drift` against the provisioned example: parity when clean; each hand-made change reported with the
right resource and attribute; an ignore rule silences one and the report names it. Every change is put back.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator

import pytest

from standby.cli.main import main
from standby.config import LoadedConfig
from standby.config.drift_schema import DriftSettings, IgnoreRule
from standby.drift.model import DriftReport, Finding
from standby.drift.render import render_text
from standby.drift.run import DriftRun
from standby.stacks import Stacks
from standby.state import RegionStates
from standby.state.roles import Assignment
from standby.terraform.plan_file import read_refresh_only_plan
from tests.e2e.conftest import ProvisionedWebapp

pytestmark = pytest.mark.e2e

PRIMARY, STANDBY = "us-east-1", "us-west-2"
SSH_RULE = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "203.0.113.0/24"}]}


def find(report: DriftReport, check: str, resource: str, attribute: str) -> Finding:
    matches = [f for f in report.findings if (f.check, f.resource, f.attribute) == (check, resource, attribute)]
    assert matches, f"no {check} finding for {resource} {attribute}:\n{render_text(report)}"
    return matches[0]


def test_clean_environment_is_in_parity(provisioned_webapp: ProvisionedWebapp, capsys) -> None:
    code = main(["--config", str(provisioned_webapp.config_path), "drift", "--output", "json"])
    doc = json.loads(capsys.readouterr().out)
    drifted = [f for f in doc["result"]["findings"] if f["status"] == "drift"]
    assert code == 0, json.dumps(drifted, indent=2)
    assert doc["command"] == "drift" and doc["status"] == "ok"
    assert doc["result"]["checks"] == ["iac", "parity", "readiness"]
    assert doc["result"]["errors"] == [] and drifted == []
    assert doc["result"]["compared"]["parity"] > 20 and doc["result"]["compared"]["iac"] > 20


# -- hand-made changes, each undone exactly ---------------------------------------------------------------------


def _group_id(ec2, name: str) -> str:
    return ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]}])["SecurityGroups"][0][
        "GroupId"
    ]


@contextlib.contextmanager
def ssh_rule_in_primary(env: ProvisionedWebapp) -> Iterator[None]:
    ec2 = env.sessions.client("ec2", PRIMARY)
    group = _group_id(ec2, "webapp-app")
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[SSH_RULE])
    try:
        yield
    finally:
        ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=[SSH_RULE])


@contextlib.contextmanager
def other_ami_in_standby(env: ProvisionedWebapp) -> Iterator[str]:
    """The standby's group launches from a hand-made template with another AMI; yields that AMI's name."""
    ec2 = env.sessions.client("ec2", STANDBY)
    autoscaling = env.sessions.client("autoscaling", STANDBY)
    group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["webapp-web"])["AutoScalingGroups"][0]
    original = group["LaunchTemplate"]
    current = ec2.describe_launch_template_versions(
        LaunchTemplateId=original["LaunchTemplateId"], Versions=[original["Version"]]
    )["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    current_name = ec2.describe_images(ImageIds=[current["ImageId"]])["Images"][0]["Name"]
    other = next(i for i in ec2.describe_images(Owners=["amazon"])["Images"] if i.get("Name") != current_name)
    data = {**current, "ImageId": other["ImageId"]}
    template = ec2.create_launch_template(LaunchTemplateName="webapp-web-hotfix", LaunchTemplateData=data)
    hotfix = template["LaunchTemplate"]["LaunchTemplateId"]
    autoscaling.update_auto_scaling_group(
        AutoScalingGroupName="webapp-web", LaunchTemplate={"LaunchTemplateId": hotfix, "Version": "$Latest"}
    )
    try:
        yield other["Name"]
    finally:
        autoscaling.update_auto_scaling_group(
            AutoScalingGroupName="webapp-web",
            LaunchTemplate={"LaunchTemplateId": original["LaunchTemplateId"], "Version": original["Version"]},
        )
        ec2.delete_launch_template(LaunchTemplateId=hotfix)


@contextlib.contextmanager
def log_level_changed_in_primary(env: ProvisionedWebapp) -> Iterator[None]:
    """SSM /webapp/log_level = debug in the primary only. Putting the value back bumps the parameter's version,
    so Terraform's state of the primary is then refreshed (apply of a refresh-only plan) to match again."""
    ssm = env.sessions.client("ssm", PRIMARY)
    before = ssm.get_parameter(Name="/webapp/log_level")["Parameter"]["Value"]
    ssm.put_parameter(Name="/webapp/log_level", Value="debug", Type="String", Overwrite=True)
    try:
        yield
    finally:
        ssm.put_parameter(Name="/webapp/log_level", Value=before, Type="String", Overwrite=True)
        run = DriftRun(
            env.loaded,
            env.sessions,
            RegionStates.of(env.loaded, env.sessions),
            Stacks(env.loaded, env.runner, env.secrets),
        )
        target = next(t for t in run.iac_targets(run_assignment(env)) if t.region == PRIMARY)
        env.runner.apply(target.workspace, env.runner.plan(target.workspace, target.variables, refresh_only=True))


@contextlib.contextmanager
def replica_lag_beyond_rpo(env: ProvisionedWebapp) -> Iterator[float]:
    """A ReplicaLag datapoint of 5 × the RPO, two minutes old; afterwards a newer datapoint of 0 s."""
    cloudwatch = env.sessions.client("cloudwatch", STANDBY)
    lag = 5.0 * env.loaded.config.objectives.rpo_seconds
    now = dt.datetime.now(dt.UTC)
    dims = [{"Name": "DBInstanceIdentifier", "Value": "webapp-db"}]

    def put(value: float, at: dt.datetime) -> None:
        cloudwatch.put_metric_data(
            Namespace="AWS/RDS",
            MetricData=[{"MetricName": "ReplicaLag", "Value": value, "Dimensions": dims, "Timestamp": at}],
        )

    put(lag, now - dt.timedelta(minutes=2))
    try:
        yield lag
    finally:
        put(0.0, dt.datetime.now(dt.UTC))


def run_assignment(env: ProvisionedWebapp) -> Assignment:
    return RegionStates.of(env.loaded, env.sessions).assignment()


def with_ignore(loaded: LoadedConfig, rule: IgnoreRule) -> LoadedConfig:
    drift = DriftSettings.model_validate({**loaded.config.drift.model_dump(), "ignore": [rule.model_dump()]})
    return loaded.model_copy(update={"config": loaded.config.model_copy(update={"drift": drift})})


def plan_files_read_as_show_json_reads_them(env: ProvisionedWebapp) -> None:
    """The refresh-only plan of every stack, read from its plan file, has the drift and the refreshed state that
    ``terraform show -json`` prints for the same file (with drift in both regions: a rule, a value, a template)."""
    run = DriftRun(
        env.loaded, env.sessions, RegionStates.of(env.loaded, env.sessions), Stacks(env.loaded, env.runner, env.secrets)
    )
    drifted = 0
    for target in run.iac_targets(run_assignment(env)):
        direct = read_refresh_only_plan(target.workspace.plan_file)
        shown = env.runner.show_plan(target.workspace)
        assert direct is not None, target.workspace.plan_file
        assert {c.address: (c.actions, c.before, c.after) for c in direct.drift} == {
            c.address: (c.actions, c.before, c.after) for c in shown.drift
        }, target.label
        assert {r.address: r.values for r in direct.prior_resources()} == {
            r.address: r.values for r in shown.prior_resources()
        }, target.label
        drifted += len(shown.drift)
    assert drifted >= 3


def test_hand_made_changes_are_reported_and_an_ignore_rule_silences_one(provisioned_webapp: ProvisionedWebapp) -> None:
    env = provisioned_webapp
    with contextlib.ExitStack() as changes:
        # Entered first, undone last: its undo refreshes Terraform's state, which must see the others undone.
        changes.enter_context(log_level_changed_in_primary(env))
        changes.enter_context(ssh_rule_in_primary(env))
        other_ami = changes.enter_context(other_ami_in_standby(env))
        lag = changes.enter_context(replica_lag_beyond_rpo(env))

        report = DriftRun(
            env.loaded,
            env.sessions,
            RegionStates.of(env.loaded, env.sessions),
            Stacks(env.loaded, env.runner, env.secrets),
        ).run()
        assert report.exit_code == 3 and report.status == "drift", render_text(report)

        rule = find(report, "parity", "security_group:webapp-app", "ingress:tcp:22:203.0.113.0/24")
        assert (rule.status, rule.primary, rule.standby) == ("drift", "present", None)
        assert rule.rule == "parity.security_group.ingress"

        image = find(report, "parity", "launch_template:web", "image")
        assert image.status == "drift" and image.standby == other_ami and image.primary != other_ami

        value = find(report, "parity", "parameter:/webapp/log_level", "value")
        assert (value.status, value.primary, value.standby) == ("drift", "debug", "info")

        replica = find(report, "readiness", "database:webapp-db", "replica_lag_seconds")
        assert (replica.status, replica.actual, replica.region) == ("drift", lag, STANDBY)
        assert replica.rule == "objectives.rpo_seconds"

        ingress = find(report, "iac", "module.network.aws_security_group.app", "ingress")
        assert ingress.region == PRIMARY and ingress.actual == ["+tcp:22:203.0.113.0/24"]
        ssm_value = find(report, "iac", 'module.parameters.aws_ssm_parameter.this["log_level"]', "value")
        assert (ssm_value.region, ssm_value.expected, ssm_value.actual) == (PRIMARY, "info", "debug")
        template = find(report, "iac", 'module.compute["web"].aws_autoscaling_group.this', "launch_template")
        assert template.region == STANDBY
        plan_files_read_as_show_json_reads_them(env)

        ignoring = with_ignore(
            env.loaded,
            IgnoreRule(
                name="debug-logging-trial",
                resource="parameter:/webapp/log_level",
                attribute="value",
                reason="debug logging is being tried in the primary this week",
            ),
        )
        silenced = DriftRun(ignoring, env.sessions, RegionStates.of(ignoring, env.sessions)).run(
            ["parity", "readiness"]
        )
        quiet = find(silenced, "parity", "parameter:/webapp/log_level", "value")
        assert (quiet.status, quiet.rule) == ("ignored", "debug-logging-trial")
        assert quiet.reason == "debug logging is being tried in the primary this week"
        assert "ignored by rule 'debug-logging-trial'" in render_text(silenced)
        assert silenced.exit_code == 3  # the other changes still drift

    # Everything is back as it was, for the other tests sharing the environment: Terraform included.
    after = DriftRun(
        env.loaded, env.sessions, RegionStates.of(env.loaded, env.sessions), Stacks(env.loaded, env.runner, env.secrets)
    ).run()
    assert after.exit_code == 0 and after.of("drift") == (), render_text(after)
