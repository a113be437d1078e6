"""What `client-portal check` finds in a record that loaded: its own warnings, its logo, attached files and accent.

The logo and the accent are the page's to judge, the attached files publishing's: so
these checks sit above the records, which know neither.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from client_portal.i18n import catalog_warning
from client_portal.page.colour import DARK_PAGE, LIGHT_PAGE, VISIBLE, accent_shades, contrast, same_colour
from client_portal.page.logo import LogoError, logo_data_uri
from client_portal.publishing.attachments import attachment_problems
from client_portal.records.checks import (
    TEMPLATE_CONTACT,
    Keys,
    bidi_problems,
    decision_warnings,
    ending_warnings,
    greeting_warnings,
    hours_warnings,
    proposal_warnings,
)
from client_portal.records.insights import CLOSED_STATUSES, overdue
from client_portal.records.model import Client
from client_portal.records.money import is_past_due
from client_portal.records.problems import Problem
from client_portal.settings import Phrase, PortalSettings


def record_problems(
    client: Client, clients_dir: Path, today: date, shown: Path, settings: PortalSettings | None = None
) -> list[Problem]:
    """Every problem of a valid record, each at its line; ``shown`` is the path as printed."""

    def warning(message: str, *keys: str | int) -> Problem:
        line, column = client.locate(*keys)
        return Problem(shown, line, column, message, "warning")

    record = client.record
    problems = (
        logo_problems(client, shown) + attachment_problems(client, clients_dir, shown) + bidi_problems(client, shown)
    )
    for index, contact in enumerate(record.contacts):
        if contact.name == TEMPLATE_CONTACT:
            line, column = client.locate("contacts", index, "name")
            message = f"contacts[{index}].name: still the template's placeholder; write the name of the person"
            problems.append(Problem(shown, line, column, message + " (and their e-mail) before publishing"))
    for item in overdue(record, today):
        what = "deliverable" if item.kind == "deliverables" else "request"
        message = f"{what} '{item.title}' was due {item.due.isoformat()} ({item.days_late} days ago)"
        problems.append(warning(message, item.kind, item.index, "due"))
    if record.stage == "past":  # closed: the page shows what was delivered, not what is still open
        for index, deliverable in enumerate(record.deliverables):
            if deliverable.status not in CLOSED_STATUSES:
                message = (
                    f"deliverable '{deliverable.title}' is still {deliverable.status} on a closed (past) project, "
                    "so the page leaves it out; set its status to delivered, approved or cancelled"
                )
                problems.append(warning(message, "deliverables", index, "status"))
    for index, invoice in enumerate(record.invoices):
        if invoice.due is not None and is_past_due(invoice, today):
            days = (today - invoice.due).days
            message = (
                f"invoice '{invoice.number}' was due {invoice.due.isoformat()} ({days} days ago) and is still open"
            )
            problems.append(warning(message, "invoices", index, "due"))
    language = record.language or (settings.language if settings is not None else "en")
    problems += [warning(message, *keys) for message, keys in greeting_warnings(client, language)]
    problems += [warning(message, *keys) for message, keys in accent_warnings(client)]
    problems += [warning(message, *keys) for message, keys in proposal_warnings(client)]
    problems += [warning(message, *keys) for message, keys in decision_warnings(client)]
    problems += [warning(message, *keys) for message, keys in ending_warnings(client, today)]
    zone = settings.timezone if settings is not None else "UTC"
    problems += [warning(message, *keys) for message, keys in hours_warnings(client, today, zone)]
    if record.language and (fallback := catalog_warning(record.language)):
        problems.append(warning(fallback, "language"))
    elif settings is not None:
        language = record.language or settings.language
        for name in ("availability", "response_time"):
            phrase = getattr(settings.freelancer, name)
            if phrase and not _has_text_in(phrase, language, settings.language):
                message = (
                    f"freelancer.{name} in {settings.config_name} has no text in {language!r}, this client's "
                    "language, so their page shows it in another language mid-sentence; give it one text per "
                    f"language, with a '{language}:' entry"
                )
                problems.append(
                    warning(message, "language") if record.language else Problem(shown, 1, 1, message, "warning")
                )
    return problems


def accent_warnings(client: Client) -> list[tuple[str, Keys]]:
    """The brand accent where the page shows a visibly different shade of it for contrast, scheme by scheme."""
    accent = client.record.brand.accent if client.record.brand else None
    if not accent:
        return []
    shades = accent_shades(accent)
    found: list[tuple[str, Keys]] = []
    schemes = [
        ("on the white page", LIGHT_PAGE, shades.light, "the page and the letters use"),
        ("on the dark page (dark scheme)", DARK_PAGE, shades.dark, "the page's dark scheme uses"),
    ]
    for where, page, shade, used in schemes:
        given = contrast(accent, page)
        # Above WCAG's 3:1 the shade is a small step from the accent: what a brand looks like is kept.
        if same_colour(accent, shade) or given >= VISIBLE:
            continue
        message = (
            f"brand.accent {accent} has {given:.1f}:1 contrast {where}; {used} {shade} instead "
            f"({contrast(shade, page):.1f}:1), the nearest shade of its hue that text can be read in"
        )
        found.append((message, ("brand", "accent")))
    return found


def logo_problems(client: Client, shown: Path) -> list[Problem]:
    """A logo file the build could not read (URLs are fetched only when building)."""
    logo = client.record.brand.logo if client.record.brand else None
    if not logo or logo.startswith(("http://", "https://")):
        return []
    try:
        logo_data_uri(logo, client.source.parent)
    except LogoError as error:
        line, column = client.locate("brand", "logo")
        return [Problem(shown, line, column, f"brand.logo: {error}")]
    return []


def _has_text_in(phrase: Phrase, language: str, default: str) -> bool:
    """Whether a freelancer's phrase has a text in ``language`` (a plain phrase is in the default language)."""
    base = language.replace("_", "-").split("-")[0].lower()
    keys = [default] if isinstance(phrase, str) else list(phrase)
    return any(key.replace("_", "-").split("-")[0].lower() == base for key in keys)
