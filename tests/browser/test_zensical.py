"""The example portal built by Zensical, with `client-portal build` adding the client pages, in a real browser."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from ..build import SECRET
from .conftest import PASSWORD, Site, Watched, copy_portal
from .test_attachments import download
from .test_client_pages import assert_clean, open_page

pytestmark = pytest.mark.browser
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def zensical_site(tmp_path_factory) -> Iterator[Site]:
    """`zensical build` (it reads mkdocs.yml and skips the plugin), `client-portal build site`, then the audit."""
    portal = copy_portal(tmp_path_factory.mktemp("zensical") / "portal")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env |= {"PORTAL_SECRET": SECRET, "LOTUS_TEA_PORTAL_PASSWORD": PASSWORD}
    for command in (
        ["zensical", "build", "--clean"],
        ["client-portal", "build", "site"],
        ["client-portal", "audit", "site"],
    ):
        done = subprocess.run(
            [str(BIN / command[0]), *command[1:]], cwd=portal, env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"
    assert "zensical" in (portal / "site" / "index.html").read_text(encoding="utf-8").lower()
    served = Site(portal / "site", portal)
    yield served
    served.server.shutdown()


def test_a_link_page_opens_on_the_zensical_site(zensical_site, watched: Watched):
    open_page(watched, zensical_site.url(zensical_site.links("acme-bakery")[0]))
    expect(watched.page.locator("h1.cp-title")).to_have_text("Acme Bakery")
    assert_clean(watched)


def test_a_password_page_opens_on_the_zensical_site(zensical_site, watched: Watched):
    page = watched.page
    page.goto(zensical_site.url(zensical_site.links("lotus-tea")[0]))
    page.fill("#cp-password", PASSWORD)
    page.click("#cp-password-form button")
    expect(page.locator("#cp-content")).to_be_visible(timeout=60_000)
    expect(page.locator("h1.cp-title")).to_have_text("莲语茶舍")
    assert_clean(watched)


def test_an_attached_file_downloads_from_the_zensical_site(zensical_site, watched: Watched, tmp_path):
    open_page(watched, zensical_site.url(zensical_site.links("acme-bakery")[0]))
    original = zensical_site.portal / "clients" / "files" / "acme-bakery" / "christmas-market-flyer-a5.pdf"
    button = watched.page.locator(f'[data-cp-file][data-name="{original.name}"]')
    saved = download(watched, button, tmp_path)
    assert saved.name == original.name and saved.read_bytes() == original.read_bytes()
    assert_clean(watched)
