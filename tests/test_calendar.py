"""The "Add to calendar" file: what icalendar writes, and what calendar apps read back."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar, Event
from icalendar.parser import Contentline
from icalendar.prop import vDDDTypes

from client_portal.page import calendar as calendar_module
from client_portal.page.calendar import calendar_ics
from client_portal.records.loader import load_clients
from client_portal.records.model import Record

from .conftest import ROOT, TODAY


def icalendar_ics(client_id: str, record: Record, stamp: date) -> str:
    """The same calendar built with icalendar's own objects, as the portal did before."""
    calendar = Calendar()
    calendar.add("prodid", "-//mkdocs-client-portal//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", record.name)
    for item in record.schedule:
        event = Event()
        digest = hashlib.sha256(f"{client_id}|{item.date.isoformat()}|{item.title}".encode()).hexdigest()[:16]
        event.add("uid", f"{digest}@client-portal")
        event.add("summary", item.title)
        event.add("dtstamp", datetime.combine(stamp, time(), tzinfo=UTC))
        if isinstance(item.date, datetime):
            event.add("dtstart", item.date.astimezone(UTC) if item.date.tzinfo else item.date)
        else:
            event.add("dtstart", item.date)
            event.add("dtend", item.date + timedelta(days=1))
        if item.notes:
            event.add("description", item.notes)
        calendar.add_component(event)
    return str(calendar.to_ical().decode("utf-8"))


def record_with(schedule: list[dict[str, object]], name: str = "Acme") -> Record:
    return Record.model_validate({"name": name, "access": {"mode": "unlisted"}, "schedule": schedule})


def test_the_samples_calendars_are_what_icalendar_writes():
    for client in load_clients(ROOT / "clients", today=TODAY):
        if client.record.schedule:
            assert calendar_ics(client.id, client.record, TODAY) == icalendar_ics(client.id, client.record, TODAY)


def test_a_line_break_in_the_name_does_not_break_the_file():
    written = calendar_ics("acme", record_with([{"date": TODAY, "title": "Call"}], name="Acme\nBakery"), TODAY)
    assert "\r\nX-WR-CALNAME:Acme Bakery\r\n" in written
    assert [str(e["SUMMARY"]) for e in Calendar.from_ical(written).walk("VEVENT")] == ["Call"]


def test_calendar_apps_read_back_every_event():
    berlin = timezone(timedelta(hours=1))
    record = record_with(
        [
            {"date": date(2026, 12, 1), "title": "Labels, due; at the printer", "kind": "deadline"},
            {"date": datetime(2026, 12, 3, 15, 0, tzinfo=berlin), "title": "Walkthrough", "notes": "Line 1\nLine 2"},
            {"date": datetime(2026, 12, 4, 9, 30), "title": "Floating time", "notes": "Café " * 40},
        ],
        name="Bäckerei Müller, Berlin",
    )
    written = calendar_ics("acme", record, TODAY)
    assert "\r\nX-WR-CALNAME:Bäckerei Müller, Berlin\r\n" in written  # icalendar leaves X- values as they are
    assert all(len(line.encode()) <= 75 for line in written.split("\r\n"))
    parsed = Calendar.from_ical(written)
    events = parsed.walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == ["Labels, due; at the printer", "Walkthrough", "Floating time"]
    assert events[0].decoded("DTSTART") == date(2026, 12, 1) and events[0].decoded("DTEND") == date(2026, 12, 2)
    assert events[1].decoded("DTSTART") == datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
    assert str(events[1]["DESCRIPTION"]) == "Line 1\nLine 2"
    assert events[2].decoded("DTSTART") == datetime(2026, 12, 4, 9, 30)
    assert str(events[2]["DESCRIPTION"]) == record.schedule[2].notes and "Café Café" in record.schedule[2].notes
    assert all(e.decoded("DTSTAMP") == datetime(2026, 11, 23, tzinfo=UTC) for e in events)


def test_a_line_of_exactly_75_octets_is_folded_as_icalendar_folds_it():
    # icalendar folds a line on reaching 75 octets, so one of 75 is folded too (here with 2- and 4-byte characters)
    for name in ["N" * 62, "000000" + "\x80" * 20 + "\U00010000" * 4]:
        record = record_with([{"date": date(2026, 12, 1), "title": "Call"}], name=name)
        assert len(f"X-WR-CALNAME:{name}".encode()) == 75
        written = calendar_ics("acme", record, TODAY)
        assert written == icalendar_ics("acme", record, TODAY)
        assert "\r\n " in written.split("BEGIN:VEVENT")[0]


text = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=200).filter(lambda s: s.strip())
# icalendar refuses a line break in the calendar's name, which it writes unescaped
one_line = text.filter(lambda s: len(s.splitlines()) == 1 and s == s.splitlines()[0])


@settings(max_examples=200, deadline=None)
@given(name=one_line, title=text, notes=st.none() | text, day=st.dates(date(2000, 1, 1), date(2099, 12, 31)))
def test_any_text_is_escaped_and_folded_as_icalendar_does(name, title, notes, day):
    record = record_with([{"date": day, "title": title, "notes": notes}], name=name)
    written = calendar_ics("any-client", record, TODAY)
    assert written == icalendar_ics("any-client", record, TODAY)
    event = Calendar.from_ical(written).walk("VEVENT")[0]
    # line breaks are the one thing normalised, to "\n"
    title = record.schedule[0].title.replace("\\N", "\n").replace("\r\n", "\n").replace("\r", "\n")
    assert str(event["SUMMARY"]) == title


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from("ab ,;:\\^n"), min_size=70, max_size=400))
def test_a_long_line_of_plain_characters_and_escapes_is_folded_as_icalendar_folds_it(tail):
    # escapes ("\\," "\\n" "^^") fall on every place, the fold's included; none is split across lines
    line = "DESCRIPTION:" + tail
    assert calendar_module._folded(line) == Contentline(line).to_ical().decode()


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\r\n"), min_size=1, max_size=300))
def test_any_line_is_folded_as_icalendar_folds_it(tail):
    # multi-byte characters are never split, and an escape's "\\" or "^" goes on with what it escapes
    line = "DESCRIPTION:" + tail
    assert calendar_module._folded(line) == Contentline(line).to_ical().decode()


moments = st.datetimes(datetime(1000, 1, 1), datetime(9999, 12, 31))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.dates(date(1000, 1, 1)), moments, moments.map(lambda moment: moment.replace(tzinfo=UTC))))
def test_any_day_or_moment_is_written_as_icalendar_writes_it(when):
    assert calendar_module._moment(when) == vDDDTypes(when).to_ical().decode()


def test_a_page_is_built_without_importing_icalendar():
    """Its import took 0.03 s of every build process and workers' server; only a calendar feed needs it."""
    script = (
        "import sys\n"
        "import client_portal.publishing.worker_start\n"  # everything a worker builds pages with
        "import client_portal.publishing.portal, client_portal.mkdocs_plugin.plugin\n"
        "print('icalendar' in sys.modules)\n"
    )
    shown = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert shown == "False\n"
