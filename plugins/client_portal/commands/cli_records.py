"""The record commands: ``check``, ``schema``, ``new``, ``activate`` and ``status``."""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta
from importlib.resources import files
from pathlib import Path

import click

from client_portal.commands.inputs import (
    _config_option,
    _found_config,
    _prefix_index,
    _settings,
    _shown,
    _site_config,
    _today,
    _valid_clients,
)
from client_portal.commands.portal_checks import pin_problems, secrets_report
from client_portal.commands.record_checks import record_problems
from client_portal.hours.periods import client_hours
from client_portal.hours.store import stray_files
from client_portal.records.checks import TEMPLATE_CONTACT, site_url_problems
from client_portal.records.insights import status_items, urgency_key
from client_portal.records.loader import read_clients, record_files
from client_portal.records.model import CLIENT_ID, json_schema
from client_portal.settings import PortalSettings


@click.command()
@_config_option
def check(config_file: Path | None) -> None:
    """Validate every client record; print each problem as path:line:col."""
    config_file = config_file or _found_config()
    site = _site_config(config_file)
    settings = site.settings
    today = _today(settings)
    if not settings.clients_dir.is_dir():
        click.echo(
            f"error: clients directory {_shown(settings.clients_dir)} not found (setting 'clients_dir')", err=True
        )
        sys.exit(2)
    clients, problems = read_clients(settings.clients_dir, today=today, relative_to=Path.cwd())
    for client in clients:
        problems += record_problems(client, settings.clients_dir, today, _shown(client.source), settings)
    problems += stray_files(settings.clients_dir, {path.stem for path in record_files(settings.clients_dir)}, _shown)
    problems += site_url_problems(config_file, settings.site_url, _shown(config_file))
    requirements = config_file.parent / "requirements.txt"
    problems += pin_problems(requirements, _shown(requirements))
    needed, secrets_summary = secrets_report(settings, clients, _shown)
    problems += needed
    count = len(record_files(settings.clients_dir))
    for problem in sorted(problems):
        click.echo(str(problem))
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    click.echo(
        f"{count} record{'s' * (count != 1)} checked: "
        f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
    )
    for line in secrets_summary:  # beside the notes: what CI must hold, after what the records hold
        click.echo(line, err=True)
    if site.built_without_pages():
        shown = _shown(site.site_dir)
        click.echo(
            f"note: {shown} was built without the client pages (Zensical and other generators skip the "
            f"client-portal plugin); after building it, run: client-portal build {shown}",
            err=True,
        )
    sys.exit(1 if errors else 0)


@click.command()
@_config_option
def schema(config_file: Path | None) -> None:
    """Print the JSON Schema of a client record."""
    click.echo(json.dumps(json_schema(), indent=2, ensure_ascii=False))


def _record_template(client_id: str, today: date, contact: str | None = None, email: str | None = None) -> str:
    """A commented record for a new client; `check` refuses it until the contact is named."""
    name = " ".join(word.capitalize() for word in client_id.split("-"))
    return (
        files("client_portal.commands")
        .joinpath("scaffold/record.yml")
        .read_text(encoding="utf-8")
        .replace("<ID>", client_id)
        .replace("<NAME>", name)
        .replace("<CONTACT>", contact or TEMPLATE_CONTACT)
        .replace("<EMAIL>", email or f"hello@{client_id}.example")
        .replace("<TODAY>", today.isoformat())
        .replace("<DUE>", (today + timedelta(days=14)).isoformat())
    )


@click.command()
@click.argument("client_id", metavar="ID")
@click.option("--contact", metavar="NAME", help="The person at the client who gets a link.")
@click.option("--email", metavar="EMAIL", help="Their e-mail address.")
@_config_option
def new(client_id: str, contact: str | None, email: str | None, config_file: Path | None) -> None:
    """Write clients/ID.yml from a commented template."""
    if not CLIENT_ID.match(client_id):
        raise click.BadParameter("use lowercase letters, digits and hyphens, such as acme-bakery", param_hint="ID")
    settings = _settings(config_file)
    target = settings.clients_dir / f"{client_id}.yml"
    if target.exists():
        click.echo(f"error: {_shown(target)} already exists; not overwriting it", err=True)
        sys.exit(1)
    text = _record_template(client_id, _today(settings), contact, email)
    settings.clients_dir.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    todo = "" if contact else " (first your contact's name and e-mail)"
    click.echo(f"wrote {_shown(target)}; edit it{todo}, then run: client-portal check")


