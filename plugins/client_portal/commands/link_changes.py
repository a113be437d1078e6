"""`links --changed`: the contacts whose link changed since an earlier version of the records in git.

The earlier version is a revision (``--since REV``) or, by default, the records as they
stood before the published site's last build: the prefix index says on which day that
build ran (``data-cp-built``), and the records' last commit before that day is what the
build before it published.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from client_portal.mail.history import Baseline
from client_portal.publishing.addresses import client_links
from client_portal.records.access import LinkChange, link_changes, removed_record_changes
from client_portal.records.model import Client
from client_portal.records.problems import RecordError
from client_portal.settings import PortalSettings


@dataclass(frozen=True)
class ContactLinkChange:
    """One contact of one client whose link changed, with their link as `links` prints it (None: they have none)."""

    client: Client
    change: LinkChange
    url: str | None


def baseline_day(start: Baseline, zone: ZoneInfo) -> date:
    """The day the records stood as ``start`` has them: a commit's own day, or the day before a date asked for."""
    if isinstance(start.since, datetime):
        return start.since.astimezone(zone).date()
    return start.since - timedelta(days=1)


def changed_links(
    clients: list[Client], start: Baseline, settings: PortalSettings, secret: bytes, base_url: str, today: date
) -> tuple[list[ContactLinkChange], list[str]]:
    """Every contact whose link changed since ``start``, and the clients left out with why."""
    found: list[ContactLinkChange] = []
    skipped: list[str] = []
    for client in clients:
        zone = ZoneInfo(client.record.timezone or settings.timezone)
        try:
            before = start.record(client.source.name)
        except RecordError as error:
            first = error.problems[0].message if error.problems else ""
            skipped.append(f"{client.id}: the record at {(start.commit or '')[:12]} does not load ({first})")
            continue
        urls = {
            contact.identity: link.url(base_url)
            for contact, link in zip(client.record.contacts, client_links(settings, secret, client), strict=False)
        }
        for change in link_changes(before, client.record, baseline_day(start, zone), today):
            url = urls.get(change.contact.identity) if change.needs_link else None
            found.append(ContactLinkChange(client, change, url))
    # a record removed since: its page is gone, and with it every link to it
    folder = settings.clients_dir
    current = {client.source.name for client in clients}
    for name in start.record_names():
        if name in current or (folder / name).exists():  # one that does not load now is not removed
            continue
        try:
            before = start.record(name)
        except RecordError:
            continue
        if before is None:
            continue
        gone = Client(Path(name).stem, folder / name, before)
        zone = ZoneInfo(before.timezone or settings.timezone)
        found += [
            ContactLinkChange(gone, change, None)
            for change in removed_record_changes(before, baseline_day(start, zone))
        ]
    return found, skipped


def changes_text(found: list[ContactLinkChange]) -> str:
    """The changes as `links --changed` prints them: each client, then each contact, what changed and their link."""
    lines: list[str] = []
    shown = None
    for item in found:
        client = item.client
        if client.id != shown:
            lines.append(f"{client.record.name} ({client.id}, {client.record.access.mode})")
            shown = client.id
        change = item.change
        line = f"  {change.contact.name}: {change.kind} ({change.detail})"
        lines.append(line + (f": {item.url}" if item.url else ""))
    return "\n".join(lines)


def changes_json(found: list[ContactLinkChange]) -> list[dict[str, str | None]]:
    """The changes as `links --changed --json` prints them."""
    return [
        {
            "id": item.client.id,
            "name": item.client.record.name,
            "contact": item.change.contact.name,
            "change": item.change.kind,
            "detail": item.change.detail,
            "url": item.url,
        }
        for item in found
    ]
