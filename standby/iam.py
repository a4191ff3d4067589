"""The IAM policy standby needs, assembled from what each driver function declares with ``@requires``."""

from __future__ import annotations

import importlib
import pkgutil
from collections import defaultdict
from typing import Any

import standby.aws
from standby.aws.permissions import declared


def _load_drivers() -> None:
    for module in pkgutil.iter_modules(standby.aws.__path__):
        importlib.import_module(f"standby.aws.{module.name}")


def policy_document() -> dict[str, Any]:
    _load_drivers()
    by_service: dict[str, set[str]] = defaultdict(set)
    for actions in declared().values():
        for action in actions:
            by_service[action.split(":", 1)[0]].add(action)
    statements = [
        {
            "Sid": f"Standby{service.title().replace('-', '')}",
            "Effect": "Allow",
            "Action": sorted(actions),
            "Resource": "*",
        }
        for service, actions in sorted(by_service.items())
    ]
    return {"Version": "2012-10-17", "Statement": statements}
