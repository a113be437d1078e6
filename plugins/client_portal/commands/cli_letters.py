"""What goes to clients and comes back: ``digest`` letters and the ``inbox`` of decisions (``links``: `cli_links`)."""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

import click

from client_portal.commands.cli_links import changes_since, link_letters
from client_portal.commands.inputs import (
    _config_option,
    _published,
    _published_secret,
    _settings,
    _shown,
    _today,
    _valid_clients,
)


@click.command()
@click.argument("client_ids", metavar="[ID]...", nargs=-1)
@click.option("--since", metavar="REF|DATE", help="A git revision, or a date such as 2026-11-16 (default: 7 days ago).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Write one .eml draft per contact here.")
@click.option("--send", is_flag=True, help="Send the letters over SMTP (PORTAL_SMTP_URL, PORTAL_SMTP_PASSWORD).")
@click.option("--yes", is_flag=True, help="With --send: send without asking first.")
@click.option("--base-url", help="Where the site is published (default: the configuration's site_url).")
@click.option(
    "--new-links",
    is_flag=True,
    help="Instead of updates: the new-link letter to each contact whose link changed, as `links --changed` "
    "lists them (--since REV, else the published site's last build).",
)
@click.option("--site", metavar="SITE", help="With --new-links and no --since: as `links --changed --site`.")
@_config_option
def digest(
    client_ids: tuple[str, ...],
    since: str | None,
    out: Path | None,
    send: bool,
    yes: bool,
    base_url: str | None,
    new_links: bool,
    site: str | None,
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
    if site is not None and not new_links:
        click.echo("error: --site chooses what --new-links compares with: give it with --new-links", err=True)
        sys.exit(2)
    try:
        log = read_sent_log(settings.clients_dir, _shown(settings.clients_dir))
        if new_links:
            start = changes_since(settings, since, site)
            found = link_letters(chosen, start, settings, secret, base, today, log.told)
        else:
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
        nothing = "No contact's link changed" if new_links else "No client's record has news"
        click.echo(f"{nothing} since {start.since:%Y-%m-%d}.", err=True)
    sys.exit(1 if found.skipped else 0)


@click.command()
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
