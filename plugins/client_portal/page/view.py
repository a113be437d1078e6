"""Everything a client page shows, computed and formatted for one client on one day."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache, partial, wraps
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_interval, format_skeleton, format_timedelta, get_timezone_name
from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations
from babel.units import format_unit
from markupsafe import Markup

from client_portal.hours.periods import client_hours
from client_portal.i18n import html_lang, page_locale, text_direction, translations
from client_portal.page.calendar import calendar_ics
from client_portal.page.colour import accent_shades
from client_portal.page.fingerprints import item_fingerprint
from client_portal.page.markdown_text import render_markdown
from client_portal.page.url_text import percent_encoded
from client_portal.page.whatsnew import Seen
from client_portal.records import insights, money
from client_portal.records.model import Client, Record
from client_portal.settings import PortalSettings, phrase_choice

if TYPE_CHECKING:
    from client_portal.page.shown_files import ShownFile

# On a 320 px phone the timeline strip is 256 px wide and a group's marker 22 px across
# with its outline: marks nearer than 24 px there become one marker with a count.
TIMELINE_MIN_GAP = 24 / 256


_Shown = TypeVar("_Shown")


def _kept(method: Callable[[Formatter, _Shown], str]) -> Callable[[Formatter, _Shown], str]:
    """A formatter method that formats each value once: a build shows the same dates on page after page."""
    name = method.__name__

    @wraps(method)
    def kept(self: Formatter, value: _Shown) -> str:
        key = (name, value)
        if key not in self._shown:
            self._shown[key] = method(self, value)
        return self._shown[key]

    return kept


@dataclass(frozen=True)
class Formatter:
    """Dates, times and phrases in the client's language and time zone."""

    locale: Locale
    zone: ZoneInfo
    today: date
    gettext: NullTranslations
    # what each method gave for each value; a formatter serves every page of its language, zone and day
    _shown: dict[tuple[str, object], str] = field(default_factory=dict, init=False, repr=False, compare=False)

    @_kept
    def full_date(self, day: date | datetime) -> str:
        """A full date, such as "Nov 22, 2026", "22. November 2026" or "2026年11月22日"."""
        local = insights.local_date(day, self.zone)
        # English pages keep the short month of the UX examples; the other languages write
        # the month out, as their own prose does ("22 de novembro de 2026", not "22 de nov. de 2026").
        if self.locale.language == "en":
            return format_skeleton("yMMMd", local, locale=self.locale)
        return format_date(local, "long", locale=self.locale)

    @_kept
    def day(self, day: date | datetime) -> str:
        """A short date with weekday, such as "Thu, Dec 3"; the year only when it is not this year."""
        local = insights.local_date(day, self.zone)
        skeleton = "MMMEd" if local.year == self.today.year else "yMMMEd"
        return _date_in(skeleton, local, self.locale)

    def span(self, start: date, end: date) -> str:
        """Two days as one range, such as "Wed, Dec 2 – Fri, Dec 11" or "12月2日周三至11日周五"."""
        skeleton = "MMMEd" if start.year == end.year == self.today.year else "yMMMEd"
        return str(format_interval(start, end, skeleton, locale=self.locale))

    @_kept
    def short(self, day: date) -> str:
        """Day and month only, such as "Dec 7" or "12月7日", for tight spaces."""
        return _date_in("MMMd", day, self.locale)

    @_kept
    def when(self, moment: date | datetime) -> str:
        """A schedule entry's date, with the time in the client's zone when it has one."""
        if not isinstance(moment, datetime):
            return self.day(moment)
        local = moment.astimezone(self.zone) if moment.tzinfo else moment
        return f"{self.day(local)} · {_time_in(local.time().replace(second=0, microsecond=0), self.locale)}"

    def zone_name(self) -> str:
        """The client's time zone as people say it, such as "Central European Time"."""
        return _zone_name(self.zone, self.locale)

    @_kept
    def relative(self, day: date) -> str:
        """ "today", "tomorrow", "in 3 days", "2 days ago": refreshed in the browser."""
        delta = (day - self.today).days
        _ = self.gettext.gettext
        if delta == 0:
            return _("today")
        if delta == 1:
            return _("tomorrow")
        if delta == -1:
            return _("yesterday")
        return _days_from_now(delta, self.locale)

    @_kept
    def number(self, value: float) -> str:
        """A number in the client's locale, one decimal at most."""
        return format_decimal(value, format="#,##0.#", locale=self.locale)

    @_kept
    def percent(self, value: int) -> str:
        """A progress value out of 100, such as "60%" or "60 %" (German and French space it)."""
        return _percent(value, self.locale)

    @_kept
    def file_size(self, size: int) -> str:
        """A file's size as people read it, such as "48.2 kB" or "4.5 MB" (decimal units)."""
        for unit, scale in (("digital-gigabyte", 10**9), ("digital-megabyte", 10**6), ("digital-kilobyte", 10**3)):
            if size >= scale:
                return format_unit(size / scale, unit, length="short", format="#,##0.#", locale=self.locale)
        # CLDR's short byte unit is English ("512 byte") in several locales; the long one is not
        return format_unit(size, "digital-byte", length="long", locale=self.locale)


