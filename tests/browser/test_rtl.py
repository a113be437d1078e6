"""The Arabic example page in Chromium: right to left, mirrored, one column, and its gate in Arabic."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .conftest import PASSWORD, Watched, copy_portal, serve_portal

pytestmark = pytest.mark.browser

ARABIC = "jasmine-roastery"
ARABIC_INDIC = re.compile("[\u0660-\u0669\u06f0-\u06f9]")


def box(page: Page, selector: str) -> dict[str, float]:
    found = page.locator(selector).first.bounding_box()
    assert found, selector
    return found


def opened(browser, site, width: int, client_id: str = ARABIC) -> tuple[Watched, object]:
    context = browser.new_context(viewport={"width": width, "height": 900})
    watched = Watched(context.new_page())
    watched.page.goto(site.url(site.links(client_id)[0]))
    expect(watched.page.locator("#cp-content .cp-page")).to_be_visible()
    return watched, context


@pytest.mark.parametrize("width", [390, 1280])
def test_the_arabic_page_mirrors_in_one_column(site, browser, width):
    watched, context = opened(browser, site, width)
    page = watched.page
    try:
        assert page.evaluate("[document.documentElement.dir, document.documentElement.lang]") == ["rtl", "ar"]
        assert page.evaluate("getComputedStyle(document.querySelector('.cp-article')).direction") == "rtl"
        # nothing wider than the screen, and the column as wide as an English page's
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        column = box(page, ".cp-main")
        english, english_context = opened(browser, site, width, "acme-bakery")
        try:
            same = box(english.page, ".cp-main")
            assert (same["x"], same["width"]) == (column["x"], column["width"])
        finally:
            english_context.close()
        # a card reads from the right: its title at the inline start, its status chip at the end (left of it)
        card = ".cp-deliverable:has(.cp-chip--in_progress)"
        title, chip = box(page, f"{card} .cp-card__title"), box(page, f"{card} .cp-chip")
        assert chip["x"] + chip["width"] <= title["x"] + 1
        assert title["x"] + title["width"] == pytest.approx(box(page, card)["x"] + box(page, card)["width"], abs=40)
        # a card's title that is all Latin (a brand) still starts at the right, isolated from the page's direction
        heading = box(page, "#deliverables h2")
        assert heading["x"] + heading["width"] == pytest.approx(column["x"] + column["width"] - 16, abs=24)
        # the coloured edge of an attention item is on the right, where the line starts
        edges = page.evaluate(
            "(() => { const s = getComputedStyle(document.querySelector('#attention .cp-list > li'));"
            " return [parseFloat(s.borderRightWidth), parseFloat(s.borderLeftWidth)]; })()"
        )
        assert edges[0] > edges[1]
        # a folded section's arrow points left, the way Arabic runs
        arrow = page.evaluate(
            "getComputedStyle(document.querySelector('details.cp-collapsed > summary'), '::before').content"
        )
        assert arrow == '"◂"'
        # an invoice number alone on its line starts at the right of its cell, like the dates under it
        cell = box(page, ".cp-invoices__table td")
        number = box(page, ".cp-invoices__table .cp-invoice__number")
        assert number["x"] + number["width"] == pytest.approx(cell["x"] + cell["width"], abs=12)
        # the name inside a sentence stays whole: <bdi> keeps its own direction
        assert page.locator("h1.cp-title bdi").inner_text() == "محمصة الياسمين"
        assert page.locator(".cp-contact__name bdi").inner_text() == "Mei Chen"
        # relative dates the browser rewrites use the page's digits (CLDR's Latin ones for ar), not others
        relative = page.locator("time[data-relative]").all_inner_texts()
        assert relative and not any(ARABIC_INDIC.search(text) for text in relative)
        assert watched.errors == [] and watched.csp_violations() == []
    finally:
        context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_the_arabic_gate_speaks_arabic_right_to_left(site, browser, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        page.goto(site.url(site.links(ARABIC)[0]).split("#")[0])
        gate = page.locator("#cp-gate")
        expect(gate).to_have_attribute("data-state", "missing")
        expect(gate).to_contain_text("هذا الرابط ناقص")
        expect(gate.locator("bdi").first).to_have_text("Mei Chen")
        assert page.title() == "صفحة خاصة"
        assert page.evaluate("document.documentElement.dir") == "rtl"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        title, shown = box(page, "#cp-gate h1"), page.locator("#cp-gate h1")
        text_right = shown.evaluate(
            "e => { const r = document.createRange(); r.selectNodeContents(e);"
            " return r.getBoundingClientRect().right; }"
        )
        assert text_right == pytest.approx(title["x"] + title["width"], abs=1)  # aligned right
    finally:
        context.close()


def test_the_arabic_password_gate_asks_right_to_left_and_opens(build_env, browser, tmp_path):
    portal = copy_portal(tmp_path / "portal")
    record = portal / "clients" / f"{ARABIC}.yml"
    text = record.read_text(encoding="utf-8").replace(
        "access:\n  mode: link\n", "access:\n  mode: password\n  password_env: LOTUS_TEA_PORTAL_PASSWORD\n"
    )
    record.write_text(text, encoding="utf-8")
    served = serve_portal(portal, tmp_path / "site")
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        watched = Watched(context.new_page())
        page = watched.page
        page.goto(served.url(served.links(ARABIC)[0]))
        gate = page.locator("#cp-gate")
        expect(gate).to_have_attribute("data-state", "password")
        expect(gate).to_contain_text("هذه الصفحة محمية بكلمة مرور")
        assert page.evaluate("document.documentElement.dir") == "rtl"
        label, field = box(page, "label[for=cp-password]"), box(page, "#cp-password")
        assert label["x"] + label["width"] == pytest.approx(field["x"] + field["width"], abs=2)  # both from the right
        page.fill("#cp-password", "not it")
        page.click("#cp-password-form button")
        expect(gate).to_have_attribute("data-state", "wrong-password")
        expect(gate).to_contain_text("لم تفتح كلمة المرور هذه الصفحة")
        page.fill("#cp-password", PASSWORD)
        page.click("#cp-password-form button")
        expect(page.locator("h1.cp-title")).to_have_text("محمصة الياسمين")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert watched.errors == [] and watched.csp_violations() == []
    finally:
        context.close()
        served.server.shutdown()


def test_a_downloaded_files_name_is_isolated_in_the_arabic_message(build_env, browser, tmp_path):
    portal = copy_portal(tmp_path / "portal")
    record = portal / "clients" / "acme-bakery.yml"
    record.write_text(record.read_text(encoding="utf-8").replace("language: en", "language: ar"), encoding="utf-8")
    served = serve_portal(portal, tmp_path / "site")
    context = browser.new_context(viewport={"width": 390, "height": 844}, accept_downloads=True)
    try:
        watched = Watched(context.new_page())
        page = watched.page
        page.goto(served.url(served.links("acme-bakery")[0]))
        expect(page.locator("#cp-content .cp-page")).to_be_visible()
        button = page.locator('[data-cp-file][data-name="acme-bakery-brand-guide.pdf"]')
        with page.expect_download():
            button.click()
        status = button.locator("xpath=..").locator(".cp-file__status")
        expect(status).to_have_text(
            "تم تنزيل \u2068acme-bakery-brand-guide.pdf\u2069. "
            "تم التحقق: بصمة SHA-256 الخاصة به تطابق البصمة المنشورة هنا."
        )
        assert watched.errors == [] and watched.csp_violations() == []
    finally:
        context.close()
        served.server.shutdown()
