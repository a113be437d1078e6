"""Shared fixtures: the fixed build date, the repository's paths, and the example portal built once."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from textwrap import dedent

import pytest

from .imap_server import imap_port  # noqa: F401  (a fixture: a real IMAP server on loopback)

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 23)


@pytest.fixture
def today() -> date:
    return TODAY


@pytest.fixture
def root() -> Path:
    return ROOT


CONFIG = dedent(
    """\
    site_name: Test portal
    docs_dir: content
    plugins:
      - search
      - client-portal:
          today: 2026-11-23
    """
)


@pytest.fixture
def empty_portal(tmp_path, monkeypatch) -> Path:
    """A portal with no records in a temporary directory, which is also the working directory."""
    (tmp_path / "mkdocs.yml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "content").mkdir()
    (tmp_path / "clients").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _fingerprint(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="session")
def example_site(tmp_path_factory) -> Iterator[Path]:
    """The example portal built once with its secrets, for tests that only read it; copy it to change it.

    A build takes about a second and five test files read it. A test that wrote into it
    would change what the others see, so the session ends with an error if one did.
    """
    from .example import build_example  # example.py imports this module's paths

    site = build_example(tmp_path_factory.mktemp("example") / "site")
    built = _fingerprint(site)
    yield site
    assert _fingerprint(site) == built, f"a test changed the shared example site {site}; copy it instead"
