"""A page that knows its age: counted days stay true in the browser, and an old page says it is old."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from .conftest import Site, Watched, copy_portal, serve_portal

pytestmark = pytest.mark.browser

# On track on the build day (2026-11-23, the tests' fixed date): work due on the 30th, a call on
# the 26th. Opened on the 6th of December, "On track" would sit beside "6 days ago".
ON_TRACK = """\
name: Quiet Studio
language: {language}
timezone: Europe/Berlin
contacts: [{{name: Sam Quiet, email: sam@quiet.example}}]
access: {{mode: link}}
deliverables:
  - {{id: poster, title: Poster, status: in_progress, due: 2026-11-30}}
  - {{id: flyer, title: Flyer, status: in_progress, due: 2026-11-20}}
schedule:
  - {{date: 2026-11-26, title: Review call, kind: meeting}}
"""
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(scope="module")
def aged(build_env, tmp_path_factory) -> Iterator[Site]:
    portal = copy_portal(tmp_path_factory.mktemp("aged") / "portal")
    (portal / "clients" / "quiet-studio.yml").write_text(ON_TRACK.format(language="en"), encoding="utf-8")
    (portal / "clients" / "ruhig-studio.yml").write_text(
        ON_TRACK.format(language="de").replace("Quiet Studio", "Ruhiges Studio"), encoding="utf-8"
    )
    site = serve_portal(portal, tmp_path_factory.mktemp("aged-site"))
    yield site
    site.server.shutdown()


def opened(watched: Watched, site: Site, client_id: str, day: datetime) -> Page:
    page = watched.page
    page.clock.set_fixed_time(day)  # the browser's today; the page was built on the 23rd
    page.goto(site.url(site.links(client_id)[0]))
    expect(page.locator("#cp-content .cp-page")).to_be_visible()
    return page


def test_a_day_later_the_page_counts_days_from_today_and_shows_no_notice(aged, watched):
    page = opened(watched, aged, "quiet-studio", datetime(2026, 11, 24, 9, 0, tzinfo=BERLIN))
    # the status line was built a day ago and still stands; "Flyer" is the one late item
    expect(page.locator(".cp-state")).to_be_visible()
    expect(page.locator(".cp-state")).to_contain_text("Running late")
    expect(page.locator(".cp-stale")).to_be_hidden()
    expect(page.locator('#deliverables time[datetime="2026-11-30"]')).to_have_text("in 6 days")
    expect(page.locator("#deliverables time[data-late]")).to_have_text("4 days late")  # 3 on the build day
    expect(page.locator(".cp-timeline")).to_be_visible()
    assert watched.errors == []


def test_thirteen_days_later_the_page_says_how_old_it_is_and_judges_nothing(aged, watched):
    page = opened(watched, aged, "quiet-studio", datetime(2026, 12, 6, 9, 0, tzinfo=BERLIN))
    notice = page.locator(".cp-stale")
    expect(notice).to_be_visible()
    expect(notice).to_have_text(
        "Updated 13 days ago — this page may be out of date. "
        "To hear where things stand, write to me at mei@example.com."
    )
    assert notice.locator("a").get_attribute("href").startswith("mailto:mei@example.com")
    # what the build judged on the 23rd is not presented as today's
    expect(page.locator(".cp-state")).to_be_hidden()
    expect(page.get_by_text("Running late", exact=True)).to_be_hidden()
    expect(page.locator(".cp-timeline")).to_be_hidden()
    # counted days are today's
    expect(page.locator('#deliverables time[datetime="2026-11-30"]')).to_have_text("6 days ago")
    expect(page.locator("#deliverables time[data-late]")).to_have_text("16 days late")
    # never "On track" beside a date in the past: no state chip is shown at all
    assert page.locator(".cp-chip--state:visible").count() == 0
    assert watched.errors == []


def test_an_on_track_page_opened_late_never_says_on_track(aged, watched, tmp_path):
    # the on-track state itself: the same record without the late flyer
    portal = copy_portal(tmp_path / "portal")
    text = ON_TRACK.format(language="en").replace(
        "  - {id: flyer, title: Flyer, status: in_progress, due: 2026-11-20}\n", ""
    )
    (portal / "clients" / "quiet-studio.yml").write_text(text, encoding="utf-8")
    site = serve_portal(portal, tmp_path / "site")
    try:
        page = opened(watched, site, "quiet-studio", datetime(2026, 11, 24, 9, 0, tzinfo=BERLIN))
        expect(page.get_by_text("On track", exact=True)).to_be_visible()
        page = opened(watched, site, "quiet-studio", datetime(2026, 12, 6, 9, 0, tzinfo=BERLIN))
        expect(page.locator('#deliverables time[datetime="2026-11-30"]')).to_have_text("6 days ago")
        expect(page.get_by_text("On track", exact=True)).to_be_hidden()
        expect(page.locator(".cp-stale")).to_be_visible()
    finally:
        site.server.shutdown()


def test_the_notice_speaks_the_clients_language_and_counts_in_their_zone(aged, watched):
    # 23:30 UTC on the 25th is already the 26th in Berlin: three days after the build there
    page = opened(watched, aged, "ruhig-studio", datetime(2026, 11, 25, 23, 30, tzinfo=ZoneInfo("UTC")))
    expect(page.locator(".cp-stale")).to_have_text(
        "Vor 3 Tagen aktualisiert – diese Seite ist vielleicht nicht mehr aktuell. "
        "Wie es gerade steht, erfahren Sie bei mir: mei@example.com."
    )
    expect(page.locator(".cp-state")).to_be_hidden()
    expect(page.locator("#deliverables time[data-late]")).to_have_text("6 Tage zu spät")
