from standby.aws import autoscaling, elbv2


def test_world_is_shaped_like_the_stacks(world, sessions) -> None:
    groups = autoscaling.describe_groups(sessions.client("autoscaling", world.standby))
    assert [(g.name, g.desired_capacity, g.in_service) for g in groups] == [("webapp-web-us-west-2", 1, 1)]
    tg = world.manifest.region(world.standby).groups["web"].target_group_arn
    print(elbv2.describe_target_health(sessions.client("elbv2", world.standby), [tg]))
