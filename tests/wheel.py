"""The wheel a release publishes, installed into a clean virtual environment.

The environment sees nothing of this checkout: no PYTHONPATH, no editable install,
only the wheel, its requirements and what a portal's own requirements.txt adds (what
the portal's workflow installs). The release workflow points PORTAL_WHEEL at the wheel
`make dist` built, so the file tested is the file published.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT

BIN = Path(sys.executable).parent


def installed(fresh: Path, *requirements: str) -> None:
    """``requirements`` installed into ``fresh`` as pip would, at the versions requirements/dev.txt locks.

    uv rather than the new environment's pip: it resolves and installs in seconds, from its
    cache once warm. The lock as constraints means the versions `make test` tested, on any
    day; the wheel still brings its own requirements, so a runtime requirement missing
    from pyproject.toml fails here. A portal's pin of this package is met by the wheel.
    """
    command = [str(BIN / "uv"), "pip", "install", "--quiet", "--python", str(fresh / "bin" / "python")]
    done = subprocess.run(
        [*command, *requirements, "-c", str(ROOT / "requirements" / "dev.txt")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def wheel_environment(home: Path) -> Path:
    """A new virtual environment under ``home`` with the wheel installed, and nothing else of this checkout."""
    wheel = os.environ.get("PORTAL_WHEEL")
    if not wheel:
        subprocess.run(
            [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(home / "dist")],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        [built] = (home / "dist").glob("mkdocs_client_portal-*.whl")
        wheel = str(built)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(home / "venv")], check=True)
    installed(home / "venv", wheel)
    return home / "venv"
