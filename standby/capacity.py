"""Capacity planning: the standby's capacities derived from the primary's, with no I/O."""

from __future__ import annotations

import math
from collections.abc import Mapping

from standby.config.schema import Capacity, Scale


def standby_capacity(primary: Capacity, scale: Scale) -> Capacity:
    """The standby's minimal capacity for one group.

    desired = ceil(primary desired × fraction), at least the floor, never above the primary's desired;
    min = ceil(primary min × fraction), at least the floor, never above desired;
    max = the primary's max, so that failover can scale out to production capacity without touching Terraform.
    """
    desired = max(scale.floor, math.ceil(primary.desired_capacity * scale.fraction))
    desired = min(desired, primary.desired_capacity)
    minimum = max(scale.floor, math.ceil(primary.min_size * scale.fraction))
    minimum = min(minimum, desired)
    return Capacity(min_size=minimum, max_size=primary.max_size, desired_capacity=desired)


def capacities_for(active: bool, declared: Mapping[str, Capacity], scale: Scale) -> dict[str, Capacity]:
    """Per-group capacities of a region: the declared production capacity when active, else the standby's."""
    if active:
        return dict(declared)
    return {group: standby_capacity(capacity, scale) for group, capacity in declared.items()}
