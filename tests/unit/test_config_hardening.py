"""Every bad config ends in a ConfigError (exit 2) naming file:line, the field and what was expected.

Each case here once passed validation and failed later, ended in an internal error, or took minutes.
"""

from __future__ import annotations

import os
import string
import threading
import time
from pathlib import Path
from typing import Any, get_args

import pytest
from pydantic import BaseModel

from standby.config import load_config, parse_config
from standby.config import loader as loader_module
from standby.config.loader import MAX_CONFIG_BYTES, key_lines
from standby.config.schema import MAX_GROUP_SIZE, MAX_SECONDS, Config, FailoverSettings
from standby.config.stacks import stack_directory_problem
from standby.config.toml_lines import MAX_DEPTH, scan
from standby.errors import ConfigError
from tests.unit.test_config import VALID, problems_of

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "webapp" / "standby.toml"
STACKS = REPO / "terraform" / "stacks"


def example_text() -> str:
    """The bundled example with absolute stack paths, so that a copy anywhere finds its stacks."""
    text = EXAMPLE.read_text()
    assert '"../../terraform/stacks/' in text
    return text.replace('"../../terraform/stacks/', f'"{STACKS}/')


def load_problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.exit_code == 2
    return caught.value.problems


def line_with(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


# -- deep nesting ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "[" * 480 + "]" * 480,
        "{a = " * 480 + "1" + "}" * 480,
        "[{a = [" * 170 + "]}]" * 170,
        "[" * 100_000,  # not even closed
    ],
    ids=["arrays", "inline-tables", "mixed", "unclosed"],
)
def test_deep_nesting_is_refused_with_its_line(value: str) -> None:
    text = VALID.replace('path = "stack"', f'path = "stack"\nvars = {{ deep = {value} }}')
    assert problems_of(text) == [
        f"standby.toml:10: stacks.region.vars.deep.…: nested more than {MAX_DEPTH} levels deep; "
        "expected tables and values nested at most that"
    ]


def test_deep_dotted_keys_and_headers_are_refused() -> None:
    dotted = ".".join(f"k{i}" for i in range(3000))
    text = VALID.replace('path = "stack"', f'path = "stack"\n\n[stacks.region.vars]\n{dotted} = 1')
    (problem,) = problems_of(text)
    assert problem.startswith("standby.toml:12: stacks.region.vars.k0.…: nested more than 32 levels deep")
    (problem,) = problems_of(VALID + f"\n[{dotted}]\n")
    assert problem.startswith("standby.toml:27: k0.k1.k2.k3.…: nested more than 32 levels deep")


def test_nesting_within_the_limit_is_accepted() -> None:
    depth = MAX_DEPTH - 3  # stacks.region.vars.deep, then the index of each array within another
    text = VALID.replace('path = "stack"', f'path = "stack"\nvars = {{ deep = {"[" * depth}{"]" * depth} }}')
    assert parse_config(text, Path("standby.toml")).config.stacks["region"].vars["deep"]
    text = text.replace("[" * depth, "[" * (depth + 1)).replace("]" * depth, "]" * (depth + 1))
    assert "nested more than" in problems_of(text)[0]


def test_a_recursion_error_past_the_scan_is_still_a_config_error(monkeypatch) -> None:
    """Should the scan ever miss a nesting, tomllib's RecursionError still ends as a ConfigError."""
    monkeypatch.setattr(loader_module, "scan", lambda text: scan(text, max_depth=10**9))
    text = VALID + "deep = " + "[" * 5000 + "]" * 5000 + "\n"
    assert problems_of(text) == [
        f"standby.toml: (top level): nested more than {MAX_DEPTH} levels deep; expected tables and values nested "
        "at most that"
    ]


# -- finding lines in linear time ---------------------------------------------------------------------------


@pytest.mark.parametrize("spaces", [3_000, 5_000, 500_000])
def test_lines_are_found_in_linear_time(spaces: int) -> None:
    text = VALID + '\n[drill]\nmode = """\n[' + " " * spaces + '\n"""\nhold_seconds = -1\n'
    started = time.perf_counter()
    problems = problems_of(text)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"{elapsed:.1f} s"
    assert problems[-1] == "standby.toml:31: drill.hold_seconds: input should be greater than or equal to 0, found -1"


