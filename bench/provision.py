"""Benchmark: `standby provision` against bare Terraform for the same stacks, and concurrent region plans.

In one run, on a moto server that it starts (and stops) itself, with the bundled example (examples/webapp):

1. Bare Terraform: `terraform init`, `plan -out`, `apply PLAN` for the primary's and the standby's region stack,
   `output -json` of both (the DNS stack needs their load balancers), then init/plan/apply of the DNS stack: plain
   commands run with subprocess, with the tfvars file, backend path and CLI config the runner would generate.
2. The emulator is reset, and the same work is done by the Provisioner (what `standby provision --yes` runs):
   plan both regions (concurrently), apply them and the DNS stack; then `publish` (the manifest and capacity
   snapshot that a failover reads), timed apart because bare Terraform has no counterpart.
3. On the applied state: each region's plan alone, then both at once (init + plan + show, as the Provisioner).

    STANDBY_TF_PLUGIN_DIR=/path/to/mirror .venv/bin/python -m bench.provision [--quick] [--plan-repeats N]

--quick sets the region stack's ``enable_database = false`` (no RDS primary and replica, whose creation waits
dominate the full run). A full run takes about 10-15 minutes on 2 cores. Figures go to bench/results/provision.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from python_terraform import IsFlagged

from bench.example import REPO, example_config_text
from standby.aws.session import SessionFactory, Target
from standby.config import LoadedConfig, load_config
from standby.emulator import Emulator, reset_endpoint
from standby.provision import Provisioner
from standby.secrets import resolve_secrets
from standby.stacks import Stacks, global_variables, region_variables, workspace_for
from standby.state import RegionStates
from standby.state.roles import Assignment
from standby.terraform import TerraformRunner, Workspace, plugin_dir_from
from standby.terraform.runner import Completed, run_process

RESULTS = REPO / "bench" / "results" / "provision.json"
TARGET_OVERHEAD_PERCENT = 5.0


@dataclass(frozen=True)
class Command:
    """One terraform process: which stack, which subcommand, how long it ran."""

    stack: str
    subcommand: str
    seconds: float


@dataclass
class CommandLog:
    """Every terraform process of a run (thread-safe: the Provisioner plans regions concurrently)."""

    commands: list[Command] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, stack: str, argv: Sequence[str], seconds: float) -> None:
        with self._lock:
            self.commands.append(Command(stack, subcommand(argv), seconds))

    def by_subcommand(self) -> dict[str, tuple[int, float]]:
        """{subcommand: (count, total seconds)}, in the order they first ran."""
        table: dict[str, tuple[int, float]] = {}
        for c in self.commands:
            n, s = table.get(c.subcommand, (0, 0.0))
            table[c.subcommand] = (n + 1, s + c.seconds)
        return table


def subcommand(argv: Sequence[str]) -> str:
    """'plan', 'apply', 'show', ... from a terraform argv (the first argument that is not an option)."""
    return next((a for a in argv[1:] if not a.startswith("-")), "?")


def overhead_percent(measured: float, baseline: float) -> float:
    return (measured - baseline) / baseline * 100.0 if baseline > 0 else float("nan")


def logged_execute(log: CommandLog) -> Callable[[Sequence[str], Path, Mapping[str, str]], Completed]:
    """The runner's process launcher, recording every terraform command (its stack is read from TF_DATA_DIR)."""

    def execute(argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> Completed:
        done = run_process(argv, cwd, env)
        log.add(Path(env.get("TF_DATA_DIR", "?")).parent.name, argv, done.seconds)
        return done

    return execute


@dataclass
class RunTiming:
    plan_seconds: float = 0.0  # region stacks: init + plan (+ show for standby)
    apply_seconds: float = 0.0  # region applies, their outputs, the DNS stack's init/plan/apply
    publish_seconds: float = 0.0  # standby only: manifest + capacity snapshot
    resources: int = 0  # managed resources in the states afterwards (both runs must match)
    log: CommandLog = field(default_factory=CommandLog)

    @property
    def total_seconds(self) -> float:
        return self.plan_seconds + self.apply_seconds


# -- bare terraform -------------------------------------------------------------------------------------------


class BareTerraform:
    """Plain terraform commands with subprocess; TerraformRunner is used only to build argv and environment."""

    def __init__(self, runner: TerraformRunner, log: CommandLog) -> None:
        self.runner = runner
        self.log = log

    def run(self, workspace: Workspace, argv: list[str]) -> str:
        workspace.data_dir.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        proc = subprocess.run(
            argv,
            cwd=workspace.stack_dir,
            env=self.runner.environment(workspace),
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        self.log.add(workspace.data_dir.name, argv, time.perf_counter() - started)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(argv[:2])} failed ({proc.returncode}) in {workspace.name}:\n{proc.stderr}")
        return proc.stdout

    def write_tfvars(self, workspace: Workspace, variables: Mapping[str, Any]) -> Path:
        workspace.data_dir.mkdir(parents=True, exist_ok=True)
        workspace.var_file.write_text(json.dumps(dict(variables), indent=2, sort_keys=True))
        workspace.var_file.chmod(0o600)
        return workspace.var_file

    def init(self, workspace: Workspace) -> None:
        backend = dict(workspace.backend_config) or None
        self.run(
            workspace, self.runner.argv(workspace, "init", input=False, backend_config=backend, reconfigure=IsFlagged)
        )

    def plan(self, workspace: Workspace, variables: Mapping[str, Any]) -> None:
        var_file = self.write_tfvars(workspace, variables)
        argv = self.runner.argv(
            workspace, "plan", input=False, lock_timeout="60s", var_file=[str(var_file)], out=str(workspace.plan_file)
        )
        self.run(workspace, argv)

    def apply(self, workspace: Workspace) -> None:
        argv = self.runner.argv(
            workspace, "apply", str(workspace.plan_file), input=False, lock_timeout="60s", auto_approve=IsFlagged
        )
        self.run(workspace, argv)

    def output(self, workspace: Workspace) -> dict[str, Any]:
        doc = json.loads(self.run(workspace, self.runner.argv(workspace, "output", json=IsFlagged)))
        return {name: item.get("value") for name, item in doc.items()}


def bare_run(loaded: LoadedConfig, runner: TerraformRunner, secrets: Mapping[str, str]) -> RunTiming:
    """What a person would type for the same stacks: the regions one after the other, then DNS."""
    config = loaded.config
    assignment = Assignment.home(config)
    timing = RunTiming()
    tf = BareTerraform(runner, timing.log)
    region_name, region_stack = next((n, s) for n, s in config.stacks.items() if s.scope == "region")
    dns_name, dns_stack = next((n, s) for n, s in config.stacks.items() if s.scope == "global")
    regions = [assignment.primary, assignment.standby]  # the primary first: the standby's replica needs it
    workspaces = {r: workspace_for(loaded, region_name, region_stack, r) for r in regions}
    started = time.perf_counter()
    for region in regions:
        stack_secrets = {var: secrets[var] for var in region_stack.secrets if var in secrets}
        tf.init(workspaces[region])
        tf.plan(workspaces[region], region_variables(config, region_stack, region, assignment, stack_secrets))
    timing.plan_seconds = time.perf_counter() - started
    started = time.perf_counter()
    outputs: dict[str, dict[str, Any]] = {}
    for region in regions:
        tf.apply(workspaces[region])
    for region in regions:
        outputs[region] = tf.output(workspaces[region])
    dns_vars = global_variables(config, dns_stack, assignment, outputs)
    if dns_vars is None:
        raise RuntimeError("the region stacks published no load balancer for the DNS stack")
    dns_ws = workspace_for(loaded, dns_name, dns_stack, None)
    tf.init(dns_ws)
    tf.plan(dns_ws, dns_vars)
    tf.apply(dns_ws)
    timing.apply_seconds = time.perf_counter() - started
    return timing


# -- standby provision ----------------------------------------------------------------------------------------


def standby_run(
    loaded: LoadedConfig,
    runner: TerraformRunner,
    secrets: Mapping[str, str],
    sessions: SessionFactory,
    log: CommandLog,
) -> tuple[RunTiming, Provisioner]:
    """`standby provision --yes` without the CLI: plan (regions concurrently), apply, then publish.

    ``log`` is the runner's command log; the timing keeps the commands of plan and apply (not publish)."""
    provisioner = Provisioner(
        loaded,
        Stacks(loaded, runner, secrets),
        RegionStates.of(loaded, sessions),
        assignment=Assignment.home(loaded.config),
    )
    timing = RunTiming()
    started = time.perf_counter()
    plan = provisioner.plan("all")
    timing.plan_seconds = time.perf_counter() - started
    started = time.perf_counter()
    provisioner.apply(plan)
    timing.apply_seconds = time.perf_counter() - started
    timing.log = CommandLog(list(log.commands))
    started = time.perf_counter()
    provisioner.publish(sessions)
    timing.publish_seconds = time.perf_counter() - started
    return timing, provisioner


def count_resources(runner: TerraformRunner, workspaces: Sequence[Workspace]) -> int:
    return sum(len(runner.state_resources(ws)) for ws in workspaces)


def all_workspaces(loaded: LoadedConfig) -> list[Workspace]:
    config = loaded.config
    assignment = Assignment.home(config)
    found = []
    for name, stack in config.stacks.items():
        regions: Sequence[str | None] = assignment.regions if stack.scope == "region" else (None,)
        found.extend(workspace_for(loaded, name, stack, r) for r in regions)
    return found


@dataclass(frozen=True)
class PlanTimings:
    alone: dict[str, list[float]]  # region -> seconds of each repeat (init + plan + show)
    concurrent: list[float]  # both regions at once, each repeat

    def median_alone(self) -> dict[str, float]:
        return {region: statistics.median(s) for region, s in self.alone.items()}

    @property
    def sum_alone(self) -> float:
        return sum(self.median_alone().values())

    @property
    def median_concurrent(self) -> float:
        return statistics.median(self.concurrent)


def time_region_plans(provisioner: Provisioner, repeats: int) -> PlanTimings:
    """Each region's plan alone, then both at once (as Provisioner.plan runs them), ``repeats`` times."""
    runner = provisioner.runner
    targets = provisioner.stacks.region_targets(provisioner.assignment, provisioner.assignment.regions)

    def plan_one(target: Any) -> None:
        runner.init(target.workspace)
        runner.plan(target.workspace, target.variables)

    alone: dict[str, list[float]] = {t.label: [] for t in targets}
    concurrent: list[float] = []
    for _ in range(repeats):
        for target in targets:
            started = time.perf_counter()
            plan_one(target)
            alone[target.label].append(time.perf_counter() - started)
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=len(targets)) as pool:
            list(pool.map(plan_one, targets))
        concurrent.append(time.perf_counter() - started)
    return PlanTimings(alone, concurrent)


