"""Benchmark: failover wall time against its lower bound on simulated AWS latencies.

For 1, 10, 100, 500 and 1,000 auto scaling groups per region (moto in-process, one fresh world per size), the
real Controller plans and executes a failover with simulated latencies on a scaled clock (bench.simclock), with
the config's own timeouts (nothing raised for the benchmark):

- every API call first sleeps its modelled latency (LatencyModel: e.g. UpdateAutoScalingGroup 0.3 s, describes
  0.1 s, S3 0.05 s + size / 20 MB/s), then runs on moto in zero simulated time;
- state takes time to settle: new instances stay Pending for ``instance_bootstrap`` seconds after a scale-out
  (the describe answer is rewritten), a Route53 change stays PENDING for ``dns_insync`` seconds, and a promoted
  replica is ``modifying`` for ``promotion`` seconds (300 s here), then ``available`` with its replica link gone
  on both sides (as on AWS; moto keeps it ``available`` and linked);
- standby's own CPU time (e.g. serialising its journal) counts 1:1 on the simulated clock.

It prints, per size: the wall time (planning included: the command's start to the journal's end), the lower
bound (bench.bound: the longest chain of the steps' modelled minimum costs through the plan's depends_on, from
the latency model alone, never from measured spans), their ratio, planning time, API calls (planning included)
per group, journal bytes written to the control store, and Route53 change calls; also the RTO and calls that AWS
would refuse (documented request limits that the emulator does not enforce).

    .venv/bin/python -m bench.failover [--quick | --sizes 1,10,100,500,1000] [--json] [--scale 0.01]
                                       [--max-parallel 64,1024]

--quick runs 1, 10 and 100 groups. --json prints one object per size (groups, wall_s, lower_bound_s, ratio,
planning_s, api_calls, calls_per_group, journal_bytes, route53_changes) instead of the table. Every run writes
its figures to bench/results/failover.json and its table into bench/README.md (between the marker comments).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.bound import bound_ends, bound_graph, lower_bound
from bench.critical_path import Span, start_lags
from bench.example import REPO, example_config_text
from bench.failover_world import PRIMARY_CAPACITY, build_world, group_names
from bench.simclock import ScaledClock
from standby.aws import budget as budget_module
from standby.aws.session import SessionFactory, Target
from standby.config import LoadedConfig, load_config
from standby.failover.controller import Controller
from standby.failover.model import SHIFT_TRAFFIC, WAIT_HEALTHY
from standby.state import RegionStates, journal_store
from standby.state import lock as lock_module
from standby.state.journal import Journal
from standby.state.region import RegionState

RESULTS = REPO / "bench" / "results" / "failover.json"
README = REPO / "bench" / "README.md"
TABLE_START = "<!-- bench.failover results: written by `python -m bench.failover`, replaced on each run -->"
TABLE_END = "<!-- end of bench.failover results -->"
SIZES = "1,10,100,500,1000"
QUICK_SIZES = "1,10,100"
TARGET_RATIO = 1.05
JOURNAL_KEYS = ("runs/", "run-steps/")  # journal documents; run-steps/: step records of an earlier form, none now
SERVICES = ("autoscaling", "elbv2", "rds", "route53", "s3", "dynamodb", "sts", "cloudwatch", "ec2", "service-quotas")


# -- the latency model ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LatencyModel:
    """Simulated seconds per API call ("service:Operation", else "service:*", else ``default``) and settle times."""

    seconds: Mapping[str, float] = field(
        default_factory=lambda: {
            "autoscaling:DescribeAutoScalingGroups": 0.1,
            "autoscaling:UpdateAutoScalingGroup": 0.3,
            "rds:DescribeDBInstances": 0.1,
            "rds:PromoteReadReplica": 0.2,  # returns at once; the instance is modifying for ``promotion``
            "route53:ListResourceRecordSets": 0.2,
            "route53:ChangeResourceRecordSets": 0.5,
            "route53:GetChange": 0.1,
            "elbv2:DescribeTargetHealth": 0.1,
            "s3:*": 0.05,
            "dynamodb:*": 0.02,
        }
    )
    default: float = 0.1
    s3_bytes_per_second: float = 20e6
    instance_bootstrap: float = 120.0  # a new instance is Pending this long after its group scaled out
    dns_insync: float = 30.0  # a Route53 change is PENDING this long
    promotion: float = 300.0  # a promoted replica is modifying this long, then a standalone primary

    def latency(self, service: str, operation: str, params: Mapping[str, Any]) -> float:
        base = self.seconds.get(f"{service}:{operation}", self.seconds.get(f"{service}:*", self.default))
        if service == "s3" and operation == "PutObject":
            base += len(params.get("Body") or b"") / self.s3_bytes_per_second
        return base

    def describe(self) -> str:
        return (
            "ASG update 0.3 s, describes 0.1 s, S3 0.05 s + size/20 MB/s, Route53 change 0.5 s, "
            f"instances Pending {self.instance_bootstrap:.0f} s after a scale-out, DNS INSYNC after "
            f"{self.dns_insync:.0f} s, promotion done after {self.promotion:.0f} s"
        )


def over_aws_limit(service: str, operation: str, params: Mapping[str, Any]) -> str | None:
    """Why AWS would refuse this request (a documented limit the emulator does not enforce), or None."""
    if service == "autoscaling" and operation == "DescribeAutoScalingGroups":
        names = params.get("AutoScalingGroupNames") or ()
        limit = min(max(int(params.get("MaxRecords") or 50), 50), 100)
        if len(names) > limit:
            return f"DescribeAutoScalingGroups with more than {limit} names"
    if service == "route53" and operation == "ChangeResourceRecordSets":
        if len((params.get("ChangeBatch") or {}).get("Changes") or ()) > 1000:
            return "ChangeResourceRecordSets with more than 1,000 changes"
    return None


class SimulatedAws:
    """Installed on every client (SessionFactory on_client): latency, call counts, settle times, AWS limits.

    Wraps the client's ``_make_api_call``, so that the modelled latency is slept on the scaled clock and the
    emulator's work runs inside ``clock.instant()`` (zero simulated time) with try/finally semantics, one call at a
    time (as the project's emulator server serves them).
    """

    def __init__(self, clock: ScaledClock, model: LatencyModel) -> None:
        self.clock = clock
        self.model = model
        self.phase = "setup"
        self.calls: Counter[tuple[str, str, str, str]] = Counter()  # (phase, region, service, operation)
        self.over_limit: Counter[str] = Counter()
        self.journal_bytes = 0
        self.journal_saves = 0
        self.journal_by_prefix: Counter[str] = Counter()  # bytes of whole documents (runs/), record segments (runs/*/)
        self._lock = threading.Lock()
        self._emulator = threading.Lock()
        self._known: dict[tuple[str, str], set[str]] = {}  # group -> instance ids before its scale-out
        self._scaled_at: dict[tuple[str, str], float] = {}
        self._changes: dict[str, float] = {}  # Route53 change id -> submitted at
        self._promoted: dict[tuple[str, str], tuple[float, str]] = {}  # (region, db) -> (PromoteReadReplica, ARN)
        self.zones_changed: dict[str, set[str]] = {}  # phase -> hosted zones with a ChangeResourceRecordSets

    def __call__(self, client: Any) -> None:
        region = client.meta.region_name
        service = client.meta.service_model.service_name
        original = client._make_api_call

        def call(operation: str, params: dict[str, Any]) -> Any:
            self._count(region, service, operation, params)
            self.clock.sleep(self.model.latency(service, operation, params))
            with self.clock.instant(), self._emulator:  # one call at a time: moto's backends are not thread-safe
                response = original(operation, params)
                self._settle(region, service, operation, params, response)
            return response

        client._make_api_call = call

    def _count(self, region: str, service: str, operation: str, params: Mapping[str, Any]) -> None:
        reason = over_aws_limit(service, operation, params)
        with self._lock:
            self.calls[(self.phase, region, service, operation)] += 1
            if reason is not None:
                self.over_limit[reason] += 1
            if operation == "ChangeResourceRecordSets":
                self.zones_changed.setdefault(self.phase, set()).add(str(params.get("HostedZoneId", "")))
            if service == "s3" and operation == "PutObject" and str(params.get("Key", "")).startswith(JOURNAL_KEYS):
                size = len(params.get("Body") or b"")
                self.journal_bytes += size
                self.journal_saves += 1
                key = str(params["Key"])
                self.journal_by_prefix["runs/*/" if key.count("/") > 1 else key.split("/", 1)[0] + "/"] += size

    def _settle(self, region: str, service: str, operation: str, params: Mapping[str, Any], response: Any) -> None:
        now = self.clock.now()
        with self._lock:
            if service == "autoscaling" and operation == "DescribeAutoScalingGroups":
                for group in response.get("AutoScalingGroups") or []:
                    key = (region, group["AutoScalingGroupName"])
                    ids = {i["InstanceId"] for i in group.get("Instances") or []}
                    scaled = self._scaled_at.get(key)
                    if scaled is None:
                        self._known[key] = ids
                    elif now < scaled + self.model.instance_bootstrap:
                        for instance in group.get("Instances") or []:
                            if instance["InstanceId"] not in self._known.get(key, set()):
                                instance["LifecycleState"] = "Pending"
            elif service == "autoscaling" and operation == "UpdateAutoScalingGroup":
                key = (region, params["AutoScalingGroupName"])
                if int(params.get("DesiredCapacity", 0)) > len(self._known.get(key, ())):
                    self._scaled_at.setdefault(key, now)
            elif service == "route53" and operation == "ChangeResourceRecordSets":
                info = response.get("ChangeInfo") or {}
                self._changes[str(info.get("Id", "")).split("/")[-1]] = now
                info["Status"] = "PENDING"
            elif service == "route53" and operation == "GetChange":
                submitted = self._changes.get(str(params.get("Id", "")).split("/")[-1])
                if submitted is not None and now < submitted + self.model.dns_insync:
                    (response.get("ChangeInfo") or {})["Status"] = "PENDING"
            elif service == "rds" and operation == "PromoteReadReplica":
                arn = str((response.get("DBInstance") or {}).get("DBInstanceArn", ""))
                self._promoted.setdefault((region, str(params["DBInstanceIdentifier"])), (now, arn))
            elif service == "rds" and operation == "DescribeDBInstances":
                self._promotions(region, response, now)

    def _promotions(self, region: str, response: Any, now: float) -> None:
        """Rewrite a describe answer as AWS answers during and after a promotion (moto: available and linked at
        once): ``modifying`` for the modelled time, then the link is gone on both sides."""
        ended = {
            name
            for (where, identifier), (at, arn) in self._promoted.items()
            if now >= at + self.model.promotion
            for name in ((identifier, arn) if where == region else (arn,))
        }
        for db in response.get("DBInstances") or []:
            at, _ = self._promoted.get((region, db["DBInstanceIdentifier"]), (None, ""))
            if at is not None and now < at + self.model.promotion:
                db["DBInstanceStatus"] = "modifying"
            elif at is not None:
                db.pop("ReadReplicaSourceDBInstanceIdentifier", None)
            replicas = db.get("ReadReplicaDBInstanceIdentifiers")
            if replicas:
                db["ReadReplicaDBInstanceIdentifiers"] = [r for r in replicas if r not in ended]

    def operations(self, phase: str) -> Counter[str]:
        found: Counter[str] = Counter()
        for (p, _, service, operation), n in self.calls.items():
            if p == phase:
                found[f"{service}:{operation}"] += n
        return found


# -- one size -------------------------------------------------------------------------------------------------


def declared_expectations(model: LatencyModel) -> dict[str, int]:
    """The ``[failover] expected_*_seconds`` a team would declare after a drill measured this model's latencies."""
    return {
        "expected_healthy_seconds": round(model.instance_bootstrap),
        "expected_promotion_seconds": round(model.promotion),
        "expected_dns_seconds": round(model.dns_insync),
    }


def bench_config(
    home: Path, groups: Sequence[str], max_parallel: int | None, expectations: Mapping[str, int] | None = None
) -> LoadedConfig:
    """The example's config with ``groups`` as its capacity groups; its timeouts are the config's own; with
    ``expectations``, the ``[failover] expected_*_seconds`` declared."""
    path = home / "standby.toml"
    path.write_text(example_config_text(None, home / "state"))
    loaded = load_config(path)
    config = loaded.config
    failover_updates: dict[str, Any] = dict(expectations or {})
    if max_parallel is not None:
        failover_updates["max_parallel"] = max_parallel
    config = config.model_copy(
        update={
            "capacity": dict.fromkeys(groups, PRIMARY_CAPACITY),
            "traffic": config.traffic.model_copy(update={"entrypoint": groups[0]}),
            "failover": config.failover.model_copy(update=failover_updates),
        }
    )
    return loaded.model_copy(update={"config": config})


REGION_LOCK = RegionState.lock


def on_run_clock(clock: ScaledClock) -> Any:
    """``RegionState.lock`` whose locks time their heartbeats on the run's clock."""

    def lock(self: RegionState, *args: Any, **kwargs: Any) -> Any:
        made = REGION_LOCK(self, *args, **kwargs)
        made.monotonic = clock.now
        return made

    return lock


def run_size(
    count: int, scale: float, model: LatencyModel, max_parallel: int | None, *, expected: bool = True
) -> dict[str, Any]:
    from moto import mock_aws  # a test dependency: imported when the benchmark runs, not when bench is imported

    home = Path(tempfile.mkdtemp(prefix="standby-bench-failover-"))
    real_started = time.perf_counter()
    try:
        with mock_aws():
            clock = ScaledClock(scale, start=time.time())
            # The journal's background saver keeps its interval on the run's clock but wakes in real time: here as
            # often as the scaled clock needs, so that a run uploads the segments it would on AWS.
            journal_store.SAVER_WAKE_SECONDS = (
                journal_store.SAVE_INTERVAL_SECONDS / journal_store.SAVER_WAKES_PER_INTERVAL * scale
            )
            # The lock's heartbeats likewise: one every beat interval of the run's clock in each region, as on AWS.
            lock_module.BEAT_WAIT_SCALE = scale / 4
            # The budgets for the region being demoted count the run's clock, as their calls' latencies do: in real
            # time the emulator's own CPU, which is no AWS latency, would use them up.
            budget_module.CLOCK = clock.now
            RegionState.lock = on_run_clock(clock)  # type: ignore[method-assign]
            try:
                loaded = bench_config(
                    home, group_names(count), max_parallel, declared_expectations(model) if expected else None
                )
                target = Target(None, emulator=True)
                build_world(SessionFactory(target=target), loaded.config, group_names(count), taken_at=clock.now())
                setup_seconds = time.perf_counter() - real_started
                sim = SimulatedAws(clock, model)
                sessions = SessionFactory(target=target, on_client=sim)
                ctl = Controller(loaded, sessions, RegionStates.of(loaded, sessions), clock=clock)
                for region in (loaded.config.regions.primary, loaded.config.regions.standby):
                    for service in SERVICES:  # client creation is CPU the product pays once: not in the figures
                        ctl.sessions.client(service, region)
                        ctl.fast_sessions.client(service, region)
                sim.phase = "plan"
                planned_at = clock.now()
                planned = ctl.plan("failover")
                plan_seconds = clock.now() - planned_at
                sim.phase = "execute"
                frozen, busy, real = clock.frozen_real_seconds, clock.busy_seconds, time.perf_counter()
                journal = ctl.execute(planned)
                return measure(count, planned.plan, journal, sim, model, plan_seconds) | {
                    "max_parallel": loaded.config.failover.max_parallel,
                    "expectations": declared_expectations(model) if expected else None,
                    "journal": {
                        "saves": sim.journal_saves,
                        "bytes_uploaded": sim.journal_bytes,
                        "bytes_by_prefix": dict(sim.journal_by_prefix),
                    },
                    "real": {
                        "setup_seconds": round(setup_seconds, 1),
                        "run_seconds": round(time.perf_counter() - real, 1),
                        "frozen_seconds": round(clock.frozen_real_seconds - frozen, 1),
                        "busy_seconds": round(clock.busy_seconds - busy, 1),
                    },
                }
            finally:
                journal_store.SAVER_WAKE_SECONDS = None
                lock_module.BEAT_WAIT_SCALE = 1.0
                budget_module.CLOCK = time.monotonic
                RegionState.lock = REGION_LOCK  # type: ignore[method-assign]
                clock.close()
    finally:
        shutil.rmtree(home, ignore_errors=True)


def measure(
    count: int, plan: Any, journal: Journal, sim: SimulatedAws, model: LatencyModel, plan_seconds: float
) -> dict[str, Any]:
    """The figures of one run: wall time (planning included) against the model's lower bound of the plan, and
    what the run cost. The bound comes from the plan and the model only: the journal's spans serve diagnostics
    (waits to start, step durations), never the bound."""
    depends = {s.key: s.depends_on for s in plan.steps}
    spans = {
        k: Span(r.started_at, r.ended_at)
        for k, r in journal.steps.items()
        if r.started_at is not None and r.ended_at is not None
    }
    assert journal.ended_at is not None
    wall = journal.ended_at - journal.origin  # the command's start: planning included
    bound = lower_bound(plan.steps, model)
    costs, _ = bound_graph(plan.steps, model)
    ends = bound_ends(plan.steps, model)
    lags = start_lags(spans, depends, journal.started_at)
    waits = [k for k in spans if journal.steps[k].slug == WAIT_HEALTHY]
    calls = sum(sim.operations("execute").values()) + sum(sim.operations("plan").values())
    changes = [c for c in sim.calls if c[3] == "ChangeResourceRecordSets"]
    by_slug: dict[str, list[float]] = {}
    for key, span in spans.items():
        by_slug.setdefault(journal.steps[key].slug, []).append(span.seconds)
    return {
        "groups": count,
        "steps": len(plan.steps),
        "status": journal.status,
        "wall_s": round(wall, 1),
        "lower_bound_s": round(bound.seconds, 1),
        "ratio": round(wall / bound.seconds, 3) if bound.seconds else None,
        "planning_s": round(plan_seconds, 1),
        "api_calls": calls,
        "calls_per_group": round(calls / count, 1),
        "journal_bytes": sim.journal_bytes,
        "route53_changes": sum(sim.calls[c] for c in changes),
        "lower_bound_chain": {k: round(costs[k], 2) for k in bound.chain},  # step -> its modelled minimum cost
        "rto_seconds": round(journal.rto_seconds, 1) if journal.rto_seconds is not None else None,
        "capacity_healthy_seconds": round(max(spans[k].end for k in waits) - journal.origin, 1) if waits else None,
        "capacity_healthy_bound_seconds": round(max(ends[k] for k in waits), 1) if waits else None,
        "max_start_lag_seconds": round(max(lags.values(), default=0.0), 1),
        "bound_chain_lags": {k: round(lags[k], 1) for k in bound.chain if k in lags},
        "step_seconds": {slug: {"max": round(max(v), 1), "count": len(v)} for slug, v in by_slug.items()},
        "shift_traffic_seconds": round(spans[SHIFT_TRAFFIC].seconds, 1) if SHIFT_TRAFFIC in spans else None,
        "plan_calls": sum(sim.operations("plan").values()),
        "operations": dict((sim.operations("plan") + sim.operations("execute")).most_common()),
        "hosted_zones_touched": len(set().union(*sim.zones_changed.values())) if sim.zones_changed else 0,
        "over_aws_limits": dict(sim.over_limit),
    }


JSON_FIELDS = (
    "groups",
    "wall_s",
    "lower_bound_s",
    "ratio",
    "planning_s",
    "api_calls",
    "calls_per_group",
    "journal_bytes",
    "route53_changes",
)


def json_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """What ``--json`` prints: per size, the figures of JSON_FIELDS (and the workers when several were run)."""
    several = len({r["max_parallel"] for r in rows}) > 1
    return [{f: r[f] for f in JSON_FIELDS} | ({"max_parallel": r["max_parallel"]} if several else {}) for r in rows]


def markdown_table(doc: Mapping[str, Any]) -> str:
    """The results table of bench/README.md: one row per size, then how and where it was measured."""
    lines = [
        "| groups | workers | wall | lower bound | ratio | planning | API calls | calls/group "
        "| journal bytes | bytes/group | Route53 changes |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in doc["sizes"]:
        lines.append(
            f"| {r['groups']:,} | {r['max_parallel']} | {r['wall_s']:.1f} s | {r['lower_bound_s']:.1f} s "
            f"| {r['ratio']:.3f} | {r['planning_s']:.1f} s | {r['api_calls']:,} | {r['calls_per_group']:.1f} "
            f"| {r['journal_bytes']:,} | {r['journal_bytes'] / r['groups']:,.0f} | {r['route53_changes']} |"
        )
    load = doc["machine"]["loadavg"]
    lines += [
        "",
        f"`{doc['command']}` on {doc['machine']['cpus']} CPUs (load average {load[0]:.1f} at the end), "
        f"{doc['date']}; model: {doc['model']}; 1 simulated second = {doc['scale'] * 1000:.0f} ms real.",
    ]
    return "\n".join(lines)


def with_table(readme: str, table: str) -> str:
    """``readme`` with the text between the results markers replaced by ``table`` (the markers appended at the
    end when missing)."""
    block = f"{TABLE_START}\n{table}\n{TABLE_END}"
    start, end = readme.find(TABLE_START), readme.find(TABLE_END)
    if start < 0 or end < start:
        return readme.rstrip("\n") + "\n\n" + block + "\n"
    return readme[:start] + block + readme[end + len(TABLE_END) :]


# -- the run --------------------------------------------------------------------------------------------------


def render(doc: dict[str, Any]) -> str:
    rows = doc["sizes"]
    lines = [
        f"failover on a simulated clock — {doc['model']}",
        f"1 simulated second = {doc['scale'] * 1000:.0f} ms real; {doc['machine']['cpus']} CPUs, load average "
        f"{doc['machine']['loadavg'][0]:.1f}",
        "",
        f"{'groups':>6} {'workers':>7} {'steps':>6} {'wall':>8} {'bound':>8} {'ratio':>6} {'plan':>6} {'RTO':>8} "
        f"{'healthy':>8} {'bound':>7} {'calls':>6} {'/group':>7} {'journal':>10} {'/group':>7} {'R53':>4} "
        f"{'real':>6}",
    ]
    for r in rows:
        lines.append(
            f"{r['groups']:>6} {r['max_parallel']:>7} {r['steps']:>6} {r['wall_s']:>7.1f}s "
            f"{r['lower_bound_s']:>7.1f}s {r['ratio']:>6.3f} {r['planning_s']:>5.1f}s {r['rto_seconds'] or 0:>7.1f}s "
            f"{r['capacity_healthy_seconds'] or 0:>7.1f}s {r['capacity_healthy_bound_seconds'] or 0:>6.1f}s "
            f"{r['api_calls']:>6} {r['calls_per_group']:>7.1f} {r['journal_bytes'] / 1e6:>8.2f}MB "
            f"{r['journal_bytes'] / r['groups'] / 1e3:>5.1f}kB {r['route53_changes']:>4} "
            f"{r['real']['run_seconds']:>5.0f}s"
        )
    worst = max(rows, key=lambda r: r["ratio"])
    verdict = "within" if worst["ratio"] <= TARGET_RATIO else "ABOVE"
    largest = max(rows, key=lambda r: (r["groups"], -r["ratio"]))
    lines += [
        "",
        f"worst ratio wall/lower bound: {worst['ratio']:.3f} at {worst['groups']} groups, "
        f"{worst['max_parallel']} workers ({verdict} the {TARGET_RATIO} target)",
        "wall: the command's start (planning included) -> the journal's end; bound: the longest chain of the steps' "
        "modelled minimum costs (API latencies and settle times) through depends_on, planning included; RTO: start "
        "-> traffic moved and capacity healthy; healthy: all wait-healthy steps done, against the earliest the model "
        "allows (bound); calls: API calls, planning included; journal: bytes written to the control store; R53: "
        "ChangeResourceRecordSets calls; real: real seconds of the run.",
        f"lower bound at {largest['groups']} groups: "
        + " -> ".join(f"{k} {cost:.1f}s" for k, cost in largest["lower_bound_chain"].items()),
        "",
    ]
    for r in rows:
        j = r["journal"]
        lines.append(
            f"{r['groups']:>4} groups, {r['max_parallel']:>4} workers: waits to start on the bound's chain: "
            + (", ".join(f"{k} {lag:.1f}s" for k, lag in r["bound_chain_lags"].items() if lag >= 1.0) or "none over 1s")
            + f"; longest wait to start {r['max_start_lag_seconds']:.1f}s; journal {j['saves']} writes, "
            f"{j['bytes_uploaded'] / 1e6:.2f} MB; standby CPU {r['real']['busy_seconds']:.1f}s, "
            f"emulator {r['real']['frozen_seconds']:.1f}s (real)"
        )
    lines += [
        "",
        f"step durations at {largest['groups']} groups, {largest['max_parallel']} workers (longest of each kind): "
        + ", ".join(f"{slug} {v['max']:.1f}s x{v['count']}" for slug, v in largest["step_seconds"].items()),
        "API calls of that run, planning included (per group):",
    ]
    for op, n in largest["operations"].items():
        lines.append(f"  {op:45} {n:>7} {n / largest['groups']:>8.2f}")
    refused = {(r["groups"], reason, n) for r in rows for reason, n in r["over_aws_limits"].items()}
    if refused:
        lines.append("")
    for groups, reason, n in sorted(refused):
        lines.append(f"AWS would refuse at {groups} groups: {n} call(s) of {reason} in plan + run (moto accepts them)")
    lines += ["", doc["method"]]
    return "\n".join(lines)


METHOD = (
    "How the figures are obtained: every API call sleeps its modelled latency on the scaled clock, then moto answers "
    "in zero simulated time (the clock stands still while any thread is inside the emulator). Outside the emulator, "
    "the clock advances 1:1 while the process uses the CPU (standby's own work: executor, journal serialisation, "
    "botocore before sending) and 1/scale while it is idle (waiting). Wall time and step spans are read from the "
    "same clock; the lower bound is computed from the plan and the model alone. Approximate where standby's CPU "
    "overlaps an emulator call (not counted), and on a loaded machine (time the process waits for a CPU counts as "
    "idle, i.e. magnified)."
)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.failover", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=SIZES, help=f"numbers of auto scaling groups per region (default {SIZES})")
    parser.add_argument("--quick", action="store_true", help=f"sizes {QUICK_SIZES}")
    parser.add_argument("--json", action="store_true", help="print the figures of each size as JSON, not the table")
    parser.add_argument("--scale", type=float, default=0.01, help="real seconds per simulated second")
    parser.add_argument(
        "--max-parallel", default="", help="executor workers, e.g. 64,1024 (default: the config's [failover] value)"
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the waits' jitter")
    parser.add_argument(
        "--no-expected",
        action="store_true",
        help="declare no [failover] expected_*_seconds (by default the model's latencies are declared, as a team "
        "would after a drill measured them)",
    )
    return parser.parse_args(argv)


def sizes_of(args: argparse.Namespace) -> list[int]:
    return [int(s) for s in (QUICK_SIZES if args.quick else args.sizes).split(",") if s.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = sizes_of(args)
    workers: list[int | None] = [int(w) for w in args.max_parallel.split(",") if w.strip()] or [None]
    os.environ.pop("AWS_ENDPOINT_URL", None)  # moto in-process answers AWS's own endpoints
    model = LatencyModel()
    results = []
    for count in sizes:
        for max_parallel in workers:
            random.seed(args.seed)
            print(f"{count} group(s) per region, workers {max_parallel or 'default'} ...", file=sys.stderr, flush=True)
            r = run_size(count, args.scale, model, max_parallel, expected=not args.no_expected)
            results.append(r)
            print(
                f"  {r['status']}: wall {r['wall_s']}s, lower bound {r['lower_bound_s']}s, ratio {r['ratio']}, "
                f"journal {r['journal_bytes']:,} bytes, real {r['real']['run_seconds']}s "
                f"(setup {r['real']['setup_seconds']}s)",
                file=sys.stderr,
                flush=True,
            )
    doc = {
        "command": "python -m bench.failover " + " ".join(sys.argv[1:] if argv is None else argv),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "model": model.describe(),
        "latency_model": asdict(model),
        "scale": args.scale,
        "machine": {"cpus": os.cpu_count(), "loadavg": os.getloadavg()},
        "target_ratio": TARGET_RATIO,
        "method": METHOD,
        "sizes": results,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    README.write_text(with_table(README.read_text(encoding="utf-8"), markdown_table(doc)), encoding="utf-8")
    if args.json:
        print(json.dumps(json_rows(results), indent=2))
    else:
        print(render(doc))
        print(f"\nfigures written to {RESULTS.relative_to(REPO)}, the table to {README.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
