"""Benchmark of `standby drift` against `terraform plan -refresh-only` of the same stacks, in one run.

1. Provision examples/webapp on a fresh emulator (or reuse one: --example-endpoint URL --example-state DIR).
2. Terraform alone, as a person would run it: `terraform init` then `terraform plan -refresh-only` of every stack
   standby checks (the region stack in both regions, the DNS stack), each in a data dir of its own; the stacks
   concurrently (as standby runs them) and one after the other. Median of --repeats.
3. `standby drift` run cold, as CLI processes: a fresh `python -m standby` per measurement, so the interpreter's
   start and the imports are counted, with `--check parity --check readiness` and with all checks (the data dirs
   are initialised once, as for any repeated run). Median of --repeats. Also the interpreter start + imports
   alone, and the parity + readiness check in-process (warm: clients created), with its API calls.
4. The parity + readiness check on mirrors of about 10, 100 and 1000 resources per region built with boto3 on a
   second emulator, to show that time and calls grow linearly with the resources.

Prints a table, writes the figures to bench/results/drift.json and the table into bench/README.md (between the
drift markers). About 12 minutes on 2 cores, most of it provisioning and Terraform.

    STANDBY_TF_PLUGIN_DIR=/opt/tf-plugins .venv/bin/python -m bench.drift [--sizes 10,100,1000] [--repeats 5]
        [--example-endpoint URL --example-state DIR] [--skip-example] [--no-readme]

Uses emulator ports 5162-5163 (it starts and stops its own servers).
"""

from __future__ import annotations

import argparse
import compileall
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
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from standby.aws.session import SessionFactory, Target
from standby.config import LoadedConfig, load_config
from standby.drift.run import DriftRun
from standby.emulator import Emulator, port_in_use, reset_endpoint
from standby.provision import Provisioner
from standby.secrets import resolve_secrets
from standby.stacks import Stacks, StackTarget
from standby.state import RegionStates
from standby.state.roles import Assignment
from standby.terraform import TerraformRunner, Workspace, plugin_dir_from
from standby.terraform.argv import IsFlagged
from tests.integration.drift.world import build_mirror

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "webapp" / "standby.toml"
RESULTS = REPO / "bench" / "results" / "drift.json"
README = REPO / "bench" / "README.md"
README_BEGIN = "<!-- bench.drift results: begin -->"
README_END = "<!-- bench.drift results: end -->"
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


# -- Terraform alone ----------------------------------------------------------------------------------------


def bare_workspace(workspace: Workspace, work: Path) -> Workspace:
    """The same stack and backend in a data dir of its own: Terraform alone shares nothing with standby's."""
    return replace(workspace, data_dir=work / "bare" / workspace.data_dir.name)


def bare_refresh(runner: TerraformRunner, workspace: Workspace, variables: Mapping[str, Any]) -> float:
    """`terraform init` then `terraform plan -refresh-only` of one stack in one place, as a person types them."""
    env = runner.environment(workspace)
    var_file = runner.write_variables(workspace, variables)
    init = runner.argv(workspace, "init", input=False, backend_config=dict(workspace.backend_config) or None)
    plan = runner.argv(workspace, "plan", input=False, lock_timeout="60s", refresh_only=IsFlagged)
    plan.append(f"-var-file={var_file}")
    started = time.perf_counter()
    for argv in (init, plan):
        done = subprocess.run(argv, cwd=workspace.stack_dir, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv[:2])} of {workspace.name} failed: {done.stderr[-2000:]}")
    return time.perf_counter() - started


def terraform_alone(
    runner: TerraformRunner, targets: Sequence[StackTarget], work: Path, repeats: int
) -> dict[str, Any]:
    """Every stack's init + refresh-only plan, concurrently and one after the other; medians of ``repeats``."""
    stacks = [(bare_workspace(t.workspace, work), t.variables) for t in targets]
    concurrent: list[float] = []
    sequential: list[float] = []
    per_stack: dict[str, list[float]] = {t.workspace.name: [] for t in targets}
    for _ in range(repeats):
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=len(stacks)) as pool:
            list(pool.map(lambda s: bare_refresh(runner, *s), stacks))
        concurrent.append(time.perf_counter() - started)
        started = time.perf_counter()
        for (workspace, variables), target in zip(stacks, targets, strict=True):
            per_stack[target.workspace.name].append(bare_refresh(runner, workspace, variables))
        sequential.append(time.perf_counter() - started)
    return {
        "concurrent": statistics.median(concurrent),
        "sequential": statistics.median(sequential),
        "per_stack": {name: statistics.median(seconds) for name, seconds in per_stack.items()},
        "runs": {"concurrent": concurrent, "sequential": sequential},
    }


# -- standby drift as CLI processes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CliRun:
    seconds: float
    exit_code: int
    status: str
    compared: dict[str, int]
    errors: list[str]


