"""Rendered client pages: each section's content for the samples on a fixed build date."""

from __future__ import annotations

import dataclasses
import functools
import re
import types
from html import unescape as html_unescape
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

import jinja2
import pytest
from babel import Locale
from hypothesis import given
from hypothesis import strategies as st
from jinja2 import Environment, pass_context, pass_environment, pass_eval_context
from jinja2.filters import do_urlencode
from jinja2.runtime import Context, markup_join
from markupsafe import Markup

from client_portal.decisions.line import DecisionLine, find_lines
from client_portal.page import render as render_module
from client_portal.page.fingerprints import item_fingerprint
from client_portal.page.markdown_text import render_markdown
from client_portal.page.render import ICONS_DIR, Renderer
from client_portal.page.url_text import percent_encoded
from client_portal.page.view import page_context, unsigned_lines
from client_portal.records.loader import load_client, parse_record
from client_portal.records.model import Client

from .conftest import ROOT, TODAY
from .pages import MATERIAL_TEMPLATES, SEEN_KEY, SETTINGS, render_sample, text_of


@pytest.fixture(scope="module")
def acme_html() -> str:
    return render_sample("acme-bakery")


@pytest.fixture(scope="module")
def acme(acme_html) -> str:
    return text_of(acme_html)


def section(html: str, section_id: str) -> str:
    match = re.search(rf'<section[^>]*id="{section_id}".*?</section>', html, re.S)
    assert match, f"no section #{section_id}"
    return match.group(0)


def test_header_states_the_situation_in_one_line(acme):
    assert "Project status for Acme Bakery" in acme
    # what the client has to do, then the freelancer's own late work, said as such
    assert (
        "Running late 5 need you · 1 running late · 2 in progress · next: Christmas gift box labels, Fri, Nov 27"
        in acme
    )
    assert "Hi Anna, hi Tomasz!" in acme
    assert "Updated Nov 23, 2026" in acme


def test_attention_lists_what_the_client_has_to_do_with_reply_links(acme_html):
    html = section(acme_html, "attention")
    text = text_of(html)
    assert text.count("Reply") == 5
    assert "Christmas gift box labels In review · due Fri, Nov 27 · in 4 days" in text
    assert "Confirm the delivery zones" in text and "4 days ago" in text
    # the freelancer's own late work is not the client's to do: it is said on its card
    assert "Online ordering page" not in text and "late" not in text.lower()
    cards = text_of(section(acme_html, "deliverables"))
    assert "Online ordering page In progress 60% 60% Was due Fri, Nov 20 · 3 days late This is late" in cards
    assert "About page copy Waiting on you · due Mon, Nov 30 · in 7 days" in text
    assert "mailto:mei@example.com?subject=About%3A%20About%20page%20copy" in html


def test_attention_says_so_quietly_when_nothing_is_needed():
    text = text_of(section(render_sample("fjord-cycles"), "attention"))
    assert text == "Needs your attention Nothing needs you right now."


def test_deliverables_show_status_timing_progress_and_links(acme_html):
    html = section(acme_html, "deliverables")
    text = text_of(html)
    groups = re.findall(r'<h3 class="cp-group">([^<]+)', html)
    assert [g.strip() for g in groups] == ["In progress", "In review", "Waiting on you", "Planned", "Delivered"]
    assert "Delivered Wed, Oct 7 · 2 days early" in text
    assert "Delivered Fri, Nov 13 · 2 days late" in text
    assert "Delivered Tue, Nov 17 · 3 days early" in text
    assert 'value="60"' in html and "60%" in text
    assert "Was due Fri, Nov 20 · 3 days late" in text
    assert '<time datetime="2026-11-20" data-late>3 days late</time>' in html  # counted again by the browser
    assert "Due Fri, Nov 27 · in 4 days" in text
    assert re.search(r'<details class="cp-collapsed">\s*<summary>1 cancelled item</summary>', html)
    assert 'href="https://' in html and "Open the files" in text


def test_schedule_upcoming_first_in_the_clients_zone_with_calendar(acme_html):
    html = section(acme_html, "schedule")
    text = text_of(html)
    upcoming = text.split("past dates")[0]
    assert upcoming.index("Tue, Dec 1") < upcoming.index("Thu, Dec 3 · 15:00") < upcoming.index("Tue, Dec 22")
    assert "Times are shown in your time zone: Central European Time." in text
    assert "2 past dates" in text
    assert "<svg" in html and "Timeline of the next weeks" in html
    calendar = unquote(re.search(r'href="data:text/calendar;charset=utf-8,([^"]+)"', html).group(1))
    assert calendar.startswith("BEGIN:VCALENDAR") and calendar.count("BEGIN:VEVENT") == 6
    assert "DTSTART:20261203T140000Z" in calendar  # 15:00 in Berlin


def strip_places(html: str) -> list[tuple[str, str]]:
    """The schedule strip's today label and markers: (what, where)."""
    strip = section(html, "schedule").split("</svg>")[0]
    today = re.search(
        r'<text class="cp-timeline__label cp-timeline__label--today" x="([^"]+)" y="\d+" text-anchor="(\w+)"', strip
    )
    assert today, strip
    marks = re.findall(r'<circle class="cp-timeline__mark [^"]+" cx="([^"]+)"', strip)
    return [("today", today.group(1)), ("anchor", today.group(2)), *(("mark", x) for x in marks)]


