"""The example portal as a test's own copy, and the secrets its build needs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .build import SECRET
from .conftest import ROOT

PASSWORD = "correct horse battery staple"


def copy_example(target: Path) -> Path:
    """``mkdocs.yml``, ``content/`` and ``clients/`` of the example portal, copied into ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    for name in ("mkdocs.yml", "content", "clients"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, target / name)
    return target


def use_example_secrets(env: pytest.MonkeyPatch) -> None:
    """The site secret and the sample's password, set as a local (not CI) build has them."""
    env.setenv("PORTAL_SECRET", SECRET)
    env.setenv("LOTUS_TEA_PORTAL_PASSWORD", PASSWORD)
    env.delenv("CI", raising=False)


def build_example(site_dir: Path) -> Path:
    """The example portal itself, built into ``site_dir`` with its secrets, which are unset again after."""
    from .build import build_site

    with pytest.MonkeyPatch.context() as env:
        use_example_secrets(env)
        build_site(ROOT / "mkdocs.yml", site_dir)
    return site_dir
