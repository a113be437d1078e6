"""The schedule as an iCalendar file, for "Add to calendar"."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time, timedelta

from icalendar import Calendar, Event

from .model import Record


def calendar_ics(client_id: str, record: Record, stamp: date) -> str:
    """An .ics calendar of the record's schedule; all-day events for plain dates."""
    calendar = Calendar()
    calendar.add("prodid", "-//mkdocs-client-portal//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", record.name)
    for item in record.schedule:
        event = Event()
        # A stable UID lets calendar apps update an event when the file is imported again.
        digest = hashlib.sha256(f"{client_id}|{item.date.isoformat()}|{item.title}".encode()).hexdigest()[:16]
        event.add("uid", f"{digest}@client-portal")
        event.add("summary", item.title)
        event.add("dtstamp", datetime.combine(stamp, time(), tzinfo=UTC))
        if isinstance(item.date, datetime):
            # UTC needs no VTIMEZONE block and every calendar app reads it the same way
            event.add("dtstart", item.date.astimezone(UTC) if item.date.tzinfo else item.date)
        else:
            event.add("dtstart", item.date)
            event.add("dtend", item.date + timedelta(days=1))
        if item.notes:
            event.add("description", item.notes)
        calendar.add_component(event)
    return str(calendar.to_ical().decode("utf-8"))
