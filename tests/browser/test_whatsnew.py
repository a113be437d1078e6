"""What is new since this browser's last visit, across two builds, on encrypted and readable pages."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Page, expect

from .conftest import Watched, copy_portal, serve_portal

pytestmark = pytest.mark.browser

NEW_UPDATE = "  - date: 2026-11-23\n    text: The allergen table is in the shop footer now.\n"


def visit(page: Page, url: str) -> list[str]:
    """Open the page afresh; the text of each item marked as new or changed."""
    page.goto("about:blank")  # from the page itself, a link differing only after "#" would not reload it
    page.goto(url)
    expect(page.locator("#cp-content .cp-page")).to_be_visible()
    return page.locator(".cp-new").all_inner_texts()


@pytest.mark.parametrize("client_id", ["acme-bakery", "harbor-books"])
def test_a_returning_visitor_sees_exactly_what_changed(build_env, browser, tmp_path, client_id):
    portal = copy_portal(tmp_path / "portal")
    first = serve_portal(portal, tmp_path / "first")
    url_path = first.links(client_id)[0].path
    context = browser.new_context()
    try:
        watched = Watched(context.new_page())
        assert visit(watched.page, first.url(first.links(client_id)[0])) == []  # a first visit marks nothing
        expect(watched.page.locator(".cp-whatsnew")).to_be_hidden()
        record = portal / "clients" / f"{client_id}.yml"
        text = record.read_text(encoding="utf-8")
        record.write_text(text.replace("updates:\n", "updates:\n" + NEW_UPDATE, 1), encoding="utf-8")
        # rebuilt into the same folder, as a push would; the same address keeps the same storage
        serve_portal(portal, first.folder).server.shutdown()
        try:
            marked = visit(watched.page, first.base + url_path)
            assert len(marked) == 1 and "The allergen table is in the shop footer now." in marked[0]
            assert marked[0].startswith("New")
            today = date.today()  # the browser's own date: when the first visit was
            expect(watched.page.locator(".cp-whatsnew")).to_have_text(
                f"1 change since your visit on {today:%b} {today.day}"
            )
            assert visit(watched.page, first.base + url_path) == []  # a third visit: nothing new
            stored = watched.page.evaluate("JSON.stringify(localStorage)")
            assert "allergen" not in stored and client_id not in stored  # opaque fingerprints only
            assert watched.errors == []
        finally:
            first.server.shutdown()
    finally:
        context.close()


def test_a_changed_item_is_marked_updated(build_env, browser, tmp_path):
    portal = copy_portal(tmp_path / "portal")
    site = serve_portal(portal, tmp_path / "site")
    link = site.links("acme-bakery")[0]
    context = browser.new_context()
    try:
        page = context.new_page()
        visit(page, site.url(link))
        record = portal / "clients" / "acme-bakery.yml"
        text = record.read_text(encoding="utf-8")
        record.write_text(
            text.replace("    status: in_review\n", "    status: approved\n    delivered: 2026-11-23\n", 1),
            encoding="utf-8",
        )
        serve_portal(portal, site.folder).server.shutdown()
        marked = visit(page, site.url(link))
        assert len(marked) == 1 and marked[0].startswith("Updated") and "Christmas gift box labels" in marked[0]
    finally:
        context.close()
        site.server.shutdown()
