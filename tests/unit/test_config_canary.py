"""Config messages for the drill's write-marker canary ([drill.canary])."""

from __future__ import annotations

from pathlib import Path

from standby.config import parse_config
from tests.unit.test_config import VALID, problems_of

CANARY = """
[drill.canary]
primary_bucket = "{project}-{region}-data"
standby_bucket = "{project}-{regoin}-data"
interval_seconds = 0
"""


def test_canary_is_optional_and_defaults() -> None:
    assert parse_config(VALID, Path("standby.toml")).config.drill.canary is None
    text = VALID + CANARY.replace("{regoin}", "{region}").replace("interval_seconds = 0\n", "")
    canary = parse_config(text, Path("standby.toml")).config.drill.canary
    assert canary is not None and canary.prefix == "standby-canary/" and canary.interval_seconds == 5
    assert canary.bucket("primary", project="shop", region="eu-west-1") == "shop-eu-west-1-data"


def test_canary_problems_name_their_lines() -> None:
    assert problems_of(VALID + CANARY) == [
        "standby.toml:29: drill.canary.standby_bucket: unknown placeholder {regoin} in '{project}-{regoin}-data': "
        "only {project} and {region} exist",
        "standby.toml:30: drill.canary.interval_seconds: input should be greater than 0, found 0",
    ]
