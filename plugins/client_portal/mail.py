"""The update e-mails of the digest: one letter per contact, as plain text and as an .eml draft."""

from __future__ import annotations

import email.policy
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import localtime
from pathlib import Path
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from . import insights
from .digest import Changes, record_changes
from .history import Baseline
from .i18n import html_lang, page_locale, translations
from .loader import parse_record
from .markdown_text import render_markdown
from .model import Client, Contact, Record
from .money import MoneyFormat
from .problems import RecordError
from .publish import Link, client_links
from .settings import Freelancer, PortalSettings
from .view import Formatter


class MailError(Exception):
    """A letter cannot become an e-mail (an address a mail header cannot hold, say)."""


@dataclass(frozen=True)
class Item:
    """One line of a letter's section, with optional Markdown notes and a link."""

    line: str
    notes: str | None = None
    link: tuple[str, str] | None = None  # (label, http(s) URL)


@dataclass(frozen=True)
class Letter:
    """One contact's update e-mail, in the client's language."""

    client_id: str
    number: int  # the contact's place in the record, from 1: names the draft file without naming the person
    contact: Contact
    language: str  # BCP 47, for Content-Language and <html lang>
    subject: str
    text: str
    html: str

    @property
    def file_name(self) -> str:
        """The draft's file name: the client id is already public to whoever holds the drafts."""
        return f"{self.client_id}-{self.number}.eml"


@dataclass(frozen=True)
class Digest:
    """Every letter to send, and what the freelancer should know about what was left out."""

    letters: list[Letter]
    notes: list[str]  # nothing wrong, just said
    skipped: list[str]  # a client left out because of a problem to fix


def update_letters(
    clients: list[Client], start: Baseline, settings: PortalSettings, secret: bytes, base_url: str, today: date
) -> Digest:
    """The letters for every client whose record has news since ``start``.

    Raises `history.HistoryError` when git cannot give an earlier record.
    """
    letters: list[Letter] = []
    notes: list[str] = []
    skipped: list[str] = []
    for client in clients:
        zone = ZoneInfo(client.record.timezone or settings.timezone)
        try:
            before = _earlier_record(start, client)
        except RecordError as error:
            first = error.problems[0].message if error.problems else ""
            at = (start.commit or "")[:12]
            skipped.append(f"{client.id}: skipped: the record at {at} does not pass today's checks ({first})")
            continue
        changes = record_changes(before, client.record, today, zone=zone)
        if not changes.is_news:
            continue
        links = client_links(settings, secret, client)
        # A record new since then has no "since": its letter tells where the project stands.
        since = start.since if before is not None else None
        found = client_letters(client, changes, links, base_url, settings, today, since)
        if not found:
            notes.append(f"{client.id}: changed, but the record has no contacts to write to")
        letters += found
    return Digest(letters, notes, skipped)


def _earlier_record(start: Baseline, client: Client) -> Record | None:
    text = start.record_text(client.source.name)
    if text is None:
        return None
    # No build date: a delivery date that was in the future then is no error now.
    record, _ = parse_record(text, Path(f"{start.commit}:{client.source.name}"), today=None)
    return record


def client_letters(
    client: Client,
    changes: Changes,
    links: list[Link],
    base_url: str,
    settings: PortalSettings,
    today: date,
    since: date | datetime | None,
) -> list[Letter]:
    """One letter per contact; ``links`` are the contacts' own links, in the record's order."""
    record = client.record
    locale = page_locale(record.language or settings.language)
    fmt = Formatter(locale, ZoneInfo(record.timezone or settings.timezone), today, translations(str(locale)))
    _ = fmt.gettext.gettext
    subject = _("Project update: %(name)s") % {"name": _one_line(record.name)}
    sections = _sections(changes, fmt)
    letters = []
    for number, (contact, link) in enumerate(zip(record.contacts, links, strict=False), start=1):
        opening = [_("Hi %(name)s,") % {"name": contact.name}]
        if since is None:
            opening.append(_("Here is where your project stands."))
        else:
            opening.append(
                _("Here is what has happened on your project since %(date)s.") % {"date": fmt.full_date(since)}
            )
        access = _access_lines(record, link.url(base_url), fmt)
        closing = [_("Questions are welcome: just reply to this e-mail."), _("Best wishes,"), settings.freelancer.name]
        letters.append(
            Letter(
                client_id=client.id,
                number=number,
                contact=contact,
                language=html_lang(locale),
                subject=subject,
                text=_text(opening, sections, access, closing),
                html=_html(html_lang(locale), subject, opening, sections, access, closing),
            )
        )
    return letters


