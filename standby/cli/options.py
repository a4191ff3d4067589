"""The options several verbs share, declared once so that each reads and behaves the same in every verb."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from standby.state.journal import check_run_id

F = TypeVar("F", bound=Callable[..., Any])

# --yes: the verbs that change the world ask first unless given it.
yes_option: Callable[[F], F] = click.option("--yes", is_flag=True, help="Do not ask for confirmation.")


def _checked_run_id(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """A run id checked before anything runs: an empty or malformed one is a usage error."""
    return None if value is None else check_run_id(value)


def resume_option(help: str, *, checked: bool = True) -> Callable[[F], F]:
    """--resume RUN_ID (the parameter ``resume``, None when not given); ``checked``: the id is checked by click,
    else by the verb's own loading of the run."""
    return click.option(
        "--resume", "resume", metavar="RUN_ID", default=None, callback=_checked_run_id if checked else None, help=help
    )


def history_option(help: str) -> Callable[[F], F]:
    """--history: the verb lists past runs instead of acting."""
    return click.option("--history", is_flag=True, help=help)
