"""``client-portal hours import FILE``: time-tracker exports into each client's kept entries."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal

import click

from client_portal.hours.exports import ExportError, read_export
from client_portal.hours.importing import ClientImport, apply_import, plan_import
from client_portal.hours.store import hours_file
from client_portal.records.loader import load_clients, shown_path
from client_portal.records.money import ENGLISH
from client_portal.records.problems import RecordError
from client_portal.settings import SettingsError, build_date
from client_portal.site_config import CONFIG_FILES, read_site_config


def _shown(path: Path) -> Path:
    return shown_path(path, Path.cwd())


@click.group()
def hours() -> None:
    """Hours from time-tracker exports (Toggl Track, Clockify, Harvest)."""


@hours.command(name="import")
@click.argument("export_file", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Say what would change for each client; write nothing.")
@click.option(
    "--dates",
    type=click.Choice(["mdy", "dmy"]),
    help="How the export writes dates such as 03/11/2026, when no date in it tells: month first or day first.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The site's configuration  [default: mkdocs.yml, else zensical.toml]",
)
def import_hours(
    export_file: Path, dry_run: bool, dates: Literal["mdy", "dmy"] | None, config_file: Path | None
) -> None:
    """Add the entries of a detailed CSV export to each client it names.

    Entries go to the record whose name (or one of its budget.hours.clients) is the
    export's client, into clients/hours/<id>.csv. Importing the same export again, or
    one that overlaps, counts nothing twice. Nothing is written when any line is wrong.
    """
    if config_file is None:
        config_file = next((Path(name) for name in CONFIG_FILES if Path(name).is_file()), Path(CONFIG_FILES[0]))
    try:
        settings = read_site_config(config_file).settings
        today = build_date(settings.today)
    except (SettingsError, ValueError) as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    try:
        clients = load_clients(settings.clients_dir, today=today, relative_to=Path.cwd())
    except RecordError as error:
        click.echo(str(error))
        click.echo("fix the records first: client-portal check", err=True)
        sys.exit(1)
    shown = _shown(export_file)
    try:
        export = read_export(export_file, shown, dates)
        plans = plan_import(export, clients, settings.timezone, shown)
    except ExportError as error:
        for problem in error.problems:
            click.echo(str(problem))
        click.echo(f"nothing imported: fix the lines above, then import {shown} again", err=True)
        sys.exit(1)
    if not plans:
        click.echo(f"{shown}: no time entries")
        sys.exit(0)
    for plan in plans:
        click.echo(_summary(plan, dry_run))
    if dry_run:
        click.echo("dry run: nothing written")
        return
    written = apply_import(plans)
    click.echo(f"{len(written)} file{'s' * (len(written) != 1)} written")


def _summary(plan: ClientImport, dry_run: bool) -> str:
    """One client's part of an import, such as "acme-bakery: 17 new entries, 3 already imported; …"."""
    parts = [f"{plan.added} new entr{'y' if plan.added == 1 else 'ies'}"]
    if plan.unchanged:
        parts.append(f"{plan.unchanged} already imported")
    if plan.removed:
        parts.append(f"{plan.removed} imported before and since changed or deleted in the tool")
    parts += [f"{count} of {project} left out (budget.hours.ignore)" for project, count in plan.ignored.items()]
    days = f"{plan.first_day.isoformat()} to {plan.last_day.isoformat()}"
    target = _shown(hours_file(plan.client.source))
    action = ("would write" if dry_run else "writes") if plan.changed else "nothing to write to"
    billable = ENGLISH.duration(plan.billable)
    return f"{plan.client.id}: {', '.join(parts)}; {billable} billable from {days}; {action} {target}"
