"""What `client-portal check` finds in a record that loaded: files it names, and warnings."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from .attachments import attachment_problems
from .i18n import catalog_warning
from .insights import overdue
from .model import Client
from .money import is_past_due
from .problems import Problem

# What `client-portal new` writes until the freelancer names the person: never to be published.
TEMPLATE_CONTACT = "Your contact's name"


def record_problems(client: Client, clients_dir: Path, today: date, shown: Path) -> list[Problem]:
    """Every problem of a valid record, each at its line; ``shown`` is the path as printed."""

    def warning(message: str, *keys: str | int) -> Problem:
        line, column = client.locate(*keys)
        return Problem(shown, line, column, message, "warning")

    record = client.record
    problems = logo_problems(client, shown) + attachment_problems(client, clients_dir, shown)
    for index, contact in enumerate(record.contacts):
        if contact.name == TEMPLATE_CONTACT:
            line, column = client.locate("contacts", index, "name")
            message = f"contacts[{index}].name: still the template's placeholder; write the name of the person"
            problems.append(Problem(shown, line, column, message + " (and their e-mail) before publishing"))
    for item in overdue(record, today):
        what = "deliverable" if item.kind == "deliverables" else "request"
        message = f"{what} '{item.title}' was due {item.due.isoformat()} ({item.days_late} days ago)"
        problems.append(warning(message, item.kind, item.index, "due"))
    for index, invoice in enumerate(record.invoices):
        if invoice.due is not None and is_past_due(invoice, today):
            days = (today - invoice.due).days
            message = (
                f"invoice '{invoice.number}' was due {invoice.due.isoformat()} ({days} days ago) and is still open"
            )
            problems.append(warning(message, "invoices", index, "due"))
    if record.language and (fallback := catalog_warning(record.language)):
        problems.append(warning(fallback, "language"))
    return problems


def logo_problems(client: Client, shown: Path) -> list[Problem]:
    """A logo file the build could not read (URLs are fetched only when building)."""
    from .logo import LogoError, logo_data_uri

    logo = client.record.brand.logo if client.record.brand else None
    if not logo or logo.startswith(("http://", "https://")):
        return []
    try:
        logo_data_uri(logo, client.source.parent)
    except LogoError as error:
        line, column = client.locate("brand", "logo")
        return [Problem(shown, line, column, f"brand.logo: {error}")]
    return []
