"""Benchmark: failover wall time against the critical path of its steps, on simulated AWS latencies.

For 1, 10, 100 and 500 auto scaling groups per region (moto in-process, one fresh world per size), the real
Controller plans and executes a failover with simulated latencies on a scaled clock (bench.simclock):

- every API call first sleeps its modelled latency (LatencyModel: e.g. UpdateAutoScalingGroup 0.3 s, describes
  0.1 s, S3 0.05 s + size / 20 MB/s), then runs on moto in zero simulated time;
- state takes time to settle: new instances stay Pending for ``instance_bootstrap`` seconds after a scale-out
  (the describe answer is rewritten), a Route53 change stays PENDING for ``dns_insync`` seconds, and a promoted
  replica is ``modifying`` for ``promotion`` seconds (300 s here), then ``available`` with its replica link gone
  on both sides (as on AWS; moto keeps it ``available`` and linked);
- standby's own CPU time (e.g. serialising its journal on every save) counts 1:1 on the simulated clock.

It prints, per size: the run's wall time, the critical path (the longest chain of step durations through the
plan's depends_on, from the journal), their ratio (target <= 1.05), the RTO, when all capacity was healthy
against the earliest it could be, API calls per group, Route53 change calls per hosted zone touched, and calls
that AWS would refuse (documented request limits that the emulator does not enforce).

    .venv/bin/python -m bench.failover [--quick | --sizes 1,10,100,500] [--scale 0.01] [--max-parallel 64,1024]

--quick runs 1, 10 and 100 groups (about 2 minutes); the 500-group case alone takes about 13 minutes on 2 cores,
most of it standby's own CPU serialising its journal. Figures go to bench/results/failover.json.
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

from bench.critical_path import Span, chain_ends, critical_path, start_lags
from bench.example import REPO, example_config_text
from bench.failover_world import PRIMARY_CAPACITY, build_world, group_names
from bench.simclock import ScaledClock
from standby.aws.session import SessionFactory, Target
from standby.config import LoadedConfig, load_config
from standby.failover.controller import Controller
from standby.failover.model import SHIFT_TRAFFIC, WAIT_HEALTHY
from standby.state.journal import Journal

RESULTS = REPO / "bench" / "results" / "failover.json"
TARGET_RATIO = 1.05
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
            if service == "s3" and operation == "PutObject" and str(params.get("Key", "")).startswith("runs/"):
                self.journal_bytes += len(params.get("Body") or b"")
                self.journal_saves += 1

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


def bench_config(home: Path, groups: Sequence[str], model: LatencyModel, max_parallel: int | None) -> LoadedConfig:
    """The example's config with ``groups`` as its capacity groups, and a fence time box long enough never to
    fire (it is measured in real time, not on the injected clock)."""
    path = home / "standby.toml"
    path.write_text(example_config_text(None, home / "state"))
    loaded = load_config(path)
    config = loaded.config
    failover_updates: dict[str, Any] = {"fence_timeout_seconds": 3600}
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


def run_size(count: int, scale: float, model: LatencyModel, max_parallel: int | None) -> dict[str, Any]:
    from moto import mock_aws  # a test dependency: imported when the benchmark runs, not when bench is imported

    home = Path(tempfile.mkdtemp(prefix="standby-bench-failover-"))
    real_started = time.perf_counter()
    try:
        with mock_aws():
            clock = ScaledClock(scale, start=time.time())
            try:
                loaded = bench_config(home, group_names(count), model, max_parallel)
                target = Target(None, emulator=True)
                build_world(SessionFactory(target=target), loaded.config, group_names(count), taken_at=clock.now())
                setup_seconds = time.perf_counter() - real_started
                sim = SimulatedAws(clock, model)
                ctl = Controller(loaded, SessionFactory(target=target, on_client=sim), clock=clock)
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
                return measure(count, planned.plan, journal, sim, plan_seconds) | {
                    "max_parallel": loaded.config.failover.max_parallel,
                    "journal": {"saves": sim.journal_saves, "bytes_uploaded": sim.journal_bytes},
                    "real": {
                        "setup_seconds": round(setup_seconds, 1),
                        "run_seconds": round(time.perf_counter() - real, 1),
                        "frozen_seconds": round(clock.frozen_real_seconds - frozen, 1),
                        "busy_seconds": round(clock.busy_seconds - busy, 1),
                    },
                }
            finally:
                clock.close()
    finally:
        shutil.rmtree(home, ignore_errors=True)


def measure(count: int, plan: Any, journal: Journal, sim: SimulatedAws, plan_seconds: float) -> dict[str, Any]:
    depends = {s.key: s.depends_on for s in plan.steps}
    spans = {
        k: Span(r.started_at, r.ended_at)
        for k, r in journal.steps.items()
        if r.started_at is not None and r.ended_at is not None
    }
    assert journal.ended_at is not None
    wall = journal.ended_at - journal.started_at
    path = critical_path(spans, depends)
    ends = chain_ends(spans, depends)
    lags = start_lags(spans, depends, journal.started_at)
    waits = [k for k in spans if journal.steps[k].slug == WAIT_HEALTHY]
    execute_ops = sim.operations("execute")
    calls = sum(execute_ops.values())
    changes = [c for c in sim.calls if c[0] == "execute" and c[3] == "ChangeResourceRecordSets"]
    by_slug: dict[str, list[float]] = {}
    for key, span in spans.items():
        by_slug.setdefault(journal.steps[key].slug, []).append(span.seconds)
    return {
        "groups": count,
        "steps": len(plan.steps),
        "status": journal.status,
        "plan_seconds": round(plan_seconds, 1),
        "wall_seconds": round(wall, 1),
        "critical_path_seconds": round(path.seconds, 1),
        "ratio": round(wall / path.seconds, 3) if path.seconds else None,
        "critical_path": list(path.chain),
        "rto_seconds": round(journal.rto_seconds, 1) if journal.rto_seconds is not None else None,
        "capacity_healthy_seconds": round(max(spans[k].end for k in waits) - journal.started_at, 1) if waits else None,
        "capacity_healthy_bound_seconds": round(max(ends[k] for k in waits), 1) if waits else None,
        "max_start_lag_seconds": round(max(lags.values(), default=0.0), 1),
        "critical_path_lag_seconds": round(sum(max(0.0, lags[k]) for k in path.chain), 1),
        "critical_path_lags": {k: round(lags[k], 1) for k in path.chain},
        "step_seconds": {slug: {"max": round(max(v), 1), "count": len(v)} for slug, v in by_slug.items()},
        "shift_traffic_seconds": round(spans[SHIFT_TRAFFIC].seconds, 1) if SHIFT_TRAFFIC in spans else None,
        "calls": calls,
        "calls_per_group": round(calls / count, 1),
        "plan_calls": sum(sim.operations("plan").values()),
        "operations": dict(execute_ops.most_common()),
        "route53_change_calls": sum(sim.calls[c] for c in changes),
        "hosted_zones_touched": len(sim.zones_changed.get("execute", ())),
        "over_aws_limits": dict(sim.over_limit),
    }


# -- the run --------------------------------------------------------------------------------------------------


def render(doc: dict[str, Any]) -> str:
    rows = doc["sizes"]
    lines = [
        f"failover on a simulated clock — {doc['model']}",
        f"1 simulated second = {doc['scale'] * 1000:.0f} ms real; {doc['machine']['cpus']} CPUs, load average "
        f"{doc['machine']['loadavg'][0]:.1f}",
        "",
        f"{'groups':>6} {'workers':>7} {'steps':>6} {'wall':>8} {'crit.path':>10} {'ratio':>6} {'RTO':>8} "
        f"{'healthy':>8} {'bound':>7} {'plan':>6} {'calls':>6} {'/group':>7} {'R53 chg/zones':>14} {'real':>6}",
    ]
    for r in rows:
        lines.append(
            f"{r['groups']:>6} {r['max_parallel']:>7} {r['steps']:>6} {r['wall_seconds']:>7.1f}s "
            f"{r['critical_path_seconds']:>9.1f}s {r['ratio']:>6.3f} {r['rto_seconds'] or 0:>7.1f}s "
            f"{r['capacity_healthy_seconds'] or 0:>7.1f}s {r['capacity_healthy_bound_seconds'] or 0:>6.1f}s "
            f"{r['plan_seconds']:>5.1f}s {r['calls']:>6} {r['calls_per_group']:>7.1f} "
            f"{r['route53_change_calls']:>8}/{r['hosted_zones_touched']:<5} {r['real']['run_seconds']:>5.0f}s"
        )
    worst = max(rows, key=lambda r: r["ratio"])
    verdict = "within" if worst["ratio"] <= TARGET_RATIO else "ABOVE"
    lines += [
        "",
        f"worst ratio wall/critical path: {worst['ratio']:.3f} at {worst['groups']} groups, "
        f"{worst['max_parallel']} workers ({verdict} the {TARGET_RATIO} target)",
        "workers: [failover] max_parallel; wall: journal start -> end (lock, steps, journal saves); critical path: "
        "the longest chain of step durations through depends_on; RTO: start -> traffic moved and capacity healthy; "
        "healthy: all wait-healthy steps done, against the earliest their chains allow (bound); plan: observation "
        "before the run; calls: API calls of the run (plan excluded); real: real seconds of the run.",
        "A wait to start is the time between a step's dependencies ending and the step starting: waiting for a free "
        "worker, or for its dependencies' final journal saves (one at a time, under the journal's lock).",
        "",
    ]
    for r in rows:
        j = r["journal"]
        lines.append(
            f"{r['groups']:>4} groups, {r['max_parallel']:>4} workers: waits on the critical path: "
            + (
                ", ".join(f"{k} {lag:.1f}s" for k, lag in r["critical_path_lags"].items() if lag >= 1.0)
                or "none over 1s"
            )
            + f"; longest wait to start {r['max_start_lag_seconds']:.1f}s; journal {j['saves']} saves, "
            f"{j['bytes_uploaded'] / 1e6:.1f} MB; standby CPU {r['real']['busy_seconds']:.1f}s, "
            f"emulator {r['real']['frozen_seconds']:.1f}s (real)"
        )
    largest = max(rows, key=lambda r: (r["groups"], -r["ratio"]))
    lines += [
        "",
        f"step durations at {largest['groups']} groups, {largest['max_parallel']} workers (longest of each kind): "
        + ", ".join(f"{slug} {v['max']:.1f}s x{v['count']}" for slug, v in largest["step_seconds"].items()),
        "API calls of that run (per group):",
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
    "same clock. Approximate where standby's CPU overlaps an emulator call (not counted), and on a loaded machine "
    "(time the process waits for a CPU counts as idle, i.e. magnified)."
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.failover", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,100,500", help="numbers of auto scaling groups per region")
    parser.add_argument("--quick", action="store_true", help="sizes 1,10,100 (about 2 minutes)")
    parser.add_argument("--scale", type=float, default=0.01, help="real seconds per simulated second")
    parser.add_argument(
        "--max-parallel", default="", help="executor workers, e.g. 64,1024 (default: the config's [failover] value)"
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the waits' jitter")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in ("1,10,100" if args.quick else args.sizes).split(",") if s.strip()]
    workers: list[int | None] = [int(w) for w in args.max_parallel.split(",") if w.strip()] or [None]
    os.environ.pop("AWS_ENDPOINT_URL", None)  # moto in-process answers AWS's own endpoints
    model = LatencyModel()
    results = []
    for count in sizes:
        for max_parallel in workers:
            random.seed(args.seed)
            print(f"{count} group(s) per region, workers {max_parallel or 'default'} ...", file=sys.stderr, flush=True)
            r = run_size(count, args.scale, model, max_parallel)
            results.append(r)
            print(
                f"  {r['status']}: wall {r['wall_seconds']}s, critical path {r['critical_path_seconds']}s, "
                f"ratio {r['ratio']}, real {r['real']['run_seconds']}s (setup {r['real']['setup_seconds']}s)",
                file=sys.stderr,
                flush=True,
            )
    doc = {
        "model": model.describe(),
        "latency_model": asdict(model),
        "scale": args.scale,
        "machine": {"cpus": os.cpu_count(), "loadavg": os.getloadavg()},
        "target_ratio": TARGET_RATIO,
        "method": METHOD,
        "sizes": results,
    }
    print(render(doc))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    print(f"\nfigures written to {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
