"""The plan document: its sections and manual fallback from the plans, its volatile lines, its formats."""

from __future__ import annotations

from pathlib import Path

import pytest

from standby.config import load_config
from standby.config.schema import LoadedConfig
from standby.iam import policy_document
from standby.plan.collect import Inputs, _synthetic, config_sha256, plans_for
from standby.plan.document import PlanDoc, build_document
from standby.plan.render import VOLATILE_PREFIXES, render_html, render_markdown, stable_lines
from standby.plan.store import differences

REPO = Path(__file__).resolve().parents[2]
HISTORY = [
    {"run_id": "d1", "mode": "isolated", "started_at": 1.0, "status": "passed", "rto_seconds": 300.0,
     "rpo_seconds": 1.0, "rto_change_seconds": None},
    {"run_id": "d2", "mode": "isolated", "started_at": 2.0, "status": "passed", "rto_seconds": 280.0,
     "rpo_seconds": 2.0, "rto_change_seconds": -20.0},
]  # fmt: skip


def loaded_with(tmp_path: Path, mode: str) -> LoadedConfig:
    text = (REPO / "examples" / "webapp" / "standby.toml").read_text()
    text = text.replace('traffic_mode = "records"', f'traffic_mode = "{mode}"')
    text = text.replace('"../../terraform/stacks/', f'"{REPO / "terraform" / "stacks"}/')
    path = tmp_path / "standby.toml"
    path.write_text(text)
    return load_config(path)


def document(tmp_path: Path, mode: str = "records", at: float = 1_700_000_000.0) -> PlanDoc:
    loaded = loaded_with(tmp_path, mode)
    manifest, over, back, source = _synthetic(loaded.config, 1_700_000_000.0, "offline")
    inputs = Inputs(
        loaded=loaded,
        config_sha256=config_sha256(loaded),
        manifest=manifest,
        failover=over,
        failback=back,
        by_mode=plans_for(loaded.config, manifest, over, back),
        source=source,
        history=HISTORY,
    )
    return build_document(inputs, generated_at=at, standby_version="9.9.9", policy=policy_document())


def test_the_document_has_every_section_from_the_plans(tmp_path: Path) -> None:
    doc = document(tmp_path)
    md = render_markdown(doc)
    for section in ("## Scope", "## Objectives", "## Preconditions", "## When to fail over", "## Failover steps",
                    "## Failback procedure", "## Who may run it", "## Known risks"):  # fmt: skip
        assert section in md
    assert doc.config_sha256 in md and "standby 9.9.9" in md
    assert "| RTO | 900s | 280.0s |" in md and "RTO -20.0s since the previous drill" in md
    assert [s.key for s in doc.failover][:3] == ["preflight", "scale-out:web", "wait-healthy:web"]
    assert "shift-traffic" in [s.key for s in doc.failover] and "reseed-db:us-west-2" in [s.key for s in doc.failback]
    assert '"autoscaling:UpdateAutoScalingGroup"' in md  # the IAM policy
    assert "Recovery depends on an outage-prone plane: shift-traffic: route53:ChangeResourceRecordSets" in md
    for step in doc.failover + doc.failback:
        if step.key not in ("preflight",):
            assert step.calls or step.key.startswith("drain"), step.key
        assert step.fallback, step.key


def test_manual_fallback_names_the_real_resources(tmp_path: Path) -> None:
    md = render_markdown(document(tmp_path))
    assert (
        "aws autoscaling update-auto-scaling-group --region us-west-2 --auto-scaling-group-name "
        "'<web group in us-west-2>' --min-size 2 --max-size 8 --desired-capacity 4"
    ) in md
    assert "aws rds promote-read-replica --region us-west-2 --db-instance-identifier '<database>'" in md
    assert "aws rds modify-db-instance --region us-east-1 --db-instance-identifier '<database>'" in md
    assert "aws route53 change-resource-record-sets --hosted-zone-id '<hosted zone id>' --region us-east-1" in md
    hc = render_markdown(document(tmp_path, "health-check"))
    assert (
        "aws cloudwatch set-alarm-state --region us-west-2 --alarm-name standby-webapp-evacuate-us-east-1 "
        "--state-value ALARM"
    ) in hc
    assert "change-resource-record-sets" not in hc


@pytest.mark.parametrize("render", [render_markdown, render_html])
def test_only_the_generation_line_is_volatile(tmp_path: Path, render) -> None:
    one, two = render(document(tmp_path, at=1_700_000_000.0)), render(document(tmp_path, at=1_800_000_000.0))
    assert one != two
    assert differences(one, two) == []
    volatile = [line for line in one.splitlines() if line.startswith(VOLATILE_PREFIXES)]
    assert len(volatile) == 1 and "2023-11-14" in volatile[0]
    assert len(stable_lines(one)) == len(one.splitlines()) - 1
    changed = one.replace("--desired-capacity 4", "--desired-capacity 5", 1)
    assert any("--desired-capacity 5" in line for line in differences(changed, two))


def test_the_html_is_self_contained_with_the_drill_reports_look(tmp_path: Path) -> None:
    html = render_html(document(tmp_path))
    assert html.startswith("<!doctype html>") and "<script" not in html and "http://" not in html.split("<style>")[0]
    assert ".verdict{" in html and 'id="verdict"' in html and "lint FAILED" in html
    assert "lint PASSED" in render_html(document(tmp_path, "health-check"))
