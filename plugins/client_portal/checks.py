"""What `client-portal check` finds in a record that loaded: files it names, and warnings."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from .attachments import attachment_problems
from .i18n import catalog_warning
from .insights import overdue
from .model import Client
from .money import is_past_due
from .problems import Problem


def record_problems(client: Client, clients_dir: Path, today: date, shown: Path) -> list[Problem]:
    """Every problem of a valid record, each at its line; ``shown`` is the path as printed."""

    def warning(message: str, *keys: str | int) -> Problem:
        line, column = client.locate(*keys)
        return Problem(shown, line, column, message, "warning")

    record = client.record
    problems = logo_problems(client, shown) + attachment_problems(client, clients_dir, shown)
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


def shared_origin(site_url: str) -> str | None:
    """Why a site published at ``site_url`` shares its origin with sites of others, or None.

    Every GitHub Pages site of an account (``<user>.github.io/<repo>/``) is one origin:
    a script on any of them can use the keys a client's browser remembers for this one.
    """
    host = (urlsplit(site_url).hostname or "").lower()
    if not host.endswith(".github.io"):
        return None
    return (
        f"site_url {site_url} is on GitHub Pages, where every site of the account shares the origin "
        f"https://{host}: a script on any of them can use a key a client's browser remembers for this portal; "
        "publish the portal on a domain of its own (a custom domain or subdomain)"
    )


def site_url_problems(config_file: Path, site_url: str, shown: Path) -> list[Problem]:
    """`shared_origin` as a warning at the ``site_url`` line of ``mkdocs.yml`` or ``zensical.toml``."""
    message = shared_origin(site_url)
    if message is None:
        return []
    text = config_file.read_text(encoding="utf-8", errors="replace")
    found = re.search(r"^\s*site_url\s*[:=]", text, re.MULTILINE)
    line = text.count("\n", 0, found.start()) + 1 if found else 1
    return [Problem(shown, line, 1, message, "warning")]
