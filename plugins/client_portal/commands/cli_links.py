"""Each client's share links, and which of them changed since a revision or the last published build: ``links``."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from client_portal.commands.inputs import (
    _config_option,
    _confirm_site_secret,
    _prefix_index,
    _published,
    _settings,
    _today,
    _valid_clients,
)
from client_portal.records.checks import shared_origin
from client_portal.records.model import Client
from client_portal.settings import PortalSettings

if TYPE_CHECKING:
    from client_portal.mail.history import Baseline
    from client_portal.mail.mail import Digest, Told


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option("--base-url", help="Where the site is published (default: the configuration's site_url).")
@click.option(
    "--check",
    "built_site",
    metavar="SITE",
    help="A built site folder, or the published address: confirm it was built with the same secret.",
)
@click.option("--changed", is_flag=True, help="Only the contacts whose link changed, and how.")
@click.option(
    "--since",
    metavar="REV",
    help="With --changed: compare with the records at this commit, tag or branch "
    "(default: as they stood before the published site's last build).",
)
@click.option(
    "--site",
    metavar="SITE",
    help="With --changed and no --since: the built site folder or published address whose last build to compare "
    "with (default: site_url).",
)
@_config_option
def links(
    as_json: bool,
    base_url: str | None,
    built_site: str | None,
    changed: bool,
    since: str | None,
    site: str | None,
    config_file: Path | None,
) -> None:
    """Print each client's share links, one per contact."""
    from client_portal.publishing.addresses import client_folder, client_links
    from client_portal.publishing.calendar_feed import feed_path, subscribes
    from client_portal.records.access import access_ends, has_ended

    if (since is not None or site is not None) and not changed:
        click.echo("error: --since and --site choose what --changed compares with: give them with --changed", err=True)
        sys.exit(2)
    settings = _settings(config_file)
    secret, base = _published(settings, base_url)
    if shared := shared_origin(base):
        click.echo(f"warning: {shared}", err=True)
    if built_site is not None:
        _confirm_site_secret(built_site, settings, secret)
    if changed:
        _changed_links(settings, secret, base, since, site, as_json)
        return
    today = _today(settings)
    rows: list[dict[str, Any]] = []
    for client in _valid_clients(settings):
        folder = client_folder(settings.url_prefix, secret, client)
        found = [{"contact": link.contact, "url": link.url(base)} for link in client_links(settings, secret, client)]
        for entry, contact in zip(found, client.record.contacts, strict=False):
            ends = access_ends(client.record, contact)
            if has_ended(ends, today):
                assert ends is not None
                entry["expired"] = ends.isoformat()
        row: dict[str, Any] = {
            "id": client.id,
            "name": client.record.name,
            "mode": client.record.access.mode,
            "path": folder,
        }
        if subscribes(client.record):
            row["calendar"] = base.rstrip("/") + "/" + feed_path(settings.url_prefix, secret, client)
        rows.append({**row, "links": found})
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for row in rows:
        click.echo(f"{row['name']} ({row['id']}, {row['mode']})")
        for link in row["links"]:
            ended = f" (expired on {link['expired']}: it opens nothing)" if "expired" in link else ""
            click.echo(f"  {link['contact']}: {link['url']}{ended}")
        if "calendar" in row:
            click.echo(f"  calendar feed (readable by anyone with this address): {row['calendar']}")


def changes_since(settings: PortalSettings, since: str | None, site: str | None) -> Baseline:
    """The records' state `links --changed` and `digest --new-links` compare with; exit 2 when git cannot give it."""
    from zoneinfo import ZoneInfo

    from client_portal.mail.history import HistoryError, baseline
    from client_portal.publishing.site_files import BUILT_MARK

    zone = ZoneInfo(settings.timezone)
    try:
        if since is not None:
            return baseline(settings.clients_dir, since, zone)
        where = site or settings.site_url
        if not where:
            click.echo(
                f"error: say what to compare with: --since REV, or --site SITE (or site_url in {settings.config_name})",
                err=True,
            )
            sys.exit(2)
        shown, page = _prefix_index(where, settings)
        built = BUILT_MARK.search(page)
        if built is None:
            click.echo(
                f"error: {shown} does not say when it was built (no data-cp-built); give --since REV instead", err=True
            )
            sys.exit(2)
        return baseline(settings.clients_dir, date.fromisoformat(built.group(1)), zone)
    except HistoryError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)


def _changed_links(
    settings: PortalSettings, secret: bytes, base: str, since: str | None, site: str | None, as_json: bool
) -> None:
    from client_portal.commands.link_changes import changed_links, changes_json, changes_text
    from client_portal.mail.history import HistoryError

    clients = _valid_clients(settings)
    start = changes_since(settings, since, site)
    try:
        found, skipped = changed_links(clients, start, settings, secret, base, _today(settings))
    except HistoryError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    for problem in skipped:
        click.echo(f"error: {problem}", err=True)
    if as_json:
        click.echo(json.dumps(changes_json(found), indent=2, ensure_ascii=False))
    elif found:
        click.echo(changes_text(found))
    else:
        at = start.commit[:12] if start.commit else "the first commit"
        click.echo(f"No contact's link changed since {at}.", err=True)
    sys.exit(1 if skipped else 0)


def link_letters(
    clients: list[Client], start: Baseline, settings: PortalSettings, secret: bytes, base: str, today: date, told: Told
) -> Digest:
    """`digest --new-links`: the letters, as a digest, to exactly the contacts `links --changed` gives a new link."""
    from client_portal.commands.link_changes import changed_links
    from client_portal.mail.link_letters import new_link_letters
    from client_portal.mail.mail import Digest

    found, skipped = changed_links(clients, start, settings, secret, base, today)
    letters = new_link_letters(((f.client, f.change, f.url) for f in found), settings, today, told)
    return Digest(letters, [], skipped)
