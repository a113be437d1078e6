"""Links that expire, in a real browser: the ended link says when and whom to ask; a colleague's still opens."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import Watched, copy_portal, serve_portal
from .test_client_pages import assert_clean, open_page

pytestmark = pytest.mark.browser

LIN, ZHOU = "lin-own-password-1", "zhou-own-password-2"


def test_an_expired_link_says_when_it_ended_while_a_colleagues_still_opens(build_env, browser, tmp_path):
    portal = copy_portal(tmp_path / "portal")
    record = portal / "clients" / "acme-bakery.yml"
    text = record.read_text(encoding="utf-8")
    # the build's date (2026-11-23) is the first day without Tomasz's access
    record.write_text(text.replace("expires: 2027-01-31", "expires: 2026-11-23"), encoding="utf-8")
    site = serve_portal(portal, tmp_path / "site")
    anna, tomasz = site.links("acme-bakery")
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        ended = Watched(context.new_page())
        ended.page.goto(site.url(tomasz))
        gate = ended.page.locator("#cp-gate")
        expect(gate).to_have_attribute("data-state", "ended")
        expect(gate).to_contain_text("This link expired on November 23, 2026. Please ask Mei Chen for a new one.")
        expect(gate.locator("[data-cp-ended] time")).to_have_attribute("datetime", "2026-11-23")
        assert ended.page.locator("#cp-content").inner_html() == ""
        assert_clean(ended)
        colleague = Watched(context.new_page())
        open_page(colleague, site.url(anna))
        expect(colleague.page.locator("h1.cp-title")).to_have_text("Acme Bakery")
        assert_clean(colleague)
        # a link that never opened the page is not told about anyone's end date
        stranger = Watched(context.new_page())
        stranger.page.goto(site.url(anna).split("#")[0] + "#" + "A" * 43)
        expect(stranger.page.locator("#cp-gate")).to_have_attribute("data-state", "invalid")
    finally:
        context.close()
        site.server.shutdown()


def test_an_expired_personal_password_says_so_while_a_colleagues_opens(build_env, browser, tmp_path, monkeypatch):
    monkeypatch.setenv("LIN_PASSWORD", LIN)
    monkeypatch.setenv("ZHOU_PASSWORD", ZHOU)
    portal = copy_portal(tmp_path / "portal")
    record = portal / "clients" / "lotus-tea.yml"
    text = record.read_text(encoding="utf-8").replace("  password_env: LOTUS_TEA_PORTAL_PASSWORD\n", "")
    text = text.replace(
        "email: lin.xiaowen@lotus-tea.example\n",
        "email: lin.xiaowen@lotus-tea.example\n    password_env: LIN_PASSWORD\n",
    )
    text = text.replace(
        "email: zhou.jianguo@lotus-tea.example\n",
        "email: zhou.jianguo@lotus-tea.example\n    password_env: ZHOU_PASSWORD\n    expires: 2026-11-20\n",
    )
    record.write_text(text, encoding="utf-8")
    site = serve_portal(portal, tmp_path / "site")
    (link, _) = site.links("lotus-tea")
    context = browser.new_context()
    try:
        watched = Watched(context.new_page())
        page = watched.page
        page.goto(site.url(link))
        page.fill("#cp-password", ZHOU)
        page.click("#cp-password-form button")
        expect(page.locator("#cp-gate")).to_have_attribute("data-state", "ended-password", timeout=20_000)
        expect(page.locator("#cp-gate [data-message=ended-password] time")).to_have_attribute("datetime", "2026-11-20")
        expect(page.locator("#cp-gate [data-message=ended-password]")).to_contain_text("2026年11月20日")
        page.fill("#cp-password", LIN)
        page.click("#cp-password-form button")
        expect(page.locator("#cp-content")).to_be_visible(timeout=20_000)
        assert_clean(watched)
    finally:
        context.close()
        site.server.shutdown()
