"""The [drift] section: defaults, and a clear message with file:line for every mistake at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from standby.config.drift_schema import PARITY_ATTRIBUTES, DriftSettings
from standby.config.loader import parse_config
from standby.errors import ConfigError

REPO = Path(__file__).resolve().parents[3]
BASE = (REPO / "examples" / "webapp" / "standby.toml").read_text()
PATH = Path("/project/standby.toml")


def problems(extra: str) -> list[str]:
    text = BASE.split("\n[drift]")[0] + extra  # the example's own [drift] section is replaced
    with pytest.raises(ConfigError) as caught:
        parse_config(text, PATH)
    return caught.value.problems


def line_of(extra: str, needle: str) -> int:
    text = BASE.split("\n[drift]")[0] + extra
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_defaults_compare_everything_and_ignore_nothing() -> None:
    settings = DriftSettings()
    assert settings.checks == ["iac", "parity", "readiness"]
    assert settings.ignore == [] and settings.allowed.capacity_ratio is None
    for service, attributes in PARITY_ATTRIBUTES.items():
        assert settings.parity.attributes(service) == attributes


def test_the_example_drift_section_is_valid() -> None:
    loaded = parse_config(BASE, PATH)
    assert loaded.config.drift.ignore or loaded.config.drift.allowed.db_instance_classes


@pytest.mark.parametrize(
    ("extra", "needle", "expected"),
    [
        (
            '\n[drift]\nchecks = ["iac", "lint"]\n',
            "checks =",
            "drift.checks.1: input should be 'iac', 'parity' or 'readiness', found 'lint'",
        ),
        (
            '\n[drift.parity]\ndatabase = ["engine", "colour"]\n',
            "database =",
            "drift.parity.database: unknown attribute(s) 'colour'; expected some of: engine, engine_version,",
        ),
        (
            "\n[drift.allowed]\ncapacity_ratio = { min = 0.9, max = 0.5 }\n",
            "capacity_ratio",
            "drift.allowed.capacity_ratio: expected min <= max, found min = 0.9 > max = 0.5",
        ),
        (
            '\n[drift.allowed]\ndb_instance_classes = ["t3.micro"]\n',
            "db_instance_classes",
            "drift.allowed.db_instance_classes.0: expected an RDS instance class such as 'db.t3.micro',"
            " found 't3.micro'",
        ),
        (
            '\n[drift.allowed]\ninstance_types = ["db.t3.micro"]\n',
            "instance_types",
            "drift.allowed.instance_types.0: expected an EC2 instance type such as 't3.micro', found 'db.t3.micro'",
        ),
        (
            '\n[[drift.ignore]]\nresource = "parameter:/webapp/*"\n',
            "[[drift.ignore]]",
            "drift.ignore.0.reason: required field is missing",
        ),
        (
            '\n[[drift.ignore]]\nresource = "parameter:/webapp/*"\nreason = " "\n',
            "reason =",
            "drift.ignore.0.reason: expected a reason that says why this drift is accepted (at least 3 characters)",
        ),
        (
            '\n[[drift.ignore]]\nresource = "security group"\nreason = "known"\n',
            "resource =",
            "drift.ignore.0.resource: expected a pattern without spaces such as 'parameter:/webapp/*',"
            " found 'security group'",
        ),
        (
            '\n[[drift.ignore]]\nresource = "x"\nregion = "mars"\nreason = "known"\n',
            "region =",
            "drift.ignore.0.region: expected an AWS region name such as 'us-east-1', found 'mars'",
        ),
        (
            '\n[drift]\nname_patterns = ["(web-)[a-z0-9]{8}", "web-(["]\n',
            "name_patterns",
            "drift.name_patterns.1: name pattern 'web-([' is not a regular expression: unterminated character set",
        ),
        (
            '\n[drift]\nname_patterns = ["web-[a-z0-9]{8}"]\n',
            "name_patterns",
            "drift.name_patterns.0: name pattern 'web-[a-z0-9]{8}' must have exactly one group, the stable part of"
            " the name (e.g. '(web-)[0-9a-z]{8}'), found 0",
        ),
        (
            "\n[drift]\nreplica_lag = 30\n",
            "replica_lag =",
            "drift.replica_lag: unknown key; expected one of: checks, parity, allowed, ignore,",
        ),
    ],
)
def test_each_mistake_is_reported_with_its_line(extra: str, needle: str, expected: str) -> None:
    found = problems(extra)
    assert len(found) == 1, found
    assert found[0].startswith(f"{PATH}:{line_of(extra, needle)}: {expected}"), found[0]


def test_every_problem_is_reported_at_once() -> None:
    extra = (
        '\n[drift]\nchecks = ["nope"]\n\n[[drift.ignore]]\nresource = "a"\n\n'
        '[[drift.ignore]]\nname = "x"\nresource = "b"\nreason = "known"\n'
    )
    found = problems(extra)
    assert [p.split(": ")[1] for p in found] == ["drift.checks.0", "drift.ignore.0.reason"]


def test_ignore_rule_names_must_be_unique() -> None:
    extra = (
        '\n[[drift.ignore]]\nname = "flags"\nresource = "a"\nreason = "known"\n'
        '\n[[drift.ignore]]\nname = "flags"\nresource = "b"\nreason = "known"\n'
    )
    line = line_of(extra, "[[drift.ignore]]")
    assert problems(extra) == [
        f"{PATH}:{line}: drift.ignore: ignore rule names must be unique, found duplicates: flags"
    ]