def test_schedule_strip_groups_items_close_in_time(acme_html):
    strip = section(acme_html, "schedule").split("</svg>")[0]
    # Nov 27 and 30 (due), Dec 1 and 3 (deadline, meeting), Dec 8, Dec 21, Dec 22
    groups = re.findall(r'<g class="cp-timeline__group">\s*<title>([^<]*)</title>', strip)
    assert [len(title.split("&#10;")) for title in groups] == [2, 2, 1, 1]  # one item a line
    assert groups[0] == "Fri, Nov 27: Christmas gift box labels&#10;Mon, Nov 30: About page copy"
    assert re.findall(r'<text class="cp-timeline__count"[^>]*>(\d+)</text>', strip) == ["2", "2"]
    assert 'role="img" aria-labelledby="timeline-title"' in strip and "Timeline of the next weeks" in strip


def test_schedule_strip_runs_right_to_left_on_a_right_to_left_page():
    client = load_client(ROOT / "clients" / "acme-bakery.yml", today=TODAY)
    context = page_context(client, SETTINGS, TODAY, whatsnew_key=SEEN_KEY)
    left_to_right = strip_places(str(Renderer([MATERIAL_TEMPLATES]).body(context)))
    context["locale"] = Locale.parse("ar")
    right_to_left = strip_places(str(Renderer([MATERIAL_TEMPLATES]).body(context)))
    assert left_to_right[:2] == [("today", "0.00%"), ("anchor", "start")]
    assert right_to_left[:2] == [("today", "100.00%"), ("anchor", "end")]
    mirrored = [(what, f"{100 - float(x.rstrip('%')):.2f}%") for what, x in left_to_right[2:]]
    assert right_to_left[2:] == mirrored and len(mirrored) == 4


def test_ideas_offer_one_click_replies_for_open_suggestions(acme_html):
    html = section(acme_html, "ideas")
    text = text_of(html)
    assert "Yes, let's do it" in text and "Let's talk" in text
    assert "subject=Yes%2C%20let%27s%20do%20it%3A%20A%20short%20monthly%20newsletter" in html
    assert text.count("Yes, let's do it") == 1  # decided ideas show their decision instead
    assert "Accepted" in text and "Declined" in text and "Done" in text


def test_updates_newest_first_last_few_open(acme_html):
    html = section(acme_html, "updates")
    dates = re.findall(r'<time datetime="([\d-]+)"', html)
    assert dates == sorted(dates, reverse=True) and len(dates) == 6
    assert "3 earlier updates" in text_of(html)


def test_preferences_track_record_and_contact(acme):
    assert "How you like to work Anna signs off on anything customers will see" in acme
    assert "Track record 2 of 3 delivered on time or early · on average 1 day early" in acme
    assert "Your contact Mei Chen I reply within one business day. Mon–Fri, 09:00–17:00" in acme


def test_contact_hours_in_the_clients_own_zone():
    text = text_of(render_sample("harbor-books"))
    assert "Mon–Fri, 09:00–17:00 · 03:00–11:00 your time" in text


def test_prospect_gets_a_proposal():
    html = render_sample("northwind-studio")
    text = text_of(html)
    assert "Proposal for Northwind Studio" in text
    for present in ("The offer", "Proposed scope", "Proposed timeline", "Ideas for you", "Your decision"):
        assert present in text
    for absent in ("Track record", "Updates"):
        assert absent not in text


def test_paused_and_finished_projects_say_so():
    assert "On hold" in text_of(render_sample("fjord-cycles"))
    assert "This project is on hold." in text_of(render_sample("fjord-cycles"))
    record, _ = parse_record("name: Done Co\nstage: past\ncontacts: [{name: A}]\n", Path("d.yml"), today=TODAY)
    html = str(
        Renderer([MATERIAL_TEMPLATES]).body(
            page_context(Client("done-co", Path("d.yml"), record), SETTINGS, TODAY, whatsnew_key=SEEN_KEY)
        )
    )
    assert "Completed" in text_of(html) and "This project is complete." in text_of(html)


def test_empty_sections_disappear():
    record, _ = parse_record("name: Quiet Co\ncontacts: [{name: A}]\n", Path("q.yml"), today=TODAY)
    client = Client("quiet-co", Path("q.yml"), record)
    text = text_of(
        str(Renderer([MATERIAL_TEMPLATES]).body(page_context(client, SETTINGS, TODAY, whatsnew_key=SEEN_KEY)))
    )
    for absent in ("Deliverables", "Schedule", "Ideas", "Updates", "Track record", "How you like", "None", "N/A"):
        assert absent not in text
    assert "Nothing needs you right now." in text


HOSTILE = """\
name: "Evil <script>alert(1)</script> Co"
contacts: [{name: "<img src=x onerror=alert(2)>"}]
greeting: |
  Hello <script>alert(3)</script> <img src=x onerror="alert(4)"> [click](javascript:alert(5))
  <a href="javascript:alert(6)">x</a> <iframe src="https://evil.example"></iframe>
deliverables:
  - title: "<b onmouseover=alert(7)>bold</b>"
    status: in_progress
    due: 2026-12-01
    notes: "[ok](https://fine.example) <style>body{display:none}</style> <svg onload=alert(8)>"
"""


