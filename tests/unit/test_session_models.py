"""The session factory parses botocore's service models once: every session of a factory and of its bounded copies
uses one model loader, threads asking for the same model at once share one parse, and a client asked for by many
threads at once is built once. No AWS call is made: building a client calls nothing."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import botocore.loaders

from standby.aws.credentials import RegionCredentials
from standby.aws.session import ModelLoader, SessionFactory, Target

EAST, WEST = "us-east-1", "us-west-2"
TARGET = Target("http://127.0.0.1:9", emulator=True)  # nothing listens there: no test here calls AWS


def loader_of(session: Any) -> Any:
    return session.core.get_component("data_loader")


class CountingFileLoader:
    """botocore's file loader, counting the files it parses."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.parsed: Counter[str] = Counter()
        self._lock = threading.Lock()

    def exists(self, file_path: str) -> bool:
        return bool(self.inner.exists(file_path))

    def load_file(self, file_path: str) -> Any:
        with self._lock:
            self.parsed[file_path] += 1
        return self.inner.load_file(file_path)


def counting(loader: ModelLoader) -> CountingFileLoader:
    counter = CountingFileLoader(loader.file_loader)
    loader.file_loader = counter
    return counter


def at_once(count: int, work: Callable[[int], Any]) -> list[Any]:
    """``work(i)`` for ``count`` threads that start together."""
    start = threading.Barrier(count)

    def run(i: int) -> Any:
        start.wait()
        return work(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_every_session_of_a_factory_and_of_its_bounded_copies_uses_one_loader() -> None:
    sessions = SessionFactory(
        target=TARGET, credentials={WEST: RegionCredentials(role_arn="arn:aws:iam::222222222222:role/dr")}
    )
    fast = sessions.fast_fail()
    loaders = {
        id(loader_of(s))
        for s in (sessions.session(EAST), sessions.session(WEST), fast.session(EAST), fast.session(WEST))
    }
    assert loaders == {id(sessions.model_loader)}
    assert fast.model_loader is sessions.model_loader
    assert SessionFactory(target=TARGET).model_loader is not sessions.model_loader  # another factory, its own


def test_a_factory_and_its_bounded_copies_share_sessions_but_not_an_assumed_roles() -> None:
    """A session holds no client settings, except an assumed role's (its STS client has the asking factory's)."""
    sessions = SessionFactory(
        target=TARGET, credentials={WEST: RegionCredentials(role_arn="arn:aws:iam::222222222222:role/dr")}
    )
    fast = sessions.fast_fail()
    assert fast.session(EAST) is sessions.session(EAST)
    assert fast.session(WEST) is not sessions.session(WEST)
    assert sessions.session(EAST) is not sessions.session("eu-west-1")
    assert SessionFactory(target=TARGET).session(EAST) is not sessions.session(EAST)  # another factory


def test_a_service_model_is_parsed_once_for_every_region_and_client_setting() -> None:
    sessions = SessionFactory(target=TARGET)
    parsed = counting(sessions.model_loader)
    for factory in (sessions, sessions.fast_fail(), sessions.bounded(10.0, 3)):
        for region in (EAST, WEST, "eu-west-1"):
            assert factory.client("ec2", region).meta.region_name == region
    ec2_files = [path for path in parsed.parsed if "/ec2/" in path]
    assert ec2_files and all(parsed.parsed[path] == 1 for path in ec2_files), parsed.parsed


def test_threads_asking_for_the_same_model_at_once_share_one_parse() -> None:
    loader = ModelLoader()
    parsed = counting(loader)
    models = at_once(8, lambda i: loader.load_service_model("ec2" if i % 2 else "rds", "service-2"))
    assert len({id(m) for m in models[1::2]}) == 1 and len({id(m) for m in models[::2]}) == 1
    assert parsed.parsed and set(parsed.parsed.values()) == {1}, parsed.parsed


def test_the_loaders_search_paths_hold_each_path_once_however_many_sessions() -> None:
    sessions = SessionFactory(target=TARGET)
    for region in (EAST, WEST, "eu-west-1"):
        sessions.session(region)
        sessions.fast_fail().session(region)
    paths = sessions.model_loader.search_paths
    assert len(paths) == len(set(paths))


def test_a_client_asked_for_by_many_threads_at_once_is_built_once() -> None:
    built: list[Any] = []
    sessions = SessionFactory(target=TARGET, on_client=built.append)
    clients = at_once(6, lambda i: sessions.client("sts", (EAST, WEST)[i % 2]))
    assert len(built) == 2
    assert {id(c) for c in clients} == {id(c) for c in built}
    assert sessions.client("sts", EAST) is clients[0]


class SlowLookUp:
    """An account look-up that counts its calls and answers (or fails) once ``release`` is set."""

    def __init__(self, answer: str | Exception) -> None:
        self.answer = answer
        self.calls = 0
        self.release = threading.Event()

    def __call__(self) -> str:
        self.calls += 1
        assert self.release.wait(10)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_threads_asking_for_the_account_at_once_share_one_look_up_remembered_by_bounded_copies() -> None:
    sessions = SessionFactory(target=TARGET)
    look_up = SlowLookUp("111111111111")
    factories = (sessions, sessions.fast_fail(), sessions.bounded(10.0, 3))
    threading.Timer(0.3, look_up.release.set).start()  # every thread is waiting by then
    accounts = at_once(6, lambda i: factories[i % 3].account_once((EAST, WEST)[i % 2], look_up))
    assert accounts == ["111111111111"] * 6 and look_up.calls == 1
    assert sessions.known_account(WEST) == "111111111111"
    assert sessions.account_once(EAST, SlowLookUp("never asked")) == "111111111111"


def test_a_failed_account_look_up_fails_every_thread_that_shared_it_and_the_next_one_asks_again() -> None:
    sessions = SessionFactory(target=TARGET)
    failing = SlowLookUp(TimeoutError("sts did not answer"))
    threading.Timer(0.3, failing.release.set).start()

    def ask(i: int) -> str:
        try:
            return sessions.account_once(EAST, failing)
        except TimeoutError as err:
            return str(err)

    assert at_once(4, ask) == ["sts did not answer"] * 4 and failing.calls == 1
    assert sessions.known_account(EAST) is None
    answering = SlowLookUp("222222222222")
    answering.release.set()
    assert sessions.account_once(EAST, answering) == "222222222222" and answering.calls == 1


def test_models_are_parsed_into_plain_dicts_with_botocores_content_and_order() -> None:
    ours = ModelLoader().load_service_model("autoscaling", "service-2")
    theirs = botocore.loaders.Loader().load_service_model("autoscaling", "service-2")
    assert type(ours) is dict and type(ours["shapes"]) is dict
    assert ours == theirs and list(ours["shapes"]) == list(theirs["shapes"])
    client = SessionFactory(target=TARGET).client("autoscaling", EAST)
    assert client.can_paginate("describe_auto_scaling_groups")
    assert client.meta.service_model.operation_model("DescribeAutoScalingGroups").input_shape.name


def test_the_cli_does_not_import_boto3() -> None:
    """boto3, s3transfer and multiprocessing cost every process about 60 ms; standby's clients need botocore only."""
    code = "import sys, standby.cli.main; print(sorted(m for m in ('boto3', 's3transfer') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
