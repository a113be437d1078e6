"""The schedule as an iCalendar file, for "Add to calendar".

The file is written line by line, as `icalendar` writes it (the same properties in
the same order, escaping and folding), without its per-property objects, which cost
more than the rest of a page's schedule. Tests parse it back with `icalendar` and
compare it with what `icalendar` itself writes.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

from client_portal.records.model import Record

FOLD_AT = 75  # octets per line (RFC 5545 §3.1)


def calendar_ics(client_id: str, record: Record, stamp: date) -> str:
    """An .ics calendar of the record's schedule; all-day events for plain dates."""
    # An X- property is written as it is, as icalendar does; only a line break would end it early.
    name = " ".join(record.name.splitlines())
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//mkdocs-client-portal//EN", f"X-WR-CALNAME:{name}"]
    dtstamp = f"DTSTAMP:{stamp.year:04}{stamp.month:02}{stamp.day:02}T000000Z"
    for item in record.schedule:
        lines += ["BEGIN:VEVENT", _text("SUMMARY", item.title)]
        if isinstance(item.date, datetime):
            # UTC needs no VTIMEZONE block and every calendar app reads it the same way
            lines.append("DTSTART:" + _datetime(item.date.astimezone(UTC) if item.date.tzinfo else item.date))
        else:
            lines += ["DTSTART;VALUE=DATE:" + _date(item.date), "DTEND;VALUE=DATE:" + _date(item.date + timedelta(1))]
        # A stable UID lets calendar apps update an event when the file is imported again.
        digest = hashlib.sha256(f"{client_id}|{item.date.isoformat()}|{item.title}".encode()).hexdigest()[:16]
        lines += [dtstamp, f"UID:{digest}@client-portal"]
        if item.notes:
            lines.append(_text("DESCRIPTION", item.notes))
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


def _date(day: date) -> str:
    return f"{day.year:04}{day.month:02}{day.day:02}"


def _datetime(moment: datetime) -> str:
    text = f"{_date(moment)}T{moment.hour:02}{moment.minute:02}{moment.second:02}"
    return text + "Z" if moment.tzinfo is not None and moment.utcoffset() == timedelta(0) else text


def _text(name: str, value: str) -> str:
    """A TEXT property: backslash, semicolon and comma escaped, line breaks as ``\\n`` (RFC 5545 §3.3.11)."""
    escaped = (
        value.replace(r"\N", "\n")
        .replace("\\", "\\\\")
        .replace(";", r"\;")
        .replace(",", r"\,")
        .replace("\r\n", r"\n")
        .replace("\n", r"\n")
        .replace("\r", r"\n")
    )
    return f"{name}:{escaped}"


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space, never inside an escape."""
    if line.isascii():
        return "\r\n ".join(_ascii_parts(line))
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for char in line:
        octets = len(char.encode("utf-8"))
        if current and size + octets >= FOLD_AT:
            if len(current) > 1 and current[-1] in "\\^":
                carried = current.pop()
                parts.append("".join(current))
                current, size = [carried], len(carried.encode("utf-8"))
            else:
                parts.append("".join(current))
                current, size = [], 0
        current.append(char)
        size += octets
    parts.append("".join(current))
    return "\r\n ".join(parts)


def _ascii_parts(line: str) -> list[str]:
    """`_fold`'s parts of a line of one-octet characters, cut by length instead of character by character."""
    parts, start = [], 0
    while len(line) - start >= FOLD_AT:
        end = start + FOLD_AT - 1
        if line[end - 1] in "\\^":  # an escape stays whole: its first character starts the next line
            end -= 1
        parts.append(line[start:end])
        start = end
    parts.append(line[start:])
    return parts
