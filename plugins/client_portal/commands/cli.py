"""The ``client-portal`` command: a thin layer over the functions the plugin uses.

Building, encrypting and auditing are imported inside the commands that use them,
so `check` (run on every commit) starts in a fraction of the time.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable
from datetime import date, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from client_portal import __version__
from client_portal.commands.portal_checks import pin_problems, secrets_report
from client_portal.commands.portal_files import (
    CONFIG_OF,
    GENERATOR_FILES,
    HOST_FILES,
    INIT_FILES,
    PREVIEW,
    UPDATE_FILES,
    scaffold_text,
    workflow_text,
)
from client_portal.commands.record_checks import record_problems
from client_portal.publishing.secret import SiteSecret
from client_portal.records.checks import TEMPLATE_CONTACT, shared_origin, site_url_problems
from client_portal.records.insights import status_items, urgency_key
from client_portal.records.loader import load_clients, read_clients, record_files, shown_path
from client_portal.records.model import CLIENT_ID, Client, json_schema
from client_portal.records.problems import RecordError
from client_portal.settings import PortalSettings, SettingsError, build_date
from client_portal.site_config import CONFIG_FILES, SiteConfig, read_site_config


def _config_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--config",
        "config_file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="The site's configuration  [default: mkdocs.yml, else zensical.toml]",
    )(command)


def _found_config() -> Path:
    """mkdocs.yml, else zensical.toml, in the working directory."""
    found = [Path(name) for name in CONFIG_FILES if Path(name).is_file()]
    return found[0] if found else Path(CONFIG_FILES[0])


def _site_config(config_file: Path | None) -> SiteConfig:
    config_file = config_file or _found_config()
    try:
        return read_site_config(config_file)
    except SettingsError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)


def _settings(config_file: Path | None) -> PortalSettings:
    return _site_config(config_file).settings


def _today(settings: PortalSettings | None) -> date:
    try:
        return build_date(settings.today if settings else None)
    except ValueError as error:  # a malformed SOURCE_DATE_EPOCH
        click.echo(f"error: {error}", err=True)
        sys.exit(2)


def _shown(path: Path) -> Path:
    return shown_path(path, Path.cwd())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="client-portal")
def main() -> None:
    """Private status pages for a freelancer's clients, built with MkDocs."""


@main.command()
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


@main.command()
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


@main.command()
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


def _secret(settings: PortalSettings, *, say_generated: bool = False) -> bytes:
    found = _site_secret(settings)
    if found.weakness:
        click.echo(f"warning: {found.weakness} (in CI the build stops here)", err=True)
    if found.generated and say_generated:
        click.echo(
            f"note: no {settings.secret_env} set: generated a local site secret in {found.source} (git-ignored); "
            f"set {settings.secret_env} in CI so links stay the same",
            err=True,
        )
    return found.value


def _site_secret(settings: PortalSettings) -> SiteSecret:
    from client_portal.publishing.secret import SecretError, site_secret

    try:
        return site_secret(settings.root, settings.secret_env)
    except SecretError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)


# `init` writes this address; nobody publishes there, so no link made with it opens.
PLACEHOLDER_HOST = "example.github.io"


def _published(settings: PortalSettings, base_url: str | None) -> tuple[bytes, str]:
    """The secret and address the site is published with; exit 1 when links would not open there."""
    secret = _published_secret(settings)
    base = base_url or settings.site_url
    if not base:
        click.echo(f"error: links need an address: set site_url in {settings.config_name} or pass --base-url", err=True)
        sys.exit(1)
    if urlsplit(base).hostname == PLACEHOLDER_HOST:
        click.echo(
            f"error: site_url is still the placeholder {base}; put the address the site is published at "
            f"in site_url in {settings.config_name} (GitHub: Settings → Pages), or pass --base-url",
            err=True,
        )
        sys.exit(1)
    _warn_if_plain_http(base)
    return secret, base