def test_key_lines_read_strings_arrays_and_inline_tables() -> None:
    text = (
        "top = 1\n"
        "[t]\n"
        's = """\n[fake]\nfake = 1\n"""\n'
        "lit = '''\n[[also.fake]]\n''''\n"
        'esc = "a\\"[b" # [comment]\n'
        "arr = [\n  1,\n  { k = 2 },\n  [3, 4],\n]\n"
        "after = 2\n"
        "[[arr2]]\n[arr2.sub]\nv = 1\n[[arr2]]\n[[arr2.list]]\nw = 1\n"
    )
    lines = key_lines(text)
    assert lines[("top",)] == 1
    assert lines[("t", "s")] == 3
    assert ("fake",) not in lines and ("t", "fake") not in lines and ("also",) not in lines
    assert lines[("t", "lit")] == 7
    assert lines[("t", "esc")] == 10
    assert lines[("t", "arr", "0")] == 12
    assert lines[("t", "arr", "1", "k")] == 13
    assert lines[("t", "arr", "2", "1")] == 14
    assert lines[("t", "after")] == 16
    assert lines[("arr2", "0", "sub", "v")] == 19
    assert lines[("arr2", "1", "list", "0", "w")] == 22


def test_an_element_of_a_multi_line_array_has_its_own_line() -> None:
    text = VALID.replace('records = ["www"]', 'records = [\n  "www",\n  42,\n]')
    assert problems_of(text) == ["standby.toml:23: traffic.records.1: input should be a valid string, found 42"]


# -- stack names, backend placeholders ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["../../../escaped", "a/b", "", "1st", "with space", ".", "x" * 65, "é"])
def test_stack_names_are_identifiers(name: str) -> None:
    text = VALID.replace("[stacks.region]", f"[stacks.{name!r}]".replace("'", '"'))
    (problem,) = problems_of(text)
    assert problem.startswith(f"standby.toml:8: stacks.{name[:77]}")
    assert "expected a stack name of 1-64 letters, digits, '-' and '_', starting with a letter" in problem


@pytest.mark.parametrize("name", ["region", "Web-1", "dns_2", "a" * 64])
def test_good_stack_names(name: str) -> None:
    text = VALID.replace("[stacks.region]", f"[stacks.{name}]")
    assert list(parse_config(text, Path("standby.toml")).config.stacks) == [name]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("{bogus}", "unknown placeholder {bogus} in '{bogus}': only {project}, {stack}, {region}, {key} exist"),
        ("s/{0}", "unknown placeholder {0}"),
        ("s/{}", "unknown placeholder {}"),
        ("{project.x}", "unknown placeholder {project.x}"),
        ("{project[0]}", "unknown placeholder {project[0]}"),
        ("{project!r}", "unknown placeholder {project!r}"),
        ("{region:>9}", "unknown placeholder {region:>9}"),
        ("s/{", "malformed placeholder in 's/{'"),
        ("s}", "malformed placeholder in 's}'"),
        ("{key", "malformed placeholder in '{key'"),
    ],
)
def test_backend_config_placeholders_are_checked(value: str, expected: str) -> None:
    text = VALID.replace('path = "stack"', f'path = "stack"\nbackend_config = {{ path = "{value}" }}')
    (problem,) = problems_of(text)
    assert problem.startswith("standby.toml:10: stacks.region.backend_config.path: " + expected)


def test_good_backend_config_values_format_with_the_workspace_fields() -> None:
    value = "{project}/{stack}/{region}/{key}.tfstate {{literal}}"
    text = VALID.replace('path = "stack"', f'path = "stack"\nbackend_config = {{ path = "{value}" }}')
    stack = parse_config(text, Path("standby.toml")).config.stacks["region"]
    fields = {"project": "shop", "stack": "region", "region": "eu-west-1", "key": "region-eu-west-1"}
    assert stack.backend_config["path"].format_map(fields) == (
        "shop/region/eu-west-1/region-eu-west-1.tfstate {literal}"
    )


