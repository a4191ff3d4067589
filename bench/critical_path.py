"""Longest chains through a plan's dependencies: of measured step durations, or of any costs per step.

Pure functions of (step spans or costs, depends_on). The chain of measured spans says where a run spent its time;
it is no yardstick of the run, since time lost inside a step (a queue, a lock, a journal save) lengthens the
span too: bench.bound builds the run's lower bound from the latency model instead, with ``longest_chain``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class CriticalPath:
    seconds: float
    chain: tuple[str, ...]  # step keys, first to last


def chain_ends(spans: Mapping[str, Span], depends: Mapping[str, Sequence[str]]) -> dict[str, float]:
    """For each step, the longest chain of durations that ends with it: when it could finish at the earliest.

    Raises ValueError on a dependency without a span or on a cycle.
    """
    return chain_end_times({k: s.seconds for k, s in spans.items()}, depends, missing="span")


def chain_end_times(
    costs: Mapping[str, float], depends: Mapping[str, Sequence[str]], *, missing: str = "cost"
) -> dict[str, float]:
    """For each step, the longest chain of ``costs`` through ``depends`` that ends with it.

    Raises ValueError on a dependency without a cost (``missing`` names what it lacks) or on a cycle.
    """
    ends: dict[str, float] = {}
    for root in costs:
        stack: list[tuple[str, bool]] = [(root, False)]
        visiting: set[str] = set()
        while stack:
            key, expanded = stack.pop()
            if key in ends:
                continue
            if key not in costs:
                raise ValueError(f"step {key!r} is a dependency but has no {missing}")
            deps = depends.get(key, ())
            if expanded:
                visiting.discard(key)
                ends[key] = max((ends[d] for d in deps), default=0.0) + costs[key]
                continue
            if key in visiting:
                raise ValueError(f"dependency cycle through step {key!r}")
            visiting.add(key)
            stack.append((key, True))
            for dep in deps:
                if dep not in ends:
                    if dep in visiting:
                        raise ValueError(f"dependency cycle through step {dep!r}")
                    stack.append((dep, False))
    return ends


def critical_path(spans: Mapping[str, Span], depends: Mapping[str, Sequence[str]]) -> CriticalPath:
    """The longest chain of step durations, and its steps (ties: the first step in ``spans`` order)."""
    return longest_chain({k: s.seconds for k, s in spans.items()}, depends, missing="span")


def longest_chain(
    costs: Mapping[str, float], depends: Mapping[str, Sequence[str]], *, missing: str = "cost"
) -> CriticalPath:
    """The longest chain of ``costs`` through ``depends``, and its steps (ties: the first in ``costs`` order)."""
    if not costs:
        return CriticalPath(0.0, ())
    ends = chain_end_times(costs, depends, missing=missing)
    last = max(costs, key=lambda k: ends[k])
    chain = [last]
    while True:
        deps = [d for d in depends.get(chain[-1], ()) if d in costs]
        if not deps:
            break
        chain.append(max(deps, key=lambda d: ends[d]))
    return CriticalPath(ends[last], tuple(reversed(chain)))


def start_lags(spans: Mapping[str, Span], depends: Mapping[str, Sequence[str]], run_start: float) -> dict[str, float]:
    """How long each step waited between being ready (its dependencies ended, or the run started) and starting."""
    lags: dict[str, float] = {}
    for key, span in spans.items():
        ready = max((spans[d].end for d in depends.get(key, ()) if d in spans), default=run_start)
        lags[key] = span.start - ready
    return lags
