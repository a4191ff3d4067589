"""The lint against an outage: failovers run while the demoted region and Route53's control plane (us-east-1)
refuse every request, with a botocore hook recording every call attempted. Each call attempted must be one the
lint listed, in the same region; records mode fails where the lint said it depends on Route53's control plane;
health-check mode completes, every call it attempted in the refusing region being one the lint called best effort.
Also the verbs on the emulator: `standby lint` (exit 3 in records mode, 0 in health-check mode) and `standby plan`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from standby.aws.session import SessionFactory
from standby.cli.main import main
from standby.clock import SystemClock
from standby.config.schema import LoadedConfig
from standby.emulator import restore, set_outage
from standby.errors import StepFailed
from standby.failover.controller import Controller
from standby.plan.calls import iam_action
from standby.plan.collect import collect
from standby.plan.lint import LintReport, lint
from standby.state import RegionStates
from standby.traffic_switch import ROUTE53_REGION, ensure_switches
from tests.fakes.aws_faults import CallRecorder

EAST, WEST = "us-east-1", "us-west-2"
BUDGET = 2.0


def configured(loaded: LoadedConfig, **failover: Any) -> LoadedConfig:
    settings = loaded.config.failover.model_copy(update=failover)
    return loaded.model_copy(update={"config": loaded.config.model_copy(update={"failover": settings})})


def controller(loaded: LoadedConfig, target: Any, recorder: CallRecorder) -> Controller:
    factory = SessionFactory(target=target, on_client=recorder)
    return Controller(loaded, factory, RegionStates.of(loaded, factory), clock=SystemClock())


def attempted(recorder: CallRecorder) -> set[tuple[str, str]]:
    """(IAM action, region) of every call attempted; Route53's API is in us-east-1 whatever the client's region."""
    return {
        (iam_action(service, op), ROUTE53_REGION if service == "route53" else region)
        for region, service, op in recorder.calls
    }


def listed(report: LintReport, mode: str) -> dict[tuple[str, str], bool]:
    """(IAM action, region) -> best effort, for every call the lint lists for the failover in ``mode``."""
    return {(c.action, c.region): c.best_effort for c in report.verdict(mode).failover.calls}


@pytest.fixture
def outage(clean_emulator: str) -> Iterator[str]:
    yield clean_emulator
    restore(clean_emulator)


def _refuse_demoted_and_route53(endpoint: str) -> None:
    set_outage(endpoint, EAST, "all", "refuse")  # the demoted region
    set_outage(endpoint, ROUTE53_REGION, "control", "refuse")  # Route53's control plane


def test_records_mode_fails_where_the_lint_says_it_depends_on_route53(world, loaded, target, outage) -> None:
    loaded = configured(loaded, demote_budget_seconds=BUDGET, dns_timeout_seconds=5)
    report = lint(loaded.config, collect(controller(loaded, target, CallRecorder())).by_mode)
    assert report.source == "observed" and not report.passed
    problems = report.verdict("records").problems
    assert {p.step for p in problems} >= {"shift-traffic"}
    assert {(p.action, p.region) for p in problems} >= {("route53:ChangeResourceRecordSets", EAST)}
    assert all(p.region == EAST for p in problems)  # the demoted region, whose region also hosts Route53's API

    _refuse_demoted_and_route53(outage)
    recorder = CallRecorder()
    ctl = controller(loaded, target, recorder)
    planned = ctl.plan("failover")
    with pytest.raises(StepFailed) as failed:
        ctl.execute(planned)
    assert "step shift-traffic failed" in failed.value.message
    calls = attempted(recorder)
    unlisted = calls - set(listed(report, "records"))
    assert unlisted == set(), f"calls the lint did not list: {sorted(unlisted)}"
    # What failed the run is a call the lint named as a dependency, in the step it named.
    route53_calls = {c for c in calls if c[0].startswith("route53:")}
    assert route53_calls and route53_calls <= {(p.action, p.region) for p in problems} | {
        (a, r) for (a, r), best_effort in listed(report, "records").items() if best_effort
    }
    journal = ctl.load_journal(planned.plan.run_id)
    assert journal.steps["shift-traffic"].status == "failed"


def test_health_check_mode_completes_calling_the_refusing_region_only_where_the_lint_says_best_effort(
    world, loaded, target, sessions, outage
) -> None:
    loaded = configured(loaded, traffic_mode="health-check", demote_budget_seconds=BUDGET)
    ensure_switches(sessions, loaded.config)
    report = lint(loaded.config, collect(controller(loaded, target, CallRecorder())).by_mode)
    assert report.passed and report.verdict("health-check").problems == ()
    assert not report.verdict("records").passed  # both modes are always listed

    _refuse_demoted_and_route53(outage)
    recorder = CallRecorder()
    ctl = controller(loaded, target, recorder)
    journal = ctl.execute(ctl.plan("failover"))
    assert journal.status == "complete", {k: (s.status, s.error) for k, s in journal.steps.items()}
    calls = attempted(recorder)
    hc = listed(report, "health-check")
    unlisted = calls - set(hc)
    assert unlisted == set(), f"calls the lint did not list: {sorted(unlisted)}"
    refused = {c for c in calls if c[1] == EAST}
    assert refused, "the failover attempted nothing in the refusing region: the outage test proves nothing"
    assert all(hc[c] for c in refused), sorted(c for c in refused if not hc[c])
    assert not [c for c in calls if c[0] in ("route53:ChangeResourceRecordSets", "route53:GetChange")]


# -- the verbs ---------------------------------------------------------------------------------------------------


def _mode(cli_config: Path, mode: str) -> Path:
    text = cli_config.read_text().replace('traffic_mode = "records"', f'traffic_mode = "{mode}"')
    cli_config.write_text(text)
    return cli_config


def test_standby_lint_exits_3_in_records_mode_and_0_in_health_check_mode(
    world, cli_config, sessions, loaded, capsys
) -> None:
    assert main(["--config", str(cli_config), "--output", "json", "lint"]) == 3
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "drift" and doc["result"]["configured_mode"] == "records"
    assert doc["result"]["source"] == "observed"
    ensure_switches(sessions, loaded.config)
    assert main(["--config", str(_mode(cli_config, "health-check")), "lint"]) == 0
    out = capsys.readouterr().out
    assert "traffic mode health-check" in out and "passes" in out and "traffic mode records" in out


def test_standby_plan_writes_stores_and_checks(world, cli_config, sessions, tmp_path, capsys) -> None:
    out_dir = tmp_path / "plans"
    assert main(["--config", str(cli_config), "plan", "--output-dir", str(out_dir)]) == 0
    md, html = out_dir / "dr-plan.md", out_dir / "dr-plan.html"
    text = md.read_text()
    assert (
        "aws autoscaling update-auto-scaling-group --region us-west-2 --auto-scaling-group-name webapp-web-us-west-2"
        in text
    )
    assert "--min-size 2 --max-size 8 --desired-capacity 4" in text
    assert "aws rds promote-read-replica --region us-west-2 --db-instance-identifier webapp-db" in text
    assert "aws route53 change-resource-record-sets --hosted-zone-id " + world.zone_id in text
    assert '"Action":"DELETE"' in text  # the exact change batch, from the records read
    assert "Plans: observed." in text
    for region in (EAST, WEST):
        keys = RegionStates.of(world_loaded(cli_config), sessions)[region].store.keys("plans/")
        assert {k.rsplit(".", 1)[1] for k in keys} == {"md", "html"}, (region, keys)
    capsys.readouterr()
    assert main(["--config", str(cli_config), "plan", "--check", str(md)]) == 0
    assert main(["--config", str(cli_config), "plan", "--check", str(html)]) == 0
    md.write_text(text.replace("--desired-capacity 4", "--desired-capacity 3", 1))
    capsys.readouterr()
    assert main(["--config", str(cli_config), "plan", "--check", str(md)]) == 3
    assert "--desired-capacity 4" in capsys.readouterr().out


def world_loaded(path: Path) -> LoadedConfig:
    from standby.config import load_config

    return load_config(path)