# -- strict, finite, bounded numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "fence_timeout_seconds = 99999999999999999999",
            "input should be less than or equal to 86400, found 99999999999999999999",
        ),
        ('fence_timeout_seconds = "900"', "input should be a valid integer, found '900'"),
        ('fence_timeout_seconds = "9_0_0"', "input should be a valid integer, found '9_0_0'"),
        ('fence_timeout_seconds = " 2 "', "input should be a valid integer, found ' 2 '"),
        ("fence_timeout_seconds = 2.0", "input should be a valid integer, found 2.0"),
        ("fence_timeout_seconds = true", "input should be a valid integer, found True"),
        ("fence_timeout_seconds = inf", "input should be a valid integer, found inf"),
        # removed: refused by name whatever its value
        ("promotion_settle_seconds = 5", "removed: promotion is judged from AWS state alone"),
        ("promotion_settle_seconds = inf", "removed: promotion is judged from AWS state alone"),
        ('promotion_settle_seconds = "5"', "removed: promotion is judged from AWS state alone"),
        ("max_parallel = 10000000000000000000000000000000000000000", "input should be less than or equal to 1024"),
    ],
)
def test_numbers_are_strict_finite_and_bounded(line: str, expected: str) -> None:
    field = line.split(" =")[0]
    (problem,) = problems_of(VALID + f"\n[failover]\n{line}\n")
    assert problem == f"standby.toml:28: failover.{field}: {expected}" or problem.startswith(
        f"standby.toml:28: failover.{field}: {expected}"
    )


def test_the_removed_settle_setting_is_listed_with_the_tables_other_problems() -> None:
    problems = problems_of(VALID + '\n[failover]\npromotion_settle_seconds = 5\nmax_parallel = "9"\nbogus = 1\n')
    assert sorted(problems) == [
        "standby.toml:28: failover.promotion_settle_seconds: removed: promotion is judged from AWS state alone",
        "standby.toml:29: failover.max_parallel: input should be a valid integer, found '9'",
        "standby.toml:30: failover.bogus: unknown key; expected one of: " + ", ".join(FailoverSettings.model_fields),
    ]


@pytest.mark.parametrize(
    ("table", "line", "expected"),
    [
        ("terraform", "parallel = 1", "input should be a valid boolean, found 1"),
        ("terraform", 'parallel = "true"', "input should be a valid boolean, found 'true'"),
        ("scale", 'fraction = "0.5"', "input should be a valid number, found '0.5'"),
        ("objectives", f"rto_seconds = {MAX_SECONDS + 1}", "input should be less than or equal to 86400"),
        ("drill", "hold_seconds = 1e3", "input should be a valid integer, found 1000.0"),
        ("drift", "replica_lag_max_seconds = -inf", "input should be a finite number, found -inf"),
        ("drift", "fail_on_unknown = 0", "input should be a valid boolean, found 0"),
    ],
)
def test_strictness_applies_across_the_schema(table: str, line: str, expected: str) -> None:
    text = VALID.replace("[objectives]\nrto_seconds = 600\n", "[objectives]\n") if table == "objectives" else VALID
    text = text.replace("[scale]\nfraction = 0.5\n", "[scale]\n") if table == "scale" else text
    text = text.replace(f"[{table}]\n", "") + f"\n[{table}]\n{line}\n"
    field = line.split(" =")[0]
    problems = problems_of(text)
    assert any(p.startswith(f"standby.toml:{line_with(text, line)}: {table}.{field}: {expected}") for p in problems)


def test_capacity_is_within_an_auto_scaling_groups_limits() -> None:
    text = VALID.replace("max_size = 6", f"max_size = {MAX_GROUP_SIZE + 1}")
    assert problems_of(text) == [
        f"standby.toml:13: capacity.web.max_size: input should be less than or equal to {MAX_GROUP_SIZE}, "
        f"found {MAX_GROUP_SIZE + 1}"
    ]
    text = VALID.replace("max_size = 6", f"max_size = {MAX_GROUP_SIZE}")
    assert parse_config(text, Path("standby.toml")).config.capacity["web"].max_size == MAX_GROUP_SIZE


def _numeric_fields(model: type[BaseModel], prefix: str = "") -> list[tuple[str, Any]]:
    found = []
    for name, info in model.model_fields.items():
        kinds = get_args(info.annotation) or (info.annotation,)
        for kind in kinds:
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                found += _numeric_fields(kind, f"{prefix}{name}.")
            elif kind in (int, float):
                found.append((f"{prefix}{name}", info))
            elif get_args(kind) and isinstance(get_args(kind)[-1], type) and issubclass(get_args(kind)[-1], BaseModel):
                found += _numeric_fields(get_args(kind)[-1], f"{prefix}{name}.*.")  # dict/list of models
    return found