# -- the run --------------------------------------------------------------------------------------------------


def make_runner(
    terraform: str, plugin_dir: Path, target: Target, cli_dir: Path, log: CommandLog | None = None
) -> TerraformRunner:
    execute = logged_execute(log) if log is not None else run_process
    return TerraformRunner(
        terraform, plugin_dir=plugin_dir, extra_env=target.environment(), cli_config_dir=cli_dir, execute=execute
    )


def warm_up(terraform: str, plugin_dir: Path, target: Target, loaded: LoadedConfig) -> float:
    """Load terraform and the provider once (page cache), so that neither measured run pays for it alone."""
    runner = make_runner(terraform, plugin_dir, target, loaded.state_dir)
    name, stack = next((n, s) for n, s in loaded.config.stacks.items() if s.scope == "region")
    ws = workspace_for(loaded, name, stack, loaded.config.regions.primary)
    started = time.perf_counter()
    runner.init(ws)
    subprocess.run(
        [terraform, "providers", "schema", "-json"],
        cwd=ws.stack_dir,
        env=runner.environment(ws),
        capture_output=True,
        check=True,
    )
    return time.perf_counter() - started


def write_config(home: Path, label: str, endpoint: str, quick: bool) -> LoadedConfig:
    region_vars = {"enable_database": "false"} if quick else None
    path = home / f"{label}.toml"
    path.write_text(example_config_text(endpoint, home / label, region_vars=region_vars))
    return load_config(path)


