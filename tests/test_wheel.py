"""The wheel a release publishes, used as the README says in a clean virtual environment (tests/wheel.py).

The README's own set-up block runs on the wheel in tests/browser/test_readme_path.py,
which opens the link it prints in Chromium; here, the wheel's contents and the MkDocs path.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from client_portal import __version__
from client_portal.i18n import compiled_catalog, compiled_name

from .conftest import ROOT
from .wheel import installed, wheel_environment

pytestmark = pytest.mark.sdist


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    return wheel_environment(tmp_path_factory.mktemp("wheel"))


def typed(fresh: Path, command: str, *args: str, cwd: Path) -> str:
    """A command of the clean environment, as the freelancer types it: no traceback, exit 0."""
    environ = {
        "PATH": f"{fresh / 'bin'}:/usr/bin:/bin",
        "HOME": str(cwd),
        "LANG": "C.UTF-8",
        "NO_MKDOCS_2_WARNING": "1",
        "GIT_AUTHOR_NAME": "Mei Chen",
        "GIT_AUTHOR_EMAIL": "mei@example.com",
        "GIT_COMMITTER_NAME": "Mei Chen",
        "GIT_COMMITTER_EMAIL": "mei@example.com",
    }
    done = subprocess.run(
        [str(fresh / "bin" / command), *args], cwd=cwd, env=environ, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr, f"{command} {args}: {done.stdout}{done.stderr}"
    return done.stdout


def test_the_wheel_installs_with_only_what_the_package_imports(fresh, tmp_path):
    assert typed(fresh, "client-portal", "--version", cwd=tmp_path).split()[-1] == __version__
    where = typed(fresh, "python", "-c", "import client_portal; print(client_portal.__file__)", cwd=tmp_path)
    assert Path(where.strip()).is_relative_to(fresh)
    # the theme is the portal's choice, in its requirements.txt, not the package's
    assert not list((fresh / "lib").glob("python3*/site-packages/material"))
    # every catalog compiled when the wheel was built, under the name client_portal.i18n looks for
    catalogs = list((Path(where.strip()).parent / "locales").glob("*/LC_MESSAGES/messages.po"))
    assert len(catalogs) == len(list((ROOT / "plugins" / "client_portal" / "locales").glob("*/LC_MESSAGES/*.po")))
    for po in catalogs:
        text = po.read_bytes()
        compiled = po.with_name(compiled_name(text)).read_bytes()
        assert compiled == compiled_catalog(text, po.parent.parent.name), po


def test_a_mkdocs_portal_runs_on_the_installed_wheel(fresh, tmp_path):
    typed(fresh, "client-portal", "init", "my-portal", "--name", "Mei Chen", "--email", "mei@example.com",
          "--site-url", "https://portal.mei.example/", cwd=tmp_path)  # fmt: skip
    portal = tmp_path / "my-portal"
    typed(fresh, "client-portal", "new", "acme-bakery", "--contact", "Anna Weber",
          "--email", "anna@acme-bakery.example", cwd=portal)  # fmt: skip
    typed(fresh, "client-portal", "check", cwd=portal)
    secret = typed(fresh, "client-portal", "secret", cwd=portal).strip()
    assert len(secret) >= 32 and secret in (portal / ".portal-secret").read_text(encoding="utf-8")
    # what the portal's workflow installs before it builds
    installed(fresh, "-r", str(portal / "requirements.txt"))
    typed(fresh, "mkdocs", "build", "--strict", cwd=portal)
    assert (portal / "site" / "index.html").exists()
    assert typed(fresh, "client-portal", "audit", "site", cwd=portal).startswith("audit: 0 findings in ")
    links = typed(fresh, "client-portal", "links", cwd=portal)
    assert "Anna Weber: https://portal.mei.example/p/" in links, links
