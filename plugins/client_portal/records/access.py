"""Who may still open a client's page on a date: end dates of contacts and of the whole client.

Pure functions of (record, day). A contact's access ends at the start of the earlier of
their own ``expires`` and the client's ``access.until``: on that day the build leaves
their key slot out of the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from client_portal.records.model import Contact, Record

WARN_DAYS = 7  # `check` warns this many days before an end date


def access_ends(record: Record, contact: Contact) -> date | None:
    """The first day on which ``contact``'s link or own password opens nothing, or None when it never ends."""
    ends = [day for day in (contact.expires, record.access.until) if day is not None]
    return min(ends) if ends else None


def has_ended(ends: date | None, today: date) -> bool:
    """Whether access that ends on ``ends`` is over on ``today``: the end date itself is the first day without."""
    return ends is not None and today >= ends


def active_contacts(record: Record, today: date) -> list[Contact]:
    """The contacts whose access has not ended on ``today``, in the record's order."""
    return [c for c in record.contacts if not has_ended(access_ends(record, c), today)]


def client_ended(record: Record, today: date) -> bool:
    """Whether ``access.until`` has passed: nobody opens the page any more."""
    return has_ended(record.access.until, today)


@dataclass(frozen=True)
class EndingSoon:
    """An end date within the warning window, where the record sets it."""

    where: tuple[str | int, ...]  # the record field, as a location
    who: str  # a contact's name, or "" for the whole client
    ends: date


def ending_soon(record: Record, today: date) -> list[EndingSoon]:
    """End dates from today to ``WARN_DAYS`` days ahead; passed ones are not news to warn about."""
    window = today + timedelta(days=WARN_DAYS)
    found = []
    until = record.access.until
    if until is not None and today < until <= window:
        found.append(EndingSoon(("access", "until"), "", until))
    for index, contact in enumerate(record.contacts):
        expires = contact.expires
        if expires is not None and today < expires <= window and (until is None or expires < until):
            found.append(EndingSoon(("contacts", index, "expires"), contact.name, expires))
    return found
