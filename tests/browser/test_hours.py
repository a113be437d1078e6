"""Imported hours in a real browser: the earlier months' chart fits a phone, reads as a table, mirrors in Arabic."""

from __future__ import annotations

from datetime import datetime

import pytest
from playwright.sync_api import Page, expect

from .conftest import copy_portal, serve_portal

pytestmark = pytest.mark.browser

BUILD_DAY = datetime(2026, 11, 23, 10)


def open_client(page: Page, url: str) -> None:
    page.clock.set_fixed_time(BUILD_DAY)  # the build's day: nothing on the page is out of date
    page.goto("about:blank")
    page.goto(url)
    expect(page.locator("#cp-content .cp-page")).to_be_visible()


@pytest.mark.parametrize("width", [390, 1280])
def test_the_hours_chart_fits_and_a_screen_reader_reads_it_as_a_table(site, browser, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        open_client(page, site.url(site.links("acme-bakery")[0]))
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        table = page.get_by_role("table", name="Hours in earlier months")
        expect(table).to_have_count(1)
        headers = table.get_by_role("columnheader").all_inner_texts()
        assert headers == ["Month", "Hours used"]
        rows = table.locator("tbody").get_by_role("row")
        expect(rows).to_have_count(2)
        expect(rows.first.get_by_role("rowheader")).to_have_text("October 2026")
        expect(rows.first.get_by_role("cell")).to_have_text("21 hr 30 min of 22 hr · including 2 hr rolled over")
        expect(rows.nth(1).get_by_role("cell")).to_have_text("18 hr of 20 hr")
        # the bars only draw what the words say: assistive tech meets the words, not two meters more
        expect(table.get_by_role("meter")).to_have_count(0)
        card = page.locator(".cp-budget__card").bounding_box()
        box = table.bounding_box()
        assert card is not None and box is not None
        assert card["x"] <= box["x"] and box["x"] + box["width"] <= card["x"] + card["width"] + 0.5
        bars = table.locator("meter").evaluate_all("bars => bars.map(b => b.getBoundingClientRect().width)")
        assert len(bars) == 2 and min(bars) > 40  # a bar wide enough to compare at a glance
        expect(page.locator(".cp-budget__rolled")).to_have_text("Includes 30 min rolled over from October 2026")
    finally:
        context.close()


def test_the_hours_chart_mirrors_in_arabic(build_env, browser, tmp_path):
    portal = copy_portal(tmp_path / "portal")
    record = portal / "clients" / "acme-bakery.yml"
    record.write_text(record.read_text(encoding="utf-8").replace("language: en", "language: ar"), encoding="utf-8")
    site = serve_portal(portal, tmp_path / "site")
    context = browser.new_context(viewport={"width": 390, "height": 900})
    try:
        page = context.new_page()
        open_client(page, site.url(site.links("acme-bakery")[0]))
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        table = page.get_by_role("table", name="الساعات في الأشهر السابقة")
        expect(table).to_have_count(1)
        header = table.get_by_role("rowheader").first
        cell = table.get_by_role("cell").first
        header_box, cell_box = header.bounding_box(), cell.bounding_box()
        assert header_box is not None and cell_box is not None
        assert header_box["x"] > cell_box["x"]  # the month on the right, its bar to its left
        bar = cell.locator("meter").bounding_box()
        assert bar is not None and bar["x"] + bar["width"] <= cell_box["x"] + cell_box["width"] + 0.5
    finally:
        context.close()
        site.server.shutdown()