def cli_drift(config: Path, checks: Sequence[str]) -> CliRun:
    """One `python -m standby drift` process, cold: the interpreter's start and the imports are counted."""
    argv = [sys.executable, "-m", "standby", "--config", str(config), "drift", "--output", "json"]
    argv += [arg for check in checks for arg in ("--check", check)]
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=REPO)
    seconds = time.perf_counter() - started
    try:
        result = json.loads(done.stdout).get("result") or {}
    except json.JSONDecodeError:
        result = {"status": "error", "errors": [{"message": done.stderr[-2000:]}]}
    errors = [str(e.get("message", e)) for e in result.get("errors") or ()]
    return CliRun(seconds, done.returncode, str(result.get("status")), dict(result.get("compared") or {}), errors)


def cold_runs(config: Path, checks: Sequence[str], repeats: int) -> dict[str, Any]:
    runs = [cli_drift(config, checks) for _ in range(repeats)]
    last = runs[-1]
    return {
        "seconds": statistics.median(r.seconds for r in runs),
        "runs": [r.seconds for r in runs],
        "exit_codes": [r.exit_code for r in runs],
        "status": last.status,
        "compared": last.compared,
        "errors": last.errors,
    }


def compile_package() -> None:
    """Compile standby's bytecode, as installing it from a wheel does: an editable install's modules are compiled
    at their first import, and again in every process where PYTHONDONTWRITEBYTECODE is set."""
    if not compileall.compile_dir(REPO / "standby", quiet=1):
        raise RuntimeError("standby's modules did not compile")


