"""Client pages in a real browser: links, passwords, revocation, hostile text, no CSP violations."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from playwright.sync_api import expect

from .conftest import PASSWORD, Watched, copy_portal, kept_keys, serve_portal

pytestmark = pytest.mark.browser

GATE_TEXT = {
    "missing": "This link is incomplete",
    "invalid": "This link no longer opens the page",
    "wrong-password": "That password did not open the page",
    "insecure": "only be opened over a secure connection",
    "unsupported": "This browser cannot open private pages",
}


def open_page(watched: Watched, url: str) -> None:
    watched.page.goto(url)
    expect(watched.page.locator("#cp-content")).to_be_visible()


def expect_gate(watched: Watched, state: str) -> None:
    page = watched.page
    expect(page.locator("#cp-gate")).to_have_attribute("data-state", state)
    expect(page.locator("#cp-gate")).to_contain_text(GATE_TEXT[state])
    expect(page.locator("#cp-gate")).to_contain_text("Mei Chen")  # says whom to ask
    assert page.locator("#cp-content").inner_html() == ""  # none of the content
    assert page.title() == "Private page"


def no_keys_in_local_storage(page) -> bool:
    """Only the what's-new fingerprints live in localStorage, under keyed names: no key, no password."""
    stored = page.evaluate("Object.entries(localStorage)")
    return all(re.fullmatch("cp-[0-9a-f]{24}", name) and PASSWORD not in value for name, value in stored)


def assert_clean(watched: Watched) -> None:
    assert watched.errors == [], watched.errors
    assert watched.csp_violations() == []
    assert watched.dialogs == []


@pytest.mark.parametrize(
    "client_id", ["acme-bakery", "fjord-cycles", "northwind-studio", "harbor-books", "jasmine-roastery"]
)
def test_each_sample_link_opens_its_page(site, watched, client_id):
    client = site.clients()[client_id]
    open_page(watched, site.url(site.links(client_id)[0]))
    page = watched.page
    expect(page.locator("h1.cp-title")).to_have_text(client.record.name)
    assert page.title() == client.record.name
    # one column on a phone: nothing wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_clean(watched)


def test_second_contact_link_opens_the_same_page(site, watched):
    first, second = site.links("acme-bakery")
    assert first.path != second.path
    open_page(watched, site.url(second))
    expect(watched.page.locator("h1.cp-title")).to_have_text("Acme Bakery")
    assert_clean(watched)


def test_link_without_fragment_says_it_is_incomplete(site, watched):
    link = site.links("acme-bakery")[0]
    watched.page.goto(site.url(link).split("#")[0])
    expect_gate(watched, "missing")
    assert_clean(watched)


@pytest.mark.parametrize("tamper", ["flip", "truncate", "garbage"])
def test_tampered_fragment_shows_the_replaced_message(site, watched, tamper):
    url = site.url(site.links("acme-bakery")[0])
    base, key = url.split("#")
    bad = {"flip": ("B" if key[0] != "B" else "C") + key[1:], "truncate": key[:20], "garbage": "%%%not-base64"}[tamper]
    watched.page.goto(f"{base}#{bad}")
    expect_gate(watched, "invalid")
    assert_clean(watched)


def test_password_page_wrong_then_right_password(site, watched):
    page = watched.page
    page.goto(site.url(site.links("lotus-tea")[0]))
    expect(page.locator("#cp-password")).to_be_visible()
    page.fill("#cp-password", "not the password")
    page.click("#cp-password-form button")
    expect(page.locator("#cp-gate")).to_have_attribute("data-state", "wrong-password")
    expect(page.locator("#cp-gate")).to_contain_text("密码不正确")  # in the client's language
    assert page.locator("#cp-content").inner_html() == ""
    page.fill("#cp-password", PASSWORD)
    page.click("#cp-password-form button")
    expect(page.locator("h1.cp-title")).to_have_text("莲语茶舍")
    assert no_keys_in_local_storage(page)
    assert kept_keys(page) == []  # this page's memory only, unless asked
    assert_clean(watched)


