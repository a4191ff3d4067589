"""Fuzzing the loader: mutations of the bundled example end in a config or a ConfigError, quickly, never another
exception; and ``standby validate`` on them exits 0 or 2.

STANDBY_FUZZ_EXAMPLES sets how many files the loader test generates (default 500, about 10 s).
"""

from __future__ import annotations

import contextlib
import io
import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from standby.config import load_config
from standby.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
STACKS = REPO / "terraform" / "stacks"
EXAMPLE_LINES = (
    (REPO / "examples" / "webapp" / "standby.toml")
    .read_text()
    .replace('"../../terraform/stacks/', f'"{STACKS}/')
    .splitlines()
)
EXAMPLES = int(os.environ.get("STANDBY_FUZZ_EXAMPLES", "500"))
SECONDS_PER_FILE = 2.0

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # timed by the test itself, including the first (cold) example
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)


def _basic_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_SPECIAL = [
    "inf",
    "-inf",
    "nan",
    "+nan",
    "1e400",
    "-0.0",
    "99999999999999999999",
    "0x7fffffffffffffff",
    "0o777",
    "0b101",
    "1_000",
    "true",
    "false",
    "1979-05-27",
    "07:32:00",
    "1979-05-27T07:32:00Z",
    "{}",
    "[]",
    '""',
    "''",
    '"""\n[x]\n"""',
    "'{bogus}'",
    '"{project}/{key"',
    '"../../../escaped"',
    '"900"',
    '" 2 "',
    '"\\u0000"',
    "[1, 'a', {b = 2}]",
    "{ a = 1, a = 2 }",
]

values = st.one_of(
    st.sampled_from(_SPECIAL),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.text(max_size=30).map(_basic_string),
    st.integers(min_value=1, max_value=600).map(lambda d: "[" * d + "]" * d),
    st.integers(min_value=1, max_value=600).map(lambda d: "{a = " * d + "1" + "}" * d),
    st.integers(min_value=1, max_value=600).map(lambda d: "[" * d),
    st.text(max_size=40),  # anything at all
)


@st.composite
def config_files(draw: st.DrawFn) -> bytes:
    """The example, mutated: lines deleted, duplicated, moved; values replaced; junk lines and bytes inserted."""
    lines = list(EXAMPLE_LINES)
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        if not lines:
            break
        at = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "move", "value", "value", "value", "line", "header"]))
        if action == "delete":
            del lines[at]
        elif action == "duplicate":
            lines.insert(at, lines[at])
        elif action == "move":
            lines.insert(draw(st.integers(min_value=0, max_value=len(lines))), lines.pop(at))
        elif action == "value":
            keyed = [i for i, line in enumerate(lines) if " = " in line and not line.lstrip().startswith("#")]
            if keyed:
                at = draw(st.sampled_from(keyed))
                lines[at] = lines[at].split(" = ", 1)[0] + " = " + draw(values)
        elif action == "line":
            lines.insert(at, draw(st.text(max_size=60)))
        else:
            name = draw(st.sampled_from(["stacks", "capacity", "failover", "drift.ignore", "x", "stacks.region.vars"]))
            key = draw(st.sampled_from(["region", "dns", "web", '"../../e"', "a.b.c", "", "1"]))
            lines.insert(at, draw(st.sampled_from(["[{}.{}]", "[[{}.{}]]", "[{}]"])).format(name, key))
    data = "\n".join(lines).encode("utf-8", errors="surrogatepass")
    if draw(st.integers(min_value=0, max_value=4)) == 0:  # raw bytes, most often not UTF-8
        at = draw(st.integers(min_value=0, max_value=len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=16)) + data[at:]
    return data


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def test_the_unmutated_example_loads(fuzz_dir: Path) -> None:
    path = fuzz_dir / "example.toml"
    path.write_text("\n".join(EXAMPLE_LINES))
    assert load_config(path).config.project.name == "webapp"


@FUZZ
@given(data=config_files())
def test_loading_ends_in_a_config_or_a_config_error(fuzz_dir: Path, data: bytes) -> None:
    path = fuzz_dir / "standby.toml"
    path.write_bytes(data)
    elapsed = _seconds_to_load(path)
    if elapsed >= SECONDS_PER_FILE:  # once more: a slow input is slow twice, a pause of a busy machine is not
        elapsed = min(elapsed, _seconds_to_load(path))
    assert elapsed < SECONDS_PER_FILE, f"{elapsed:.2f} s"


def _seconds_to_load(path: Path) -> float:
    """Load ``path``, which must end in a config or a ConfigError; the CPU seconds this took."""
    started = time.thread_time()
    try:
        load_config(path)
    except ConfigError as err:
        assert err.exit_code == 2
        assert err.problems and all(p.startswith(str(path)) for p in err.problems)
    return time.thread_time() - started


@settings(FUZZ, max_examples=12)
@given(data=config_files())
def test_validate_exits_0_or_2(fuzz_dir: Path, data: bytes) -> None:
    from standby.cli.main import main

    path = fuzz_dir / "cli.toml"
    path.write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["validate", str(path)])
    assert code in (0, 2), err.getvalue()
    assert "internal error" not in err.getvalue() and "Traceback" not in err.getvalue()
    assert (code == 0) == (": valid" in out.getvalue())
