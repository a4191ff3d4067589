"""The lower bound of a failover's wall time: the longest chain of modelled minimum step costs through depends_on.

Pure functions of (the plan's steps, the latency model). Nothing here reads a journal or a measured span: a step
that is slow inside (a queue, a lock, a journal save) makes the run slower than the bound, never the bound
longer, so wall / bound is what standby adds to the latencies AWS imposes.

A step's modelled minimum cost is the sum of the API latencies it cannot do without (the mutating call, and the
one read that sees its result) and the settle times it must wait out (instances Pending, a promotion, DNS
INSYNC, the plan's own drain). Calls a step could make concurrently (one update per group) count once; reads an
implementation might skip (describes before a change, notes of prior capacity) do not count. Planning, which
precedes every step, costs at least one read of each kind it observes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bench.critical_path import CriticalPath, chain_end_times, longest_chain
from standby.failover import model as m

if TYPE_CHECKING:
    from bench.failover import LatencyModel

PLANNING = "(planning)"  # the pseudo-step before the plan's roots: the observation the plan is made from


def _call(model: LatencyModel, name: str) -> float:
    service, operation = name.split(":", 1)
    return model.latency(service, operation, {})


def _calls(model: LatencyModel, *names: str) -> float:
    return sum(_call(model, n) for n in names)


def planning_min_seconds(model: LatencyModel) -> float:
    """One read of each kind the observation needs: the groups, their targets, the databases, the records."""
    return _calls(
        model,
        "autoscaling:DescribeAutoScalingGroups",
        "elbv2:DescribeTargetHealth",
        "rds:DescribeDBInstances",
        "route53:ListResourceRecordSets",
    )


def step_min_seconds(step: m.Step, model: LatencyModel) -> float:
    """The modelled minimum cost of ``step``: its unavoidable API latencies plus its settle times (0 when the
    plan already knows it has nothing to do)."""
    if step.nochange or step.skip_reason:
        return 0.0
    if isinstance(step, m.ScaleGroup):
        return _call(model, "autoscaling:UpdateAutoScalingGroup")
    if isinstance(step, m.WaitHealthy):  # Pending from the scale-out's update on; one probe sees it in service
        return model.instance_bootstrap + _calls(
            model, "autoscaling:DescribeAutoScalingGroups", "elbv2:DescribeTargetHealth"
        )
    if isinstance(step, m.FenceWrites):  # the note of the replaced groups first (a crash loses nothing), then the swap
        return _calls(model, "s3:PutObject", "rds:ModifyDBInstance")
    if isinstance(step, m.PromoteDb):
        return _call(model, "rds:PromoteReadReplica") + model.promotion + _call(model, "rds:DescribeDBInstances")
    if isinstance(step, m.ShiftTraffic):
        if step.mode == "health-check":
            return _call(model, "cloudwatch:SetAlarmState")
        return _call(model, "route53:ChangeResourceRecordSets") + model.dns_insync + _call(model, "route53:GetChange")
    if isinstance(step, m.Verify):
        return _calls(
            model,
            "autoscaling:DescribeAutoScalingGroups",
            "elbv2:DescribeTargetHealth",
            "rds:DescribeDBInstances",
            "route53:ListResourceRecordSets",
        )
    if isinstance(step, m.RecordRoles):
        return _call(model, "s3:PutObject")
    if isinstance(step, m.Drain):
        return step.seconds
    if isinstance(step, m.FenceGroups):
        return _call(model, "autoscaling:UpdateAutoScalingGroup") if step.groups else 0.0
    if isinstance(step, m.Preflight):
        return 0.0  # judged from the observation: no call of its own
    return model.default  # any other step (a re-seed, a restore): at least one call


def lower_bound(steps: Sequence[m.Step], model: LatencyModel) -> CriticalPath:
    """The longest chain of modelled minimum costs from planning through the plan's depends_on: no run of this
    plan on this model can take less (with any number of workers and free bookkeeping)."""
    return longest_chain(*bound_graph(steps, model))


def bound_ends(steps: Sequence[m.Step], model: LatencyModel) -> dict[str, float]:
    """For each step, the earliest it could end on the model (planning included)."""
    return chain_end_times(*bound_graph(steps, model))


def bound_graph(steps: Sequence[m.Step], model: LatencyModel) -> tuple[dict[str, float], dict[str, tuple[str, ...]]]:
    """(cost of each step, its dependencies): the plan's steps behind the planning pseudo-step."""
    costs: dict[str, float] = {PLANNING: planning_min_seconds(model)}
    depends: dict[str, tuple[str, ...]] = {PLANNING: ()}
    for step in steps:
        costs[step.key] = step_min_seconds(step, model)
        depends[step.key] = tuple(step.depends_on) or (PLANNING,)
    return costs, depends
