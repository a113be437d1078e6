"""The new-link letter: one to each contact whose link changed and who has a link now, and to no one else."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date
from zoneinfo import ZoneInfo

from client_portal.i18n import page_locale, translations
from client_portal.mail.mail import Letter, Told, isolate, salutation, short_letter
from client_portal.page.view import Formatter
from client_portal.records.access import LinkChange
from client_portal.records.model import Client
from client_portal.settings import PortalSettings


def link_news(url: str) -> str:
    """The sent log's name for having sent this link: the same link is never sent twice."""
    return "new-link " + hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


def new_link_letters(
    changed: Iterable[tuple[Client, LinkChange, str | None]],
    settings: PortalSettings,
    today: date,
    told: Told | None = None,
) -> list[Letter]:
    """One letter per (client, change, link) that gives a contact a new link, less the links ``told`` already sent."""
    letters = []
    for client, change, url in changed:
        if url is None or not change.needs_link:
            continue  # revoked and expired contacts have no link to send
        contact = change.contact
        if told is not None and link_news(url) in told(client.id, contact):
            continue
        record = client.record
        locale = page_locale(record.language or settings.language)
        fmt = Formatter(locale, ZoneInfo(record.timezone or settings.timezone), today, translations(str(locale)))
        _ = fmt.gettext.gettext
        subject = _("Your new link: %(name)s") % {"name": isolate(" ".join(record.name.split()))}
        opening = [
            salutation(contact, str(locale), fmt),
            _("Your way into the project page has changed: please use this link from now on."),
        ]
        if record.access.mode == "link":
            access = [_("Your own link to the project page (please keep it to yourself):"), url]
        else:
            access = [_("Your project page:"), url]
        number = next(n for n, c in enumerate(record.contacts, start=1) if c.identity == contact.identity)
        news = (link_news(url),)
        letters.append(short_letter(client, number, contact, settings, fmt, subject, opening, access, news))
    return letters