def _sections(changes: Changes, fmt: Formatter) -> list[tuple[str, list[Item]]]:
    """The letter's body as (heading, items), shared by the text and the HTML part."""
    _ = fmt.gettext.gettext
    ngettext = fmt.gettext.ngettext
    impact = {"high": _("High impact"), "medium": _("Medium impact"), "low": _("Low impact")}
    kinds = {
        "milestone": _("Milestone"),
        "meeting": _("Meeting"),
        "deadline": _("Deadline"),
        "time_off": _("Time off"),
        "due": _("Due"),
    }
    delivered = []
    for deliverable in changes.delivered:
        parts = [deliverable.title]
        if deliverable.delivered is not None:
            parts.append(_("Delivered %(date)s") % {"date": fmt.full_date(deliverable.delivered)})
        margin = insights.days_early(deliverable)
        if margin is not None and margin > 0:
            parts.append(ngettext("%(num)d day early", "%(num)d days early", margin) % {"num": margin})
        elif margin is not None and margin < 0:
            parts.append(ngettext("%(num)d day late", "%(num)d days late", -margin) % {"num": -margin})
        elif margin == 0:
            parts.append(_("on the due date"))
        link = (_("Open the files"), deliverable.link) if deliverable.link else None
        delivered.append(Item(" · ".join(parts), deliverable.notes, link))
    moved = [
        Item(f"{move.title} · {fmt.full_date(move.old_due)} → {fmt.full_date(move.new_due)}", move.notes)
        for move in changes.moved
    ]
    needs = [_attention_item(item, fmt) for item in changes.needs_you] or [Item(_("Nothing needs you right now."))]
    ideas = [Item(f"{idea.title} · {impact[idea.impact]}", idea.body) for idea in changes.new_ideas]
    updates = [Item(fmt.full_date(update.date), update.text) for update in changes.new_updates]
    coming = [Item(f"{fmt.when(u.when)} · {u.title} · {kinds.get(u.kind, u.kind)}") for u in changes.next]
    sections = [
        (_("Delivered"), delivered),
        (_("New dates"), moved),
        (_("Needs your attention"), needs),
        (_("Ideas for you"), ideas),
        (_("Updates"), updates),
        (_("Coming up"), coming),
    ]
    return [(heading, items) for heading, items in sections if items]


def _attention_item(item: insights.Attention, fmt: Formatter) -> Item:
    _ = fmt.gettext.gettext
    if item.invoice is not None and item.due is not None:
        invoice = item.invoice
        line = " · ".join(
            [
                _("Invoice %(number)s") % {"number": invoice.number},
                MoneyFormat(fmt.locale).amount(invoice.amount, invoice.currency),
                _("Was due %(date)s") % {"date": fmt.full_date(item.due)},
            ]
        )
        paid = _("If it has already been paid, thank you, and please ignore this.")
        return Item(line, paid, (_("View invoice"), invoice.link) if invoice.link else None)
    parts = [item.title]
    if item.kind == "overdue" and item.due is not None:
        parts.append(_("Running late, due %(date)s") % {"date": fmt.full_date(item.due)})
    else:
        if item.kind == "waiting":
            parts.append(_("Waiting on you"))
        if item.due is not None:
            parts.append(_("by %(date)s") % {"date": fmt.full_date(item.due)})
    return Item(" · ".join(parts), item.notes)


def _access_lines(record: Record, url: str, fmt: Formatter) -> list[str]:
    """How this person opens the page; a password is never written, only that it still works."""
    _ = fmt.gettext.gettext
    if record.access.mode == "link":
        return [_("Your own link to the project page (please keep it to yourself):"), url]
    if record.access.mode == "password":
        return [_("Your project page:"), url, _("Your password has not changed.")]
    return [_("Your project page:"), url]