def test_hostile_record_text_is_escaped_or_sanitised():
    record, _ = parse_record(HOSTILE, Path("evil.yml"), today=TODAY)
    client = Client("evil", Path("evil.yml"), record)
    html = str(Renderer([MATERIAL_TEMPLATES]).body(page_context(client, SETTINGS, TODAY, whatsnew_key=SEEN_KEY)))
    lowered = html.lower()
    for bad in ("<script", "javascript:", "<iframe", "<style"):
        assert bad not in lowered, bad
    assert not re.search(r"<[^>]*\son\w+\s*=", lowered), "an event handler attribute survived"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # names are shown, as text
    assert '<a href="https://fine.example" rel="noopener noreferrer nofollow">ok</a>' in html


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("**bold**", "<p><strong>bold</strong></p>"),
        ("[x](mailto:a@b.example)", '<p><a href="mailto:a@b.example" rel="noopener noreferrer nofollow">x</a></p>'),
        ("[x](data:text/html,hi)", "<p>x</p>"),
        ("# Title", "<h3>Title</h3>"),
        ("<div onclick=x>hi</div>", "hi"),
    ],
)
def test_markdown_is_rendered_safely(markdown, expected):
    assert str(render_markdown(markdown)).strip() == expected


def test_a_long_attention_list_shows_the_most_urgent_and_folds_the_rest():
    asks = "".join(f"  - {{title: Ask {n}, due: 2026-11-{n + 1:02d}}}\n" for n in range(9))
    late = "".join(f"  - {{title: Late item {n}, status: in_progress, due: 2026-11-{n + 1:02d}}}\n" for n in range(3))
    waiting = "  - {title: Sign-off, status: waiting_on_client, due: 2026-11-30}\n"
    asks += "  - {title: Photos}\n"
    text = f"name: Busy Co\ncontacts: [{{name: A}}]\nrequests:\n{asks}deliverables:\n{late}{waiting}"
    record, _ = parse_record(text, Path("b.yml"), today=TODAY)
    html = str(
        Renderer([MATERIAL_TEMPLATES]).body(
            page_context(Client("busy-co", Path("b.yml"), record), SETTINGS, TODAY, whatsnew_key=SEEN_KEY)
        )
    )
    attention = section(html, "attention")
    shown, _, folded = attention.partition("<details")
    assert shown.count('class="cp-attention__item') == 4
    assert [f"Ask {n}" in shown for n in range(4)] == [True] * 4  # the longest overdue first
    assert folded.count('class="cp-attention__item') == 7
    assert "7 more items · 1 waiting on you · 6 requests" in text_of(folded)
    assert "Late item" not in attention  # the freelancer's own late work is said in the header and on its card
    assert "11 need you · 3 running late" in text_of(html)


def test_a_short_attention_list_is_shown_whole():
    text = (
        "name: Calm Co\ncontacts: [{name: A}]\nrequests: [{title: A}, {title: B}, {title: C}, {title: D}, {title: E}]\n"
    )
    record, _ = parse_record(text, Path("c.yml"), today=TODAY)
    html = str(
        Renderer([MATERIAL_TEMPLATES]).body(
            page_context(Client("calm-co", Path("c.yml"), record), SETTINGS, TODAY, whatsnew_key=SEEN_KEY)
        )
    )
    assert "<details" not in section(html, "attention")


def test_a_long_deliverable_group_shows_a_dozen_and_folds_the_rest():
    open_work = "".join(
        f"  - {{title: Open {n}, status: in_progress, due: 2026-12-{n % 28 + 1:02d}}}\n" for n in range(30)
    )
    done = "".join(
        f"  - {{title: Done {n}, status: delivered, due: 2026-10-{n + 1:02d}, delivered: 2026-10-{n + 1:02d}}}\n"
        for n in range(20)
    )
    text = f"name: Big Co\ncontacts: [{{name: A}}]\ndeliverables:\n{open_work}{done}"
    record, _ = parse_record(text, Path("b.yml"), today=TODAY)
    html = str(
        Renderer([MATERIAL_TEMPLATES]).body(
            page_context(Client("big-co", Path("b.yml"), record), SETTINGS, TODAY, whatsnew_key=SEEN_KEY)
        )
    )
    deliverables = section(html, "deliverables")
    folded = re.findall(r"<details.*?</details>", deliverables, re.S)
    assert [text_of(f).split(" Open ")[0].split(" Done ")[0] for f in folded] == ["18 more", "8 earlier deliveries"]
    assert folded[0].count("<article") == 18 and folded[1].count("<article") == 8
    assert "Done 7" in folded[1] and "Done 8" not in folded[1]  # the oldest fold away, the newest stay


def reply_subjects(html: str, element_id: str) -> dict[str, str]:
    """{button text: decoded mailto subject} of the reply buttons inside one element."""
    match = re.search(rf'<article[^>]*id="{element_id}".*?</article>', html, re.S)
    assert match, element_id
    return {
        text_of(label): reply_of(href)["subject"]
        for href, label in re.findall(
            r'<a class="md-button[^"]*" href="(mailto:[^"]+)"[^>]*>(.*?)</a>', match.group(0), re.S
        )
    }


def reply_of(href: str) -> dict[str, str]:
    """The subject and body a mailto: link (as written in HTML) prefills."""
    return {name: values[0] for name, values in parse_qs(urlsplit(html_unescape(href)).query).items()}


