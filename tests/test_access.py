"""Links that expire, and the opt-in calendar feed: dates, sealed pages, check, build and audit."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import date, timedelta
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest
from click.testing import CliRunner
from icalendar import Calendar

from client_portal.audit.audit import PAYLOAD, audit_site
from client_portal.commands.cli import main
from client_portal.page.render import Assets, Renderer
from client_portal.publishing import crypto
from client_portal.publishing.addresses import client_folder, client_links
from client_portal.publishing.calendar_feed import feed_file, feed_path
from client_portal.publishing.pages import PageInputs, client_page
from client_portal.publishing.sealing import _recipients
from client_portal.publishing.site_folder import build_into
from client_portal.records.access import access_ends, active_contacts, client_ended, ending_soon, has_ended
from client_portal.records.loader import parse_record
from client_portal.records.model import Client
from client_portal.records.problems import RecordError

from .build import SECRET
from .conftest import TODAY
from .pages import MATERIAL_TEMPLATES, SETTINGS

KEY = SECRET.encode()
ASSETS = Assets("p{color:red}", "../../portal.js")
RECORD = dedent(
    """\
    name: Harbor Books
    contacts:
      - name: Ana Ruiz
        email: ana@harbor.example
        expires: {ana}
      - name: Ben Okafor
        email: ben@harbor.example
    access:
      mode: link
    {until}
    schedule:
      - date: 2026-12-03
        title: Catalogue photo shoot
        kind: meeting
        notes: Bring the spring list and the shop keys
    deliverables:
      - title: Spring catalogue layout
        status: in_progress
        due: 2026-12-10
    """
)


def harbor(ana: str = "2026-11-23", until: str = "", extra: str = "") -> Client:
    text = RECORD.format(ana=ana, until=f"  until: {until}" if until else "") + extra
    record, _ = parse_record(text, Path("harbor.yml"), today=TODAY)
    return Client("harbor", Path("harbor.yml"), record)


def page_of(client: Client, today: date = TODAY, environ: dict[str, str] | None = None):
    inputs = PageInputs(SETTINGS, KEY, today, (MATERIAL_TEMPLATES,), ASSETS)
    sealing = _recipients(client, KEY, environ or {})
    return client_page(client, inputs, Renderer([MATERIAL_TEMPLATES]), sealing, None)


def payload_of(html: str) -> dict[str, object]:
    found = re.search(re.escape(PAYLOAD) + r"(.*?)</script>", html, re.DOTALL)
    assert found is not None
    return dict(json.loads(found.group(1)))


def link_key(client: Client, name: str) -> bytes:
    link = next(link for link in client_links(SETTINGS, KEY, client) if link.contact == name)
    return crypto.from_b64url(link.path.split("#", 1)[1])


# ---- dates ----


@pytest.mark.parametrize(
    ("expires", "today", "ended"),
    [
        (date(2026, 11, 23), date(2026, 11, 22), False),  # the day before: still open
        (date(2026, 11, 23), date(2026, 11, 23), True),  # the day itself is the first day without
        (date(2026, 11, 23), date(2026, 12, 1), True),
        (None, date(2099, 1, 1), False),
    ],
)
def test_access_ends_at_the_start_of_its_date(expires, today, ended):
    assert has_ended(expires, today) is ended


def test_the_earlier_of_a_contacts_date_and_the_clients_ends_their_access():
    client = harbor(ana="2026-12-20", until="2026-12-01")
    ana, ben = client.record.contacts
    assert access_ends(client.record, ana) == date(2026, 12, 1)
    assert access_ends(client.record, ben) == date(2026, 12, 1)
    assert [c.name for c in active_contacts(client.record, date(2026, 11, 30))] == ["Ana Ruiz", "Ben Okafor"]
    assert active_contacts(client.record, date(2026, 12, 1)) == []
    assert client_ended(client.record, date(2026, 12, 1)) and not client_ended(client.record, date(2026, 11, 30))


def test_check_warns_from_seven_days_before_and_not_once_it_has_ended():
    record = harbor(ana="2026-11-30").record
    assert [s.who for s in ending_soon(record, date(2026, 11, 22))] == []  # eight days ahead
    soon = ending_soon(record, date(2026, 11, 23))
    assert [(s.where, s.who, s.ends) for s in soon] == [(("contacts", 0, "expires"), "Ana Ruiz", date(2026, 11, 30))]
    assert ending_soon(record, date(2026, 11, 29)) != []
    assert ending_soon(record, date(2026, 11, 30)) == []  # ended: the page says so, nothing to warn about
    whole = harbor(ana="2026-12-20", until="2026-11-25").record
    assert [(s.where, s.who) for s in ending_soon(whole, TODAY)] == [(("access", "until"), "")]


@pytest.mark.parametrize(
    ("access", "where", "words"),
    [
        ("mode: unlisted", "contacts.0.expires", "an unlisted page is readable by anyone"),
        ("mode: password\n  password_env: TEAM_PASSWORD", "contacts.0.expires", "knows the shared password"),
    ],
)
def test_an_end_date_that_could_not_end_anything_is_refused(access, where, words):
    text = RECORD.format(ana="2026-12-01", until="").replace("mode: link", access)
    with pytest.raises(RecordError) as caught:
        parse_record(text, Path("harbor.yml"), today=TODAY)
    assert any(words in p.message for p in caught.value.problems), caught.value


# ---- the sealed page ----


def ended_dates(payload: dict[str, object], opener: bytes) -> set[str]:
    """The end dates the page holds for ``opener`` (a link's key or a stretched password), as the browser reads them."""
    check = crypto.ended_check(opener)
    return {
        crypto.open_end_date(crypto.ended_date_key(opener), check, entry["on"])
        for entry in payload["ended"]  # type: ignore[attr-defined]
        if entry["check"] == check
    }


def shape(entries: list[dict[str, Any]]) -> list[tuple[int, int, int]]:
    """What anyone sees of the ended list: how many, and how long each mark and sealed date is."""
    return [(len(e["check"]), len(e["on"]["iv"]), len(e["on"]["data"])) for e in entries]


def test_the_ended_list_never_tells_how_many_ended_or_when():
    payloads = [
        payload_of(page_of(harbor(ana=ana, until=until)).html)
        for ana, until in (
            ("2027-06-01", ""),  # nobody's access ended
            ("2026-11-23", ""),  # Ana's did
            ("2026-12-20", "2026-11-20"),  # everyone's did
        )
    ]
    assert len({tuple(shape(p["ended"])) for p in payloads}) == 1  # type: ignore[arg-type]
    assert all(len(p["ended"]) == crypto.KEYS_MULTIPLE for p in payloads)  # type: ignore[arg-type]
    for payload in payloads:
        assert "2026-11" not in json.dumps(payload["ended"])
    # decoys keep their marks from build to build, as real ones do; only the sealed dates are new
    again = payload_of(page_of(harbor(ana="2026-11-23", until="")).html)
    assert [e["check"] for e in again["ended"]] == [e["check"] for e in payloads[1]["ended"]]  # type: ignore[union-attr]


def test_an_expired_contacts_key_opens_nothing_while_a_colleagues_still_does():
    client = harbor(ana="2026-11-23")
    page = page_of(client)
    payload = payload_of(page.html)
    token = page.token
    ana, ben = link_key(client, "Ana Ruiz"), link_key(client, "Ben Okafor")
    with pytest.raises(KeyError):  # no copy of the page key for Ana at all
        crypto.open_page(payload, token, crypto.Recipient.from_link(ana))
    assert crypto.key_id(ana) not in [entry["id"] for entry in payload["keys"]]  # type: ignore[union-attr]
    assert "Catalogue photo shoot" in crypto.open_page(payload, token, crypto.Recipient.from_link(ben))
    # her link's page can say when it ended, from a mark only her key gives, with a date only her key reads
    assert ended_dates(payload, ana) == {"2026-11-23"}
    assert crypto.ended_check(ben) not in json.dumps(payload)
    # the day before, her key still opens the page and nothing is marked ended; the list looks the same
    before = payload_of(page_of(client, TODAY - timedelta(days=1)).html)
    assert "Catalogue photo shoot" in crypto.open_page(before, token, crypto.Recipient.from_link(ana))
    assert ended_dates(before, ana) == set()
    assert shape(before["ended"]) == shape(payload["ended"])  # type: ignore[arg-type]


def test_after_access_until_no_key_opens_anything_and_every_link_says_when():
    client = harbor(ana="2026-12-20", until="2026-11-20")
    page = page_of(client)
    payload = payload_of(page.html)
    for name in ("Ana Ruiz", "Ben Okafor"):
        with pytest.raises(KeyError):
            crypto.open_page(payload, page.token, crypto.Recipient.from_link(link_key(client, name)))
    assert len(payload["keys"]) == crypto.KEYS_MULTIPLE  # type: ignore[arg-type]  # decoys only: it looks like any page
    for name in ("Ana Ruiz", "Ben Okafor"):
        assert ended_dates(payload, link_key(client, name)) == {"2026-11-20"}
    assert len(payload["ended"]) == crypto.KEYS_MULTIPLE  # type: ignore[arg-type]  # two, and two decoys
    assert [f.path for f in page.files if f.path.startswith(page.folder)] == [page.path]  # no feed either


def test_a_personal_password_expires_the_same_way():
    text = RECORD.format(ana="2026-11-23", until="").replace("mode: link", "mode: password")
    text = text.replace("expires: 2026-11-23", "expires: 2026-11-23\n    password_env: ANA_PASSWORD")
    text = text.replace("email: ben@harbor.example", "email: ben@harbor.example\n    password_env: BEN_PASSWORD")
    record, _ = parse_record(text, Path("harbor.yml"), today=TODAY)
    client = Client("harbor", Path("harbor.yml"), record)
    environ = {"ANA_PASSWORD": "ana-password-1", "BEN_PASSWORD": "ben-password-2"}
    payload = payload_of(page_of(client, environ=environ).html)
    token = client_folder(SETTINGS.url_prefix, KEY, client).rstrip("/").rsplit("/", 1)[1]
    assert "Catalogue photo shoot" in crypto.open_with_password(payload, token, "ben-password-2")
    with pytest.raises(KeyError):
        crypto.open_with_password(payload, token, "ana-password-1")
    salt = crypto.from_b64url(payload["kdf"]["salt"])  # type: ignore[index]
    ana = crypto.password_key("ana-password-1", salt)
    assert ended_dates(payload, ana) == {"2026-11-23"}


def test_check_warns_at_the_line_of_the_date(empty_portal):
    (empty_portal / "clients" / "harbor.yml").write_text(RECORD.format(ana="2026-11-27", until=""), encoding="utf-8")
    result = CliRunner().invoke(main, ["check"], catch_exceptions=False)
    assert "clients/harbor.yml:5:" in result.output, result.output
    assert "Ana Ruiz's link stops opening the page on 2026-11-27 (in 4 days)" in result.output
    assert "Traceback" not in result.output


# ---- the calendar feed ----

FEED = "calendar:\n  subscribe: true\n  detail: {detail}\n"


def test_a_titles_feed_carries_titles_and_dates_and_nothing_else():
    client = harbor(ana="2026-12-20", extra=FEED.format(detail="titles"))
    path, text = feed_file(client, KEY, SETTINGS, TODAY) or ("", "")
    assert path == feed_path(SETTINGS.url_prefix, KEY, client) and path.endswith(".ics")
    events = Calendar.from_ical(text).walk("VEVENT")
    assert [(str(e["SUMMARY"]), e.decoded("DTSTART")) for e in events] == [
        ("Catalogue photo shoot", date(2026, 12, 3)),
        ("Spring catalogue layout", date(2026, 12, 10)),
    ]
    assert "spring list" not in text and "Harbor" not in text and "harbor" not in text.lower().replace("@", " ")
    assert "X-WR-CALNAME:Mei Chen" in text


def test_a_busy_feed_says_only_when():
    client = harbor(ana="2026-12-20", extra=FEED.format(detail="busy"))
    _, text = feed_file(client, KEY, SETTINGS, TODAY) or ("", "")
    events = Calendar.from_ical(text).walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == ["Busy", "Busy"]
    assert [e.decoded("DTSTART") for e in events] == [date(2026, 12, 3), date(2026, 12, 10)]
    assert "Catalogue" not in text and "Spring" not in text
    # event ids are keyed with the secret: they tell nothing of a title
    assert all(re.fullmatch(r"[0-9a-f]{24}@client-portal", str(e["UID"])) for e in events)


def test_no_feed_unless_asked_for():
    assert feed_file(harbor(ana="2026-12-20"), KEY, SETTINGS, TODAY) is None
    off = harbor(ana="2026-12-20", extra="calendar:\n  subscribe: false\n")
    assert feed_file(off, KEY, SETTINGS, TODAY) is None


def test_bumping_access_version_moves_the_feed():
    one = harbor(ana="2026-12-20", extra=FEED.format(detail="busy"))
    two_record = one.record.model_copy(update={"access": one.record.access.model_copy(update={"version": 2})})
    two = dataclasses.replace(one, record=two_record)
    assert feed_path("p", KEY, one) != feed_path("p", KEY, two)
    assert feed_path("p", KEY, one) != client_folder("p", KEY, one).rstrip("/") + ".ics"


SITE_RECORD = RECORD.format(ana="2026-12-20", until="")


@pytest.fixture
def feed_portal(empty_portal, monkeypatch) -> Path:
    monkeypatch.setenv("PORTAL_SECRET", SECRET)
    return empty_portal


def build(portal: Path, record: str) -> tuple[Path, list[Client]]:
    from client_portal.records.loader import load_clients
    from client_portal.site_config import read_settings

    (portal / "clients" / "harbor.yml").write_text(record, encoding="utf-8")
    settings = read_settings(portal / "mkdocs.yml")
    site = portal / "site"
    site.mkdir(exist_ok=True)
    build_into(site, settings, KEY)
    return site, load_clients(settings.clients_dir, today=TODAY)


@pytest.mark.parametrize("detail", ["titles", "busy"])
def test_the_audit_allows_the_feed_with_its_chosen_detail(feed_portal, detail):
    site, clients = build(feed_portal, SITE_RECORD + FEED.format(detail=detail))
    feeds = list(site.glob("p/*.ics"))
    assert len(feeds) == 1
    assert audit_site(site, clients, KEY, "p", {}) == []


def test_a_busy_feed_carrying_a_title_is_a_finding(feed_portal):
    site, clients = build(feed_portal, SITE_RECORD + FEED.format(detail="busy"))
    (feed,) = site.glob("p/*.ics")
    feed.write_text(feed.read_text(encoding="utf-8").replace("SUMMARY:Busy", "SUMMARY:Catalogue photo shoot", 1))
    findings = [str(f) for f in audit_site(site, clients, KEY, "p", {})]
    assert findings == [
        f"{feed.relative_to(site)}: text of client 'harbor' appears outside its folder: " + "'Catalogue photo shoot'"
    ]


def test_a_titles_feed_carrying_notes_or_a_stray_feed_is_a_finding(feed_portal):
    site, clients = build(feed_portal, SITE_RECORD + FEED.format(detail="titles"))
    (feed,) = site.glob("p/*.ics")
    text = feed.read_text(encoding="utf-8")
    feed.write_text(text.replace("END:VEVENT", "DESCRIPTION:Bring the spring list and the shop keys\r\nEND:VEVENT", 1))
    (site / "p" / "old-feed.ics").write_text(text, encoding="utf-8")
    findings = [str(f) for f in audit_site(site, clients, KEY, "p", {})]
    assert any("spring list" in f and str(feed.relative_to(site)) in f for f in findings), findings
    assert any(f.startswith("p/old-feed.ics: ") and "text of client 'harbor'" in f for f in findings), findings
    assert any(f.startswith("p/old-feed.ics: is no current client page") for f in findings), findings


def test_a_new_access_version_removes_the_old_feed_from_the_site(feed_portal):
    site, _ = build(feed_portal, SITE_RECORD + FEED.format(detail="busy"))
    (old,) = site.glob("p/*.ics")
    site, _ = build(
        feed_portal, SITE_RECORD.replace("mode: link", "mode: link\n  version: 2") + FEED.format(detail="busy")
    )
    (new,) = site.glob("p/*.ics")
    assert new != old and not old.exists()


def test_links_shows_the_feed_address_and_marks_expired_links(feed_portal):
    record = RECORD.format(ana="2026-11-20", until="") + FEED.format(detail="busy")
    (feed_portal / "clients" / "harbor.yml").write_text(record, encoding="utf-8")
    result = CliRunner().invoke(main, ["links", "--base-url", "https://mei.example/"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    client = harbor(ana="2026-11-20", extra=FEED.format(detail="busy"))
    assert (
        f"calendar feed (readable by anyone with this address): https://mei.example/{feed_path('p', KEY, client)}"
        in result.output
    )
    assert re.search(r"Ana Ruiz: https://\S+ \(expired on 2026-11-20: it opens nothing\)", result.output)
    assert re.search(r"Ben Okafor: https://\S+\n", result.output)