@lru_cache(maxsize=256)
def formatter(locale: Locale, zone: ZoneInfo, today: date) -> Formatter:
    """The formatter of one language and time zone on one day, made once for all the pages that share them."""
    return Formatter(locale, zone, today, translations(str(locale)))


@lru_cache(maxsize=256)
def _zone_name(zone: ZoneInfo, locale: Locale) -> str:
    return get_timezone_name(zone, locale=locale)


# Babel parses a date pattern on every call; pages of one build show the same few
# hundred dates over and over, so each is formatted once per locale.
@lru_cache(maxsize=16_384)
def _date_in(skeleton: str, day: date, locale: Locale) -> str:
    """A calendar day (never a time, whose zone would be part of it) in a locale's pattern."""
    return format_skeleton(skeleton, day, locale=locale)


@lru_cache(maxsize=4_096)
def _time_in(moment: time, locale: Locale) -> str:
    """A time of day in a locale's pattern, such as "09:30"."""
    return format_skeleton("Hm", moment, locale=locale)


@lru_cache(maxsize=4_096)
def _percent(value: int, locale: Locale) -> str:
    return format_percent(value / 100, locale=locale)


@lru_cache(maxsize=4_096)
def _days_from_now(days: int, locale: Locale) -> str:
    span = timedelta(days=days)
    return format_timedelta(span, granularity="day", threshold=10_000, add_direction=True, locale=locale)


def mailto(address: str, subject: str, body: str = "") -> str:
    """A mailto: link with a prefilled subject and body, both taken as plain text.

    Templates pass the autoescaped ``Markup`` of ``_()``; its entities are decoded so a
    title "Q&A" reaches the mail client as "Q&A", not "Q&amp;A".
    """
    subject = subject.unescape() if isinstance(subject, Markup) else subject
    body = body.unescape() if isinstance(body, Markup) else body
    # A subject is one header line; RFC 6068 wants CRLF line breaks in a body.
    subject = " ".join(subject.split())
    body = "\r\n".join(body.splitlines())
    query = f"subject={percent_encoded(subject)}" + (f"&body={percent_encoded(body)}" if body else "")
    return f"mailto:{_mailbox(address)}?{query}"


@lru_cache(maxsize=64)
def _mailbox(address: str) -> str:
    """One address and nothing else, so no header can ride in on it, encoded or not; the freelancer's,
    on every decision control of every page."""
    mailbox = "".join(ch for ch in address.strip() if ch.isprintable() and not ch.isspace() and ch not in ",;?#&")
    return quote(mailbox, safe="@")


def local_hours(availability: str, home: ZoneInfo, client: ZoneInfo, today: date) -> str | None:
    """ "09:00–17:00" in the freelancer's zone as the client's clock shows it; None when the same."""
    times = re.findall(r"\b([01]?\d|2[0-3]):([0-5]\d)\b", availability)
    if len(times) != 2:
        return None
    shown = []
    for hour, minute in times:
        moment = datetime.combine(today, time(int(hour), int(minute)), tzinfo=home).astimezone(client)
        shown.append(moment.strftime("%H:%M"))
    original = [f"{int(h):02d}:{m}" for h, m in times]
    return None if shown == original else "–".join(shown)


# The decision line a reply ends with, for (item, decision, seen): see decisions/line.py.
DecisionLines = Callable[[str, str, str], str]


def unsigned_lines(client_id: str) -> DecisionLines:
    """Decision lines without ``b`` and ``m``: the page's script adds them with the key that opened the page."""
    return lambda item, decision, seen: f"[cp1 c={client_id} i={item} d={decision} s={seen} b= m=]"


@dataclass(frozen=True)
class DecisionReply:
    """What one decision control offers: the item's title, the fingerprint of what the client sees, and the line."""

    client: str
    item: str  # proposal, deliverable/<id> or idea/<id>
    decision: str
    title: str
    seen: str
    line: str


def decision_reply(
    record: Record,
    client_id: str,
    digests: dict[str, str],
    lines: DecisionLines,
    item: str,
    decision: str,
    *,
    fingerprints: dict[str, str | None] | None = None,
) -> DecisionReply | None:
    """The reply for deciding ``decision`` on ``item``; None when the record has no such item.

    ``fingerprints`` keeps each item's fingerprint for the page's next control on it (each item has two).
    """
    known = fingerprints if fingerprints is not None else {}
    if item not in known:
        known[item] = item_fingerprint(record, item, digests)
    seen = known[item]
    if seen is None:
        return None
    kind, _, key = item.partition("/")
    titles = [d.title for d in record.deliverables if d.key == key] if kind == "deliverable" else []
    titles += [s.title for s in record.suggestions if s.key == key] if kind == "idea" else []
    title = titles[0] if titles else record.name  # a proposal is named for the client
    return DecisionReply(client_id, item, decision, title, seen, lines(item, decision, seen))