def decision_replies(html: str, element_id: str) -> dict[str, tuple[dict[str, str], dict[str, str]]]:
    """{button text: (its data-cp-* attributes, the reply it opens)} of one element's decision controls."""
    match = re.search(rf'<(article|section)[^>]*id="{element_id}".*?</\1>', html, re.S)
    assert match, element_id
    found = {}
    for href, attributes, label in re.findall(
        r'<a class="md-button[^"]*cp-decide" href="(mailto:[^"]+)"([^>]*)>(.*?)</a>', match.group(0), re.S
    ):
        data = dict(re.findall(r'data-cp-(\w+)="([^"]*)"', attributes))
        found[text_of(label)] = (data, reply_of(href))
    return found


def test_work_in_review_offers_approve_and_request_changes(acme_html):
    assert reply_subjects(acme_html, "deliverable-gift-box-labels") == {
        "Approve": "Approved: Christmas gift box labels",
        "Request changes": "Changes requested: Christmas gift box labels",
    }


def test_each_decision_reply_says_the_decision_and_ends_with_its_line(acme_html):
    acme = load_client(ROOT / "clients" / "acme-bakery.yml", today=TODAY).record
    replies = decision_replies(acme_html, "deliverable-gift-box-labels")
    assert list(replies) == ["Approve", "Request changes"]
    seen = item_fingerprint(acme, "deliverable/gift-box-labels")
    for label, decision, summary in (
        ("Approve", "approve", "I approve “Christmas gift box labels” as shown on my project page."),
        ("Request changes", "changes", "Please change “Christmas gift box labels”:"),
    ):
        data, reply = replies[label]
        assert data == {
            "decide": "deliverable/gift-box-labels",
            "decision": decision,
            "seen": seen,
            "client": "acme-bakery",
        }
        lines = reply["body"].split("\r\n")
        assert lines[0] == summary and lines[1:4] == ["", "", ""]  # room for the client's own words
        # the line alone at the end, complete but for what the browser signs: b and m
        assert lines[-1] == str(DecisionLine("acme-bakery", "deliverable/gift-box-labels", decision, seen, ""))
        assert lines[-1].endswith(" b= m=]") and find_lines(reply["body"]) == []


def test_a_proposed_idea_can_be_taken_up_or_declined_and_talked_about(acme_html):
    acme = load_client(ROOT / "clients" / "acme-bakery.yml", today=TODAY).record
    replies = decision_replies(acme_html, "ideas")
    idea = f"idea/{next(s.key for s in acme.suggestions if s.status == 'proposed')}"
    assert [(label, data["decide"], data["decision"]) for label, (data, _) in replies.items()] == [
        ("Yes, let's do it", idea, "accept"),
        ("No, thanks", idea, "decline"),
    ]
    assert replies["No, thanks"][1]["subject"] == "No, thanks: A short monthly newsletter"
    assert replies["No, thanks"][1]["body"].startswith(
        "No, thank you: I decline the idea “A short monthly newsletter”."
    )
    assert "Let's talk" in text_of(section(acme_html, "ideas"))  # a plain reply, with no decision line


def test_the_page_writes_unsigned_lines_as_the_decision_line_does():
    unsigned = unsigned_lines("acme-bakery")("idea/x", "decline", "s" * 43)
    assert unsigned == str(DecisionLine("acme-bakery", "idea/x", "decline", "s" * 43, ""))


def test_work_waiting_on_the_client_offers_a_reply(acme_html):
    assert reply_subjects(acme_html, "deliverable-about-page-copy") == {"Reply": "About: About page copy"}


def test_replies_are_in_the_clients_language():
    lotus = render_sample("lotus-tea")
    review = re.search(
        r'<article[^>]*cp-deliverable"[^>]*>(?:(?!</article>).)*?确认通过(?:(?!</article>).)*</article>', lotus, re.S
    )
    assert review and "需要修改" in review.group(0)
    assert "Approve" not in lotus
    replies = decision_replies(lotus, review.group(0).split('id="', 1)[1].split('"', 1)[0])
    assert replies["确认通过"][1]["body"].startswith("我确认通过“")
    assert "请保持下一行原样" in replies["需要修改"][1]["body"]


def test_the_contact_card_offers_a_booking_link_when_set(acme):
    assert "Book a call" not in acme
    settings = dataclasses.replace(
        SETTINGS, freelancer=dataclasses.replace(SETTINGS.freelancer, booking_url="https://cal.example/mei")
    )
    html = render_sample("acme-bakery", settings)
    contact = section(html, "contact")
    assert 'href="https://cal.example/mei"' in contact and "Book a call" in text_of(contact)


PAUSED = """\
name: Paused Co
stage: paused
contacts: [{name: A}]
requests: [{title: Send the logo files, due: 2026-11-10}]
deliverables:
  - {title: Shop redesign, status: in_progress, due: 2026-11-01}
  - {title: Sign-off on colours, status: waiting_on_client, due: 2026-11-05}
"""


CLOSED = PAUSED.replace("stage: paused", "stage: past").replace("waiting_on_client", "in_review") + (
    "  - {title: Website launch, status: delivered, due: 2026-10-01, delivered: 2026-09-30}\n"
)