def test_remember_me_opens_again_and_a_version_bump_revokes_it(site, context, tmp_path):
    first = Watched(context.new_page())
    url = site.url(site.links("lotus-tea")[0])
    first.page.goto(url)
    first.page.fill("#cp-password", PASSWORD)
    first.page.check("#cp-remember")
    first.page.click("#cp-password-form button")
    expect(first.page.locator("h1.cp-title")).to_have_text("莲语茶舍")
    # a key scripts cannot read, in IndexedDB; no key material in localStorage
    assert [(k["remember"], k["extractable"], k["type"]) for k in kept_keys(first.page)] == [(True, False, "secret")]
    assert no_keys_in_local_storage(first.page)

    again = Watched(context.new_page())
    open_page(again, url)  # no password asked
    expect(again.page.locator("#cp-forget")).to_be_visible()
    assert_clean(again)

    # The freelancer bumps a contact's key_version and rebuilds into the same folder: the
    # shared password's remembered logins end (nobody can tell who typed it).
    record = site.portal / "clients" / "lotus-tea.yml"
    original = record.read_text(encoding="utf-8")
    try:
        record.write_text(original.replace("key_version: 1", "key_version: 2", 1), encoding="utf-8")
        serve_portal(site.portal, site.folder).server.shutdown()
        revoked = Watched(context.new_page())
        revoked.page.goto(url)
        expect(revoked.page.locator("#cp-password")).to_be_visible()
        assert revoked.page.locator("#cp-content").inner_html() == ""
        assert kept_keys(revoked.page) == []
    finally:
        record.write_text(original, encoding="utf-8")
        serve_portal(site.portal, site.folder).server.shutdown()


def test_bumped_key_version_revokes_only_that_contacts_link(build_env, browser, tmp_path):
    portal = copy_portal(tmp_path / "portal")
    record = portal / "clients" / "acme-bakery.yml"
    old_site = serve_portal(portal, tmp_path / "old")
    old_first, old_second = old_site.links("acme-bakery")
    text = record.read_text(encoding="utf-8")
    record.write_text(text.replace("key_version: 1", "key_version: 2", 1), encoding="utf-8")  # first contact
    new_site = serve_portal(portal, tmp_path / "new")
    new_first, new_second = new_site.links("acme-bakery")
    assert (new_first.path != old_first.path, new_second.path) == (True, old_second.path)
    context = browser.new_context()
    try:
        revoked = Watched(context.new_page())
        revoked.page.goto(new_site.url(old_first))
        expect_gate(revoked, "invalid")
        for link in (old_second, new_first):
            still = Watched(context.new_page())
            open_page(still, new_site.url(link))
            assert_clean(still)
    finally:
        context.close()
        old_site.server.shutdown()
        new_site.server.shutdown()


def test_page_moved_to_another_folder_does_not_open(site, watched):
    acme, fjord = site.links("acme-bakery")[0], site.links("fjord-cycles")[0]
    acme_page = site.folder / acme.path.split("#")[0] / "index.html"
    fjord_page = site.folder / fjord.path.split("#")[0] / "index.html"
    original = fjord_page.read_bytes()
    fjord_page.write_bytes(acme_page.read_bytes())  # someone with write access swaps the pages
    try:
        watched.page.goto(site.url(fjord).split("#")[0] + "#" + acme.path.split("#")[1])
        expect_gate(watched, "invalid")
    finally:
        fjord_page.write_bytes(original)


def test_insecure_context_is_explained(site, watched):
    link = site.links("acme-bakery")[0]
    watched.page.goto(f"http://portal.test:{site.port}/{link.path}")
    expect_gate(watched, "insecure")


def test_unsupported_browser_is_explained(site, watched):
    watched.page.add_init_script("Object.defineProperty(Crypto.prototype, 'subtle', {get: () => undefined})")
    watched.page.goto(site.url(site.links("acme-bakery")[0]))
    expect_gate(watched, "unsupported")


def test_calendar_replies_and_relative_dates_work_after_decryption(site, watched):
    page = watched.page
    page.clock.set_fixed_time(datetime(2026, 11, 25, 12, 0))  # the page was built on the 23rd
    open_page(watched, site.url(site.links("acme-bakery")[0]))
    due = page.locator('#deliverables time[datetime="2026-11-27"]').first
    expect(due).to_have_text("in 2 days")
    with page.expect_download() as download:
        page.get_by_text("Add to calendar").click()
    calendar = download.value.path().read_text(encoding="utf-8")
    assert calendar.startswith("BEGIN:VCALENDAR") and "Online ordering goes live" in calendar
    yes = page.locator("#ideas a", has_text="Yes, let's do it").first
    assert re.match(r"mailto:mei@example\.com\?subject=Yes%2C%20let%27s%20do%20it%3A%20", yes.get_attribute("href"))
    assert_clean(watched)


@pytest.mark.parametrize("client_id", ["acme-bakery", "lotus-tea"])
def test_print_is_a_one_page_report_without_buttons(site, watched, client_id):
    page = watched.page
    # printed on the day it was built: a page days older says so at the top (see test_page_age)
    page.clock.set_fixed_time(datetime(2026, 11, 23, 12, 0))
    page.goto(site.url(site.links(client_id)[0]))
    if client_id == "lotus-tea":
        page.fill("#cp-password", PASSWORD)
        page.click("#cp-password-form button")
    expect(page.locator("#cp-content")).to_be_visible()
    pdf = page.pdf(format="A4")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
    page.emulate_media(media="print")
    assert page.locator(".cp-action:visible").count() == 0
    expect(page.locator("#attention")).to_be_visible()


