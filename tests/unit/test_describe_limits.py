"""The drivers' batched describes stay within AWS's per-call limits and page: at most 50 auto scaling group names
and 100 database filter values a call, 100 instance types a call, and one describe of launch template versions
however many templates are asked."""

from __future__ import annotations

from typing import Any

from standby.aws import autoscaling, ec2, rds


class _Paginator:
    def __init__(self, client: _Client, operation: str) -> None:
        self.client, self.operation = client, operation

    def paginate(self, **params: Any) -> list[dict[str, Any]]:
        self.client.calls.append((self.operation, params))
        return self.client.pages(self.operation, params)


class _Client:
    """Answers each paginated call with the pages ``pages`` returns; records every call's parameters."""

    def __init__(self, pages: Any) -> None:
        self.pages = pages
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def get_paginator(self, operation: str) -> _Paginator:
        return _Paginator(self, operation)


def _group(name: str) -> dict[str, Any]:
    return {"AutoScalingGroupName": name, "MinSize": 0, "MaxSize": 1, "DesiredCapacity": 0, "Instances": []}


def test_groups_are_described_fifty_names_a_call() -> None:
    names = [f"g{i:03d}" for i in range(120)]
    client = _Client(lambda op, p: [{"AutoScalingGroups": [_group(n) for n in p["AutoScalingGroupNames"]]}])
    found = autoscaling.describe_groups(client, names + names[:5])  # repeated names are asked once
    assert sorted(g.name for g in found) == names
    assert [len(p["AutoScalingGroupNames"]) for _, p in client.calls] == [50, 50, 20]
    assert [s.state.name for s in autoscaling.describe_group_specs(client, names[:3])] == names[:3]
    assert autoscaling.describe_groups(client, []) == []


def test_databases_are_described_by_a_filter_of_at_most_a_hundred_identifiers() -> None:
    ids = [f"db{i:03d}" for i in range(250)]

    def pages(op: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        [named] = params["Filters"]
        assert named["Name"] == "db-instance-id"
        return [{"DBInstances": [{"DBInstanceIdentifier": i} for i in named["Values"] if i != "db007"]}]

    client = _Client(pages)
    found = rds.describe_instances(client, ids)
    assert len(found) == 249  # a missing one is left out
    assert [len(p["Filters"][0]["Values"]) for _, p in client.calls] == [100, 100, 50]


def test_one_database_is_described_by_its_identifier() -> None:
    class Client:
        def describe_db_instances(self, **params: Any) -> dict[str, Any]:
            assert params == {"DBInstanceIdentifier": "db"}
            return {"DBInstances": [{"DBInstanceIdentifier": "db"}]}

    assert [d.identifier for d in rds.describe_instances(Client(), ["db"])] == ["db"]


def _version(template: str, kind: str) -> dict[str, Any]:
    return {"LaunchTemplateId": template, "LaunchTemplateData": {"InstanceType": kind}}


def test_default_instance_types_of_many_templates_in_one_describe() -> None:
    region = [_version(f"lt-{i}", "t3.micro" if i % 2 else "m5.large") for i in range(300)]

    def pages(op: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        assert "LaunchTemplateId" not in params and params["Versions"] == ["$Default"]
        return [{"LaunchTemplateVersions": region[:200]}, {"LaunchTemplateVersions": region[200:]}]

    client = _Client(pages)
    asked = ["lt-1", "lt-2", "lt-250", "lt-missing"]
    assert ec2.default_instance_types(client, asked) == {"lt-1": "t3.micro", "lt-2": "m5.large", "lt-250": "m5.large"}
    assert len(client.calls) == 1


def test_default_instance_type_of_one_template_by_its_id() -> None:
    def pages(op: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        assert params == {"LaunchTemplateId": "lt-1", "Versions": ["$Default"]}
        return [{"LaunchTemplateVersions": [_version("lt-1", "t3.micro")]}]

    assert ec2.default_instance_types(_Client(pages), ["lt-1", "lt-1"]) == {"lt-1": "t3.micro"}
    assert ec2.default_instance_types(_Client(pages), []) == {}


def test_instance_types_are_described_a_hundred_a_call() -> None:
    kinds = [f"x{i}.large" for i in range(150)]

    def pages(op: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {"InstanceTypes": [{"InstanceType": k, "VCpuInfo": {"DefaultVCpus": 2}} for k in params["InstanceTypes"]]}
        ]

    client = _Client(pages)
    assert len(ec2.vcpus_of(client, kinds)) == 150
    assert [len(p["InstanceTypes"]) for _, p in client.calls] == [100, 50]
