"""Shared fixtures: the fixed build date, the repository's paths, and the example portal built once."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from textwrap import dedent

import pytest

import client_portal.audit.audit as audit_module
import client_portal.page.render as render_module

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


@pytest.fixture(scope="session", autouse=True)
def audit_reads_each_text_once() -> Iterator[None]:
    """The audit's reader text of a file computed once a session, as the same files are audited again and again.

    About a hundred tests audit a copy of the example site with one thing planted: each
    reads the theme's scripts and the search index anew, two thirds of an audit's time.
    ``reader_text`` is a pure function of its text, so a remembered result is the result;
    the tests of ``reader_text`` itself call it unremembered, from its own module.
    """
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(audit_module, "reader_text", functools.lru_cache(maxsize=2048)(audit_module.reader_text))
        yield


OWN_COMPILED_TEMPLATES = render_module._Compiled


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "own_templates: the test's Renderers compile for themselves (it counts what they compile)"
    )


@pytest.fixture(scope="session", autouse=True)
def templates_compile_once() -> Iterator[None]:
    """Every Renderer of the session shares the compiled templates, as one Renderer's languages do.

    Tests make a Renderer a page, and compiling the templates again was most of a page's
    time. Compiled code is looked up with its source's checksum, so a changed or
    overriding template is compiled anew. A test marked ``own_templates`` opts out.
    """
    shared = OWN_COMPILED_TEMPLATES()
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(render_module, "_Compiled", lambda folder=None: shared)
        yield


@pytest.fixture(autouse=True)
def own_templates(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test marked ``own_templates`` gets Renderers that compile for themselves."""
    if request.node.get_closest_marker("own_templates"):
        monkeypatch.setattr(render_module, "_Compiled", OWN_COMPILED_TEMPLATES)