def _published_secret(settings: PortalSettings) -> bytes:
    """The secret the site is published with; exit 1 when only a locally generated one is at hand."""
    from client_portal.publishing.secret import SECRET_FILE

    kept_here = settings.root / SECRET_FILE
    if not os.environ.get(settings.secret_env, "").strip() and not os.environ.get("CI") and not kept_here.exists():
        click.echo(
            f"error: no {settings.secret_env} is set and no secret is kept in {_shown(kept_here)}, so there is no "
            f"secret the published site could share. Run `client-portal secret` (it keeps one here and prints it) and "
            f"store the same value as the {settings.secret_env} secret in CI; or set {settings.secret_env} to the "
            "value already stored in CI.",
            err=True,
        )
        sys.exit(1)
    found = _site_secret(settings)
    if not found.kept:
        click.echo(
            f"error: no {settings.secret_env} is set and {_shown(Path(found.source))} was generated by a local "
            "build, so links made from it would not open on the published site. Either set "
            f"{settings.secret_env} to the value stored in CI, or run `client-portal secret` to keep a new one here "
            f"and store the same value as the {settings.secret_env} secret in CI (then push, to publish with it).",
            err=True,
        )
        sys.exit(1)
    return found.value


def _valid_clients(settings: PortalSettings) -> list[Client]:
    try:
        return load_clients(settings.clients_dir, today=_today(settings), relative_to=Path.cwd())
    except RecordError as error:
        click.echo(str(error))
        click.echo("fix the records first: client-portal check", err=True)
        sys.exit(1)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option("--base-url", help="Where the site is published (default: the configuration's site_url).")
@click.option(
    "--check",
    "built_site",
    metavar="SITE",
    help="A built site folder, or the published address: confirm it was built with the same secret.",
)
@_config_option
def links(as_json: bool, base_url: str | None, built_site: str | None, config_file: Path | None) -> None:
    """Print each client's share links, one per contact."""
    from client_portal.publishing.addresses import client_folder, client_links

    settings = _settings(config_file)
    secret, base = _published(settings, base_url)
    if shared := shared_origin(base):
        click.echo(f"warning: {shared}", err=True)
    if built_site is not None:
        _confirm_site_secret(built_site, settings, secret)
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


def _prefix_index(site: str, settings: PortalSettings) -> tuple[str, str]:
    """(where, HTML) of the prefix index of ``site``, a built folder or the published address; exit 1 if unreadable."""
    from client_portal.commands.fetch import FetchError, read_page

    where = f"{site.rstrip('/')}/{settings.url_prefix}/"
    try:
        if urlsplit(site).scheme in ("http", "https"):
            return where, read_page(where)
        where += "index.html"
        return where, Path(where).read_text(encoding="utf-8", errors="replace")
    except (OSError, FetchError) as error:
        click.echo(f"error: cannot read {where}: {error}", err=True)
        sys.exit(1)


def _confirm_site_secret(site: str, settings: PortalSettings, secret: bytes) -> None:
    """Exit 1 unless the prefix index of ``site`` (a folder or an address) carries this secret's fingerprint."""
    from client_portal.publishing.crypto import site_fingerprint
    from client_portal.publishing.site_files import SITE_MARK

    where, page = _prefix_index(site, settings)
    published = SITE_MARK.search(page)
    if published is None:
        click.echo(
            f"error: {where} is not a portal's client index (no secret fingerprint); build or publish first", err=True
        )
        sys.exit(1)
    if published.group(1) != site_fingerprint(secret):
        click.echo(
            f"error: {site} was built with another site secret: these links would not open there. "
            f"Use the secret stored in CI ({settings.secret_env}), or republish with this one.",
            err=True,
        )
        sys.exit(1)
    click.echo(f"{site} was built with this secret: the links below open there.", err=True)


