"""The update e-mails of the digest: one letter per contact, as plain text and as an .eml draft."""

from __future__ import annotations

import email.policy
import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterator, Set
from dataclasses import dataclass
from datetime import date, datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import localtime, make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from client_portal.decisions.inbox import shown_digests
from client_portal.hours.periods import HoursUse, client_hours, hours_use
from client_portal.hours.store import HOURS_FOLDER, entries_of
from client_portal.i18n import html_lang, page_locale, right_to_left, text_direction, translations
from client_portal.mail.digest import Changes, news, record_changes, without
from client_portal.mail.history import Baseline
from client_portal.page.colour import DEFAULT_ACCENT, accent_shades
from client_portal.page.markdown_plain import markdown_plain
from client_portal.page.markdown_text import render_markdown
from client_portal.page.view import Formatter, decision_logs
from client_portal.publishing.addresses import Link, client_links
from client_portal.publishing.attachments import AttachmentError
from client_portal.records import insights
from client_portal.records.access import access_ends, has_ended
from client_portal.records.addressing import greeting_line
from client_portal.records.model import Client, Contact, Decision, Record
from client_portal.records.money import MoneyFormat
from client_portal.records.problems import RecordError
from client_portal.settings import Freelancer, PortalSettings


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
    news: tuple[str, ...] = ()  # the names of the news it tells (`digest.news`), for the sent log

    @property
    def file_name(self) -> str:
        """The draft's file name: the client id is already public to whoever holds the drafts."""
        return f"{self.client_id}-{self.number}.eml"

    @property
    def update(self) -> str:
        """What update this letter is, as a SHA-256 of the news it tells: the same news, the same update."""
        return hashlib.sha256("\n".join(sorted(self.news)).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Digest:
    """Every letter to send, and what the freelancer should know about what was left out."""

    letters: list[Letter]
    notes: list[str]  # nothing wrong, just said
    skipped: list[str]  # a client left out because of a problem to fix


# Unicode's first-strong isolate and its closing mark, around record text in a letter: a
# Latin brand name in an Arabic sentence (or an Arabic name in an English one) cannot
# reorder the words around it. The HTML part writes them as <bdi>.
FSI, PDI, RLM = "\u2068", "\u2069", "\u200f"
_ISOLATED = re.compile(f"{FSI}([^{FSI}{PDI}]*){PDI}")


def isolate(text: str) -> str:
    """Record text (a name, a title, an invoice number) isolated from the sentence it stands in."""
    return f"{FSI}{text}{PDI}"


def plain(text: str, rtl: bool) -> str:
    """The letter's text with isolates kept only where a direction can change (HTML turns them into ``<bdi>``).

    In a right-to-left letter every isolate stays; in a left-to-right one only those around
    right-to-left text, so an English letter about English names carries no invisible marks.
    """
    return _ISOLATED.sub(lambda m: m[0] if rtl or right_to_left(m[1]) else m[1], text)


def _anchored(text: str) -> str:
    """A right-to-left letter's lines that hold nothing but isolated names, led by a right-to-left mark.

    A mail client gives each plain-text line the direction of its first letter outside an
    isolate; a line that is only a name (the signature) would otherwise start on the left.
    """
    lines = text.split("\n")
    for number, line in enumerate(lines):
        outside = _ISOLATED.sub("", line)
        if FSI in line and not any(unicodedata.bidirectional(ch) in ("L", "R", "AL") for ch in outside):
            lines[number] = RLM + line
    return "\n".join(lines)


def _bdi(html: str) -> str:
    """The isolates of escaped HTML as ``<bdi>`` elements; a stray mark (none comes from a record) is dropped."""
    return _ISOLATED.sub(r"<bdi>\1</bdi>", html).replace(FSI, "").replace(PDI, "")


# The news a contact of a client has already been sent (by the sent log), as `digest.news` names it.
Told = Callable[[str, Contact], Set[str]]


def update_letters(
    clients: list[Client],
    start: Baseline,
    settings: PortalSettings,
    secret: bytes,
    base_url: str,
    today: date,
    told: Told | None = None,
) -> Digest:
    """The letters for every client whose record has news since ``start``, less what ``told`` says was sent.

    Raises `history.HistoryError` when git cannot give an earlier record.
    """
    letters: list[Letter] = []
    notes: list[str] = []
    skipped: list[str] = []
    for client in clients:
        zone = ZoneInfo(client.record.timezone or settings.timezone)
        try:
            before = start.record(client.source.name)
        except RecordError as error:
            first = error.problems[0].message if error.problems else ""
            at = (start.commit or "")[:12]
            skipped.append(f"{client.id}: skipped: the record at {at} does not pass today's checks ({first})")
            continue
        hours = (_earlier_hours(start, client, before, today, zone), client_hours(client, today, settings.timezone))
        changes = record_changes(
            before, client.record, today, zone=zone, decided=_decided(client, settings), hours=hours
        )
        if not changes.is_news:
            continue
        links = client_links(settings, secret, client)
        # A record new since then has no "since": its letter tells where the project stands.
        since = start.since if before is not None else None
        found = client_letters(client, changes, links, base_url, settings, today, since, told)
        if not client.record.contacts:
            notes.append(f"{client.id}: changed, but the record has no contacts to write to")
        elif told is not None and len(found) < len(client.record.contacts):
            written = {letter.number for letter in found}
            names = [c.name for n, c in enumerate(client.record.contacts, start=1) if n not in written]
            notes.append(f"{client.id}: {', '.join(names)} already had this news (the sent log says so)")
        letters += found
    return Digest(letters, notes, skipped)


def _decided(client: Client, settings: PortalSettings) -> Callable[[Record], frozenset[str]]:
    """What a version of the client's record has the client's decision on, as their page counts it."""
    try:
        digests = shown_digests(client, settings.clients_dir)
    except AttachmentError:
        # a file the build would refuse anyway: its deliverable's decision asks again, erring on asking
        digests = {}
    return lambda record: insights.decided_items(decision_logs(record, digests))


def _earlier_hours(
    start: Baseline, client: Client, before: Record | None, today: date, zone: ZoneInfo
) -> HoursUse | None:
    """The hours of the earlier record's budget on ``today``, from the entries committed with it."""
    if before is None or before.budget is None:
        return None
    name = f"{HOURS_FOLDER}/{client.source.stem}.csv"
    text = start.record_text(name)
    try:
        entries = entries_of(text, Path(f"{start.commit}:{name}")) if text else ()
    except RecordError:
        entries = ()  # an earlier file the import wrote differently: the letter errs on telling
    return hours_use(before.budget, entries, today, zone)


def client_letters(
    client: Client,
    changes: Changes,
    links: list[Link],
    base_url: str,
    settings: PortalSettings,
    today: date,
    since: date | datetime | None,
    told: Told | None = None,
) -> list[Letter]:
    """One letter per contact; ``links`` are the contacts' own links, in the record's order.

    With ``told``, each letter leaves out the news its contact was already sent; a contact
    left with no news gets no letter.
    """
    record = client.record
    locale = page_locale(record.language or settings.language)
    fmt = Formatter(locale, ZoneInfo(record.timezone or settings.timezone), today, translations(str(locale)))
    _ = fmt.gettext.gettext
    subject = _("Project update: %(name)s") % {"name": isolate(_one_line(record.name))}
    direction = text_direction(locale)
    rtl = direction == "rtl"
    letters = []
    for number, (contact, link) in enumerate(zip(record.contacts, links, strict=False), start=1):
        if has_ended(access_ends(record, contact), today):
            continue  # their access ended: no news, and no link that opens nothing
        own = changes if told is None else without(changes, told(client.id, contact))
        if not own.is_news:
            continue
        sections = _received(own.decided, record, contact, fmt) + _sections(own, fmt)
        opening = [salutation(contact, str(locale), fmt)]
        if since is None:
            opening.append(_("Here is where your project stands."))
        else:
            opening.append(
                _("Here is what has happened on your project since %(date)s.") % {"date": fmt.full_date(since)}
            )
        if own.stage is not None and (stage := _stage_news(own.stage[1], fmt)):
            opening.append(stage)
        access = _access_lines(record, link.url(base_url), fmt)
        closing, look = _closing(record, settings, fmt)
        text = plain(_text(opening, sections, access, closing), rtl)
        letters.append(
            Letter(
                client_id=client.id,
                number=number,
                contact=contact,
                language=html_lang(locale),
                subject=plain(subject, rtl),
                text=_anchored(text) if rtl else text,
                html=_bdi(
                    plain(_html(html_lang(locale), direction, subject, opening, sections, access, closing, look), rtl)
                ),
                news=tuple(news(own)),
            )
        )
    return letters


def short_letter(
    client: Client,
    number: int,
    contact: Contact,
    settings: PortalSettings,
    fmt: Formatter,
    subject: str,
    opening: list[str],
    access: list[str],
    news: tuple[str, ...],
) -> Letter:
    """A letter with no sections, only its opening and the way in (`link_letters`), in the look of an update."""
    record = client.record
    _ = fmt.gettext.gettext
    locale = fmt.locale
    direction = text_direction(locale)
    rtl = direction == "rtl"
    closing, look = _closing(record, settings, fmt)
    text = plain(_text(opening, [], access, closing), rtl)
    html = _html(html_lang(locale), direction, subject, opening, [], access, closing, look)
    return Letter(
        client_id=client.id,
        number=number,
        contact=contact,
        language=html_lang(locale),
        subject=plain(subject, rtl),
        text=_anchored(text) if rtl else text,
        html=_bdi(plain(html, rtl)),
        news=news,
    )


def _closing(record: Record, settings: PortalSettings, fmt: Formatter) -> tuple[list[str], LetterLook]:
    """How every letter ends, and how it looks: the freelancer's sign-off, the client's accent and button."""
    _ = fmt.gettext.gettext
    closing = [
        _("Questions are welcome: just reply to this e-mail."),
        _("Best wishes,"),
        isolate(settings.freelancer.name) if settings.freelancer.name else "",
    ]
    look = LetterLook(
        accent=accent_shades(record.brand.accent).light if record.brand and record.brand.accent else DEFAULT_ACCENT,
        freelancer=settings.freelancer,
        button=_("Open your project page"),
    )
    return closing, look


def salutation(contact: Contact, locale: str, fmt: Formatter) -> str:
    """The first line of a letter: the contact's own salutation, else a natural one for the language (`addressing`)."""
    if contact.salutation:
        return contact.salutation
    return greeting_line(contact.name, locale, fmt.gettext.gettext, isolate)


def _stage_news(stage: str, fmt: Formatter) -> str | None:
    """The sentence that tells a client their project paused, resumed or closed."""
    _ = fmt.gettext.gettext
    if stage == "paused":
        return _("This project is on hold. No deadlines run while it is paused.")
    if stage == "past":
        return _("This project is complete. Thank you for working together!")
    if stage == "active":
        return _("The project is running again.")
    return None


def _received(
    decided: list[Decision], record: Record, contact: Contact, fmt: Formatter
) -> list[tuple[str, list[Item]]]:
    """The section that confirms the decisions that came back: to the one who decided, "You approved …"."""
    if not decided:
        return []
    _ = fmt.gettext.gettext
    titles = {f"deliverable/{d.key}": d.title for d in record.deliverables}
    titles |= {f"idea/{s.key}": s.title for s in record.suggestions}
    yours = {
        ("proposal", "accept"): _("You accepted the proposal on %(date)s. Thank you!"),
        ("proposal", "decline"): _("You declined the proposal on %(date)s."),
        ("deliverable", "approve"): _("You approved “%(title)s” on %(date)s."),
        ("deliverable", "changes"): _("You asked for changes to “%(title)s” on %(date)s."),
        ("idea", "accept"): _("You accepted the idea “%(title)s” on %(date)s."),
        ("idea", "decline"): _("You declined the idea “%(title)s” on %(date)s."),
    }
    theirs = {
        ("proposal", "accept"): _("%(name)s accepted the proposal on %(date)s."),
        ("proposal", "decline"): _("%(name)s declined the proposal on %(date)s."),
        ("deliverable", "approve"): _("%(name)s approved “%(title)s” on %(date)s."),
        ("deliverable", "changes"): _("%(name)s asked for changes to “%(title)s” on %(date)s."),
        ("idea", "accept"): _("%(name)s accepted the idea “%(title)s” on %(date)s."),
        ("idea", "decline"): _("%(name)s declined the idea “%(title)s” on %(date)s."),
    }
    earlier = _(
        "This was decided on an earlier version, which has changed since: "
        "please look at the current version on your project page."
    )
    items = []
    for decision in decided:
        kind = decision.item.split("/", 1)[0]
        own = decision.by == contact.name
        line = (yours if own else theirs)[(kind, decision.decision)] % {
            "name": isolate(decision.by),
            "title": isolate(titles.get(decision.item, decision.item.partition("/")[2])),
            "date": fmt.day(decision.at),
        }
        items.append(Item(line, earlier if decision.earlier_version else None))
    return [(_("We received your decisions"), items)]


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
        parts = [isolate(deliverable.title)]
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
        Item(f"{isolate(move.title)} · {fmt.full_date(move.old_due)} → {fmt.full_date(move.new_due)}", move.notes)
        for move in changes.moved
    ]
    needs = [_attention_item(item, fmt) for item in changes.needs_you] or [Item(_("Nothing needs you right now."))]
    late = [
        Item(
            " · ".join(
                [
                    d.title,
                    _("Was due %(date)s") % {"date": fmt.full_date(d.due)},
                    ngettext("%(num)d day late", "%(num)d days late", days) % {"num": days},
                ]
            ),
            d.notes,
        )
        for d in changes.running_late
        if d.due is not None and (days := (fmt.today - d.due).days) > 0
    ]
    money = MoneyFormat(fmt.locale)
    status = [Item(f"{isolate(d.title)} · {_('Cancelled')}", d.notes) for d in changes.cancelled] + [
        Item(
            " · ".join(
                [_("Invoice %(number)s") % {"number": isolate(i.number)}, money.amount(i.amount, i.currency), _("Paid")]
            )
        )
        for i in changes.paid
    ]
    periods = {"month": _("this month"), "quarter": _("this quarter"), "project": _("for the project")}
    status += [
        Item(
            _("I have used %(used)s of the %(included)s included %(period)s (%(share)s).")
            % {
                "used": money.duration(reached.use.hours.current.used),
                "included": money.duration(reached.use.hours.current.included),
                "period": periods[reached.use.budget.period],
                "share": money.percent(reached.use.share),
            }
        )
        for reached in changes.hours_reached
        if reached.use.hours is not None
    ]
    ideas = [Item(f"{isolate(idea.title)} · {impact[idea.impact]}", idea.body) for idea in changes.new_ideas]
    updates = [Item(fmt.full_date(update.date), update.text) for update in changes.new_updates]
    coming = [Item(f"{fmt.when(u.when)} · {isolate(u.title)} · {kinds.get(u.kind, u.kind)}") for u in changes.next]
    sections = [
        (_("Delivered"), delivered),
        (_("New dates"), moved),
        (_("Status changes"), status),
        # the freelancer's own late work, said plainly and apart from what the client has to do
        (_("Running late"), late),
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
                _("Invoice %(number)s") % {"number": isolate(invoice.number)},
                MoneyFormat(fmt.locale).amount(invoice.amount, invoice.currency),
                _("Was due %(date)s") % {"date": fmt.full_date(item.due)},
            ]
        )
        paid = _("If it has already been paid, thank you, and please ignore this.")
        return Item(line, paid, (_("View invoice"), invoice.link) if invoice.link else None)
    if item.kind == "proposal":  # the letter names the decision, not the client's own name
        parts = [_("Your answer to this proposal")]
        if item.due is not None:
            parts.append(_("The offer stands until %(date)s") % {"date": fmt.full_date(item.due)})
        return Item(" · ".join(parts), None)
    parts = [isolate(item.title)]
    if item.kind == "waiting":
        parts.append(_("Waiting on you"))
    elif item.kind == "review":
        parts.append(_("In review"))
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
                lines += [f"  {line}".rstrip() for line in markdown_plain(item.notes).splitlines()]
            if item.link:
                lines.append(f"  {item.link[0]}: {item.link[1]}")
        blocks.append("\n".join(lines))
    blocks += ["\n".join(access), "\n".join(closing[:1]), "\n".join(closing[1:])]
    return "\n\n".join(block for block in blocks if block) + "\n"


