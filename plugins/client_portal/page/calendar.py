"""The schedule as an iCalendar file, for "Add to calendar", written with `icalendar`."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time, timedelta

from icalendar import Calendar, Event

from client_portal.records.model import Record

PRODID = "-//mkdocs-client-portal//EN"


def new_calendar(name: str) -> Calendar:
    """An empty calendar named ``name`` (on one line: icalendar writes X- values as they are)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", " ".join(name.splitlines()))
    return calendar


def timed_event(uid: str, when: date | datetime, stamp: date) -> Event:
    """An event with its id and time: all day for a plain date, in UTC for a time with an offset."""
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", datetime.combine(stamp, time(), tzinfo=UTC))
    if isinstance(when, datetime):
        # UTC needs no VTIMEZONE block and every calendar app reads it the same way
        event.add("dtstart", when.astimezone(UTC) if when.tzinfo else when)
    else:
        event.add("dtstart", when)
        event.add("dtend", when + timedelta(days=1))
    return event


def calendar_ics(client_id: str, record: Record, stamp: date) -> str:
    """An .ics calendar of the record's schedule; all-day events for plain dates."""
    calendar = new_calendar(record.name)
    for item in record.schedule:
        # A stable UID lets calendar apps update an event when the file is imported again.
        digest = hashlib.sha256(f"{client_id}|{item.date.isoformat()}|{item.title}".encode()).hexdigest()[:16]
        event = timed_event(f"{digest}@client-portal", item.date, stamp)
        event.add("summary", item.title)
        if item.notes:
            event.add("description", item.notes)
        calendar.add_component(event)
    return str(calendar.to_ical().decode("utf-8"))
