"""Build hook: the wheel carries the Terraform stacks and modules and the examples as package data.

The metadata is in pyproject.toml. ``build_py`` copies what ``standby.bundled.bundle_files`` selects from the
repository's ``terraform/`` and ``examples/`` into ``standby/_data/`` of the build, where ``standby.bundled``
finds it once installed. An editable install needs no copy: standby then finds them in the checkout.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from standby.bundled import DATA_DIR, bundle_files  # noqa: E402 - the package's own rule of what is shipped


class BuildPyWithBundle(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        files = bundle_files(HERE)
        if not any(f.startswith("terraform/stacks/") for f in files) or not any(
            f.startswith("examples/") for f in files
        ):
            raise RuntimeError(f"terraform/stacks or examples/ missing under {HERE}: the wheel would carry no stacks")
        target = Path(self.build_lib) / "standby" / DATA_DIR
        if target.exists():
            shutil.rmtree(target)
        for relative in files:
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(HERE / relative, destination)


setup(cmdclass={"build_py": BuildPyWithBundle})