@dataclass(frozen=True)
class LetterLook:
    """What makes a letter the freelancer's: the client's accent, their name, the label of the link's button."""

    accent: str  # readable on white, as on the page (see `colour`)
    freelancer: Freelancer
    button: str


# Inline styles only: mail clients drop <style> blocks and never load stylesheets.
_FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans','PingFang SC','Hiragino Sans',sans-serif"
_TEXT = "margin:0 0 12px;overflow-wrap:anywhere"


def _html(
    lang: str,
    direction: str,
    subject: str,
    opening: list[str],
    sections: list[tuple[str, list[Item]]],
    access: list[str],
    closing: list[str],
    look: LetterLook,
) -> str:
    """The HTML alternative: one column that fits a phone, in the client's accent, with a button for the link.

    Record text is escaped, record Markdown rendered by the page's safe renderer.
    """
    p = Markup('<p style="{}">{}</p>')
    parts = [p.format(_TEXT, line) for line in opening]
    for heading, items in sections:
        entries = []
        for item in items:
            entry = escape(item.line)
            if item.notes:
                entry += Markup('<div style="color:#4b5563;font-size:15px">{}</div>').format(
                    render_markdown(item.notes, top=3)
                )
            if item.link:
                entry += Markup('<br><a href="{}" style="color:{}">{}</a>').format(
                    item.link[1], look.accent, item.link[0]
                )
            entries.append(Markup('<li style="margin:0 0 8px;overflow-wrap:anywhere">{}</li>').format(entry))
        parts.append(
            Markup('<h2 style="margin:20px 0 8px;font-size:17px;line-height:1.3;color:{}">{}</h2>').format(
                look.accent, heading
            )
        )
        # mail clients know little of logical properties: the list's indent goes on the side it starts
        indent = "0 20px 0 0" if direction == "rtl" else "0 0 0 20px"
        parts.append(Markup('<ul style="margin:0 0 12px;padding:{}">{}</ul>').format(indent, Markup("").join(entries)))
    url = access[1]
    parts.append(p.format("margin:20px 0 12px;overflow-wrap:anywhere", access[0]))
    parts.append(
        Markup(
            '<p style="margin:0 0 16px"><a href="{}" style="display:inline-block;background:{};color:#ffffff;'
            'text-decoration:none;font-weight:600;padding:12px 20px;border-radius:6px;min-height:20px">{}</a></p>'
        ).format(url, look.accent, look.button)
    )
    parts += [p.format(_TEXT, line) for line in access[2:]]
    parts.append(p.format(_TEXT, closing[0]))
    parts.append(p.format(_TEXT, Markup("<br>").join(escape(line) for line in closing[1:] if line)))
    body = Markup("\n").join(parts)
    sender = look.freelancer
    footer = escape(isolate(sender.name) if sender.name else "") + (
        Markup(' · <a href="mailto:{}" style="color:#4b5563">{}</a>').format(sender.email, sender.email)
        if sender.email
        else Markup("")
    )
    return str(
        Markup(
            '<!doctype html>\n<html lang="{lang}"{html_dir}><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            '<meta name="color-scheme" content="light"><title>{title}</title></head>\n'
            '<body style="margin:0;padding:0;background:#f3f4f6">\n'
            # the direction again where webmail, which drops <html>, keeps it
            '<div dir="{dir}" style="max-width:600px;margin:0 auto;padding:16px 12px;box-sizing:border-box;{font};'
            'font-size:16px;line-height:1.5;color:#1f2937">\n'
            '<div style="background:#ffffff;border-top:4px solid {accent};border-radius:8px;padding:20px 18px">\n'
            '<p style="margin:0 0 4px;font-size:14px;color:#4b5563">{name}</p>\n'
            '<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;overflow-wrap:anywhere">{subject}</h1>\n'
            "{body}\n</div>\n"
            '<p style="margin:12px 0 0;font-size:13px;color:#4b5563;text-align:center">{footer}</p>\n'
            "</div>\n</body></html>\n"
        ).format(
            dir=direction,
            html_dir=Markup(' dir="rtl"') if direction == "rtl" else "",
            lang=lang,
            title=subject.replace(FSI, "").replace(PDI, ""),  # a <title> holds no markup
            subject=subject,
            font=_FONT,  # escaped quotes still read as quotes in an attribute
            accent=look.accent,
            name=isolate(sender.name) if sender.name else "",
            body=body,
            footer=footer,
        )
    )