def render_record(text: str) -> str:
    """The rendered body of a record written in the test."""
    record, _ = parse_record(text, Path("p.yml"), today=TODAY)
    return str(
        Renderer([MATERIAL_TEMPLATES]).body(
            page_context(Client("some-co", Path("p.yml"), record), SETTINGS, TODAY, whatsnew_key=SEEN_KEY)
        )
    )


def test_a_paused_project_shows_nothing_as_late_but_keeps_what_is_open():
    html = render_record(PAUSED)
    text = text_of(html)
    for word in ("late", "overdue", "ago", "Was due"):
        assert word not in text, word
    attention = text_of(section(html, "attention"))
    assert "Send the logo files" in attention and "Sign-off on colours" in attention
    assert "Shop redesign" not in attention  # not overdue while paused
    assert "On hold" in text and "data-relative" not in html
    assert "next:" not in text  # no due date runs while paused


def test_a_closed_project_shows_what_was_delivered_and_nothing_open_or_late():
    shown = text_of(render_record(CLOSED))
    for word in ("late", "overdue", "ago", "Was due", "need you", "next:", "Needs your attention", "in progress"):
        assert word not in shown, word
    assert "Completed" in shown and "This project is complete" in shown
    assert "Website launch" in shown and "Delivered" in shown  # what was delivered
    assert "Shop redesign" not in shown and "Send the logo files" not in shown  # no open work


def test_a_closed_project_still_lists_an_unpaid_invoice():
    text = CLOSED + "invoices: [{number: INV-1, date: 2026-10-01, due: 2026-10-15, amount: 100, currency: EUR}]\n"
    attention = text_of(section(render_record(text), "attention"))
    assert "Invoice INV-1" in attention and "Shop redesign" not in attention


# --- What's new: each item's fingerprint covers everything it shows ----------------------------


def deliverable_state(client: Client, key: str) -> str:
    html = str(Renderer([MATERIAL_TEMPLATES]).body(page_context(client, SETTINGS, TODAY, whatsnew_key=SEEN_KEY)))
    found = re.search(f'id="deliverable-{key}" data-cp-item="[0-9a-f]+" data-cp-state="([0-9a-f]+)"', html)
    assert found, f"deliverable {key} carries no what's-new fingerprint"
    return found[1]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "Four blog articles on sourdough"),
        ("status", "approved"),
        ("due", TODAY),
        ("delivered", TODAY),
        ("progress", 50),
        ("notes", "Now with photos."),
        ("link", "https://files.example/acme-bakery/v2.zip"),
    ],
)
def test_a_change_to_anything_a_deliverable_shows_marks_it_updated(field, value):
    acme = load_client(ROOT / "clients" / "acme-bakery.yml", today=TODAY)
    before = deliverable_state(acme, "sourdough-articles")
    changed = [
        d.model_copy(update={field: value}) if d.key == "sourdough-articles" else d for d in acme.record.deliverables
    ]
    after = deliverable_state(
        dataclasses.replace(acme, record=acme.record.model_copy(update={"deliverables": changed})), "sourdough-articles"
    )
    assert after != before


def test_every_icon_the_templates_name_ships_with_the_package():
    """A missing icon renders as nothing, silently: every name a template uses must have its file."""
    templates = Path(render_module.__file__).parent / "templates"
    named = {
        name
        for template in templates.rglob("*.html")
        for name in re.findall(r'icon\("([a-z0-9-]+)"\)', template.read_text(encoding="utf-8"))
    }
    assert len(named) > 10
    assert {name for name in named if not (ICONS_DIR / f"{name}.svg").is_file()} == set()