def test_every_number_of_the_schema_has_an_upper_bound() -> None:
    fields = _numeric_fields(Config)
    assert len(fields) >= 20  # the walk does reach the nested tables
    unbounded = [name for name, info in fields if not any(hasattr(m, "le") or hasattr(m, "lt") for m in info.metadata)]
    assert unbounded == []


def test_terraform_variables_must_survive_json() -> None:
    text = VALID.replace('path = "stack"', 'path = "stack"\nvars = { when = 1979-05-27, x = [1, { y = nan }] }')
    assert problems_of(text) == [
        "standby.toml:10: stacks.region.vars.when: expected a string, number, boolean, array or table, "
        "found the date/time 1979-05-27",
        "standby.toml:10: stacks.region.vars.x: expected a finite number at 1.y, found nan",
    ]


@pytest.mark.parametrize("value", ["", "  ", "a\\u0000b", "~no-such-user-standby/x"])
def test_paths_must_be_usable(value: str) -> None:
    (problem,) = problems_of(VALID.replace('path = "stack"', f'path = "{value}"'))
    assert problem.startswith("standby.toml:9: stacks.region.path: ")


# -- stack directories ----------------------------------------------------------------------------------------


def write_config(tmp_path: Path, region_path: str) -> Path:
    text = example_text().replace(f'path = "{STACKS}/region"', f'path = "{region_path}"')
    config = tmp_path / "standby.toml"
    config.write_text(text)
    return config


def test_bundled_stacks_and_example_pass() -> None:
    for stack in sorted(STACKS.iterdir()):
        assert stack_directory_problem(stack) is None, stack
    assert set(load_config(EXAMPLE).config.stacks) == {"region", "dns"}


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda d: None, "the stack directory {d} does not exist"),
        (lambda d: d.write_text("x"), "{d} is not a directory; expected the stack's root module directory"),
        (lambda d: (d.mkdir(), (d / "README.md").write_text("x")), "{d} holds no Terraform files (*.tf)"),
    ],
    ids=["missing", "file", "empty"],
)
def test_a_stack_path_must_be_a_directory_of_terraform(tmp_path: Path, make, expected: str) -> None:
    directory = tmp_path / "stacks" / "region"
    directory.parent.mkdir()
    make(directory)
    config = write_config(tmp_path, "stacks/region")
    (problem,) = load_problems(config)
    line = line_with(config.read_text(), 'path = "stacks/region"')
    assert problem.startswith(f"{config}:{line}: stacks.region.path: stack 'region': {expected.format(d=directory)}")


NO_BACKEND = [
    'terraform {\n  required_version = ">= 1.5"\n}\n',
    '# terraform { backend "local" {} }\nterraform {\n  // backend "local" {}\n  /* backend "s3" {} */\n}\n',
    'locals {\n  text = "terraform { backend \\"local\\" {} }"\n}\n',
    'locals {\n  doc = <<-EOT\n    terraform {\n      backend "local" {}\n    }\n  EOT\n}\nterraform {}\n',
    'module "m" {\n  source = "./m"\n  backend "local" {}\n}\n',
    'terraform {\n  x = { backend = "local" }\n  required_providers {\n    backend "local" {}\n  }\n}\n',
    'terraform "label" {\n  backend "local" {}\n}\n',
    'locals {\n  s = "${jsonencode({ a = "}" })} terraform {"\n}\nbackend "local" {}\n',
]

WITH_BACKEND = [
    'terraform {\n  backend "local" {}\n}\n',
    'terraform { backend "s3" { bucket = "b" } }\n',
    '# comment\nlocals {\n  s = "${var.a} }"\n}\nterraform {\n  required_providers {\n    aws = {\n'
    '      source = "hashicorp/aws"\n    }\n  }\n  backend "local" {\n    path = "x"\n  }\n}\n',
    'locals {\n  doc = <<EOT\n}\nEOT\n}\nterraform {\n  backend "local" {}\n}\n',
]


@pytest.mark.parametrize("main_tf", NO_BACKEND)
def test_a_root_module_without_a_backend_is_refused(tmp_path: Path, main_tf: str) -> None:
    directory = tmp_path / "region"
    directory.mkdir()
    (directory / "main.tf").write_text(main_tf)
    config = write_config(tmp_path, "region")
    (problem,) = load_problems(config)
    assert problem.endswith(
        f"stacks.region.path: stack 'region': the root module in {directory} declares no backend, so both regions "
        'would share its terraform.tfstate; add an empty `backend "local" {}` block inside its `terraform { }` '
        "block (standby supplies the state path per region)"
    )


