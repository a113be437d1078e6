"""A client's opt-in calendar feed: its unguessable address and what it carries.

The feed is the one file about a client published in the open (calendar apps cannot
decrypt), so it carries exactly the detail the record chose: ``titles`` gives the
schedule's and the deliverables' titles with their dates; ``busy`` only when, under one
neutral word. Event ids are keyed with the secret, so an id tells nothing of a title.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from datetime import date, datetime

from client_portal.i18n import page_locale, translations
from client_portal.page.calendar import new_calendar, timed_event
from client_portal.publishing import crypto
from client_portal.records.access import client_ended
from client_portal.records.model import Client, Record
from client_portal.settings import PortalSettings

FEED_SUFFIX = ".ics"


def subscribes(record: Record) -> bool:
    """Whether the record asks for a calendar feed."""
    return record.calendar is not None and record.calendar.subscribe


def feed_path(prefix: str, secret: bytes, client: Client) -> str:
    """``<url_prefix>/<token>.ics``: not guessable, and moved by ``access.version`` like the page."""
    return f"{prefix}/{crypto.feed_token(secret, client.id, client.record.access.version)}{FEED_SUFFIX}"


def earlier_feed_paths(prefix: str, secret: bytes, client: Client) -> list[str]:
    """The feed's addresses under earlier access versions: published no more."""
    return [
        f"{prefix}/{crypto.feed_token(secret, client.id, version)}{FEED_SUFFIX}"
        for version in range(1, client.record.access.version)
    ]


def feed_dates(record: Record) -> Iterator[tuple[date | datetime, str]]:
    """(when, title) of everything the feed shows: the schedule, then deliverables with a due date."""
    for item in record.schedule:
        yield item.date, item.title
    for deliverable in record.deliverables:
        if deliverable.due is not None and deliverable.status != "cancelled":
            yield deliverable.due, deliverable.title


def feed_ics(client: Client, secret: bytes, settings: PortalSettings, stamp: date) -> str:
    """The feed's iCalendar text, with the record's chosen detail and nothing more."""
    record = client.record
    assert record.calendar is not None
    locale = str(page_locale(record.language or settings.language))
    gettext = translations(locale).gettext
    # The calendar's name is the freelancer's, never the client's: the feed is readable by anyone with its address.
    calendar = new_calendar(settings.freelancer.name or gettext("Schedule"))
    busy = gettext("Busy")
    uid_key = crypto.feed_uid_key(secret, client.id, record.access.version)
    for when, title in feed_dates(record):
        uid = hmac.new(uid_key, f"{when.isoformat()}|{title}".encode(), hashlib.sha256).hexdigest()[:24]
        event = timed_event(f"{uid}@client-portal", when, stamp)
        if record.calendar.detail == "titles":
            event.add("summary", title)
        else:
            event.add("summary", busy)
            event.add("class", "PRIVATE")
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    return str(calendar.to_ical().decode("utf-8"))


def feed_file(client: Client, secret: bytes, settings: PortalSettings, today: date) -> tuple[str, str] | None:
    """(site path, text) of the client's feed on ``today``, or None: not asked for, or access has ended."""
    if not subscribes(client.record) or client_ended(client.record, today):
        return None
    return feed_path(settings.url_prefix, secret, client), feed_ics(client, secret, settings, today)
