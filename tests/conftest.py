"""Shared fixtures: the fixed build date and the repository's paths."""

from __future__ import annotations

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
