"""IAM actions each driver function calls, declared next to the function, so the tool can print a policy."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable[..., object])

_REGISTRY: dict[str, tuple[str, ...]] = {}


def requires(*actions: str) -> Callable[[F], F]:
    """Declare the IAM actions a driver function calls (``service:Action``)."""

    def mark(fn: F) -> F:
        _REGISTRY[f"{fn.__module__}.{fn.__qualname__}"] = tuple(actions)
        fn.__iam_actions__ = tuple(actions)  # type: ignore[attr-defined]
        return fn

    return mark


def declared() -> dict[str, tuple[str, ...]]:
    """Every declared function -> its actions (drivers must be imported first)."""
    return dict(_REGISTRY)


def actions_of(*functions: Callable[..., object]) -> list[str]:
    found: set[str] = set()
    for fn in functions:
        found.update(getattr(fn, "__iam_actions__", ()))
    return sorted(found)
