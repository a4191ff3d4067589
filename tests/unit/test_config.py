"""Config messages: each user-facing problem reads as file:line: field.path: message."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from standby.config import load_config, parse_config
from standby.config.loader import key_lines
from standby.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]

VALID = textwrap.dedent(
    """\
    [project]
    name = "shop"

    [regions]
    primary = "eu-west-1"
    standby = "eu-central-1"

    [stacks.region]
    path = "stack"

    [capacity.web]
    min_size = 2
    max_size = 6
    desired_capacity = 4

    [scale]
    fraction = 0.5

    [traffic]
    hosted_zone = "shop.example.com"
    records = ["www"]

    [objectives]
    rto_seconds = 600
    rpo_seconds = 30
    """
)


def problems_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, Path("standby.toml"))
    return caught.value.problems


def test_valid_config_loads_with_defaults() -> None:
    loaded = parse_config(VALID, Path("standby.toml"))
    c = loaded.config
    assert c.project.name == "shop"
    assert c.terraform.binary == "terraform"
    assert c.traffic.ttl == 60
    assert c.scale.floor == 1
    assert c.entrypoint == "web"


def test_bundled_example_is_valid() -> None:
    loaded = load_config(REPO / "examples" / "webapp" / "standby.toml")
    assert loaded.config.regions.primary == "us-east-1"
    assert loaded.resolve(loaded.config.stacks["region"].path) == REPO / "terraform" / "stacks" / "region"


def test_missing_field_names_the_table_line() -> None:
    text = VALID.replace("rpo_seconds = 30\n", "")
    assert problems_of(text) == ["standby.toml:23: objectives.rpo_seconds: required field is missing"]


def test_missing_table() -> None:
    text = VALID.replace("[scale]\nfraction = 0.5\n", "")
    assert problems_of(text) == ["standby.toml: scale: required field is missing"]


def test_wrong_type_shows_what_was_found() -> None:
    text = VALID.replace("max_size = 6", 'max_size = "six"')
    assert problems_of(text) == ["standby.toml:13: capacity.web.max_size: input should be a valid integer, found 'six'"]


def test_unknown_key_lists_the_expected_keys() -> None:
    text = VALID.replace('path = "stack"', 'path = "stack"\nvarz = {}')
    assert problems_of(text) == [
        "standby.toml:10: stacks.region.varz: unknown key; expected one of: "
        "path, scope, vars, region_vars, secrets, backend_config, outputs"
    ]


def test_bad_region() -> None:
    text = VALID.replace('"eu-central-1"', '"eu-centrale"')
    assert problems_of(text) == [
        "standby.toml:6: regions.standby: expected an AWS region name such as 'us-east-1', found 'eu-centrale'"
    ]


def test_same_region_twice() -> None:
    text = VALID.replace('"eu-central-1"', '"eu-west-1"')
    assert problems_of(text) == [
        "standby.toml:4: regions: primary and standby must be different regions, both are 'eu-west-1'"
    ]


def test_several_problems_reported_at_once() -> None:
    text = (
        VALID.replace('name = "shop"', 'name = "Shop!"')
        .replace("fraction = 0.5", "fraction = 1.5")
        .replace("desired_capacity = 4", "desired_capacity = 9")
        .replace('records = ["www"]', "records = []")
    )
    problems = problems_of(text)
    assert len(problems) == 4
    assert problems[0].startswith("standby.toml:2: project.name: expected 3-20 characters")
    assert problems[1] == (
        "standby.toml:11: capacity.web: expected min_size <= desired_capacity <= max_size, found 2 <= 9 <= 6"
    )
    assert problems[2] == "standby.toml:17: scale.fraction: input should be less than or equal to 1, found 1.5"
    assert problems[3].startswith("standby.toml:21: traffic.records: list should have at least 1 item")


def test_cross_reference_problems() -> None:
    text = VALID.replace('records = ["www"]', 'records = ["www"]\nentrypoint = "api"').replace(
        'path = "stack"', 'path = "stack"\nregion_vars = { "us-west-2" = { ami_id = "ami-1" } }'
    )
    assert problems_of(text) == [
        "standby.toml:23: traffic.entrypoint: expected one of the capacity groups ['web'], found 'api'",
        "standby.toml:10: stacks.region.region_vars.us-west-2: expected the primary or standby region "
        "(eu-west-1, eu-central-1), found 'us-west-2'",
    ]


def test_toml_syntax_error_has_a_line() -> None:
    problems = problems_of(VALID.replace("fraction = 0.5", "fraction = = 0.5"))
    assert len(problems) == 1
    assert problems[0].startswith("standby.toml:17: TOML syntax error:")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.toml")
    assert caught.value.problems == [f"{tmp_path / 'nope.toml'}: file not found"]
    assert caught.value.exit_code == 2


def test_endpoint_must_be_emulator_or_url() -> None:
    text = VALID + '\n[aws]\nendpoint = "localhost:4566"\n'
    assert problems_of(text) == [
        "standby.toml:28: aws.endpoint: expected 'emulator' or a URL such as 'http://127.0.0.1:5000', "
        "found 'localhost:4566'"
    ]


def test_key_lines_handles_dotted_keys_quotes_and_arrays_of_tables() -> None:
    lines = key_lines('a.b = 1\n[t."x.y"]\nk = 2\n[[arr]]\nv = 1\n[[arr]]\nv = 2\n')
    assert lines[("a", "b")] == 1
    assert lines[("t", "x.y", "k")] == 3
    assert lines[("arr", "0", "v")] == 5
    assert lines[("arr", "1", "v")] == 7
