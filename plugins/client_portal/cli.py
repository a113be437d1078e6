"""The ``client-portal`` command: a thin layer over the functions the plugin uses."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from datetime import timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

import click
from mkdocs.exceptions import ConfigurationError

from . import __version__
from .audit import audit_site
from .config import read_settings
from .insights import overdue
from .loader import load_clients, read_clients, record_files
from .model import CLIENT_ID, Client, json_schema
from .problems import Problem, RecordError
from .publish import client_folder, client_links
from .secret import SecretError, new_secret, site_secret
from .settings import PortalSettings, build_date


def _config_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--config",
        "config_file",
        type=click.Path(dir_okay=False, path_type=Path),
        default="mkdocs.yml",
        show_default=True,
        help="The site's MkDocs configuration.",
    )(command)


def _settings(config_file: Path) -> PortalSettings:
    try:
        return read_settings(config_file)
    except ConfigurationError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)


def _shown(path: Path) -> Path:
    """A path as the user would type it: relative to the working directory when possible."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="client-portal")
def main() -> None:
    """Private status pages for a freelancer's clients, built with MkDocs."""


@main.command()
@_config_option
def check(config_file: Path) -> None:
    """Validate every client record; print each problem as path:line:col."""
    settings = _settings(config_file)
    today = build_date(settings.today)
    if not settings.clients_dir.is_dir():
        click.echo(
            f"error: clients directory {_shown(settings.clients_dir)} not found (setting 'clients_dir')", err=True
        )
        sys.exit(2)
    clients, problems = read_clients(settings.clients_dir, today=today, relative_to=Path.cwd())
    for client in clients:
        for item in overdue(client.record, today):
            line, column = client.locate(item.kind, item.index, "due")
            what = "deliverable" if item.kind == "deliverables" else "request"
            message = f"{what} '{item.title}' was due {item.due.isoformat()} ({item.days_late} days ago)"
            problems.append(Problem(_shown(client.source), line, column, message, "warning"))
    count = len(record_files(settings.clients_dir))
    for problem in sorted(problems):
        click.echo(str(problem))
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    click.echo(
        f"{count} record{'s' * (count != 1)} checked: "
        f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
    )
    sys.exit(1 if errors else 0)


@main.command()
@_config_option
def schema(config_file: Path) -> None:
    """Print the JSON Schema of a client record."""
    click.echo(json.dumps(json_schema(), indent=2, ensure_ascii=False))


@main.command()
@click.argument("client_id", metavar="ID")
@_config_option
def new(client_id: str, config_file: Path) -> None:
    """Write clients/ID.yml from a commented template."""
    if not CLIENT_ID.match(client_id):
        raise click.BadParameter("use lowercase letters, digits and hyphens, such as acme-bakery", param_hint="ID")
    settings = _settings(config_file)
    target = settings.clients_dir / f"{client_id}.yml"
    if target.exists():
        click.echo(f"error: {_shown(target)} already exists; not overwriting it", err=True)
        sys.exit(1)
    today = build_date(settings.today)
    name = " ".join(word.capitalize() for word in client_id.split("-"))
    text = (
        files("client_portal")
        .joinpath("scaffold/record.yml")
        .read_text(encoding="utf-8")
        .replace("<NAME>", name)
        .replace("<CONTACT>", "Your contact's name")
        .replace("<EMAIL>", f"hello@{client_id}.example")
        .replace("<TODAY>", today.isoformat())
        .replace("<DUE>", (today + timedelta(days=14)).isoformat())
    )
    settings.clients_dir.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    click.echo(f"wrote {_shown(target)}; edit it, then run: client-portal check")


def _secret(settings: PortalSettings) -> bytes:
    try:
        return site_secret(settings.root, settings.secret_env).value
    except SecretError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)


def _valid_clients(settings: PortalSettings) -> list[Client]:
    try:
        return load_clients(settings.clients_dir, today=build_date(settings.today), relative_to=Path.cwd())
    except RecordError as error:
        click.echo(str(error))
        click.echo("fix the records first: client-portal check", err=True)
        sys.exit(1)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option("--base-url", help="Where the site is published (default: site_url in mkdocs.yml).")
@_config_option
def links(as_json: bool, base_url: str | None, config_file: Path) -> None:
    """Print each client's share links, one per contact."""
    settings = _settings(config_file)
    secret = _secret(settings)
    base = base_url or settings.site_url
    if not base:
        click.echo("note: no site_url in mkdocs.yml and no --base-url; printing paths from the site root", err=True)
        base = "/"
    rows: list[dict[str, Any]] = []
    for client in _valid_clients(settings):
        folder = client_folder(settings.url_prefix, secret, client)
        found = [{"contact": link.contact, "url": link.url(base)} for link in client_links(settings, secret, client)]
        rows.append(
            {
                "id": client.id,
                "name": client.record.name,
                "mode": client.record.access.mode,
                "path": folder,
                "links": found,
            }
        )
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for row in rows:
        click.echo(f"{row['name']} ({row['id']}, {row['mode']})")
        for link in row["links"]:
            click.echo(f"  {link['contact']}: {link['url']}")


@main.command()
@click.argument("site_dir", type=click.Path(file_okay=False, path_type=Path))
@_config_option
def audit(site_dir: Path, config_file: Path) -> None:
    """Check a built site for anything that leaks a client; exit 1 on any finding."""
    settings = _settings(config_file)
    if not site_dir.is_dir():
        click.echo(f"error: {site_dir} is not a directory; build the site first (mkdocs build)", err=True)
        sys.exit(2)
    secret = _secret(settings)
    clients = _valid_clients(settings)
    findings = audit_site(site_dir, clients, secret, settings.url_prefix, os.environ)
    for finding in findings:
        click.echo(f"{site_dir.as_posix().rstrip('/')}/{finding}")
    files = sum(1 for p in site_dir.rglob("*") if p.is_file())
    click.echo(f"audit: {len(findings)} finding{'s' * (len(findings) != 1)} in {files} files, {len(clients)} clients")
    sys.exit(1 if findings else 0)


@main.command()
def secret() -> None:
    """Print a new random site secret (store it as PORTAL_SECRET in CI)."""
    click.echo(new_secret())