@main.command()
@click.argument("client_ids", metavar="[ID]...", nargs=-1)
@click.option("--since", metavar="REF|DATE", help="A git revision, or a date such as 2026-11-16 (default: 7 days ago).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Write one .eml draft per contact here.")
@click.option("--send", is_flag=True, help="Send the letters over SMTP (PORTAL_SMTP_URL, PORTAL_SMTP_PASSWORD).")
@click.option("--yes", is_flag=True, help="With --send: send without asking first.")
@click.option("--base-url", help="Where the site is published (default: the configuration's site_url).")
@_config_option
def digest(
    client_ids: tuple[str, ...],
    since: str | None,
    out: Path | None,
    send: bool,
    yes: bool,
    base_url: str | None,
    config_file: Path | None,
) -> None:
    """The update e-mail for each client whose record changed, one per contact.

    News a contact was already sent (the sent log, clients/sent/letters.jsonl) is left out.
    """
    from zoneinfo import ZoneInfo

    from client_portal.commands.sending import send_letters, sending_server
    from client_portal.mail.history import HistoryError, baseline
    from client_portal.mail.mail import plain_text, save_drafts, update_letters
    from client_portal.mail.sent_log import SentLogError, read_sent_log

    if send and out is not None:
        click.echo("error: --send delivers the letters, --out writes them as drafts: give one of the two", err=True)
        sys.exit(2)
    if yes and not send:
        click.echo("error: --yes answers --send's question: give it with --send", err=True)
        sys.exit(2)
    settings = _settings(config_file)
    server, password = sending_server(settings, os.environ) if send else (None, None)
    if out is not None and (publisher := settings.published_by(out)):
        click.echo(
            f"error: --out {out} is inside {publisher}, so the site would publish the letters and the links "
            "in them; write them outside docs_dir and site_dir",
            err=True,
        )
        sys.exit(2)
    today = _today(settings)
    secret, base = _published(settings, base_url)
    clients = _valid_clients(settings)
    unknown = sorted(set(client_ids) - {client.id for client in clients})
    if unknown:
        click.echo(f"error: no client {', '.join(unknown)} in {_shown(settings.clients_dir)}", err=True)
        sys.exit(2)
    chosen = [client for client in clients if not client_ids or client.id in client_ids]
    try:
        log = read_sent_log(settings.clients_dir, _shown(settings.clients_dir))
        start = baseline(settings.clients_dir, since or today - timedelta(days=7), ZoneInfo(settings.timezone))
        found = update_letters(chosen, start, settings, secret, base, today, log.told)
    except (HistoryError, SentLogError) as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    for note in found.notes:
        click.echo(f"note: {note}", err=True)
    for problem in found.skipped:
        click.echo(f"error: {problem}", err=True)
    if server is not None:
        if not any(letter.contact.email for letter in found.letters):
            click.echo(f"Nothing to send: no contact has news since {start.since:%Y-%m-%d} not yet sent.", err=True)
        code = send_letters(found.letters, settings, server, password, log, start.commit, ask=not yes)
        sys.exit(max(code, 1 if found.skipped else 0))
    printed = found.letters if out is None else []
    for letter, written in save_drafts(found.letters, settings.freelancer, out) if out else []:
        if isinstance(written, Path):
            click.echo(f"wrote {_shown(written)} for {letter.contact.name} ({letter.client_id})")
        else:
            click.echo(f"note: no draft for {letter.client_id}: {written}; the letter follows", err=True)
            printed.append(letter)
    click.echo("\n\n".join(plain_text(letter) for letter in printed), nl=bool(printed))
    if not found.letters:
        click.echo(f"No client's record has news since {start.since:%Y-%m-%d}.", err=True)
    sys.exit(1 if found.skipped else 0)


def _warn_if_plain_http(base_url: str) -> None:
    """Browsers open encrypted pages only over https, or on the local machine."""
    parts = urlsplit(base_url)
    if parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1", "::1"):
        click.echo(
            f"warning: {base_url} is plain http: browsers open encrypted pages only over https (or on localhost); "
            "publish the site over https",
            err=True,
        )


