"""The ``client-portal`` command: a thin layer over the functions the plugin uses."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

import click
from mkdocs.exceptions import ConfigurationError

from . import __version__
from .config import read_settings
from .insights import overdue
from .loader import read_clients, record_files
from .model import CLIENT_ID, json_schema
from .problems import Problem
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