@click.command()
@click.argument("client_id", metavar="ID")
@click.option("--force", is_flag=True, help="Activate without an accept decision in the record.")
@_config_option
def activate(client_id: str, force: bool, config_file: Path | None) -> None:
    """Turn an accepted proposal into an active project, keeping the proposal and its decisions."""
    from client_portal.records.insights import latest_decisions
    from client_portal.records.writer import RecordText, RecordWriteError

    settings = _settings(config_file)
    path = settings.clients_dir / f"{client_id}.yml"
    if not CLIENT_ID.match(client_id) or not path.is_file():
        click.echo(f"error: no client {client_id} in {_shown(settings.clients_dir)}", err=True)
        sys.exit(2)
    try:
        record = RecordText.read(path, today=_today(settings), shown=_shown(path))
        if record.record.stage != "prospect":
            click.echo(
                f"error: {_shown(path)} is {record.record.stage}, not a prospect: there is no proposal to activate",
                err=True,
            )
            sys.exit(1)
        accepted = latest_decisions(record.record).get("proposal")
        if not force and (accepted is None or accepted.decision != "accept" or accepted.earlier_version):
            why = (
                "no accept decision on the proposal"
                if accepted is None or accepted.decision != "accept"
                else "the proposal was accepted in an earlier version"
            )
            click.echo(
                f"error: {_shown(path)} has {why}; run client-portal inbox to record the client's reply, "
                "or activate anyway with --force",
                err=True,
            )
            sys.exit(1)
        record.set_stage("active")
        record.write()
    except RecordWriteError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    click.echo(f"{_shown(path)}: stage prospect → active; the proposal and its decisions stay in the record")


STATUS_COLOURS = {
    "overdue": "red",
    "invoice_past_due": "red",
    "changes_requested": "red",
    "proposal_accepted": "green",
    "earlier_version": "yellow",
    "due_soon": "yellow",
    "waiting_on_client": "magenta",
    "open_request": "cyan",
    "budget": "yellow",
    "awaiting_answer": "blue",
    "paused": "white",
}


STATUS_LABELS = {
    "overdue": "overdue",
    "invoice_past_due": "unpaid",
    "changes_requested": "changes requested",
    "proposal_accepted": "accepted",
    "earlier_version": "earlier version",
    "due_soon": "due soon",
    "waiting_on_client": "waiting on client",
    "open_request": "open request",
    "budget": "budget",
    "awaiting_answer": "awaiting answer",
    "paused": "on hold",
}


# A page older than this says it may be out of date (portal.js): the daily build has failed.
STALE_AFTER_DAYS = 2


def _site_age(site: str, settings: PortalSettings, today: date) -> bool:
    """Say when ``site`` was last built; False when that is longer ago than a daily build allows."""
    from client_portal.publishing.site_files import BUILT_MARK

    where, page = _prefix_index(site, settings)
    built = BUILT_MARK.search(page)
    if built is None:
        click.echo(f"note: {where} does not say when it was built (an older version built it); build again", err=True)
        return True
    day = date.fromisoformat(built.group(1))
    age = (today - day).days
    if age > STALE_AFTER_DAYS:
        click.echo(
            f"warning: {site} was last built on {day.isoformat()}, {age} days ago: the daily build has not run "
            "since, so clients' pages say they may be out of date; look at the workflow's latest runs",
            err=True,
        )
        return False
    click.echo(f"{site} was built on {day.isoformat()} ({age} days ago).", err=True)
    return True


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option(
    "--site",
    metavar="SITE",
    help="Also say when SITE (a built folder or the published address) was last built; exit 1 when that is more "
    f"than {STALE_AFTER_DAYS} days ago, as a failed daily build leaves it.",
)
@_config_option
def status(as_json: bool, site: str | None, config_file: Path | None) -> None:
    """Your overview across all clients: overdue, unpaid, decisions to act on, due soon, waiting, requests, ideas."""
    settings = _settings(config_file)
    today = _today(settings)
    site_code = 1 if site is not None and not _site_age(site, settings, today) else 0
    rows = [
        (client, item)
        for client in _valid_clients(settings)
        for item in status_items(client.record, today, hours=client_hours(client, today, settings.timezone))
    ]
    rows.sort(key=lambda row: (urgency_key(row[1]), row[0].id))
    if as_json:
        payload = [
            {
                "client": client.id,
                "name": client.record.name,
                "urgency": item.urgency,
                "kind": item.kind,
                "title": item.title,
                "due": item.due.isoformat() if item.due else None,
                "days_left": item.days_left,
                "by": item.by,
                "at": item.at.isoformat() if item.at else None,
            }
            for client, item in rows
        ]
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        sys.exit(site_code)
    if not rows:
        click.echo(f"Nothing needs you across {len(_valid_clients(settings))} clients. ({today.isoformat()})")
        sys.exit(site_code)
    width = max(len(label) for label in STATUS_LABELS.values())
    for client, item in rows:
        label = click.style(STATUS_LABELS[item.urgency].ljust(width), fg=STATUS_COLOURS[item.urgency], bold=True)
        when = ""
        if item.due is not None and item.days_left is not None:
            relative = f"{-item.days_left}d late" if item.days_left < 0 else f"in {item.days_left}d"
            when = f"  due {item.due.isoformat()} ({relative})"
        if item.by and item.at:
            when += f"  by {item.by}, {item.at.strftime('%Y-%m-%d %H:%M')}"
        click.echo(f"{label}  {client.record.name}: {item.title} [{item.kind}]{when}")
    click.echo(f"{len(rows)} items across {len({c.id for c, _ in rows})} clients, as of {today.isoformat()}")
    sys.exit(site_code)