@main.command()
@click.argument("site_dir", type=click.Path(file_okay=False, path_type=Path))
@_config_option
def audit(site_dir: Path, config_file: Path | None) -> None:
    """Check a built site for anything that leaks a client; exit 1 on any finding."""
    from client_portal.audit.audit import audit_site
    from client_portal.publishing.passwords import PasswordsError

    settings = _settings(config_file)
    if not site_dir.is_dir():
        click.echo(f"error: {site_dir} is not a directory; build the site first (mkdocs build)", err=True)
        sys.exit(2)
    secret = _secret(settings)
    clients = _valid_clients(settings)
    try:
        findings = audit_site(site_dir, clients, secret, settings.url_prefix, os.environ)
    except PasswordsError as error:  # the passwords the audit looks for cannot all be read
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    for finding in findings:
        click.echo(f"{site_dir.as_posix().rstrip('/')}/{finding}")
    files = sum(1 for p in site_dir.rglob("*") if p.is_file())
    click.echo(f"audit: {len(findings)} finding{'s' * (len(findings) != 1)} in {files} files, {len(clients)} clients")
    sys.exit(1 if findings else 0)


@main.command()
@click.argument("site_dir", default="site", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="OPTION=VALUE",
    help="A setting over the configuration's (site_url=..., freelancer.name=...); "
    "without mkdocs.yml or zensical.toml, the only settings.",
)
@_config_option
def build(site_dir: Path, assignments: tuple[str, ...], config_file: Path | None) -> None:
    """Write the client pages into SITE_DIR, after any generator (or none) built the rest of the site."""
    import time

    from client_portal.publishing.errors import BuildError
    from client_portal.publishing.site_folder import build_into
    from client_portal.site_config import given_options

    try:
        overrides = given_options(assignments)
        found = config_file or _found_config()
        if config_file is None and not found.is_file():
            click.echo("note: no mkdocs.yml or zensical.toml here: default settings and --set options", err=True)
            site = read_site_config(None, overrides)
        else:
            site = read_site_config(found, overrides)
    except SettingsError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    if site_dir.exists() and not site_dir.is_dir():
        click.echo(f"error: {site_dir} is not a directory", err=True)
        sys.exit(2)
    secret = _secret(site.settings, say_generated=True)
    started = time.perf_counter()
    site_dir.mkdir(parents=True, exist_ok=True)
    try:
        pages = build_into(site_dir, site.settings, secret, site.custom_dir)
    except BuildError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    for page in pages:
        if page.notice:
            click.echo(f"note: {page.notice}", err=True)
    took = time.perf_counter() - started
    click.echo(f"{len(pages)} client page{'s' * (len(pages) != 1)} written to {site_dir} in {took:.1f} s")


@main.command()
@click.argument("site_dir", default="site", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--dev-addr",
    default="127.0.0.1:8000",
    show_default=True,
    metavar="HOST:PORT",
    help="Where to serve. Any address but loopback lets the network open the index of every contact's link "
    "and key (a warning says so); then the preview also answers to this computer's IP addresses, "
    "never to another name than HOST.",
)
@_config_option
def serve(site_dir: Path, dev_addr: str, config_file: Path | None) -> None:
    """Preview SITE_DIR with the client pages, rebuilt as records, files and templates change.

    Only the site and the client pages are served: no folder listings, no dotfiles, nothing
    outside SITE_DIR, and only to requests that name this server (localhost, 127.0.0.1, [::1]
    or HOST), so no web page can read the local index of links. SITE_DIR may not hold the
    records, the secret or the cache, as for `client-portal build`.
    """
    import threading

    from client_portal.commands.preview import Preview, network_warning
    from client_portal.commands.preview import serve as http_server
    from client_portal.publishing.errors import BuildError

    site = _site_config(config_file)
    host, _, port = dev_addr.rpartition(":")
    if not host or not port.isdigit():
        raise click.BadParameter("use HOST:PORT, such as 127.0.0.1:8000", param_hint="--dev-addr")
    preview = Preview(config_file or _found_config(), _secret(site.settings, say_generated=True), click.echo, site_dir)
    try:
        server = http_server(preview, site_dir, host, int(port), site.settings)
    except BuildError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    except OSError as error:
        click.echo(f"error: cannot serve on {dev_addr}: {error.strerror or error}", err=True)
        sys.exit(2)
    if warning := network_warning(str(server.server_address[0])):
        click.echo(f"warning: {warning}", err=True)
    preview.rebuild()
    threading.Thread(target=preview.watch, daemon=True).start()
    base = f"http://{host}:{server.server_address[1]}/"
    if not site_dir.is_dir():
        click.echo(f"note: {site_dir} does not exist; serving the client pages only", err=True)
    click.echo(f"Serving {site_dir} on {base}")
    click.echo(f"Client pages (local preview only, never published): {base}{site.settings.url_prefix}/", err=False)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        preview.close()


