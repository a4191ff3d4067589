"""Provisioning a stack that leaves its groups' size to standby (no `capacity` variable) warms the standby's groups
through the AWS API: raised to the [scale] capacity, capped by the group's own max_size, never lowered."""

from __future__ import annotations

from standby.aws import autoscaling
from standby.config.schema import Capacity
from standby.provision import warm_standby_groups

REGION = "us-west-2"
AMI = "ami-04681a1dbd79675a5"


def _group(sessions, name: str, *, desired: int, max_size: int) -> None:
    ec2 = sessions.client("ec2", REGION)
    lt = ec2.create_launch_template(
        LaunchTemplateName=name, LaunchTemplateData={"ImageId": AMI, "InstanceType": "t3.micro"}
    )["LaunchTemplate"]["LaunchTemplateId"]
    sessions.client("autoscaling", REGION).create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchTemplate={"LaunchTemplateId": lt, "Version": "$Default"},
        MinSize=0,
        MaxSize=max_size,
        DesiredCapacity=desired,
        AvailabilityZones=[f"{REGION}a"],
    )


def test_standby_groups_are_raised_within_their_bounds_and_never_lowered(clean_emulator: str, sessions) -> None:
    _group(sessions, "shop-web", desired=0, max_size=4)
    _group(sessions, "shop-workers", desired=3, max_size=4)
    _group(sessions, "shop-cron", desired=0, max_size=1)
    groups = {"web": "shop-web", "worker": "shop-workers", "cron": "shop-cron", "gone": "shop-gone"}
    wanted = {
        "web": Capacity(min_size=1, max_size=8, desired_capacity=2),
        "worker": Capacity(min_size=1, max_size=8, desired_capacity=1),
        "cron": Capacity(min_size=1, max_size=8, desired_capacity=2),
        "gone": Capacity(min_size=1, max_size=8, desired_capacity=1),
    }
    client = sessions.client("autoscaling", REGION)

    done = warm_standby_groups(client, groups, wanted)

    sizes = {g.name: (g.min_size, g.max_size, g.desired_capacity) for g in autoscaling.describe_groups(client)}
    # Only desired moves (min and max belong to the stack); the worker's 3 stays: provisioning scales nothing in.
    assert sizes == {"shop-web": (0, 4, 2), "shop-workers": (0, 4, 3), "shop-cron": (0, 1, 1)}
    assert [(key, status) for key, status, _ in done] == [
        ("cron", "capped"),
        ("cron", "complete"),
        ("web", "complete"),
    ]
    assert "max_size 1 is below the standby's desired 2" in done[0][2]

    # Run again: nothing left to raise, the cap is still said.
    again = warm_standby_groups(client, groups, wanted)
    assert [(key, status) for key, status, _ in again] == [("cron", "capped")]
