"""Benchmark of `standby drift` (parity + readiness) next to `terraform plan -refresh-only`, in one run.

1. Provision examples/webapp on a fresh emulator (or reuse one: --example-endpoint URL --example-state DIR).
2. Time a refresh-only plan of both regions (in parallel, as the IaC check runs them) and the parity + readiness
   check of the same deployed example, with the API calls it makes.
3. Time the check on mirrors of about 10, 100 and 1000 resources per region built with boto3 on a second
   emulator, to show that time and calls grow linearly with the resources.

    .venv/bin/python -m bench.drift [--sizes 10,100,1000] [--example-endpoint URL --example-state DIR]

Uses emulator ports 5162-5163 (it starts and stops its own servers).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from standby.aws.session import SessionFactory, Target
from standby.config import LoadedConfig, load_config
from standby.drift.run import DriftRun
from standby.emulator import Emulator, port_in_use, reset_endpoint
from standby.provision import Provisioner
from standby.secrets import resolve_secrets
from standby.stacks import Stacks
from standby.state import RegionStates
from standby.state.roles import Assignment
from standby.terraform import TerraformRunner, plugin_dir_from
from tests.integration.drift.world import build_mirror

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "webapp" / "standby.toml"
CHECKS = ["parity", "readiness"]
BASE_RESOURCES = 11  # the mirror's own resources per region (group, template, 3 groups of rules, lb, db, ...)
UNIT_RESOURCES = 4  # per extra unit: security group, launch template, auto scaling group, parameter


class CallCounter:
    """Counts API calls through a botocore before-call hook (installed by SessionFactory.on_client)."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def __call__(self, client: Any) -> None:
        def count(**_: Any) -> None:
            with self._lock:
                self.count += 1

        client.meta.events.register_first("before-call", count)


def write_config(endpoint: str, state_dir: Path, destination: Path) -> LoadedConfig:
    text = EXAMPLE.read_text()
    text = text.replace('endpoint = "emulator"', f'endpoint = "{endpoint}"')
    text = text.replace('state_dir = ".standby"', f'state_dir = "{state_dir}"')
    text = text.replace('"../../terraform/stacks/', f'"{REPO / "terraform" / "stacks"}/')
    destination.write_text(text)
    return load_config(destination)


class BenchEmulator:
    """A moto server of the bench's own, stopped by pid even when it answers too slowly to be recognised."""

    def __init__(self, home: Path, port: int) -> None:
        self.emulator = Emulator(home)
        info, _ = self.emulator.start(port=None if port_in_use(port) else port)
        self.pid, self.endpoint = info.pid, info.endpoint

    def stop(self) -> None:
        if self.emulator.stop() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)


@dataclass(frozen=True)
class Timing:
    cold: float  # the first run of a process: boto3 creates its clients (loads service models) on the way
    warm: float  # median of the next runs with the same clients (a long-lived process, a warm Lambda)
    calls: int  # API calls of one run
    compared: int  # attributes compared by the parity check
    status: str


def timed_check(loaded: LoadedConfig, endpoint: str, repeats: int) -> Timing:
    counter = CallCounter()
    sessions = SessionFactory(target=Target(endpoint, emulator=True), on_client=counter)
    seconds: list[float] = []
    calls: list[int] = []
    report = None
    for _ in range(1 + max(1, repeats)):
        before = counter.count
        started = time.perf_counter()
        report = DriftRun(loaded, sessions, RegionStates.of(loaded, sessions)).run(CHECKS)
        seconds.append(time.perf_counter() - started)
        calls.append(counter.count - before)
    assert report is not None
    return Timing(
        seconds[0], statistics.median(seconds[1:]), calls[-1], report.compared.get("parity", 0), report.status
    )