@main.command()
@click.option("--replace", is_flag=True, help="Replace the secret kept before (every link changes).")
@_config_option
def secret(replace: bool, config_file: Path | None) -> None:
    """Print a new site secret for CI, and keep the same value in the git-ignored .portal-secret."""
    from client_portal.publishing.secret import SECRET_FILE, SecretError, keep_secret, new_secret, stored_secret

    settings = _settings(config_file)
    path = settings.root / SECRET_FILE
    try:
        stored = stored_secret(path)
    except SecretError:
        stored = None  # an unusable file keeps nothing worth keeping
    if stored is not None and stored[1] and not replace:
        click.echo(
            f"error: {_shown(path)} already keeps the site secret; every link is made from it. To see it: "
            f"cat {_shown(path)}. To start over with a new one (every link changes): client-portal secret --replace",
            err=True,
        )
        sys.exit(1)
    value = new_secret()
    try:
        keep_secret(path, value)
    except SecretError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    click.echo(value)
    click.echo(
        f"Kept in {_shown(path)} (git-ignored). Store the same value as the repository secret "
        f"{settings.secret_env} (GitHub: Settings → Secrets and variables → Actions); "
        f"`client-portal secret | gh secret set {settings.secret_env}` does both in one step.",
        err=True,
    )


@main.command()
@click.argument("source")
@click.option("--dry-run", is_flag=True, help="Print each record's change as a diff; write nothing, mark nothing.")
@click.option("--mark-read", is_flag=True, help="Mark the messages whose decisions were recorded as read.")
@_config_option
def inbox(source: str, dry_run: bool, mark_read: bool, config_file: Path | None) -> None:
    """Record the clients' decisions from their replies in SOURCE into the records.

    SOURCE is an mbox file, a Maildir folder, a folder of .eml files, or
    imaps://USER@HOST[:PORT]/FOLDER with the password in PORTAL_IMAP_PASSWORD (the
    server's certificate is checked against the system's trust store, or SSL_CERT_FILE);
    plain imap:// only to 127.0.0.1 or localhost. Mail is read without changing it.
    A line whose MAC does not verify, an unknown client or item, a revoked contact or a
    record that does not load is refused, and nothing is written for it. Exit 0 when
    nothing was refused, 1 when something was, 2 when SOURCE cannot be read.
    """
    from client_portal.decisions.inbox import read_reply, record_replies
    from client_portal.decisions.mailboxes import SourceError, open_source
    from client_portal.records.writer import RecordWriteError

    settings = _settings(config_file)
    secret = _published_secret(settings)
    try:
        mail_source = open_source(source)
        try:
            mails = list(mail_source.messages())
            replies = [read_reply(mail) for mail in mails]
            run = record_replies(
                replies,
                clients_dir=settings.clients_dir,
                secret=secret,
                today=_today(settings),
                environ=os.environ,
                relative_to=Path.cwd(),
            )
            for outcome in run.outcomes:
                click.echo(outcome.text)
            failed = []
            for record in run.changed:
                if dry_run:
                    click.echo(record.diff(), nl=False)
                    continue
                try:
                    record.write()
                except RecordWriteError as error:
                    failed.append(str(error))
            for message in failed:
                click.echo(f"error: {message}", err=True)
            refused = {id(o.reply) for o in run.outcomes if o.kind == "refused"}
            done = {o.reply.mail.handle: None for o in run.outcomes if id(o.reply) not in refused}
            if mark_read and not dry_run and not failed and done:
                click.echo(mail_source.mark_read(list(done)))
        finally:
            mail_source.close()
    except SourceError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    without = sum(not reply.lines for reply in replies)
    click.echo(
        f"{run.count('recorded')} recorded, {run.count('earlier_version')} on an earlier version, "
        f"{run.count('refused')} refused, {run.count('already_recorded')} already recorded "
        f"({len(replies)} message{'s' * (len(replies) != 1)} read, {without} without a decision line)"
        + ("; dry run: nothing written" if dry_run else "")
    )
    sys.exit(1 if run.count("refused") or failed else 0)


