"""Budget and invoices in a real browser: a phone's width, the bar's name, a new invoice marked New."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .conftest import PASSWORD, copy_portal, serve_portal

pytestmark = pytest.mark.browser

NEW_INVOICE = """\
  - number: INV-2026-015
    date: 2026-11-23
    due: 2026-12-07
    amount: 860.50
    currency: EUR
"""


def open_client(page: Page, url: str, password: str | None = None) -> None:
    page.goto("about:blank")
    page.goto(url)
    if password:
        page.fill("#cp-password", password)
        page.click("#cp-password-form button")
    expect(page.locator("#cp-content .cp-page")).to_be_visible()


@pytest.mark.parametrize(
    ("client_id", "left", "first_row"),
    [
        ("acme-bakery", "7 hr 15 min of 20 hr 30 min left this month", ["INV-2026-014", "Open", "€1,250.00"]),
        ("lotus-tea", "本季度剩余 ¥11,500.00（共 ¥30,000.00）", ["LY-2026-11", "待付款", "¥6,500.00"]),
    ],
)
def test_budget_and_invoices_fit_a_phone(site, browser, client_id, left, first_row):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        open_client(page, site.url(site.links(client_id)[0]), PASSWORD if client_id == "lotus-tea" else None)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        expect(page.locator("#budget-left")).to_have_text(left)
        # the bar is named by its words, so a screen reader hears "7.5 of 20 hours left this month"
        expect(page.get_by_role("meter", name=left)).to_have_count(1)
        cells = page.locator("#invoices tbody tr").first.locator("td")
        texts = [text.split("\n")[0].strip() for text in cells.all_inner_texts()]
        assert texts == first_row
        amount = page.locator("#invoices tbody td.cp-amount").first
        assert amount.evaluate("e => getComputedStyle(e).textAlign") == "end"
        assert amount.evaluate("e => getComputedStyle(e).fontVariantNumeric") == "tabular-nums"
        assert page.locator("#invoices table").bounding_box()["width"] <= 390
        link = page.locator("a.cp-invoice__number").first
        if link.count():
            assert link.bounding_box()["height"] >= 44  # a tap target, though the row stays compact
    finally:
        context.close()


def test_a_new_invoice_is_marked_new_inside_its_row(build_env, browser, tmp_path):
    portal = copy_portal(tmp_path / "portal")
    site = serve_portal(portal, tmp_path / "site")
    link = site.links("acme-bakery")[0]
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        open_client(page, site.url(link))
        record = portal / "clients" / "acme-bakery.yml"
        record.write_text(record.read_text(encoding="utf-8") + NEW_INVOICE, encoding="utf-8")
        serve_portal(portal, site.folder).server.shutdown()
        open_client(page, site.url(link))
        marked = page.locator("#invoices .cp-new")
        expect(marked).to_have_count(1)
        expect(marked).to_contain_text("New")
        expect(marked).to_contain_text("INV-2026-015")
        # the mark sits in the row's first cell: every row keeps its three columns
        assert page.locator("#invoices tbody tr").evaluate_all("rows => rows.map(r => r.children.length)") == [3] * 4
        expect(page.locator(".cp-invoices__totals")).to_have_text("Open: €2,110.50 · Paid: €2,400.00")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()
        site.server.shutdown()
