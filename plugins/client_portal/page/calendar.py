"""The schedule as an iCalendar file, for "Add to calendar", written with `icalendar`."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from icalendar import Calendar, Event
from icalendar.parser import Contentline
from icalendar.prop import vDDDTypes, vText

from client_portal.records.model import Record

PRODID = "-//mkdocs-client-portal//EN"
FOLD_AT = 75  # octets at which a content line continues on the next (icalendar keeps lines under it)


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
    """An .ics calendar of the record's schedule; all-day events for plain dates.

    Every page carries one, so it is written line by line with icalendar's value types
    (escaping, dates) and content lines (folding): the same bytes as `new_calendar` and
    `timed_event` give, for a third of the CPU of building its tree of components.
    """
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "X-WR-CALNAME:" + " ".join(record.name.splitlines())]
    dtstamp = "DTSTAMP:" + _moment(datetime.combine(stamp, time(), tzinfo=UTC))
    for item in record.schedule:
        # A stable UID lets calendar apps update an event when the file is imported again.
        digest = hashlib.sha256(f"{client_id}|{item.date.isoformat()}|{item.title}".encode()).hexdigest()[:16]
        lines += ["BEGIN:VEVENT", "SUMMARY:" + _ical(vText(item.title))]
        when = item.date
        if isinstance(when, datetime):
            # UTC needs no VTIMEZONE block and every calendar app reads it the same way
            lines.append("DTSTART:" + _moment(when.astimezone(UTC) if when.tzinfo else when))
        else:
            lines.append("DTSTART;VALUE=DATE:" + _moment(when))
            lines.append("DTEND;VALUE=DATE:" + _moment(when + timedelta(days=1)))
        lines += [dtstamp, f"UID:{digest}@client-portal"]
        if item.notes:
            lines.append("DESCRIPTION:" + _ical(vText(item.notes)))
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(_folded(line) + "\r\n" for line in lines)


def _folded(line: str) -> str:
    """A content line folded at 75 octets, as RFC 5545 asks."""
    if len(line) < FOLD_AT // 4 or len(line.encode("utf-8")) < FOLD_AT:
        return line  # most lines: nothing to fold, and icalendar's folding looks at every character
    if line.isascii():
        return _folded_ascii(line)
    folded: bytes = Contentline(line).to_ical()  # type: ignore[no-untyped-call]
    return folded.decode("utf-8")


def _folded_ascii(line: str) -> str:
    """`_folded` for a line of one-byte characters, in slices: icalendar's pieces, found without its loop over
    every character. A piece holds up to 74 characters; one ending in an escape's ``\\`` or ``^`` hands that
    character on to the next piece, as icalendar does."""
    pieces = []
    start = 0
    while len(line) - start >= FOLD_AT:
        end = start + FOLD_AT - 1
        if line[end - 1] in "\\^":
            end -= 1
        pieces.append(line[start:end])
        start = end
    pieces.append(line[start:])
    return "\r\n ".join(pieces)


def _ical(value: vText | vDDDTypes) -> str:
    return str(value.to_ical().decode("utf-8"))


@lru_cache(maxsize=4096, typed=True)
def _moment(when: date | datetime) -> str:
    """A day or a moment as iCalendar writes it: the pages of a build share most of their dates."""
    return _ical(vDDDTypes(when))