def test_a_stack_problem_under_a_long_path_is_shown_whole(tmp_path: Path) -> None:
    """A validator's message is cut at 300 characters; a stack directory's problem names the directory and ends
    with what to do, so it is shown whole however deep the directory lies."""
    directory = tmp_path / ("deep-" * 40) / "region"
    directory.mkdir(parents=True)
    (directory / "main.tf").write_text(NO_BACKEND[0])
    (problem,) = load_problems(write_config(tmp_path, str(directory)))
    assert len(problem) > 400 and "..." not in problem
    assert problem.endswith("(standby supplies the state path per region)"), problem


@pytest.mark.parametrize("main_tf", WITH_BACKEND)
def test_a_backend_block_is_found(tmp_path: Path, main_tf: str) -> None:
    (tmp_path / "variables.tf").write_text('variable "a" {}\n')
    (tmp_path / "main.tf").write_text(main_tf)
    assert stack_directory_problem(tmp_path) is None


def test_a_backend_in_terraform_json_is_found(tmp_path: Path) -> None:
    (tmp_path / "main.tf.json").write_text('{"terraform": [{"backend": {"local": {}}}]}')
    assert stack_directory_problem(tmp_path) is None
    (tmp_path / "main.tf.json").write_text('{"terraform": {"required_version": ">= 1.5"}}')
    assert "declares no backend" in str(stack_directory_problem(tmp_path))


def test_every_stack_problem_is_listed(tmp_path: Path) -> None:
    config = write_config(tmp_path, "nowhere")
    config.write_text(config.read_text().replace(f'path = "{STACKS}/global"', 'path = "nowhere/either"'))
    problems = load_problems(config)
    assert [p.split(": ")[1] for p in problems] == ["stacks.region.path", "stacks.dns.path"]


def test_stacks_can_be_left_unchecked(tmp_path: Path) -> None:
    config = write_config(tmp_path, "nowhere")
    assert load_config(config, check_stacks=False).config.stacks["region"].path == "nowhere"


# -- what the file is -----------------------------------------------------------------------------------------


def load_in_thread(path: Path) -> list[str]:
    """Problems of ``path``, failing (rather than hanging the suite) when loading takes more than 5 s."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            load_config(path)
        except Exception as err:  # noqa: BLE001 - handed to the test thread
            outcome.append(err)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(5)
    assert not thread.is_alive(), f"loading {path} hangs"
    (err,) = outcome
    assert isinstance(err, ConfigError)
    return err.problems


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "standby.toml"
    os.mkfifo(fifo)
    assert load_in_thread(fifo) == [f"{fifo}: is a named pipe (FIFO); expected a regular file holding TOML"]


def test_devices_and_directories_are_refused(tmp_path: Path) -> None:
    assert load_in_thread(Path("/dev/zero")) == [
        "/dev/zero: is a character device; expected a regular file holding TOML"
    ]
    assert load_in_thread(tmp_path) == [f"{tmp_path}: is a directory; expected a regular file holding TOML"]


def test_a_file_over_the_size_cap_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "standby.toml"
    big.write_text(example_text() + "#" * MAX_CONFIG_BYTES)
    assert load_in_thread(big) == [f"{big}: larger than 1024 KiB; expected a standby.toml of a few KB"]


def test_text_that_is_not_utf8_names_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "standby.toml"
    bad.write_bytes(b'[project]\nname = "caf\xe9"\n')
    assert load_problems(bad) == [f"{bad}:2: not UTF-8 text: byte 0xe9 cannot be decoded"]


def test_a_nul_in_the_path_is_a_config_error() -> None:
    (problem,) = load_problems(Path("stand\0by.toml"))
    assert problem.startswith("stand\0by.toml: cannot read: ")


def test_long_values_and_keys_are_shortened_in_messages() -> None:
    (problem,) = problems_of(VALID.replace('name = "shop"', f'name = "{"x" * 10_000}"'))
    assert len(problem) < 400
    key = "k" * 10_000
    (problem,) = problems_of(VALID + f"\n[{key}]\n")
    assert len(problem) < 400 and problem.startswith(f"standby.toml:27: {key[:77]}...: unknown key")


def test_printable_garbage_is_a_syntax_error() -> None:
    (problem,) = problems_of(VALID + string.printable)
    assert problem.startswith("standby.toml:26: TOML syntax error:")
