"""The source distribution: complete metadata, and tests that run from the unpacked archive."""

from __future__ import annotations

import email.parser
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.sdist


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "sdist", "-d", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    [archive] = out.glob("mkdocs_client_portal-*.tar.gz")
    with tarfile.open(archive) as tar:
        tar.extractall(out, filter="data")
    [folder] = (path for path in out.iterdir() if path.is_dir())
    return folder


def test_the_metadata_says_what_an_expert_looks_for(unpacked):
    info = email.parser.Parser().parsestr((unpacked / "PKG-INFO").read_text(encoding="utf-8"))
    classifiers = info.get_all("Classifier")
    for version in ("3.11", "3.12", "3.13"):
        assert f"Programming Language :: Python :: {version}" in classifiers
    assert any(c.startswith("Development Status :: ") for c in classifiers)
    assert info["Requires-Python"] == ">=3.11"
    urls = dict(url.split(", ", 1) for url in info.get_all("Project-URL"))
    assert set(urls) >= {"Homepage", "Repository", "Issues", "Changelog"}
    assert info["Author"] or info["Author-email"]


def test_the_unit_tests_run_from_the_unpacked_sdist(unpacked):
    for needed in ("mkdocs.yml", "content", "clients", "babel.cfg", "client-record.schema.json", "package-lock.json"):
        assert (unpacked / needed).exists(), needed
    # the unpacked package, not this checkout's, comes first on the path
    environ = {**os.environ, "PYTHONPATH": str(unpacked / "plugins"), "PORTAL_SECRET": ""}
    environ.pop("CI", None)
    # a few of each kind: a built example portal, rendered pages, record checks
    tests = ["tests/test_audit.py::test_the_example_portal_is_clean", "tests/test_publish.py", "tests/test_loader.py"]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-m", "not browser", "-p", "no:cacheprovider", *tests],
        cwd=unpacked,
        env=environ,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and "skipped" not in run.stdout
    imported = subprocess.run(
        [sys.executable, "-c", "import client_portal; print(client_portal.__file__)"],
        cwd=unpacked,
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(imported.stdout.strip()).is_relative_to(unpacked)