def _other_language(tag: str, page_lang: str) -> str:
    """``tag`` when it names another language than the page's (pt beside pt-BR is the same one), else ""."""
    if not tag or tag.lower().split("-")[0] == page_lang.lower().split("-")[0]:
        return ""
    return tag


def _by_deliverable(files: Sequence[ShownFile]) -> dict[str, list[ShownFile]]:
    grouped: dict[str, list[ShownFile]] = {}
    for file in files:
        grouped.setdefault(file.attachment.deliverable, []).append(file)
    return grouped


def decision_logs(record: Record, digests: Mapping[str, str]) -> dict[str, insights.DecisionLog]:
    """The decision log of every decided item, with whether each item changed since (``digests``: its files)."""
    items = {decision.item for decision in record.decisions}
    return insights.decision_logs(record, {item: item_fingerprint(record, item, digests) for item in items})


def plural_labels(fmt: Formatter, singular: str, plural: str) -> dict[str, str]:
    """A counted label for one and for more, with ``{num}`` where the browser puts the count it makes."""
    return {
        form: fmt.gettext.ngettext(singular, plural, count).replace("%(num)d", "{num}")
        for form, count in (("one", 1), ("other", 2))
    }


def page_context(
    client: Client,
    settings: PortalSettings,
    today: date,
    *,
    whatsnew_key: bytes,
    logo_src: str | None = None,
    files: Sequence[ShownFile] = (),
    decision_lines: DecisionLines | None = None,
) -> dict[str, Any]:
    """The template context of one client page; ``files`` are the encrypted attachments it offers.

    ``whatsnew_key`` keys the what's-new fingerprints (see `whatsnew`). ``decision_lines``
    makes the line each decision reply ends with: signed by the build for a readable page,
    which holds no key; by default without its MAC, which the browser adds.
    """
    record = client.record
    digests = {file.attachment.listed: file.attachment.sha256 for file in files}
    lines = decision_lines or unsigned_lines(client.id)
    locale = page_locale(record.language or settings.language)
    zone = ZoneInfo(record.timezone or settings.timezone)
    fmt = formatter(locale, zone, today)
    upcoming, past = insights.split_schedule(record, today, zone)
    decisions = decision_logs(record, digests)
    decided = insights.decided_items(decisions)
    lang = html_lang(locale)
    availability, availability_lang = phrase_choice(settings.freelancer.availability, lang)
    response_time, response_time_lang = phrase_choice(settings.freelancer.response_time, lang)
    contact = {
        "availability": availability,
        "response_time": response_time,
        # the language of a phrase that has none in the page's, so it is read (and hyphenated) as such
        "availability_lang": _other_language(availability_lang, lang),
        "response_time_lang": _other_language(response_time_lang, lang),
        "local_hours": local_hours(availability, ZoneInfo(settings.timezone), zone, today),
    }
    return {
        "client": client,
        "record": record,
        "freelancer": settings.freelancer,
        "today": today,
        "lang": lang,
        "dir": text_direction(locale),
        "contact": contact,
        "logo_src": logo_src,  # a data: URI; pages load nothing from other origins
        "accent": accent_shades(record.brand.accent) if record.brand and record.brand.accent else None,
        "locale": locale,
        "fmt": fmt,
        "md": render_markdown,
        "seen": Seen(whatsnew_key),
        "mailto": mailto,
        "decision_reply": partial(decision_reply, record, client.id, digests, lines, fingerprints={}),
        "headline": insights.headline(record, today, zone, decided),
        "attention": insights.attention(record, today, decided),
        "decisions": decisions,
        "decided": decided,
        "proposal_state": insights.proposal_state(record, today, decided),
        "price": money.proposal_price(record),
        "groups": insights.deliverable_groups(record),
        "days_early": insights.days_early,
        "running_late": partial(insights.is_running_late, record),
        "late_labels": plural_labels(fmt, "%(num)d day late", "%(num)d days late"),
        "upcoming": upcoming,
        "past": past,
        "timeline": insights.timeline(record, today, zone, min_gap=TIMELINE_MIN_GAP),
        "suggestions": insights.sorted_suggestions(record),
        "updates": insights.sorted_updates(record),
        "track_record": insights.track_record(record),
        "calendar": calendar_ics(client.id, record, today) if record.schedule else None,
        **money.page_context(record, locale, client_hours(client, today, settings.timezone)),
        "files": _by_deliverable(files),
    }