def plain_text(letter: Letter) -> str:
    """The letter as the freelancer reads it on the terminal: who it is for, the subject, the text."""
    address = f" <{letter.contact.email}>" if letter.contact.email else " (no e-mail address in the record)"
    return f"To: {letter.contact.name}{address}\nSubject: {letter.subject}\n\n{letter.text}"


def draft(letter: Letter, freelancer: Freelancer, now: datetime | None = None) -> EmailMessage:
    """The letter as an unsent e-mail (RFC 5322) that mail clients open ready to send."""
    message = _message(letter, freelancer, now)
    # Outlook and others open a message marked unsent as a draft, with a Send button.
    message["X-Unsent"] = "1"
    return message


def outgoing(letter: Letter, freelancer: Freelancer, now: datetime | None = None) -> EmailMessage:
    """The letter as the e-mail `digest --send` hands to the mail server: from the freelancer, with its Message-ID."""
    domain = freelancer.email.rpartition("@")[2]
    if not domain:
        raise MailError("the letters need your address as their From: set freelancer.email in the site's configuration")
    message = _message(letter, freelancer, now)
    message["Message-ID"] = make_msgid(domain=domain)
    return message


def _message(letter: Letter, freelancer: Freelancer, now: datetime | None) -> EmailMessage:
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
