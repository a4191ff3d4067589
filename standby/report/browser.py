"""Render a report page with headless Chromium: a screenshot, and the DOM as the browser built it."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def _run(page: Path, *extra: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    binary = chromium()
    if binary is None:
        raise FileNotFoundError("no chromium on the PATH")
    with tempfile.TemporaryDirectory(prefix="standby-chromium-") as profile:
        return subprocess.run(
            [binary, *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )


def screenshot(page: Path, png: Path, width: int = 900, height: int = 1400) -> Path:
    _run(page, f"--screenshot={png.resolve()}", f"--window-size={width},{height}")
    return png


def rendered_dom(page: Path) -> str:
    return _run(page, "--dump-dom").stdout