@main.command()
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


@main.command()
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
    rows = [(client, item) for client in _valid_clients(settings) for item in status_items(client.record, today)]
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


@main.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", default="Your Name", show_default=True, help="Your name, as clients see it.")
@click.option("--email", default="you@example.com", show_default=True, help="Where clients write to you.")
@click.option(
    "--host",
    type=click.Choice(["github", "gitlab"]),
    default=None,
    help="Where the portal is published  [default: the one an existing portal's workflow is for, else github]",
)
@click.option(
    "--generator",
    type=click.Choice(["mkdocs", "zensical"]),
    default=None,
    help="What builds the public site (Zensical: client-portal build adds the client pages)  "
    "[default: the one an existing portal uses, else mkdocs]",
)
@click.option(
    "--site-url", metavar="URL", help="Where the site will be published, such as https://you.github.io/portal/."
)
@click.option(
    "--timezone", "time_zone", metavar="ZONE", help="Your time zone, such as Europe/Berlin (default: this computer's)."
)
def init(
    directory: Path,
    name: str,
    email: str,
    host: str | None,
    generator: str | None,
    site_url: str | None,
    time_zone: str | None,
) -> None:
    """Create a new portal repository in DIRECTORY (or add one to an existing repository), ready to push."""
    if generator is None:  # a second init keeps the generator the portal has
        kept = [gen for gen, config in CONFIG_OF.items() if (directory / config).is_file()]
        generator = kept[0] if len(kept) == 1 else "mkdocs"
    if host is None:  # and the host its workflow is for
        kept = [name for name, (workflow, _) in HOST_FILES.items() if (directory / workflow).is_file()]
        host = kept[0] if len(kept) == 1 else "github"
    zone = _init_zone(time_zone)
    if site_url is not None and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", site_url):
        raise click.BadParameter(f"{site_url!r} is not an http(s) address", param_hint="--site-url")
    address = (site_url.rstrip("/") + "/") if site_url else f"https://{PLACEHOLDER_HOST}/portal/"
    branch = _git_repository(directory)
    workflow = HOST_FILES[host][0]
    targets = {**INIT_FILES, **GENERATOR_FILES[generator], UPDATE_FILES[host][0]: UPDATE_FILES[host][1]}
    contents = {path: scaffold_text(source) for path, source in targets.items()}
    contents[workflow] = workflow_text(host, generator)
    contents["clients/.gitkeep"] = ""
    contents["client-record.schema.json"] = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    if generator != "mkdocs":
        readme = contents["README.md"].replace("mkdocs.yml", "zensical.toml")
        contents["README.md"] = re.sub(r"mkdocs serve +#", f"{PREVIEW[generator]}  #", readme, count=1)
    skipped = []
    for path, text in contents.items():
        target = directory / path
        text = (
            text.replace("<NAME>", name)
            .replace("<EMAIL>", email)
            .replace("<TIMEZONE>", zone)
            .replace("<BRANCH>", branch)
            .replace("<SITE_URL>", address)
        )
        if target.exists():
            if path == ".gitignore":
                _add_ignored(target, text)
            else:
                skipped.append(path)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    config = directory / CONFIG_OF[generator]
    if CONFIG_OF[generator] in skipped:  # say what the kept configuration says, not what init would have written
        zone = _kept_zone(config) or zone
    if workflow in skipped and host == "github":
        branch = _kept_branch(directory / workflow) or branch
    click.echo(f"Created a portal in {directory} (git branch {branch}, time zone {zone}).")
    if skipped:
        click.echo(
            f"Kept your existing {', '.join(skipped)}: not overwritten; compare with a fresh `client-portal init`"
        )
    click.echo("Next:")
    click.echo("  client-portal new CLIENT-ID --contact NAME --email EMAIL   # one record per client")
    click.echo(f"  {PREVIEW[generator]:<31}  # preview")
    click.echo("  client-portal secret             # keep it here, and store it as the PORTAL_SECRET repository secret")
    if host == "github":
        click.echo("Dependabot (.github/dependabot.yml) proposes each new release as a pull request.")
    else:
        click.echo("renovate.json: Renovate proposes each new release once the Renovate app watches this project.")