def _text(opening: list[str], sections: list[tuple[str, list[Item]]], access: list[str], closing: list[str]) -> str:
    blocks = ["\n".join(opening[:1]), "\n".join(opening[1:])]
    for heading, items in sections:
        lines = [heading]
        for item in items:
            lines.append(f"- {item.line}")
            if item.notes:
                lines += [f"  {line}".rstrip() for line in item.notes.strip().splitlines()]
            if item.link:
                lines.append(f"  {item.link[0]}: {item.link[1]}")
        blocks.append("\n".join(lines))
    blocks += ["\n".join(access), "\n".join(closing[:1]), "\n".join(closing[1:])]
    return "\n\n".join(block for block in blocks if block) + "\n"


def _html(
    lang: str,
    subject: str,
    opening: list[str],
    sections: list[tuple[str, list[Item]]],
    access: list[str],
    closing: list[str],
) -> str:
    """The HTML alternative: record text escaped, record Markdown rendered by the page's safe renderer."""
    parts = [Markup("<p>{}</p>").format(line) for line in opening]
    for heading, items in sections:
        entries = []
        for item in items:
            entry = escape(item.line)
            if item.notes:
                entry += render_markdown(item.notes, top=3)
            if item.link:
                entry += Markup('<br><a href="{}">{}</a>').format(item.link[1], item.link[0])
            entries.append(Markup("<li>{}</li>").format(entry))
        parts.append(Markup("<h2>{}</h2><ul>{}</ul>").format(heading, Markup("").join(entries)))
    url = access[1]
    sentences = [access[0], *access[2:]]
    parts.append(Markup('<p>{}<br><a href="{}">{}</a></p>').format(sentences[0], url, url))
    parts += [Markup("<p>{}</p>").format(line) for line in sentences[1:]]
    parts.append(Markup("<p>{}</p>").format(closing[0]))
    parts.append(Markup("<p>{}</p>").format(Markup("<br>").join(escape(line) for line in closing[1:] if line)))
    body = Markup("\n").join(parts)
    return str(
        Markup(
            '<!doctype html>\n<html lang="{}"><head><meta charset="utf-8"><title>{}</title></head>\n'
            '<body style="font-family: system-ui, sans-serif; line-height: 1.5; max-width: 40rem">\n'
            "{}\n</body></html>\n"
        ).format(lang, subject, body)
    )


def plain_text(letter: Letter) -> str:
    """The letter as the freelancer reads it on the terminal: who it is for, the subject, the text."""
    address = f" <{letter.contact.email}>" if letter.contact.email else " (no e-mail address in the record)"
    return f"To: {letter.contact.name}{address}\nSubject: {letter.subject}\n\n{letter.text}"


def draft(letter: Letter, freelancer: Freelancer, now: datetime | None = None) -> EmailMessage:
    """The letter as an unsent e-mail (RFC 5322) that mail clients open ready to send."""
    if not letter.contact.email:
        raise MailError(f"{letter.contact.name} has no e-mail address in the record")
    message = EmailMessage()
    try:
        message["To"] = Address(_one_line(letter.contact.name), addr_spec=letter.contact.email)
        if freelancer.email:
            message["From"] = Address(_one_line(freelancer.name), addr_spec=freelancer.email)
    except (ValueError, HeaderParseError) as error:
        raise MailError(f"{letter.contact.name}: the address cannot go in an e-mail header ({error})") from None
    message["Subject"] = _one_line(letter.subject)
    message["Date"] = now or localtime()
    # Outlook and others open a message marked unsent as a draft, with a Send button.
    message["X-Unsent"] = "1"
    message.set_content(letter.text)
    message.add_alternative(letter.html, subtype="html")
    # After the content: setting content drops every Content-* header set before it.
    message["Content-Language"] = letter.language
    return message


def save_drafts(letters: list[Letter], freelancer: Freelancer, directory: Path) -> Iterator[tuple[Letter, Path | str]]:
    """Write each letter as ``<client-id>-<n>.eml``; yield the path written, or why none was."""
    for letter in letters:
        target = directory / letter.file_name
        try:
            message = draft(letter, freelancer)
            directory.mkdir(parents=True, exist_ok=True)
            # RFC 5322 lines end in CRLF; the SMTP policy writes them so.
            target.write_bytes(message.as_bytes(policy=email.policy.SMTP))
        except MailError as error:
            yield letter, str(error)
        except OSError as error:
            yield letter, f"cannot write {target}: {error.strerror}"
        else:
            yield letter, target


def _one_line(text: str) -> str:
    """A header value on one line: record text may hold line breaks, a header may not."""
    return " ".join(text.split())