def run(args: argparse.Namespace, endpoint: str, home: Path, terraform: str, plugin_dir: Path) -> dict[str, Any]:
    target = Target(endpoint, emulator=True)
    bare_cfg = write_config(home, "bare", endpoint, args.quick)
    standby_cfg = write_config(home, "standby", endpoint, args.quick)
    wanted = {var: env for stack in standby_cfg.config.stacks.values() for var, env in stack.secrets.items()}
    secrets = resolve_secrets(wanted, state_dir=home / "secrets", allow_generated=True)
    load_start = os.getloadavg()

    say("warming up (terraform init + providers schema, not measured) ...")
    warm = warm_up(terraform, plugin_dir, target, write_config(home, "warm", endpoint, args.quick))

    say("bare terraform: init/plan/apply of both regions, then the DNS stack ...")
    reset_endpoint(endpoint)
    bare_runner = make_runner(terraform, plugin_dir, target, bare_cfg.state_dir)
    bare = bare_run(bare_cfg, bare_runner, secrets)
    bare.resources = count_resources(bare_runner, all_workspaces(bare_cfg))
    say(f"  {bare.total_seconds:.1f}s, {bare.resources} resources")

    say("standby provision: plan (regions concurrently), apply, publish ...")
    reset_endpoint(endpoint)
    log = CommandLog()
    standby_runner = make_runner(terraform, plugin_dir, target, standby_cfg.state_dir, log)
    sessions = SessionFactory(target=target)
    standby, provisioner = standby_run(standby_cfg, standby_runner, secrets, sessions, log)
    standby.resources = count_resources(
        make_runner(terraform, plugin_dir, target, standby_cfg.state_dir), all_workspaces(standby_cfg)
    )
    say(f"  {standby.total_seconds:.1f}s (+ publish {standby.publish_seconds:.1f}s), {standby.resources} resources")

    say(f"region plans on the applied state: alone, then concurrently (x{args.plan_repeats}) ...")
    plans = time_region_plans(provisioner, args.plan_repeats)
    load_end = os.getloadavg()

    return {
        "mode": "quick (enable_database = false: no RDS)" if args.quick else "full",
        "machine": {"cpus": os.cpu_count(), "loadavg_start": load_start, "loadavg_end": load_end},
        "warm_up_seconds": round(warm, 2),
        "bare": timing_json(bare),
        "standby": timing_json(standby),
        "overhead_percent": round(overhead_percent(standby.total_seconds, bare.total_seconds), 2),
        "overhead_with_publish_percent": round(
            overhead_percent(standby.total_seconds + standby.publish_seconds, bare.total_seconds), 2
        ),
        "target_overhead_percent": TARGET_OVERHEAD_PERCENT,
        "region_plans": {
            "alone_seconds": {r: [round(s, 2) for s in v] for r, v in plans.alone.items()},
            "concurrent_seconds": [round(s, 2) for s in plans.concurrent],
            "median_alone": {r: round(s, 2) for r, s in plans.median_alone().items()},
            "sum_of_alone": round(plans.sum_alone, 2),
            "median_concurrent": round(plans.median_concurrent, 2),
            "concurrent_over_sum": round(plans.median_concurrent / plans.sum_alone, 3),
        },
    }


