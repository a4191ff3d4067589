"""Scheduled mode: the Lambda handler publishes the findings metric and keeps the report; the package builds
the same bytes from the same inputs and imports from the zip."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import zipfile

from standby.drift.package import build_package
from standby.drift.scheduled import FINDINGS_METRIC, LATEST_REPORT_KEY, METRIC_NAMESPACE, handler, run_scheduled
from standby.state.store import ControlStore
from tests.integration.drift.world import Mirror


def findings_metric(sessions, region: str) -> list[float]:  # type: ignore[no-untyped-def]
    now = dt.datetime.now(dt.UTC)
    points = sessions.client("cloudwatch", region).get_metric_statistics(
        Namespace=METRIC_NAMESPACE,
        MetricName=FINDINGS_METRIC,
        Dimensions=[{"Name": "Project", "Value": "webapp"}],
        StartTime=now - dt.timedelta(minutes=10),
        EndTime=now + dt.timedelta(minutes=1),
        Period=60,
        Statistics=["Maximum"],
    )["Datapoints"]
    return [p["Maximum"] for p in points]


def test_run_publishes_the_number_of_drifted_findings_and_keeps_the_report(loaded, sessions, mirror: Mirror) -> None:
    report = run_scheduled(loaded, sessions)
    assert report.checks == ("parity", "readiness")  # no Terraform in the function
    assert findings_metric(sessions, mirror.standby) == [0.0]
    stored = ControlStore(sessions, "webapp", mirror.standby).get(LATEST_REPORT_KEY)
    assert stored["status"] == "parity" and stored["report_version"] == 1


def test_the_handler_reads_its_config_and_endpoint_from_the_environment(
    loaded, sessions, mirror: Mirror, endpoint, monkeypatch
) -> None:
    sessions.client("ssm", mirror.primary).put_parameter(
        Name="/webapp/log_level", Value="debug", Type="String", Overwrite=True
    )
    monkeypatch.setenv("STANDBY_CONFIG", str(loaded.path))
    monkeypatch.setenv("STANDBY_AWS_ENDPOINT", endpoint)
    monkeypatch.setenv("AWS_REGION", mirror.standby)
    answer = handler({"source": "standby-drift-schedule"}, None)
    assert (answer["status"], answer["exit_code"], answer["counts"]["drift"]) == ("drift", 3, 1)
    assert findings_metric(sessions, mirror.standby) == [1.0]


def test_the_package_is_reproducible_and_importable(loaded, tmp_path) -> None:
    first = build_package(loaded.path, tmp_path / "a" / "drift.zip")
    second = build_package(loaded.path, tmp_path / "b" / "drift.zip")
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        names = archive.namelist()
        assert archive.read("standby.toml") == loaded.path.read_bytes()
    assert "standby/drift/scheduled.py" in names and not any("__pycache__" in n for n in names)
    probe = "import standby.drift.scheduled as s; print(s.__file__); print(s.package_root())"
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env={"PYTHONPATH": str(first)},
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    module_file, root = done.stdout.split()
    assert module_file.startswith(str(first)) and root == str(first)
