"""Emulated outages: requests signed for a region hang or are refused, while other regions answer at once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ReadTimeoutError

from standby.emulator import emulation_state, restore, set_outage
from standby.errors import EmulatorError

EAST, WEST = "us-east-1", "us-west-2"


def client(endpoint: str, service: str, region: str, read_timeout: float = 10.0) -> Any:
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="t",
        aws_secret_access_key="t",
        config=Config(read_timeout=read_timeout, connect_timeout=2, retries={"total_max_attempts": 1}),
    )


@pytest.fixture
def emu(clean_emulator: str) -> Iterator[str]:
    yield clean_emulator
    restore(clean_emulator)


def timed(call: Any) -> tuple[Any, float]:
    started = time.monotonic()
    return call(), time.monotonic() - started


def test_hang_times_out_the_region_while_another_region_answers(emu: str) -> None:
    client(emu, "ssm", EAST).put_parameter(Name="/east", Value="1", Type="String")
    set_outage(emu, WEST, "all", "hang")
    west = client(emu, "ssm", WEST, read_timeout=2)
    east = client(emu, "ssm", EAST)
    with ThreadPoolExecutor(max_workers=1) as pool:
        hanging = pool.submit(timed, lambda: west.describe_parameters())
        time.sleep(0.3)
        assert not hanging.done()
        answer, took = timed(lambda: east.get_parameter(Name="/east"))  # during the hang
        assert answer["Parameter"]["Value"] == "1" and took < 1.0
        assert not hanging.done()
        with pytest.raises(ReadTimeoutError):
            hanging.result(timeout=15)
    assert emulation_state(emu)["outages"] == [{"region": WEST, "plane": "all", "mode": "hang"}]


def test_a_held_request_is_answered_after_restore(emu: str) -> None:
    set_outage(emu, WEST, "all", "hang")
    west = client(emu, "sts", WEST, read_timeout=15)
    with ThreadPoolExecutor(max_workers=1) as pool:
        held = pool.submit(timed, lambda: west.get_caller_identity())
        time.sleep(1.0)
        assert not held.done()
        assert restore(emu) == [{"region": WEST, "plane": "all", "mode": "hang"}]
        answer, took = held.result(timeout=10)
    assert answer["Account"] and 1.0 <= took < 5.0
    assert emulation_state(emu)["outages"] == []


def test_refuse_resets_the_connection_at_once(emu: str) -> None:
    set_outage(emu, WEST, "all", "refuse")
    west = client(emu, "ec2", WEST)
    started = time.monotonic()
    with pytest.raises(BotoCoreError) as refused:
        west.describe_vpcs()
    assert not isinstance(refused.value, ReadTimeoutError)
    assert time.monotonic() - started < 2.0
    assert client(emu, "ec2", EAST).describe_vpcs()["Vpcs"]
    restore(emu, WEST)
    assert west.describe_vpcs()["Vpcs"]


def test_control_plane_outage_takes_only_route53(emu: str) -> None:
    set_outage(emu, EAST, "control", "refuse")
    with pytest.raises(BotoCoreError):
        client(emu, "route53", EAST).list_hosted_zones()
    with pytest.raises(BotoCoreError):
        client(emu, "route53", WEST).list_hosted_zones()  # Route53's API is in us-east-1, whatever the signature
    assert client(emu, "sts", EAST).get_caller_identity()["Account"]
    assert client(emu, "ec2", EAST).describe_vpcs()["Vpcs"]
    restore(emu)
    assert client(emu, "route53", EAST).list_hosted_zones()["HostedZones"] == []


def test_a_full_outage_of_us_east_1_takes_route53_too(emu: str) -> None:
    set_outage(emu, EAST, "all", "refuse")
    with pytest.raises(BotoCoreError):
        client(emu, "route53", WEST).list_hosted_zones()
    assert client(emu, "sts", WEST).get_caller_identity()["Account"]
    set_outage(emu, WEST, "all", "refuse")
    restore(emu, EAST)
    assert client(emu, "route53", WEST).list_hosted_zones()["HostedZones"] == []  # a us-west-2 outage spares it


def test_a_regional_outage_of_us_east_1_spares_route53(emu: str) -> None:
    set_outage(emu, EAST, "regional", "refuse")
    with pytest.raises(BotoCoreError):
        client(emu, "ec2", EAST).describe_vpcs()
    assert client(emu, "route53", EAST).list_hosted_zones()["HostedZones"] == []
    assert client(emu, "ec2", WEST).describe_vpcs()["Vpcs"]
    restore(emu)


def test_control_plane_outage_must_name_us_east_1(emu: str) -> None:
    with pytest.raises(EmulatorError, match="must name us-east-1"):
        set_outage(emu, WEST, "control", "hang")
    with pytest.raises(EmulatorError, match="mode must be one of"):
        set_outage(emu, WEST, "all", "sometimes")
    assert emulation_state(emu)["outages"] == []


def test_reset_ends_outages(emu: str) -> None:
    from standby.emulator import reset_endpoint

    set_outage(emu, WEST, "all", "refuse")
    reset_endpoint(emu)
    assert emulation_state(emu)["outages"] == []
    assert client(emu, "sts", WEST).get_caller_identity()["Account"]