def example(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Terraform refresh-only of both regions vs the parity + readiness check, on the deployed example."""
    plugin_dir = plugin_dir_from(None)
    emulator: BenchEmulator | None = None
    if args.example_endpoint:
        endpoint, state = args.example_endpoint, Path(args.example_state)
    else:
        emulator = BenchEmulator(work / "example-emulator", 5162)
        endpoint = emulator.endpoint
        state = work / "example-state"
    try:
        loaded = write_config(endpoint, state, work / "example.toml")
        target = Target(endpoint, emulator=True)
        runner = TerraformRunner(
            "terraform", plugin_dir=plugin_dir, extra_env=target.environment(), cli_config_dir=state
        )
        wanted = {v: e for s in loaded.config.stacks.values() for v, e in s.secrets.items()}
        secrets = resolve_secrets(wanted, state_dir=loaded.state_dir, allow_generated=True)
        provisioner = Provisioner(
            loaded,
            Stacks(loaded, runner, secrets),
            RegionStates.of(loaded, SessionFactory(target=target)),
            assignment=Assignment.home(loaded.config),
        )
        provision_seconds = 0.0
        if emulator is not None:
            print("provisioning examples/webapp on the emulator (minutes: RDS and load balancers)...", flush=True)
            started = time.perf_counter()
            provisioner.apply(provisioner.plan("all"))
            provisioner.publish(SessionFactory(target=target))
            provision_seconds = time.perf_counter() - started
        targets = provisioner.stacks.region_targets(provisioner.assignment, provisioner.assignment.regions)
        for t in targets:
            runner.init(t.workspace)

        def refresh(t: Any) -> float:
            started = time.perf_counter()
            runner.plan(t.workspace, t.variables, refresh_only=True)
            return time.perf_counter() - started

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=2) as pool:
            per_region = list(pool.map(refresh, targets))
        refresh_wall = time.perf_counter() - started
        return {
            "provision": provision_seconds,
            "refresh": dict(zip([t.label for t in targets], per_region, strict=True)),
            "refresh_wall": refresh_wall,
            "check": timed_check(loaded, endpoint, args.repeats),
        }
    finally:
        if emulator is not None:
            emulator.stop()


def scale(args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    emulator = BenchEmulator(work / "scale-emulator", 5163)
    endpoint = emulator.endpoint
    rows = []
    try:
        loaded = write_config(endpoint, work / "scale-state", work / "scale.toml")
        for size in args.sizes:
            reset_endpoint(endpoint)
            units = max(0, round((size - BASE_RESOURCES) / UNIT_RESOURCES))
            started = time.perf_counter()
            build_mirror(SessionFactory(target=Target(endpoint, emulator=True)), loaded.config, extra_units=units)
            build_seconds = time.perf_counter() - started
            timing = timed_check(loaded, endpoint, args.repeats)
            resources = BASE_RESOURCES + units * UNIT_RESOURCES
            rows.append({"resources": resources, "timing": timing, "build": build_seconds})
            print(f"  built {resources} resources per region in {build_seconds:.1f}s; checked", flush=True)
    finally:
        emulator.stop()
    return rows


def report(ex: dict[str, Any] | None, rows: list[dict[str, Any]]) -> None:
    print("\n== standby drift (parity + readiness) vs terraform plan -refresh-only ==")
    if ex is not None:
        check: Timing = ex["check"]
        if ex["provision"]:
            print(f"provision examples/webapp (both regions + DNS):   {ex['provision']:7.1f} s")
        for region, seconds in ex["refresh"].items():
            print(f"terraform plan -refresh-only, {region:<11}         {seconds:7.2f} s")
        wall = ex["refresh_wall"]
        print(f"terraform plan -refresh-only, both (parallel):    {wall:7.2f} s")
        print(
            f"standby drift parity + readiness, same example:   {check.warm:7.2f} s warm, {check.cold:.2f} s cold;"
            f" {check.calls} API calls, {check.compared} attributes compared ({check.status})"
        )
        for label, seconds in (("warm", check.warm), ("cold", check.cold)):
            ratio = seconds / wall
            print(f"ratio check / refresh-only, {label}: {ratio:.3f} ({'meets' if ratio <= 0.1 else 'misses'} <= 0.1)")
    print("\nresources/region  warm (s)  cold (s)  API calls  calls/resource  ms/resource (warm)  compared  status")
    for r in rows:
        t: Timing = r["timing"]
        print(
            f"{r['resources']:>16}  {t.warm:8.2f}  {t.cold:8.2f}  {t.calls:9d}  {t.calls / r['resources']:14.2f}"
            f"  {1000 * t.warm / r['resources']:18.2f}  {t.compared:8d}  {t.status}"
        )
    if len(rows) >= 2:
        first, last = rows[0], rows[-1]
        f_t, l_t = first["timing"], last["timing"]
        extra = last["resources"] - first["resources"]
        print(
            f"growth {first['resources']} -> {last['resources']} resources:"
            f" +{(l_t.calls - f_t.calls) / extra:.2f} calls"
            f" and +{1000 * (l_t.warm - f_t.warm) / extra:.1f} ms (warm) per added resource, over a fixed"
            f" {f_t.calls} calls / {f_t.warm:.2f} s (scope, DNS, readiness)"
        )
    print("cold = first run of a process: boto3 loads each service model once per region session (~1-2 s here)")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.drift", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=[10, 100, 1000])
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement (the median is shown)")
    parser.add_argument("--example-endpoint", help="an emulator where examples/webapp is already provisioned")
    parser.add_argument("--example-state", help="the state_dir of that provisioning")
    parser.add_argument("--skip-example", action="store_true", help="only the scale series")
    args = parser.parse_args()
    if bool(args.example_endpoint) != bool(args.example_state):
        parser.error("--example-endpoint and --example-state go together")
    work = Path(tempfile.mkdtemp(prefix="standby-bench-drift-"))
    started = time.perf_counter()
    try:
        ex = None if args.skip_example else example(args, work)
        print("scale series:", flush=True)
        rows = scale(args, work)
        report(ex, rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nbench total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