@pytest.fixture
def compiled(monkeypatch) -> list[str]:
    """The name of every template Jinja compiles from here on."""
    names: list[str] = []
    original = Environment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):
        names.append(name)
        return original(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(Environment, "compile", counting)
    return names


@pytest.mark.own_templates
def test_templates_compile_once_for_every_language(compiled):
    renderer = Renderer()
    pages = [renderer.environment(lang).get_template("client-portal/body.html") for lang in ("en", "de", "zh_Hans_CN")]
    assert compiled.count("client-portal/body.html") == 1
    assert len({id(page.environment) for page in pages}) == 3  # each language keeps its own catalog
    assert renderer.environment("de").globals["_"]("Deliverables") == "Arbeitsergebnisse"


@pytest.mark.own_templates
def test_templates_compiled_by_a_build_are_loaded_by_the_next_not_compiled_again(compiled, tmp_path):
    first = Renderer(compiled_in=tmp_path).environment("en").get_template("client-portal/body.html")
    assert "client-portal/body.html" in compiled
    kept = list((tmp_path / render_module.COMPILER).iterdir())
    assert kept and not [file for file in kept if file.name.startswith(".")]  # whole files, no temporary ones
    compiled.clear()
    again = Renderer(compiled_in=tmp_path).environment("de").get_template("client-portal/body.html")
    assert compiled == []  # loaded: the other language's environment, in a new Renderer, compiled nothing
    assert (again.name, again.filename) == (first.name, first.filename)


@pytest.mark.own_templates
def test_a_changed_template_is_compiled_again_and_an_unwritable_cache_is_no_error(tmp_path):
    templates = tmp_path / "theme" / "client-portal"
    templates.mkdir(parents=True)

    def notice(compiled_in: Path) -> str:
        renderer = Renderer([tmp_path / "theme"], compiled_in=compiled_in)
        return renderer.environment("en").get_template("client-portal/notice.html").render()

    (templates / "notice.html").write_text("one", encoding="utf-8")
    assert notice(tmp_path / "cache") == "one"
    (templates / "notice.html").write_text("two", encoding="utf-8")
    assert notice(tmp_path / "cache") == "two"
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would be", encoding="utf-8")
    assert notice(blocked) == "two"


class _Greeter:
    @pass_context
    def __call__(self, context, greeting: str) -> str:
        return f"{greeting}, {context['name']}"

    @pass_context
    def method(self, context) -> str:
        return context["name"]


class _CachedGreeter:
    @functools.cache  # noqa: B019 - one object, for the test's life
    @pass_context
    def method(self, context) -> str:
        return context["name"]


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ whose() }}", "Acme"),  # a function that asks for the context
        ("{{ greeter('Hello') }}", "Hello, Acme"),  # a callable object whose __call__ asks for it
        ("{{ greeter.method() }}", "Acme"),  # a method that asks for it
        ("{{ autoescaping() }}", "True"),  # one that asks for the evaluation context
        ("{{ site() }}", "True"),  # one that asks for the environment
        ("{% for n in [1] %}{% set x = n %}{{ loop_name() }}{% endfor %}", "1"),  # as do names set in a loop
        ("{% macro m(x) %}[{{ x }}{{ caller() }}]{% endmacro %}{% call m(1) %}2{% endcall %}", "[12]"),
        ("{{ {'a': 1}.get('a') }}{{ [3]|first }}{{ ''.join(['4']) }}", "134"),  # built-ins
        ("{{ cached() }}", "Acme"),  # a cached function that asks for it
        ("{{ cached_greeter.method() }}", "Acme"),  # a cached method that asks for it
        ("{{ bound() }}", "Acme!"),  # a partial that asks for it
        ("{{ plain_partial('x') }}{{ plain_cached('y') }}", "x.y."),  # and those that do not
        ("{% block b %}{% set x = 2 %}{{ loop_name() }}{% endblock %}", "2"),  # names set in a block
        ("{{ joined(*['a', 'b'], **{'sep': '-'}) }}{{ joined('c', sep=whose()) }}", "a-bc"),  # unpacked, nested
        ("{{ keyword(class='x', if=1) }}", "x1"),  # arguments named as Python's keywords
        ("{{ builtin_method() }}", "2"),  # a method of a function with no attributes of its own
        # macros: every parameter given, defaults, keywords, unpacked, extra arguments, and inside a loop
        (
            "{% macro m(a, b=2) %}{{ a }}{{ b }}{% endmacro %}{{ m(1, 0) }}{{ m(1) }}{{ m(1, b=3) }}{{ m(*[4, 5]) }}",
            "10121345",
        ),
        ("{% macro v() %}{{ varargs|join }}{{ kwargs.x }}{% endmacro %}{{ v(1, 2, x=3) }}", "123"),
        ("{% macro m(a) %}<{{ a }}>{% endmacro %}{% for n in ['&'] %}{{ m(n) }}{% endfor %}", "<&amp;>"),
    ],
)
def test_template_calls_give_the_context_to_whatever_asks_for_it(template, expected):
    environment = Renderer().environment("en")
    environment.globals.update(
        whose=pass_context(lambda context: context["name"]),
        greeter=_Greeter(),
        autoescaping=pass_eval_context(lambda eval_context: eval_context.autoescape),
        site=pass_environment(lambda environment: isinstance(environment, Environment)),
        loop_name=pass_context(lambda context: context["x"]),
        cached=functools.cache(pass_context(lambda context: context["name"])),
        cached_greeter=_CachedGreeter(),
        bound=pass_context(functools.partial(lambda end, context: context["name"] + end, "!")),
        plain_partial=functools.partial(lambda text, end: text + end, end="."),
        plain_cached=functools.cache(lambda text: text + "."),
        joined=lambda *parts, sep="": sep.join(parts),
        keyword=lambda **named: f"{named['class']}{named['if']}",
        builtin_method=types.MethodType(len, [1, 2]),
    )
    assert environment.from_string(template).render(name="Acme") == expected


@given(st.text())
def test_urlencode_writes_what_jinjas_own_filter_writes(text):
    assert render_module.urlencode(text) == do_urlencode(text)


def test_urlencode_leaves_anything_but_a_string_to_jinja():
    query = {"a b": "c/d", "é": 1}
    assert render_module.urlencode(query) == do_urlencode(query) == "a+b=c%2Fd&%C3%A9=1"


