"""`digest --send`: show the letters, ask, send each over SMTP, and write each down in the sent log."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from email.utils import localtime

import click

from client_portal.mail.mail import Letter, MailError, outgoing
from client_portal.mail.sent_log import SentLog, SentLogError
from client_portal.mail.smtp import (
    PASSWORD_ENV,
    URL_ENV,
    MailServer,
    Refused,
    SendError,
    connected,
    deliver,
    mail_server,
)
from client_portal.settings import PortalSettings


def sending_server(settings: PortalSettings, environ: Mapping[str, str]) -> tuple[MailServer, str | None]:
    """The server and password to send with, or a clean exit 2 saying what to set; checked before any letter."""
    url = environ.get(URL_ENV, "").strip()
    problem = None
    if not url:
        problem = (
            f"--send needs {URL_ENV}, such as smtps://you@smtp.example.com:465 "
            f"(or smtp://you@smtp.example.com:587 for STARTTLS), and the password in {PASSWORD_ENV}"
        )
    elif not settings.freelancer.email:
        problem = f"--send needs your address for the letters' From: set freelancer.email in {settings.config_name}"
    if problem is None:
        try:
            server = mail_server(url)
        except SendError as error:
            problem = str(error)
        else:
            password = environ.get(PASSWORD_ENV)
            if server.user and not password:
                problem = f"{URL_ENV} logs in as {server.user}: set {PASSWORD_ENV} to that login's password"
            else:
                return server, password
    click.echo(f"error: {problem}", err=True)
    sys.exit(2)


def send_letters(
    letters: list[Letter],
    settings: PortalSettings,
    server: MailServer,
    password: str | None,
    log: SentLog,
    since: str | None,
    ask: bool,
) -> int:
    """Send every letter that has an address, after a yes unless not ``ask``; the exit code."""
    sendable = [letter for letter in letters if letter.contact.email]
    for letter in letters:
        if not letter.contact.email:
            click.echo(f"note: {letter.contact.name} ({letter.client_id}) has no e-mail address: not sent", err=True)
    if not sendable:
        return 0
    freelancer = settings.freelancer
    count = f"{len(sendable)} letter{'s' * (len(sendable) != 1)}"
    click.echo(f"{count} to send from {freelancer.name} <{freelancer.email}> through {server}:")
    for letter in sendable:
        click.echo(f"  {letter.client_id}: {letter.contact.name} <{letter.contact.email}>: {letter.subject}")
    if ask:
        try:
            if not click.confirm(f"Send {count}?", default=False, err=True):
                click.echo("Nothing sent.", err=True)
                return 1
        except click.Abort:  # no answer: no terminal, or the input ended
            click.echo(
                "\nerror: --send asks before sending and got no answer; nothing sent. "
                "Run it in a terminal, or add --yes to send without asking",
                err=True,
            )
            return 2
    sent = failed = 0
    try:
        with connected(server, password) as connection:
            for letter in sendable:
                to = f"{letter.contact.name} <{letter.contact.email}> ({letter.client_id})"
                try:
                    message = outgoing(letter, freelancer, localtime())
                    deliver(connection, message)
                except (MailError, Refused) as error:
                    click.echo(f"error: not sent to {to}: {error}", err=True)
                    failed += 1
                    continue
                log.add(letter, str(message["Message-ID"]), message["Date"].datetime, since)
                sent += 1
                click.echo(f"sent to {to}")
    except SendError as error:
        click.echo(f"error: {error}", err=True)
        failed = len(sendable) - sent
    except SentLogError as error:  # that letter went out: stop before sending more the log cannot hold
        click.echo(f"error: {error}", err=True)
        sent += 1
        failed = len(sendable) - sent
    if sent:
        click.echo(f"{log.shown} lists the {sent} letter{'s' * (sent != 1)} sent; commit it with the records")
    if failed:
        click.echo(
            f"error: {failed} of {len(sendable)} letters not sent; run the same command again to send "
            "only those (what was sent is never sent twice)",
            err=True,
        )
        return 1
    return 0
