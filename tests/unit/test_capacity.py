"""The standby's capacity: ceil(primary × fraction), at least the floor, never above the primary."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from standby.capacity import capacities_for, standby_capacity
from standby.config.schema import Capacity, Scale


@pytest.mark.parametrize(
    ("primary", "fraction", "floor", "expected"),
    [
        ((2, 8, 4), 0.25, 1, (1, 8, 1)),
        ((2, 8, 4), 0.5, 1, (1, 8, 2)),
        ((4, 20, 10), 0.33, 1, (2, 20, 4)),  # ceil(3.3) = 4; ceil(1.32) = 2
        ((0, 4, 1), 0.1, 1, (1, 4, 1)),
        ((0, 4, 0), 0.5, 1, (0, 4, 0)),  # never above the primary, even below the floor
        ((3, 9, 6), 1.0, 1, (3, 9, 6)),  # a full-size standby
        ((2, 8, 4), 0.25, 3, (3, 8, 3)),
    ],
)
def test_standby_capacity_table(primary, fraction, floor, expected) -> None:
    p = Capacity(min_size=primary[0], max_size=primary[1], desired_capacity=primary[2])
    got = standby_capacity(p, Scale(fraction=fraction, floor=floor))
    assert (got.min_size, got.max_size, got.desired_capacity) == expected


@given(
    min_size=st.integers(0, 50),
    extra_desired=st.integers(0, 50),
    extra_max=st.integers(0, 50),
    fraction=st.floats(min_value=0.01, max_value=1.0),
    floor=st.integers(0, 5),
)
def test_standby_capacity_invariants(min_size, extra_desired, extra_max, fraction, floor) -> None:
    desired = min_size + extra_desired
    p = Capacity(min_size=min_size, max_size=max(1, desired + extra_max), desired_capacity=desired)
    s = standby_capacity(p, Scale(fraction=fraction, floor=floor))
    assert s.min_size <= s.desired_capacity <= s.max_size
    assert s.desired_capacity <= p.desired_capacity
    assert s.max_size == p.max_size
    assert s.desired_capacity >= min(floor, p.desired_capacity)
    assert s.desired_capacity >= min(p.desired_capacity, -(-p.desired_capacity * fraction // 1))


def test_active_region_gets_the_declared_capacity() -> None:
    declared = {"web": Capacity(min_size=2, max_size=8, desired_capacity=4)}
    scale = Scale(fraction=0.25)
    assert capacities_for(True, declared, scale) == declared
    assert capacities_for(False, declared, scale)["web"].desired_capacity == 1
