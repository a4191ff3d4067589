"""Against the emulator: clients built at once by many threads, from sessions sharing one model loader (regions,
a bounded copy), each answer for its own region."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from standby.aws.session import SessionFactory

REGIONS = ("us-east-1", "us-west-2", "eu-west-1")


def test_clients_built_and_used_at_once_from_threads_answer_for_their_region(
    clean_emulator: str, sessions: SessionFactory
) -> None:
    fast = sessions.fast_fail()
    start = threading.Barrier(12)

    def work(i: int) -> tuple[str, str, str, str]:
        factory = fast if i % 2 else sessions
        region = REGIONS[i % len(REGIONS)]
        start.wait()
        ec2 = factory.client("ec2", region)
        zones = {z["RegionName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]}
        bucket = f"threads-{i}-{region}"
        s3 = factory.client("s3", region)
        if region == "us-east-1":
            s3.create_bucket(Bucket=bucket)
        else:
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
        located = s3.get_bucket_location(Bucket=bucket)["LocationConstraint"] or "us-east-1"
        account = factory.client("sts", region).get_caller_identity()["Account"]
        return region, zones.pop(), located, account

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(work, range(12)))
    for region, zone_region, located, account in answers:
        assert (zone_region, located) == (region, region)
        assert account.isdigit()
    assert fast.model_loader is sessions.model_loader
