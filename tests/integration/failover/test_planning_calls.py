"""Planning's observation makes a constant number of AWS calls per resource type and region: the same calls for one
group as for twenty (each with its own launch template and target group), and for one database as for three."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from standby.aws.session import SessionFactory
from standby.clock import SystemClock
from standby.config.schema import LoadedConfig
from standby.emulator import reset_endpoint
from standby.failover.observe import observe
from standby.state import RegionState
from standby.state.manifest import GroupRef, Manifest, RegionResources
from standby.state.store import ControlStore
from tests.fakes.aws_faults import CallRecorder

AMI = "ami-12c6146b"


def _region(sessions: SessionFactory, region: str, groups: int, databases: int) -> RegionResources:
    """``groups`` auto scaling groups, each with its own launch template and target group, and ``databases``
    standalone database instances."""
    ec2 = sessions.client("ec2", region)
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]]
    elb = sessions.client("elbv2", region)
    asg = sessions.client("autoscaling", region)
    refs: dict[str, GroupRef] = {}
    for i in range(groups):
        name = f"calls-g{i:02d}-{region}"
        kind = "t3.micro" if i % 2 else "t3.small"
        template = ec2.create_launch_template(
            LaunchTemplateName=name, LaunchTemplateData={"ImageId": AMI, "InstanceType": kind}
        )["LaunchTemplate"]["LaunchTemplateId"]
        tg = elb.create_target_group(Name=f"g{i:02d}-{region[-1]}", Protocol="HTTP", Port=80, VpcId=vpc)[
            "TargetGroups"
        ][0]["TargetGroupArn"]
        asg.create_auto_scaling_group(
            AutoScalingGroupName=name,
            LaunchTemplate={"LaunchTemplateId": template, "Version": "$Default"},
            MinSize=0,
            MaxSize=4,
            DesiredCapacity=0,
            VPCZoneIdentifier=",".join(subnets[:2]),
            TargetGroupARNs=[tg],
        )
        refs[f"g{i:02d}"] = GroupRef(autoscaling_group=name, target_group_arn=tg)
    rds = sessions.client("rds", region)
    names = tuple(f"calls-db{i}" for i in range(databases))
    for identifier in names:
        rds.create_db_instance(
            DBInstanceIdentifier=identifier,
            Engine="postgres",
            DBInstanceClass="db.t3.micro",
            MasterUsername="webapp",
            MasterUserPassword="not-a-secret-1",
            AllocatedStorage=20,
        )
    return RegionResources(region=region, groups=refs, databases=names)


def _observe_calls(
    sessions: SessionFactory, target, loaded: LoadedConfig, groups: int, databases: int, *, store_first: bool = False
) -> tuple[Counter, dict]:
    config = loaded.config
    primary, standby = config.regions.primary, config.regions.standby
    manifest = Manifest(
        project=config.project.name,
        written_at=time.time(),
        regions={r: _region(sessions, r, groups, databases) for r in (primary, standby)},
    )
    recorder = CallRecorder()
    counted = SessionFactory(target=target, on_client=recorder)
    state = RegionState(ControlStore(counted, config.project.name, standby), Path())
    if store_first:  # as a run does: the control store (its bucket named with the account) is read before planning
        assert state.store.account_id
    obs = observe(
        counted, counted, state, manifest, activate=standby, demote=primary, clock=SystemClock(), config=config
    )
    calls = Counter(
        (region, service, op) for region, service, op in recorder.calls if service not in ("s3", "dynamodb")
    )
    return calls, {"obs": obs, "manifest": manifest}


@pytest.mark.parametrize("groups", [1, 20])
def test_observation_reads_every_group_and_database(clean_emulator, sessions, target, loaded, groups) -> None:
    _, seen = _observe_calls(sessions, target, loaded, groups, databases=3)
    obs = seen["obs"]
    assert obs.activate.reachable and obs.demote.reachable
    assert len(obs.activate.groups) == len(obs.demote.groups) == groups
    assert len(obs.activate.databases) == len(obs.demote.databases) == 3
    # Even groups launch t3.small (2 vCPUs), odd ones t3.micro (2 vCPUs): every group's size is known.
    assert set(obs.vcpus_per_instance) == set(obs.activate.groups)
    assert all(v > 0 for v in obs.vcpus_per_instance.values())


def test_planning_calls_do_not_grow_with_groups_or_databases(clean_emulator, sessions, target, loaded) -> None:
    one, _ = _observe_calls(sessions, target, loaded, groups=1, databases=1)
    reset_endpoint(clean_emulator)
    many, _ = _observe_calls(sessions, target, loaded, groups=20, databases=3)
    assert many == one, f"20 groups and 3 databases: {dict(many - one)} more, {dict(one - many)} fewer"
    standby = loaded.config.regions.standby
    assert one[(standby, "ec2", "DescribeLaunchTemplateVersions")] == 1
    assert one[(standby, "autoscaling", "DescribeAutoScalingGroups")] == 1
    assert one[(standby, "rds", "DescribeDBInstances")] == 1


def test_the_account_the_control_store_learned_is_not_asked_again(clean_emulator, sessions, target, loaded) -> None:
    calls, seen = _observe_calls(sessions, target, loaded, groups=1, databases=1, store_first=True)
    assert sum(n for (_, service, _), n in calls.items() if service == "sts") == 1  # the store's, not planning's
    assert seen["obs"].account == sessions.client("sts", loaded.config.regions.standby).get_caller_identity()["Account"]
