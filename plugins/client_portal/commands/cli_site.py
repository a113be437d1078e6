"""The site commands: ``build``, ``serve``, ``audit`` and ``secret``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from client_portal.commands.inputs import (
    _config_option,
    _found_config,
    _secret,
    _settings,
    _shown,
    _site_config,
    _valid_clients,
)
from client_portal.settings import SettingsError
from client_portal.site_config import read_site_config


@click.command()
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


@click.command()
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


@click.command()
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


@click.command()
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