def test_a_deliverable_card_of_a_users_own_is_used_for_every_card(tmp_path):
    partial = tmp_path / "client-portal" / "partials" / "deliverable.html"
    partial.parent.mkdir(parents=True)
    partial.write_text('{% macro deliverable(d) %}<p class="mine">{{ d.title }}</p>{% endmacro %}', encoding="utf-8")
    client = load_client(ROOT / "clients" / "acme-bakery.yml", today=TODAY)
    html = str(Renderer([tmp_path]).body(page_context(client, SETTINGS, TODAY, whatsnew_key=SEEN_KEY)))
    titles = re.findall(r'<p class="mine">([^<]*)</p>', html)
    assert len(titles) == len(client.record.deliverables) > 3 and "cp-deliverable" not in html


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ text }}{{ safe }}{{ number }}", "&lt;b&gt;&amp;<i>x</i>7"),  # escaped as Jinja escapes
        ("{% autoescape false %}{{ text }}{% endautoescape %}", "<b>&"),  # where a template turns it off
        ("{% autoescape off %}{{ text }}{% endautoescape %}", "<b>&"),  # or a value decides, as the page renders
        (
            "{% autoescape false %}{% autoescape true %}{{ text }}{% endautoescape %}{% endautoescape %}{{ html }}",
            "&lt;b&gt;&amp;<u>",
        ),
        ("{% macro m(t) %}[{{ t }}]{% endmacro %}{{ m(text) }}{{ m(safe) }}", "[&lt;b&gt;&amp;][<i>x</i>]"),
    ],
)
def test_what_a_template_writes_is_escaped_unless_it_is_markup_already(template, expected):
    environment = Renderer().environment("en")
    values = {"text": "<b>&", "safe": Markup("<i>x</i>"), "number": 7, "html": HTML("<u>"), "off": False}
    assert environment.from_string(template).render(values) == expected


WRITES = "{{ value }}|{% macro m(t) %}[{{ t }}]{% endmacro %}{{ m(value) }}|{{ [value]|join }}"
OUR_WRITES = Renderer().environment("en").from_string(WRITES)
JINJAS_WRITES = Environment(autoescape=True).from_string(WRITES)


class Name(str):
    """A str of another type: escaped the way any value is."""


@given(st.one_of(st.text(), st.integers(), st.booleans(), st.floats(), st.text().map(Name), st.text().map(Markup)))
def test_any_value_is_written_as_jinja_writes_it(value):
    # text and numbers are escaped without a Markup made for each (what a template outputs is only joined)
    assert OUR_WRITES.render(value=value) == JINJAS_WRITES.render(value=value)


FILLED_VALUES = st.one_of(
    st.text(), st.integers(), st.floats(allow_nan=False), st.booleans(), st.text().map(Markup), st.dates()
)


@given(
    st.sampled_from(["%(a)s and %(b)s", "%(a)s: %(b)r", "%(b)s%%", "%(a)s, %(b)s in %(a)s", "%(a)5s|%(b)-3s"]),
    FILLED_VALUES,
    FILLED_VALUES,
)
def test_a_message_is_filled_in_as_markup_fills_it_in(text, a, b):
    assert render_module._filled(text, {"a": a, "b": b}) == Markup(text) % {"a": a, "b": b}


@given(st.sampled_from(["%(num)d day", "%(num)s days", "%(num).1f%% of %(num)d"]), st.integers() | st.floats(0, 1e6))
def test_a_count_is_filled_in_as_markup_fills_it_in(text, num):
    assert render_module._filled(text, {"num": num}) == Markup(text) % {"num": num}


class HTML:
    """Anything with ``__html__`` is written as it says, as markupsafe does."""

    def __init__(self, html: str) -> None:
        self.html = html

    def __html__(self) -> str:
        return self.html


NAMED = {
    "base.html": "{% set top = 'base' %}[{% block b %}{{ name }}{{ top }}{% endblock %}]{{ self.b() }}",
    "child.html": "{% extends 'base.html' %}{% set top = 'child' %}{% block b %}{{ name }}:{{ super() }}{% endblock %}",
    "names.html": (
        "{% set early = 1 %}{% macro m() %}{{ early }}{{ late }}{{ name }}{{ nowhere is defined }}{% endmacro %}"
        "{% set late = 2 %}{{ m() }}|{% for x in [3] %}{% set inner = x %}{{ inner }}{{ name }}{% endfor %}"
        "|{% with w = 4 %}{{ w }}{{ name }}{% endwith %}|{{ name }}{% set name = 'set' %}{{ name }}"
    ),
    "imports.html": (
        "{% import 'names.html' as n with context %}{% from 'names.html' import m with context %}{{ m() }}{{ n.m() }}"
    ),
}


@pytest.mark.parametrize("template", sorted(NAMED))
def test_names_are_found_as_jinja_finds_them(template):
    ours = Renderer().environment("en")
    ours.loader = jinja2.DictLoader(NAMED)
    jinjas = Environment(autoescape=True, loader=jinja2.DictLoader(NAMED))
    assert ours.get_template(template).render(name="given") == jinjas.get_template(template).render(name="given")


class HTMLText(str):
    """A string that is HTML, as Markup is, of a kind of its own."""

    def __html__(self) -> str:
        return str(self)


class MarkupStr:
    """A value whose text is a Markup."""

    def __str__(self) -> str:
        return Markup("<b>x</b>")


JOINED_PARTS = st.one_of(
    st.text(),
    st.text().map(Markup),
    st.integers(),
    st.dates(),
    st.none(),
    st.text().map(Name),
    st.text().map(HTMLText),
    st.text().map(HTML),
    st.just(MarkupStr()),
)


