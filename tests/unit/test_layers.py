"""The layers hold: cli → orchestrations (provision, failover, drill, drift) → middle (stacks, state, report, …) →
drivers (aws, terraform, config, the emulator), with a few base modules everyone may use. No module imports a
floor above its own; orchestrations import each other only drill → failover; CLI verbs never import each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "standby"

BASE, DRIVERS, MIDDLE, ORCHESTRATIONS, CLI = range(5)
FLOOR_NAMES = {BASE: "base", DRIVERS: "drivers", MIDDLE: "middle", ORCHESTRATIONS: "orchestrations", CLI: "cli"}

# Top-level names under standby/ and their floor; a new module or package must be placed here to exist.
FLOORS = {
    "__init__": BASE,
    "__main__": CLI,
    "errors": BASE,
    "clock": BASE,
    "progress": BASE,
    "owner": BASE,
    "interruption": BASE,
    "processes": BASE,
    "bundled": BASE,
    "batching": BASE,
    "aws": DRIVERS,
    "terraform": DRIVERS,
    "config": DRIVERS,
    "emulator": DRIVERS,
    "emulator_server": DRIVERS,
    "emulation": DRIVERS,
    "stacks": MIDDLE,
    "state": MIDDLE,
    "report": MIDDLE,
    "judgements": MIDDLE,
    "probes": MIDDLE,
    "inventory": MIDDLE,
    "capacity": MIDDLE,
    "traffic_switch": MIDDLE,
    "iam": MIDDLE,
    "secrets": MIDDLE,
    "provision": ORCHESTRATIONS,
    "failover": ORCHESTRATIONS,
    "drill": ORCHESTRATIONS,
    "drift": ORCHESTRATIONS,
    "plan": ORCHESTRATIONS,
    "teardown": ORCHESTRATIONS,
    "cli": CLI,
}
ORCHESTRATION_IMPORTS_ALLOWED = {
    ("drill", "failover"),
    ("plan", "failover"),
    ("plan", "drill"),
    ("teardown", "failover"),  # the waits
}


def top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            if node.module == "standby":  # `from standby import probes` imports a module; `__version__`, a name
                found.extend((node.lineno, f"standby.{a.name}") for a in node.names if a.name in FLOORS)
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, a.name) for a in node.names)
    return [(line, name) for line, name in found if name == "standby" or name.startswith("standby.")]


def violations(module: str, source: str) -> list[str]:
    """What in ``source`` (the text of ``module``) breaks the layers, one line per import."""
    out = []
    mine = top(module)
    if mine not in FLOORS:
        return [f"{module}: standby.{mine} has no floor (add it to FLOORS in tests/unit/test_layers.py)"]
    for line, imported in imports_of(source):
        theirs = top(imported)
        if imported == "standby" or theirs == mine:
            if mine == "cli" and theirs == "cli" and _verb(module) and _verb(imported) and module != imported:
                out.append(f"{module}:{line}: CLI verb imports another verb ({imported})")
            continue
        floor, other = FLOORS[mine], FLOORS.get(theirs)
        if other is None:
            out.append(f"{module}:{line}: imports {imported}, which has no floor")
        elif other > floor:
            out.append(
                f"{module}:{line}: imports {imported} — {FLOOR_NAMES[floor]} may not import {FLOOR_NAMES[other]}"
            )
        elif other == floor == ORCHESTRATIONS and (mine, theirs) not in ORCHESTRATION_IMPORTS_ALLOWED:
            out.append(f"{module}:{line}: orchestration {mine} imports orchestration {theirs} ({imported})")
    return out


def _verb(module: str) -> bool:
    return module.split(".")[-1].startswith("cmd_")


def package_sources() -> dict[str, str]:
    return {module_name(p): p.read_text(encoding="utf-8") for p in sorted(PACKAGE.rglob("*.py"))}


def test_no_module_imports_upward_or_sideways() -> None:
    problems = [v for module, source in package_sources().items() for v in violations(module, source)]
    assert problems == [], "\n".join(problems)


def test_no_orchestration_imports_provision() -> None:
    for module, source in package_sources().items():
        if top(module) in ("failover", "drift", "drill"):
            assert not [n for _, n in imports_of(source) if n.startswith("standby.provision")], module


@pytest.mark.parametrize(
    ("module", "line", "why"),
    [
        ("standby.failover.steps", "from standby.provision import Provisioner", "orchestration failover imports"),
        ("standby.drift.run", "from standby.failover.controller import Controller", "orchestration drift imports"),
        ("standby.state.region", "from standby.failover.model import Step", "middle may not import orchestrations"),
        ("standby.aws.rds", "from standby.state import Notes", "drivers may not import middle"),
        ("standby.stacks", "import standby.cli.context", "middle may not import cli"),
        ("standby.cli.cmd_demo", "from standby.cli.cmd_failover import failover", "CLI verb imports another verb"),
    ],
)
def test_a_forbidden_import_is_caught(module: str, line: str, why: str) -> None:
    source = package_sources()[module] + "\n" + line + "\n"
    found = violations(module, source)
    assert any(why in v for v in found), found


def test_allowed_imports_pass() -> None:
    assert violations("standby.drill.runner", "from standby.failover.controller import Controller\n") == []
    assert violations("standby.cli.cmd_demo", "from standby.cli.views import journal_lines\n") == []
    assert violations("standby.failover.steps", "from standby.state import Notes\nfrom standby.aws import rds\n") == []
