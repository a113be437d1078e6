"""Long words and addresses on a phone: German and Dutch compounds, long URLs, e-mail addresses and file names."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from ..conftest import ROOT
from .conftest import Site, copy_portal, serve_portal

pytestmark = pytest.mark.browser

BUILT = datetime(2026, 11, 23, 12, 0)  # the day the example pages are built for (tests.conftest.TODAY)

RECORD = Path(__file__).with_name("long_words.yml")
CLIENT = "donau"
WIDTHS = [320, 390]
LONG_EMAIL = "mei.chen.brand.and.web.studio.rechnungen.und.anfragen@example.com"
FILE_NAME = "Unternehmensprofilueberarbeitung-Donaudampfschifffahrtsgesellschaft-Endfassung.pdf"
LONG_TEXTS = [
    "Donaudampfschifffahrtsgesellschaftskapitänsmützen",
    "Arbeidsongeschiktheidsverzekeringsmaatschappij",
    "Unternehmensprofilüberarbeitung",
    "RE-2026-Donaudampfschifffahrtsgesellschaftskapitänsmützen-0001",
    "https://mei.example/vorschau/donaudampfschifffahrtsgesellschaft/unternehmensprofil",
    LONG_EMAIL,
    FILE_NAME,
]

# What sticks out: the page wider than the screen, or a card's text wider than its card.
OVERFLOW_JS = """() => {
  const wide = document.documentElement.scrollWidth - innerWidth;
  const cards = [...document.querySelectorAll('#cp-content .cp-card, #cp-content .cp-section, #cp-content li')]
    .filter(card => card.scrollWidth > card.clientWidth + 1)
    .map(card => card.className + ': ' + card.textContent.trim().slice(0, 60));
  const words = [...document.querySelectorAll('#cp-content *')]
    .filter(el => el.children.length === 0 && el.getBoundingClientRect().right > innerWidth + 1)
    .map(el => el.tagName + ': ' + el.textContent.trim().slice(0, 60));
  return { wide, cards, words };
}"""


@pytest.fixture(scope="module")
def long_words(build_env, tmp_path_factory) -> Iterator[Site]:
    portal = copy_portal(tmp_path_factory.mktemp("portal") / "portal")
    shutil.copy(RECORD, portal / "clients" / f"{CLIENT}.yml")
    settings = portal / "mkdocs.yml"
    text = settings.read_text(encoding="utf-8").replace("mei@example.com", LONG_EMAIL)
    # no German reply time: the page shows the English one, marked as English
    text = text.replace("          de: innerhalb eines Werktags\n", "")
    settings.write_text(text, encoding="utf-8")
    files = portal / "clients" / "files" / CLIENT
    files.mkdir()
    shutil.copy(ROOT / "clients" / "files" / "acme-bakery" / "acme-bakery-brand-guide.pdf", files / FILE_NAME)
    served = serve_portal(portal, tmp_path_factory.mktemp("site"))
    yield served
    served.server.shutdown()


def open_page(browser, site: Site, width: int, scheme: str = "light") -> Page:
    context = browser.new_context(viewport={"width": width, "height": 800}, color_scheme=scheme)
    page = context.new_page()
    page.clock.set_fixed_time(BUILT)  # the build's day: nothing the page shows is hidden as out of date
    page.goto(site.url(site.links(CLIENT)[0]))
    expect(page.locator("#cp-content .cp-page")).to_be_visible()
    page.evaluate("document.querySelectorAll('#cp-content details').forEach(d => d.open = true)")
    return page


@pytest.mark.parametrize("width", WIDTHS)
def test_long_words_and_addresses_wrap_inside_the_screen(long_words, browser, width):
    page = open_page(browser, long_words, width)
    try:
        text = page.inner_text("#cp-content")
        for long in LONG_TEXTS:
            assert long in text
        found = page.evaluate(OVERFLOW_JS)
        assert found == {"wide": 0, "cards": [], "words": []}
    finally:
        page.context.close()


LANGS_JS = """() => {
  const langs = {};
  for (const el of document.querySelectorAll('#cp-content *')) {
    const lang = el.closest('[lang]').lang;
    langs[lang] = (langs[lang] || 0) + 1;
  }
  const reply = document.querySelector('#contact [lang="en"]');
  return { page: document.documentElement.lang, langs, reply: reply && reply.textContent };
}"""

HYPHENS_JS = """() => {
  const hyphens = (selector) => [...document.querySelectorAll(selector)].map(el => getComputedStyle(el).hyphens);
  return {
    titles: hyphens('#cp-content :is(h1, .cp-card__title, .cp-attention__title, .cp-event__title, p)'),
    addresses: hyphens('#cp-content :is(a[href^="mailto:"], .cp-invoice__number, .cp-file__name, code)'),
  };
}"""


def test_every_element_says_its_language_and_hyphenates_by_it(long_words, browser):
    page = open_page(browser, long_words, 390)
    try:
        found = page.evaluate(LANGS_JS)
        # the page in German; the one phrase the freelancer wrote only in English, in English
        assert found["page"] == "de" and found["reply"] == "within one business day"
        assert set(found["langs"]) == {"de", "en"} and found["langs"]["en"] == 1
        hyphens = page.evaluate(HYPHENS_JS)
        assert hyphens["titles"] and set(hyphens["titles"]) == {"auto"}
        # an address, a file name or an invoice number keeps only the hyphens it has
        assert len(hyphens["addresses"]) >= 4 and set(hyphens["addresses"]) == {"manual"}
    finally:
        page.context.close()


def test_the_gate_is_in_the_clients_language(long_words, browser):
    context = browser.new_context(viewport={"width": 320, "height": 800})
    try:
        page = context.new_page()
        page.goto(long_words.url(long_words.links(CLIENT)[0]).split("#")[0])
        expect(page.locator("#cp-gate")).to_have_attribute("data-state", "missing")
        assert page.evaluate("document.documentElement.lang") == "de"
        assert page.evaluate("getComputedStyle(document.querySelector('#cp-gate p:not([hidden])')).hyphens") == "auto"
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
    finally:
        context.close()


# Every label and marker of the schedule strip that shows, with its box.
STRIP_JS = """() => {
  const strip = document.querySelector('.cp-timeline > svg').getBoundingClientRect();
  const figure = document.querySelector('.cp-timeline').getBoundingClientRect();
  const box = (el) => { const r = el.getBoundingClientRect();
    const text = el.textContent.trim() || el.getAttribute('class');
    return { text, left: r.left, right: r.right, top: r.top, bottom: r.bottom }; };
  const shown = (el) => el.getBoundingClientRect().width > 0;
  return {
    strip: box(document.querySelector('.cp-timeline > svg')),
    figure: { left: figure.left, right: figure.right, top: figure.top, bottom: figure.bottom },
    labels: [...document.querySelectorAll('.cp-timeline svg text')].filter(shown).map(box),
    markers: [...document.querySelectorAll('.cp-timeline > svg .cp-timeline__mark')].map(box),
    counts: [...document.querySelectorAll('.cp-timeline__count')].map(el => el.textContent),
    // as drawn: a strip scaled to the screen shrinks its text with it
    height: Math.min(...[...document.querySelectorAll('.cp-timeline__label')].filter(shown)
      .map(el => el.getBoundingClientRect().height)),
  };
}"""


def overlapping(boxes: list[dict[str, float]]) -> list[tuple[str, str]]:
    """Pairs of boxes that share some area."""
    return [
        (a["text"], b["text"])
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]
    ]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("client_id", [CLIENT, "acme-bakery"])
def test_the_schedule_strip_reads_on_a_phone(long_words, browser, width, client_id):
    context = browser.new_context(viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        page.clock.set_fixed_time(BUILT)
        page.goto(long_words.url(long_words.links(client_id)[0]))
        expect(page.locator("#cp-content .cp-timeline")).to_be_visible()
        strip = page.evaluate(STRIP_JS)
        inside = strip["strip"]
        assert overlapping(strip["labels"]) == []  # a count sits in its marker, apart from every label
        assert overlapping(strip["markers"]) == []
        words = [b for b in strip["labels"] if not b["text"].isdigit()]  # the week and today labels
        assert overlapping(words + strip["markers"]) == []
        assert all(
            inside["left"] <= b["left"]
            and b["right"] <= inside["right"]
            and inside["top"] <= b["top"]
            and b["bottom"] <= inside["bottom"]
            for b in strip["labels"]
        ), strip["labels"]
        assert all(
            strip["figure"]["left"] <= b["left"] and b["right"] <= strip["figure"]["right"] for b in strip["markers"]
        )
        assert strip["height"] >= 13  # 13 px text
        # the sample's items close in time: the German client's five in the first days are one marker
        expected = {CLIENT: ["5"], "acme-bakery": ["2", "2"]}[client_id]
        assert strip["counts"] == expected
    finally:
        context.close()