def test_readable_at_360_pixels(site, browser):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    try:
        for client_id in ("acme-bakery", "northwind-studio", "harbor-books"):
            page = context.new_page()
            page.goto(site.url(site.links(client_id)[0]))
            expect(page.locator("#cp-content")).to_be_visible()
            assert page.evaluate("document.documentElement.scrollWidth") <= 360, client_id
            small = page.evaluate(
                "[...document.querySelectorAll('#cp-content a.md-button, #cp-content summary')]"
                ".filter(e => e.getBoundingClientRect().height < 44).length"
            )
            assert small == 0, f"{client_id}: tap targets under 44 px"
    finally:
        context.close()


def test_dark_scheme_follows_the_system(site, browser):
    context = browser.new_context(color_scheme="dark")
    try:
        page = context.new_page()
        page.goto(site.url(site.links("acme-bakery")[0]))
        expect(page.locator("body")).to_have_attribute("data-md-color-scheme", "slate")
        # the brand's colour, lightened until it reads on the dark background
        expect(page.locator("#cp-content .cp-page")).to_be_visible()
        ink = page.evaluate("getComputedStyle(document.body).getPropertyValue('--cp-ink')")
        assert ink.strip() == "#df8636"
    finally:
        context.close()


HOSTILE = """\
name: "Evil <script>window.__pwned = 1</script> Co"
contacts:
  - name: "<img src=x onerror=\\"window.__pwned = 2\\">"
greeting: |
  Hello <script>window.__pwned = 3</script> <img src=x onerror="window.__pwned = 4">
  [click me](javascript:window.__pwned=5) <a href="javascript:window.__pwned=6">also me</a>
  <iframe src="javascript:window.__pwned=7"></iframe> <svg onload="window.__pwned=8"></svg>
deliverables:
  - title: "<b onmouseover=\\"window.__pwned=9\\">bold</b>"
    status: in_progress
    due: 2026-12-01
    notes: "<style>body{display:none}</style> [ok](https://fine.example)"
"""


def test_hostile_record_text_never_executes(build_env, browser, tmp_path):
    portal = copy_portal(tmp_path / "portal")
    (portal / "clients" / "evil-co.yml").write_text(HOSTILE, encoding="utf-8")
    served = serve_portal(portal, tmp_path / "site")
    context = browser.new_context()
    try:
        watched = Watched(context.new_page())
        open_page(watched, served.url(served.links("evil-co")[0]))
        page = watched.page
        expect(page.locator("h1.cp-title")).to_contain_text("<script>window.__pwned = 1</script>")
        for text in ("click me", "also me"):
            page.get_by_text(text).click()
        page.locator("#deliverables h4").first.hover()
        assert page.evaluate("window.__pwned") is None
        assert page.locator("#cp-content script, #cp-content iframe, #cp-content style").count() == 0
        assert page.evaluate("getComputedStyle(document.body).display") != "none"
        assert watched.dialogs == []
    finally:
        context.close()
        served.server.shutdown()


def test_one_column_width_on_a_desktop_whatever_the_content(build_env, browser, tmp_path):
    portal = copy_portal(tmp_path / "portal")
    (portal / "clients" / "tiny-co.yml").write_text("name: Tiny\ncontacts: [{name: A}]\n", encoding="utf-8")
    long_title = "An extraordinarily long deliverable title " * 6
    (portal / "clients" / "wordy-co.yml").write_text(
        "name: Wordy Co\ncontacts: [{name: A}]\ndeliverables:\n"
        f"  - {{title: '{long_title}', status: in_progress, due: 2026-12-01}}\n"
        "greeting: Averyveryveryveryveryveryveryveryveryveryveryveryveryveryverylongwordwithoutspaces\n",
        encoding="utf-8",
    )
    served = serve_portal(portal, tmp_path / "site")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        widths = {}
        for client_id in ("tiny-co", "wordy-co", "acme-bakery", "jasmine-roastery"):  # right to left too
            page = context.new_page()
            open_page(Watched(page), served.url(served.links(client_id)[0]))
            widths[client_id] = page.evaluate("document.querySelector('.cp-main').getBoundingClientRect().width")
            assert page.evaluate("document.documentElement.scrollWidth") <= 1280, client_id
        assert len(set(widths.values())) == 1, widths
        assert 700 <= widths["tiny-co"] <= 960
    finally:
        context.close()
        served.server.shutdown()
