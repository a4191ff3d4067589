"""`standby plan`: the DR plan document (Markdown and a self-contained HTML page), from the real plans."""

from __future__ import annotations

import time
from pathlib import Path

import click

from standby import __version__
from standby.cli.context import AppContext
from standby.cli.render import Status, emit
from standby.errors import ExitCode, UsageError
from standby.iam import policy_document
from standby.plan.collect import collect
from standby.plan.document import build_document
from standby.plan.store import differences, fmt_of, formats_of, render, write


@click.command("plan")
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Where dr-plan.md and dr-plan.html are written (default: the config file's directory).",
)
@click.option("--format", "fmt", type=click.Choice(["md", "html", "both"]), default="both", show_default=True)
@click.option(
    "--check",
    "check_file",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="Regenerate and compare with FILE (its format from its suffix), ignoring the generation line; exit 3 "
    "when they differ. Writes and stores nothing.",
)
@click.pass_obj
def plan(app: AppContext, output_dir: str | None, fmt: str, check_file: str | None) -> ExitCode:
    """Render the DR plan: scope, objectives, preconditions, the failover and failback steps with their API calls
    and manual fallback, the IAM policy, when to fail over, known risks. Observes and plans only (no change)."""
    controller = app.controller()
    inputs = collect(controller, app.drill_runner().history)
    doc = build_document(inputs, generated_at=time.time(), standby_version=__version__, policy=policy_document())
    if check_file is not None:
        path = Path(check_file)
        try:
            committed = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise UsageError(f"cannot read {path}: {err}") from err
        diff = differences(committed, render(doc, fmt_of(path)), str(path))
        text = f"{path}: up to date" if not diff else f"{path}: differs from the fresh plan\n" + "\n".join(diff)
        result = {"file": str(path), "up_to_date": not diff, "diff": diff}
        emit(app.output, "plan", result, text, status=Status.OK if not diff else Status.DRIFT)
        return ExitCode.OK if not diff else ExitCode.DRIFT
    out_dir = Path(output_dir) if output_dir else app.loaded.base_dir
    written = write(doc, out_dir, formats_of(fmt), app.states.fast())
    lines = [f"DR plan {doc.version} of {doc.project} (plans: {doc.source})"]
    lines += [f"  {kind}: {path}" for kind, path in written.files.items()]
    if written.stored_in:
        lines.append(f"  stored as plans/{doc.version}.* in the control stores of {', '.join(written.stored_in)}")
    lines += [f"  not stored in {region}: {why}" for region, why in written.missed.items()]
    result = {
        "version": doc.version,
        "source": doc.source,
        "files": {k: str(v) for k, v in written.files.items()},
        "stored_in": list(written.stored_in),
        "not_stored": written.missed,
        "lint_passed": doc.lint.passed,
    }
    emit(app.output, "plan", result, "\n".join(lines))
    return ExitCode.OK
