"""Pages in each shipped language, opened in a real browser: words, dates, gate messages and typography."""

from __future__ import annotations

import re
import shutil

import pytest
from playwright.sync_api import expect

from client_portal.i18n import page_locale, translations

from ..conftest import ROOT
from ..test_i18n import RECORDS
from .conftest import Site, Watched, copy_portal, serve_portal
from .test_accessibility import axe_findings

pytestmark = pytest.mark.browser

HEADINGS = {
    "ar": "بحاجة إلى اهتمامك",
    "de": "Braucht Ihre Aufmerksamkeit",
    "fr": "Demande votre attention",
    "es": "Requiere su atención",
    "ja": "ご対応のお願い",
    "pt-BR": "Precisa da sua atenção",
}
# What the browser's own relative dates must not say on a translated page.
ENGLISH_RELATIVE = re.compile(r"\b(?:ago|days?|today|tomorrow|yesterday)\b")


@pytest.fixture(scope="module")
def language_site(build_env, tmp_path_factory):
    portal = copy_portal(tmp_path_factory.mktemp("languages") / "portal")
    for record in RECORDS.values():
        shutil.copy(ROOT / "tests" / "records" / f"{record}.yml", portal / "clients")
    served = serve_portal(portal, tmp_path_factory.mktemp("languages-site"))
    yield served
    served.server.shutdown()


def url_of(site: Site, language: str) -> str:
    return site.url(site.links(RECORDS[language])[0])


@pytest.mark.parametrize("language", sorted(RECORDS))
def test_page_opens_in_its_language(language_site, watched: Watched, language):
    page = watched.page
    page.goto(url_of(language_site, language))
    expect(page.locator("#cp-content")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == language
    expect(page.locator("#attention-title")).to_have_text(HEADINGS[language])
    # portal.js rewrites relative dates with the browser's Intl in the page's language
    relative = page.locator("time[data-relative]").all_inner_texts()
    assert relative and not [r for r in relative if ENGLISH_RELATIVE.search(r)], relative
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert watched.errors == [] and watched.csp_violations() == []


@pytest.mark.parametrize("language", sorted(RECORDS))
def test_gate_speaks_the_language(language_site, watched: Watched, language):
    base, _key = url_of(language_site, language).split("#")
    watched.page.goto(base)
    gate = watched.page.locator("#cp-gate")
    expect(gate).to_have_attribute("data-state", "missing")
    catalog = translations(str(page_locale(language)))
    expect(gate.locator("h1")).to_have_text(catalog.gettext("Private page"))
    expect(gate).to_contain_text(
        catalog.gettext(
            "This link is incomplete: the part after the # sign is missing. "
            "Please open the whole link you were sent, or ask %(name)s for "
            "a new one."
        )
        % {"name": "Mei Chen"}
    )
    assert watched.page.title() == catalog.gettext("Private page")


def test_japanese_page_uses_a_japanese_font_and_no_italics(language_site, watched: Watched):
    page = watched.page
    page.goto(url_of(language_site, "ja"))
    expect(page.locator("#cp-content")).to_be_visible()
    session = page.context.new_cdp_session(page)
    session.send("DOM.enable")
    session.send("CSS.enable")
    root = session.send("DOM.getDocument")["root"]["nodeId"]
    title = session.send("DOM.querySelector", {"nodeId": root, "selector": "h1.cp-title"})["nodeId"]
    fonts = session.send("CSS.getPlatformFontsForNode", {"nodeId": title})["fonts"]
    assert [f["familyName"] for f in fonts] == ["Noto Sans CJK JP"], fonts
    emphasis = page.locator(".cp-notes em").first
    assert emphasis.evaluate("e => getComputedStyle(e).fontStyle") == "normal"
    assert emphasis.evaluate("e => getComputedStyle(e).textEmphasisStyle") == "sesame"  # filled is the default


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("language", sorted(RECORDS))
def test_page_has_no_serious_accessibility_finding(language_site, browser, language, scheme):
    # axe is injected as a script, which the pages' own CSP would rightly refuse
    context = browser.new_context(viewport={"width": 390, "height": 900}, color_scheme=scheme, bypass_csp=True)
    page = context.new_page()
    page.goto(url_of(language_site, language))
    expect(page.locator("#cp-content .cp-page")).to_be_visible()
    page.evaluate("document.querySelectorAll('#cp-content details').forEach(d => d.open = true)")
    assert axe_findings(page) == []
    context.close()