@main.command()
@click.option("--to", "target", type=click.Choice(["mkdocs", "zensical"]), required=True, help="The generator.")
@click.argument("directory", default=".", type=click.Path(file_okay=False, exists=True, path_type=Path))
def migrate(target: str, directory: Path) -> None:
    """Move the portal in DIRECTORY to another generator: its configuration, build steps and requirements."""
    from client_portal.commands.migrate import MigrationError
    from client_portal.commands.migrate import migrate as move

    try:
        done = move(directory, target)
    except MigrationError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    for path in done.written:
        click.echo(f"wrote {_shown(directory / path)}")
    for path in done.edited:
        click.echo(f"changed {_shown(directory / path)} to build with {target}")
    click.echo("Next:")
    for step in done.next_steps:
        click.echo(f"  {step}")


def _kept_zone(config: Path) -> str | None:
    """The time zone a kept configuration sets; None when it cannot be read (`check` will say why)."""
    try:
        return read_site_config(config).settings.timezone
    except SettingsError:
        return None


def _kept_branch(workflow: Path) -> str | None:
    """The branch a kept GitHub workflow publishes from (its ``push: branches: [...]``)."""
    found = re.search(r"^\s+branches:\s*\[\s*([^\],\s]+)", workflow.read_text(encoding="utf-8", errors="replace"), re.M)
    return found.group(1).strip("\"'") if found else None


def _init_zone(chosen: str | None) -> str:
    """The freelancer's IANA time zone: the one given, else this computer's, else UTC."""
    from pydantic import TypeAdapter, ValidationError

    from client_portal.values import TimeZone

    if chosen is None:
        import tzlocal

        try:
            chosen = tzlocal.get_localzone_name() or "UTC"
        except (LookupError, ValueError, OSError):  # tzlocal finds no zone, or one it cannot name
            chosen = "UTC"
        if chosen.startswith("Etc/"):
            chosen = "UTC"
    try:
        TypeAdapter(TimeZone).validate_python(chosen)
    except ValidationError:
        raise click.BadParameter(
            f"{chosen!r} is not a time zone such as Europe/Berlin", param_hint="--timezone"
        ) from None
    return chosen


def _git_repository(directory: Path) -> str:
    """The branch the workflow publishes: the current one of an existing repository, else a new one's ``main``."""
    import shutil
    import subprocess

    git = shutil.which("git")
    if git is None:
        click.echo("note: git not found; run `git init -b main` in the portal before pushing", err=True)
        return "main"
    directory.mkdir(parents=True, exist_ok=True)

    def run(*args: str) -> str:
        done = subprocess.run([git, "-C", str(directory), *args], capture_output=True, text=True, check=False)  # noqa: S603 - fixed arguments
        return done.stdout.strip() if done.returncode == 0 else ""

    if run("rev-parse", "--is-inside-work-tree") == "true":
        return run("symbolic-ref", "--short", "HEAD") or "main"
    run("init", "-q")
    run("symbolic-ref", "HEAD", "refs/heads/main")  # `git init -b main` before git 2.28
    return "main"


def _add_ignored(gitignore: Path, wanted: str) -> None:
    """Add the portal's ignore rules an existing .gitignore lacks (the secret, drafts), keeping the rest."""
    have = gitignore.read_text(encoding="utf-8")
    present = {line.strip() for line in have.splitlines()}
    missing = [line for line in wanted.splitlines() if line.strip() and line.strip() not in present]
    rules = [line for line in missing if not line.startswith("#")]
    if rules:
        separator = "" if have.endswith("\n") or not have else "\n"
        gitignore.write_text(have + separator + "\n".join(["# client-portal", *rules]) + "\n", encoding="utf-8")
        click.echo(f"Added to your .gitignore: {', '.join(rules)}")
