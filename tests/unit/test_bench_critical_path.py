"""bench.critical_path: the longest chain of step durations through depends_on, and each step's wait to start."""

from __future__ import annotations

import pytest

from bench.critical_path import Span, chain_ends, critical_path, start_lags

# The failover's shape: preflight, then fence -> promote and scale -> wait in parallel, then traffic.
SPANS = {
    "preflight": Span(0.0, 1.0),
    "fence": Span(1.0, 11.0),
    "promote": Span(11.0, 311.0),
    "scale": Span(1.0, 2.0),
    "wait": Span(2.0, 122.0),
    "shift": Span(311.0, 341.0),
}
DEPENDS = {
    "fence": ("preflight",),
    "promote": ("fence",),
    "scale": ("preflight",),
    "wait": ("scale",),
    "shift": ("promote", "wait"),
}


def test_the_longest_chain_of_durations_is_the_critical_path() -> None:
    path = critical_path(SPANS, DEPENDS)
    assert path.chain == ("preflight", "fence", "promote", "shift")
    assert path.seconds == pytest.approx(1 + 10 + 300 + 30)


def test_chain_ends_are_each_steps_earliest_finish() -> None:
    ends = chain_ends(SPANS, DEPENDS)
    assert ends == pytest.approx({"preflight": 1, "fence": 11, "promote": 311, "scale": 2, "wait": 122, "shift": 341})


def test_gaps_between_steps_do_not_count_in_the_critical_path() -> None:
    spans = {"a": Span(0, 5), "b": Span(50, 55)}  # b started 45 s after a ended (no free worker)
    path = critical_path(spans, {"b": ("a",)})
    assert path.seconds == pytest.approx(10)
    assert start_lags(spans, {"b": ("a",)}, run_start=0) == pytest.approx({"a": 0, "b": 45})


def test_a_shorter_branch_does_not_win_over_a_longer_one_with_fewer_steps() -> None:
    spans = {"root": Span(0, 1), "x1": Span(1, 2), "x2": Span(2, 3), "x3": Span(3, 4), "long": Span(1, 100)}
    depends = {"x1": ("root",), "x2": ("x1",), "x3": ("x2",), "long": ("root",)}
    assert critical_path(spans, depends).chain == ("root", "long")


def test_start_lag_counts_from_the_run_start_for_steps_without_dependencies() -> None:
    assert start_lags({"preflight": Span(3.5, 4)}, {}, run_start=1.5) == pytest.approx({"preflight": 2.0})


def test_empty_run() -> None:
    assert critical_path({}, {}).seconds == 0.0


def test_a_dependency_without_a_span_is_an_error() -> None:
    with pytest.raises(ValueError, match="'missing' is a dependency but has no span"):
        chain_ends({"a": Span(0, 1)}, {"a": ("missing",)})


def test_a_cycle_is_an_error() -> None:
    spans = {"a": Span(0, 1), "b": Span(1, 2), "c": Span(2, 3)}
    with pytest.raises(ValueError, match="cycle"):
        chain_ends(spans, {"a": ("c",), "b": ("a",), "c": ("b",)})


def test_a_deep_chain_needs_no_recursion() -> None:
    spans = {f"s{i}": Span(i, i + 1) for i in range(5000)}
    depends = {f"s{i}": (f"s{i - 1}",) for i in range(1, 5000)}
    path = critical_path(spans, depends)
    assert path.seconds == pytest.approx(5000)
    assert len(path.chain) == 5000