@given(st.lists(JOINED_PARTS, max_size=6).map(tuple))
def test_parts_joined_by_a_tilde_are_what_jinja_joins(parts):
    joined, jinjas = render_module.concatenated(parts), markup_join(parts)
    assert joined == jinjas and type(joined) is type(jinjas)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ a ~ b }}|{{ (a ~ b) is string }}", "&lt;a&gt;&amp;1|True"),
        ("{{ a ~ m ~ 2 }}", "&lt;a&gt;<i>m</i>2"),  # a Markup among them: the rest escaped once, it kept
        ("{% autoescape false %}{{ a ~ m }}{% endautoescape %}", "<a><i>m</i>"),
    ],
)
def test_a_template_joins_with_a_tilde_as_jinja_does(template, expected):
    values = {"a": "<a>", "b": "&1", "m": Markup("<i>m</i>")}
    assert Renderer().environment("en").from_string(template).render(values) == expected
    assert Environment(autoescape=True).from_string(template).render(values) == expected


class _Looked:
    """An object whose attributes come from ``__getattr__``, raising for one name as a property might."""

    title = "Plan"

    def __getattr__(self, name: str) -> str:
        if name == "broken":
            raise ValueError("broken")
        raise AttributeError(name)


@pytest.mark.parametrize(
    "template",
    [
        "{{ item.title }}",  # an attribute
        # a dict's key, its methods
        "{{ labels.planned }}|{{ labels.get('planned') }}|{{ labels.items()|list|length }}",
        "{{ (item.title ~ 'x').upper() }}|{{ pairs[0].title }}",  # an attribute of what an expression gives
        "{{ item.nowhere is defined }}|{{ labels.nowhere is defined }}",  # a missing one, undefined
        "{% for p in pairs %}{{ loop.index }}{{ p.title }}{% endfor %}",  # in a loop
    ],
)
def test_attributes_are_looked_up_as_jinja_looks_them_up(template):
    values = {"item": _Looked(), "labels": {"planned": "Planned"}, "pairs": [_Looked(), _Looked()]}
    ours = Renderer().environment("en").from_string(template).render(values)
    assert ours == Environment(autoescape=True).from_string(template).render(values)


@pytest.mark.parametrize(("name", "error"), [("nowhere", "UndefinedError"), ("broken", "ValueError")])
def test_a_missing_attribute_fails_the_page_and_an_attributes_own_error_goes_through(name, error):
    template = Renderer().environment("en").from_string("{{ item." + name + " }}")
    with pytest.raises(Exception) as raised:
        template.render(item=_Looked())
    assert type(raised.value).__name__ == error


def test_a_template_is_loaded_once_a_build_and_globals_asked_for_still_reach_it(tmp_path):
    (tmp_path / "mine.html").write_text("{{ greeting }}, {{ name }}", encoding="utf-8")
    environment = Renderer([tmp_path]).environment("en")
    template = environment.get_template("mine.html")
    (tmp_path / "mine.html").write_text("changed", encoding="utf-8")  # a build reads its templates once
    assert environment.get_template("mine.html") is template
    assert environment.get_template("mine.html", globals={"greeting": "Hello"}).render(name="Ann") == "Hello, Ann"


@pytest.mark.parametrize(
    "template",
    [
        "{% macro m(a, b) %}[{{ a }}{{ b }}]{% endmacro %}{{ m('<', 2) }}|{{ m('x', 2)|length }}",  # every parameter
        "{% macro m(a, b=2) %}[{{ a }}{{ b }}]{% endmacro %}{{ m(1) }}{{ m(1, b=3) }}{{ m(a=4) }}",  # defaults, names
        "{% macro m() %}[{{ varargs|join }}{{ kwargs|dictsort|join }}]{% endmacro %}{{ m(1, 2, c=3) }}",  # the rest
        "{% macro m(a) %}[{{ a }}{{ caller() }}]{% endmacro %}{% call m(1) %}2{% endcall %}",  # a caller
        "{% macro m() %}<b>{% endmacro %}{% autoescape false %}{{ m() }}{% endautoescape %}{{ m() }}",  # markup
    ],
)
def test_macros_are_called_as_jinja_calls_them(template):
    ours = Renderer().environment("en").from_string(template).render()
    assert ours == Environment(autoescape=True).from_string(template).render()


@pytest.mark.parametrize(("call", "error"), [("m(1, 2, 3)", "not more than"), ("m(1, c=3)", "no keyword argument")])
def test_a_macro_called_with_too_much_fails_as_in_jinja(call, error):
    template = Renderer().environment("en").from_string("{% macro m(a, b) %}{{ a }}{% endmacro %}{{ " + call + " }}")
    with pytest.raises(TypeError, match=error):
        template.render()


@given(st.text(), st.sampled_from(["", "/", "@"]))
def test_text_is_percent_encoded_as_urllib_quotes_it(text, safe):
    try:
        expected = quote(text, safe=safe)
    except UnicodeEncodeError:  # a lone surrogate: no UTF-8 for it, either way
        with pytest.raises(UnicodeEncodeError):
            percent_encoded(text, safe)
        return
    assert percent_encoded(text, safe) == expected


def test_a_template_context_knows_the_same_global_names_as_jinjas():
    environment = Renderer().environment("en")
    template = environment.from_string("{{ x }}", globals={"extra": 1})
    context = template.new_context({"x": 1})
    assert type(context) is not Context
    assert context.globals_keys == Context(environment, {}, None, {}, globals=template.globals).globals_keys
    assert {"extra", "_", "icon"} <= context.globals_keys