def timing_json(t: RunTiming) -> dict[str, Any]:
    return {
        "plan_seconds": round(t.plan_seconds, 2),
        "apply_seconds": round(t.apply_seconds, 2),
        "total_seconds": round(t.total_seconds, 2),
        "publish_seconds": round(t.publish_seconds, 2),
        "resources": t.resources,
        "commands": {k: {"count": n, "seconds": round(s, 2)} for k, (n, s) in t.log.by_subcommand().items()},
        "command_log": [asdict(c) | {"seconds": round(c.seconds, 2)} for c in t.log.commands],
    }


def render(doc: dict[str, Any]) -> str:
    bare, sb = doc["bare"], doc["standby"]
    lines = [
        f"standby provision vs bare terraform — examples/webapp, {doc['mode']}, "
        f"{doc['machine']['cpus']} CPUs, load {doc['machine']['loadavg_start'][0]:.1f} -> "
        f"{doc['machine']['loadavg_end'][0]:.1f}",
        "",
        f"  {'':34}{'bare terraform':>16}{'standby provision':>20}{'difference':>12}",
    ]
    for label, key in (
        ("plan regions (standby: concurrent)", "plan_seconds"),
        ("apply regions + DNS stack", "apply_seconds"),
        ("total", "total_seconds"),
    ):
        b, s = bare[key], sb[key]
        lines.append(f"  {label:34}{b:>15.1f}s{s:>19.1f}s{overhead_percent(s, b):>+11.1f}%")
    lines.append(f"  {'publish (manifest + snapshot)':34}{'—':>16}{sb['publish_seconds']:>19.1f}s")
    lines.append(f"  {'resources in the states':34}{bare['resources']:>16}{sb['resources']:>20}")
    verdict = "within" if doc["overhead_percent"] <= doc["target_overhead_percent"] else "ABOVE"
    lines += [
        "",
        f"  overhead of standby provision: {doc['overhead_percent']:+.1f} % ({verdict} the "
        f"{doc['target_overhead_percent']:.0f} % target); with publish: {doc['overhead_with_publish_percent']:+.1f} %",
        "",
        "  terraform processes          bare: count  seconds     standby: count  seconds    extra",
    ]
    names = list(dict.fromkeys([*bare["commands"], *sb["commands"]]))
    for name in names:
        b = bare["commands"].get(name, {"count": 0, "seconds": 0.0})
        s = sb["commands"].get(name, {"count": 0, "seconds": 0.0})
        lines.append(
            f"  {name:28}{b['count']:>12}{b['seconds']:>9.1f}s{s['count']:>16}{s['seconds']:>9.1f}s"
            f"{s['seconds'] - b['seconds']:>+8.1f}s"
        )
    lines.append(
        "  (plan and apply phases only; seconds add up each process, so standby's two concurrent region plans "
        "both count; the bare run plans the regions one after the other)"
    )
    p = doc["region_plans"]
    lines += ["", "  region plans on the applied state (init + plan + show -json; median of repeats):"]
    for region, seconds in p["median_alone"].items():
        lines.append(f"    {region:30} alone      {seconds:>7.1f}s")
    lines.append(f"    {'sum of the regions alone':41}{p['sum_of_alone']:>7.1f}s")
    lines.append(
        f"    {'both regions concurrently':41}{p['median_concurrent']:>7.1f}s"
        f"  ({p['concurrent_over_sum'] * 100:.0f} % of the sum)"
    )
    return "\n".join(lines)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.provision", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="enable_database = false: skip the RDS instances")
    parser.add_argument("--plan-repeats", type=int, default=2, help="repeats of the region plan timings")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (state, logs)")
    args = parser.parse_args(argv)
    plugin_dir = plugin_dir_from(None)
    terraform = shutil.which("terraform")
    if plugin_dir is None or terraform is None:
        print("needs terraform on the PATH and STANDBY_TF_PLUGIN_DIR set to the provider mirror", file=sys.stderr)
        return 2
    home = Path(tempfile.mkdtemp(prefix="standby-bench-provision-"))
    emulator = Emulator(home / "emulator")
    info, _ = emulator.start()
    say(f"emulator {info.endpoint} (pid {info.pid}); work dir {home}")
    try:
        doc = run(args, info.endpoint, home, terraform, plugin_dir)
    finally:
        if emulator.stop() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(info.pid, signal.SIGTERM)
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)
    print(render(doc))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"\n  figures written to {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
