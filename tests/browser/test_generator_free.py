"""A portal built by `client-portal build` alone, into an empty folder, opens in a real browser."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from ..build import SECRET
from .conftest import PASSWORD, Site, Watched, copy_portal
from .test_client_pages import assert_clean, open_page

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def bare_site(tmp_path_factory) -> Iterator[Site]:
    """The example portal's client pages and nothing else: no generator ran."""
    portal = copy_portal(tmp_path_factory.mktemp("bare") / "portal")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env |= {"PORTAL_SECRET": SECRET, "LOTUS_TEA_PORTAL_PASSWORD": PASSWORD}
    command = [sys.executable, "-c", "from client_portal.commands.cli import main; main()"]
    for args in (["build", "out"], ["audit", "out"]):
        done = subprocess.run([*command, *args], cwd=portal, env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
    served = Site(portal / "out", portal)
    yield served
    served.server.shutdown()


def test_a_link_page_opens_on_a_site_no_generator_built(bare_site, watched: Watched):
    client = bare_site.clients()["acme-bakery"]
    open_page(watched, bare_site.url(bare_site.links("acme-bakery")[0]))
    expect(watched.page.locator("h1.cp-title")).to_have_text(client.record.name)
    # the page's own stylesheet and icons, not a theme's: styled and with its icons
    assert watched.page.locator("#contact svg").count() > 0
    assert_clean(watched)


@pytest.mark.parametrize(("scheme", "background"), [("light", "rgb(255, 255, 255)"), ("dark", "rgb(30, 33, 41)")])
def test_a_readable_page_follows_the_system_scheme_without_script(bare_site, browser, scheme, background):
    context = browser.new_context(java_script_enabled=False, color_scheme=scheme)
    try:
        page = context.new_page()
        page.goto(bare_site.url(bare_site.links("harbor-books")[0]))
        expect(page.locator("h1.cp-title")).to_have_text("Harbor Books")
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == background
    finally:
        context.close()