def interpreter_and_imports(repeats: int) -> float:
    """A fresh interpreter importing the CLI (what every `standby` process pays before its first API call)."""
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import standby.cli.main"], check=True, cwd=REPO)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def example(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Terraform's refresh-only plans alone vs `standby drift` (cold CLI processes), on the deployed example."""
    plugin_dir = plugin_dir_from(None)
    emulator: BenchEmulator | None = None
    if args.example_endpoint:
        endpoint, state = args.example_endpoint, Path(args.example_state)
    else:
        emulator = BenchEmulator(work / "example-emulator", 5162)
        endpoint = emulator.endpoint
        state = work / "example-state"
    try:
        config_path = work / "example.toml"
        loaded = write_config(endpoint, state, config_path)
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
        run = DriftRun(loaded, SessionFactory(target=target), RegionStates.of(loaded, SessionFactory(target=target)))
        run.stacks = provisioner.stacks
        targets = run.iac_targets(provisioner.assignment)
        print(f"terraform alone: init + plan -refresh-only of {len(targets)} stacks, x{args.repeats}...", flush=True)
        alone = terraform_alone(runner, targets, work, args.repeats)
        print("standby drift as CLI processes...", flush=True)
        compile_package()
        cli_drift(config_path, [])  # initialises the data dirs once, as for any repeated run (not timed)
        cold = {
            "parity_readiness": cold_runs(config_path, CHECKS, args.repeats),
            "all": cold_runs(config_path, [], args.repeats),
        }
        return {
            "provision": provision_seconds,
            "stacks": [t.workspace.name for t in targets],
            "terraform": alone,
            "cold": cold,
            "imports": interpreter_and_imports(args.repeats),
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


def ratio_line(label: str, seconds: float, baseline: float, target: float | None) -> str:
    ratio = seconds / baseline if baseline else float("nan")
    verdict = "" if target is None else f" ({'meets' if ratio <= target else 'misses'} <= {target:g})"
    return f"{label:<56} {seconds:7.2f} s  {ratio:6.3f}x{verdict}"


def example_table(ex: dict[str, Any]) -> list[str]:
    """The comparison with Terraform alone, as text lines (printed and written into bench/README.md)."""
    tf = ex["terraform"]
    cold = ex["cold"]
    check: Timing = ex["check"]
    lines = [f"stacks: {', '.join(ex['stacks'])}; medians of {len(tf['runs']['concurrent'])} runs", ""]
    lines.append(f"{'':<56} {'time':>9}  {'/ terraform concurrent':>22}")
    for name, seconds in tf["per_stack"].items():
        lines.append(f"{'terraform init + plan -refresh-only, ' + name:<56} {seconds:7.2f} s")
    lines.append(f"{'terraform alone, stacks one after the other':<56} {tf['sequential']:7.2f} s")
    lines.append(f"{'terraform alone, stacks concurrently':<56} {tf['concurrent']:7.2f} s  {1.0:6.3f}x")
    base = tf["concurrent"]
    lines.append(ratio_line("standby drift, all checks (cold CLI)", cold["all"]["seconds"], base, 1.0))
    lines.append(
        ratio_line("standby drift, parity + readiness (cold CLI)", cold["parity_readiness"]["seconds"], base, 0.1)
    )
    lines.append(ratio_line("  of which: interpreter start + imports", ex["imports"], base, None))
    lines.append(ratio_line("parity + readiness in-process, warm", check.warm, base, None))
    lines.append("")
    seq = tf["sequential"]
    lines.append(
        f"against the stacks one after the other ({seq:.2f} s): all checks {cold['all']['seconds'] / seq:.3f}x,"
        f" parity + readiness {cold['parity_readiness']['seconds'] / seq:.3f}x"
    )
    for name in ("all", "parity_readiness"):
        run = cold[name]
        errors = f"; errors: {'; '.join(run['errors'])}" if run["errors"] else ""
        lines.append(
            f"{name}: runs {', '.join(f'{x:.2f}' for x in run['runs'])} s, exit codes {run['exit_codes']},"
            f" status {run['status']}, compared {run['compared']}{errors}"
        )
    lines.append(f"parity + readiness in-process: {check.calls} API calls, {check.compared} attributes compared")
    return lines


def scale_table(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["resources/region  warm (s)  cold (s)  API calls  calls/resource  ms/resource (warm)  compared  status"]
    for r in rows:
        t: Timing = r["timing"]
        lines.append(
            f"{r['resources']:>16}  {t.warm:8.2f}  {t.cold:8.2f}  {t.calls:9d}  {t.calls / r['resources']:14.2f}"
            f"  {1000 * t.warm / r['resources']:18.2f}  {t.compared:8d}  {t.status}"
        )
    if len(rows) >= 2:
        first, last = rows[0], rows[-1]
        f_t, l_t = first["timing"], last["timing"]
        extra = last["resources"] - first["resources"]
        lines.append(
            f"growth {first['resources']} -> {last['resources']} resources:"
            f" +{(l_t.calls - f_t.calls) / extra:.2f} calls"
            f" and +{1000 * (l_t.warm - f_t.warm) / extra:.1f} ms (warm) per added resource, over a fixed"
            f" {f_t.calls} calls / {f_t.warm:.2f} s (scope, DNS, readiness)"
        )
    return lines


def replace_between_markers(text: str, lines: Sequence[str]) -> str:
    """The README's text with the block between the drift markers replaced by ``lines`` (in a code block)."""
    begin, end = text.index(README_BEGIN) + len(README_BEGIN), text.index(README_END)
    return text[:begin] + "\n```\n" + "\n".join(lines) + "\n```\n" + text[end:]


def results_document(ex: dict[str, Any] | None, rows: list[dict[str, Any]]) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        return asdict(value) if isinstance(value, Timing) else value

    doc: dict[str, Any] = {"scale": [{k: plain(v) for k, v in r.items()} for r in rows]}
    if ex is not None:
        doc["example"] = {k: plain(v) for k, v in ex.items()}
        base = ex["terraform"]["concurrent"]
        doc["ratios"] = {
            "all_checks_vs_terraform_concurrent": ex["cold"]["all"]["seconds"] / base,
            "parity_readiness_vs_terraform_concurrent": ex["cold"]["parity_readiness"]["seconds"] / base,
            "all_checks_vs_terraform_sequential": ex["cold"]["all"]["seconds"] / ex["terraform"]["sequential"],
            "parity_readiness_vs_terraform_sequential": ex["cold"]["parity_readiness"]["seconds"]
            / ex["terraform"]["sequential"],
        }
    return doc


def report(ex: dict[str, Any] | None, rows: list[dict[str, Any]], *, readme: bool) -> None:
    lines: list[str] = []
    if ex is not None:
        if ex["provision"]:
            print(f"provision examples/webapp (both regions + DNS): {ex['provision']:.1f} s")
        lines += ["standby drift (cold CLI processes) vs terraform init + plan -refresh-only of the same stacks", ""]
        lines += [*example_table(ex), ""]
    if rows:
        lines += ["parity + readiness on mirrors of growing size (in-process; cold = first run of the process)", ""]
        lines += scale_table(rows)
    print("\n" + "\n".join(lines))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results_document(ex, rows), indent=2, default=str) + "\n")
    print(f"\nfigures written to {RESULTS.relative_to(REPO)}")
    if readme:
        README.write_text(replace_between_markers(README.read_text(), lines))
        print(f"table written into {README.relative_to(REPO)}")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.drift", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",") if x], default=[10, 100, 1000])
    parser.add_argument("--repeats", type=int, default=5, help="runs per measurement (the median is shown)")
    parser.add_argument("--example-endpoint", help="an emulator where examples/webapp is already provisioned")
    parser.add_argument("--example-state", help="the state_dir of that provisioning")
    parser.add_argument("--skip-example", action="store_true", help="only the scale series")
    parser.add_argument("--no-readme", action="store_true", help="do not write the table into bench/README.md")
    args = parser.parse_args()
    if bool(args.example_endpoint) != bool(args.example_state):
        parser.error("--example-endpoint and --example-state go together")
    work = Path(tempfile.mkdtemp(prefix="standby-bench-drift-"))
    started = time.perf_counter()
    try:
        ex = None if args.skip_example else example(args, work)
        rows: list[dict[str, Any]] = []
        if args.sizes:
            print("scale series:", flush=True)
            rows = scale(args, work)
        report(ex, rows, readme=not args.no_readme)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nbench total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
