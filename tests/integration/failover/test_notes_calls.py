"""A failover's notes cost a fixed number of control-store calls: for each kind, one read and one write per region
whatever the number of record sets or databases, and no listing in a deployment `standby provision` published
(its notes documents exist, created by its publish step without overwriting one). A deployment of an earlier
version (notes one per resource) is still read."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

from standby.aws.session import SessionFactory
from standby.failover.controller import Controller
from standby.failover.fencing import FENCE_NOTES
from standby.failover.model import RESTORE_WRITES
from standby.provision import Provisioner
from standby.state import EVICTED_RECORD, Assignment, RegionStates
from tests.fakes.clock import FakeClock
from tests.integration.failover.world import restore_writes_plan

EAST, WEST = "us-east-1", "us-west-2"


class NotesCalls:
    """Every S3 call on a key or prefix under ``notes/``: (region, operation, key or prefix)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self._lock = threading.Lock()

    def __call__(self, client: Any) -> None:
        if client.meta.service_model.service_name != "s3":
            return
        region = client.meta.region_name

        def record(params: dict[str, Any], model: Any, **_: Any) -> None:
            where = str(params.get("Key") or params.get("Prefix") or "")
            if where.startswith("notes/"):
                with self._lock:
                    self.calls.append((region, model.name, where))

        client.meta.events.register("before-parameter-build.s3", record)

    def counted(self) -> Counter[tuple[str, str, str]]:
        with self._lock:
            return Counter(self.calls)


def _controller(loaded, target, hook) -> tuple[Controller, SessionFactory]:
    sessions = SessionFactory(target=target, on_client=hook)
    ctl = Controller(loaded, sessions, RegionStates.of(loaded, sessions), clock=FakeClock(time.time()))
    return ctl, sessions


def test_a_failover_reads_and_writes_each_notes_document_once_per_region(world, loaded, sessions, target) -> None:
    RegionStates.of(loaded, sessions).create_notes_documents()  # as `standby provision` publishes them
    calls = NotesCalls()
    ctl, _ = _controller(loaded, target, calls)

    journal = ctl.execute(ctl.plan("failover"))

    assert journal.status == "complete", {k: (s.status, s.error) for k, s in journal.steps.items()}
    evicted, fence = f"notes/{EVICTED_RECORD}.json", f"notes/{FENCE_NOTES}.json"
    deadline = time.monotonic() + 10  # the evicted records' copy in the demoted region is made in the background
    while calls.counted()[(EAST, "PutObject", evicted)] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    counted = calls.counted()
    assert [c for c in counted if c[1] == "ListObjectsV2"] == []  # never the layout of earlier versions
    # Both record sets of the demoted region evicted, in one write per region; the activated region read its
    # saved records first (nothing to restore), then changed them.
    assert len(ctl.states[WEST].notes().all(EVICTED_RECORD)) == 2
    assert {k: n for k, n in counted.items() if k[2] == evicted} == {
        (WEST, "GetObject", evicted): 2,
        (WEST, "PutObject", evicted): 1,
        (EAST, "GetObject", evicted): 1,
        (EAST, "PutObject", evicted): 1,
    }
    assert {k: n for k, n in counted.items() if k[2] == fence} == {
        (WEST, "GetObject", fence): 1,
        (WEST, "PutObject", fence): 1,
        (EAST, "GetObject", fence): 1,
        (EAST, "PutObject", fence): 1,
    }


def test_an_earlier_versions_notes_are_read_and_restored(world, loaded, sessions, target) -> None:
    """No notes documents: the notes kept one per resource are listed and read, by a failback and by provision."""
    ec2 = sessions.client("ec2", EAST)
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    own = ec2.create_security_group(GroupName="webapp-db", Description="database", VpcId=vpc)["GroupId"]
    fence = ec2.create_security_group(GroupName="standby-webapp-fence", Description="fence", VpcId=vpc)["GroupId"]
    rds = sessions.client("rds", EAST)
    rds.modify_db_instance(DBInstanceIdentifier="webapp-db", VpcSecurityGroupIds=[fence], ApplyImmediately=True)
    states = RegionStates.of(loaded, sessions)
    west = states[WEST].store
    west.put(
        f"notes/{FENCE_NOTES}/{EAST}-webapp-db.json",
        {"region": EAST, "database": "webapp-db", "security_groups": [own], "run_id": "earlier"},
    )
    west.put(f"notes/{EVICTED_RECORD}/{EAST}-www-CNAME.json", {"record": {"SetIdentifier": EAST, "Name": "www"}})
    assert states.evicted_regions() == {EAST}

    ctl, _ = _controller(loaded, target, None)
    restore = restore_writes_plan("20261130T000000Z-failback-ab12", EAST, WEST)
    done = ctl.run_plan(restore)

    assert done.steps[f"{RESTORE_WRITES}:{EAST}"].status == "complete"
    [db] = rds.describe_db_instances(DBInstanceIdentifier="webapp-db")["DBInstances"]
    assert [g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]] == [own]
    assert states[WEST].notes().all(FENCE_NOTES) == {}  # forgotten: the document now holds what is left
    assert states.evicted_regions() == {EAST}  # its kind has no document yet: still read one per resource


class _PublishedStacks:
    """The stacks as `Provisioner.publish` reads them: their manifest (the world's) and their groups sized by the
    controller, not Terraform."""

    runner = None

    def __init__(self, manifest) -> None:
        self._manifest = manifest

    def manifest(self, regions):
        return self._manifest

    def sizes_groups_through_terraform(self) -> bool:
        return True


def test_publish_creates_the_notes_documents_in_both_regions_without_overwriting(world, loaded, sessions) -> None:
    states = RegionStates.of(loaded, sessions)
    kept = {"web": {"prior_capacity": {"desired_capacity": 4}}}
    states[WEST].store.put("notes/asg.json", kept)  # a document a failover wrote: never overwritten
    provisioner = Provisioner(
        loaded, _PublishedStacks(world.manifest), states, assignment=Assignment.home(loaded.config)
    )

    provisioner.publish(sessions)

    for region in (EAST, WEST):
        store = states[region].store
        assert store.get(f"notes/{EVICTED_RECORD}.json") == {} and store.get(f"notes/{FENCE_NOTES}.json") == {}
        assert store.get("notes/asg.json") == (kept if region == WEST else {})
    calls = NotesCalls()
    provisioner = Provisioner(
        loaded,
        _PublishedStacks(world.manifest),
        RegionStates.of(loaded, SessionFactory(target=sessions.target, on_client=calls)),
        assignment=Assignment.home(loaded.config),
    )
    provisioner.publish(sessions)  # again: every document exists, none is written
    assert {op for _, op, _ in calls.counted()} == {"GetObject"}
