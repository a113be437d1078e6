"""Handing letters to the freelancer's mail server over SMTP, encrypted with a verified certificate.

``PORTAL_SMTP_URL`` names the server: ``smtps://USER@HOST:465`` speaks TLS from the first
byte, ``smtp://USER@HOST:587`` must upgrade with STARTTLS. A server that does not offer
STARTTLS is refused, since the letters (and the password) would cross the network in
clear; only a server on this machine (a local relay, a test inbox) may go without. The
password comes from ``PORTAL_SMTP_PASSWORD`` and is never part of a message.
"""

from __future__ import annotations

import ipaddress
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

URL_ENV = "PORTAL_SMTP_URL"
PASSWORD_ENV = "PORTAL_SMTP_PASSWORD"
PORTS = {"smtps": 465, "smtp": 587}
TIMEOUT = 30  # seconds to wait for the server before giving up


class SendError(Exception):
    """Nothing more can be sent this run (no server, a refused login, a lost connection); the message says why."""


class Refused(Exception):
    """The server refused this one letter (its recipient, say); the others can still be sent."""


@dataclass(frozen=True)
class MailServer:
    """Where letters are sent: scheme, host, port and login name, never the password."""

    scheme: str  # smtps: TLS from the start; smtp: STARTTLS
    host: str
    port: int
    user: str  # empty: the server takes mail without a login

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{self.user + '@' if self.user else ''}{host}:{self.port}"


def mail_server(url: str) -> MailServer:
    """The server a ``PORTAL_SMTP_URL`` names; `SendError` saying what is wrong, without repeating the URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
        if port == 0:
            raise ValueError(port)
    except ValueError:
        raise SendError(f"{URL_ENV} is not a URL such as smtps://you@smtp.example.com:465 (check the port)") from None
    scheme = parts.scheme.lower()
    if scheme not in PORTS:
        raise SendError(
            f"{URL_ENV} must start with smtps:// (TLS, usually port 465) or smtp:// (STARTTLS, usually port 587), "
            f"not {scheme + '://' if scheme else 'no scheme'}"
        )
    if parts.password is not None:
        # The URL may be printed or logged; a password belongs in its own variable.
        raise SendError(f"{URL_ENV} holds a password: remove it from the URL and set {PASSWORD_ENV} instead")
    if not parts.hostname:
        raise SendError(f"{URL_ENV} names no server, such as smtps://you@smtp.example.com:465")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise SendError(f"{URL_ENV} is scheme://USER@HOST:PORT only, with no path, query or fragment")
    return MailServer(scheme, parts.hostname, PORTS[scheme] if port is None else port, unquote(parts.username or ""))


@contextmanager
def connected(server: MailServer, password: str | None, timeout: float = TIMEOUT) -> Iterator[smtplib.SMTP]:
    """An SMTP session with ``server``, encrypted (unless on this machine) and logged in; closed on leaving."""
    where = f"{server.host}:{server.port}"
    # Verifies the certificate and the host name against the system's trust store (or SSL_CERT_FILE).
    context = ssl.create_default_context()
    connection: smtplib.SMTP | None = None
    try:
        if server.scheme == "smtps":
            connection = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
        else:
            connection = smtplib.SMTP(server.host, server.port, timeout=timeout)
            connection.ehlo()
            if connection.has_extn("starttls"):
                connection.starttls(context=context)
                connection.ehlo()
            elif not on_this_machine(connection):
                raise SendError(
                    f"{where} does not offer STARTTLS, so the letters and your password would cross the network "
                    f"unencrypted; nothing was sent. Use smtps:// (port 465) or your provider's STARTTLS port (587)"
                )
        if server.user:
            connection.login(server.user, password or "")
    except SendError:
        _close(connection)
        raise
    except smtplib.SMTPAuthenticationError:
        _close(connection)
        raise SendError(
            f"{where} refused the login of {server.user}: check {PASSWORD_ENV} "
            "(many providers want an app password, not the account's own)"
        ) from None
    except smtplib.SMTPNotSupportedError:
        _close(connection)
        raise SendError(f"{where} offers no login (AUTH) here; check the port and the scheme of {URL_ENV}") from None
    except ssl.SSLCertVerificationError as error:
        _close(connection)
        raise SendError(
            f"cannot verify the certificate of {where} ({error.verify_message}); nothing was sent. "
            "If your system lacks the issuer, point SSL_CERT_FILE at a file that has it"
        ) from None
    except ssl.SSLError as error:
        _close(connection)
        raise SendError(
            f"TLS with {where} failed ({error.reason or error}): smtps:// expects TLS from the start (port 465), "
            "smtp:// a plain start upgraded with STARTTLS (port 587)"
        ) from None
    except (smtplib.SMTPException, OSError) as error:
        _close(connection)
        raise SendError(f"cannot talk to {where}: {_reason(error)}") from None
    try:
        yield connection
    finally:
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            connection.close()


def deliver(connection: smtplib.SMTP, message: EmailMessage) -> None:
    """Hand one message to the server: `Refused` for this message alone, `SendError` when no more can go."""
    try:
        connection.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        code, reply = next(iter(error.recipients.values()))
        raise Refused(f"the server refused the address ({code} {_text(reply)})") from None
    except smtplib.SMTPDataError as error:
        raise Refused(f"the server refused the message ({error.smtp_code} {_text(error.smtp_error)})") from None
    except smtplib.SMTPSenderRefused as error:
        raise SendError(
            f"the server refused the sender {error.sender} ({error.smtp_code} {_text(error.smtp_error)}); "
            "freelancer.email must be an address this login may send from"
        ) from None
    except (smtplib.SMTPException, OSError) as error:
        raise SendError(f"the connection to the mail server failed: {_reason(error)}") from None


def on_this_machine(connection: smtplib.SMTP) -> bool:
    """Whether the session's other end is this machine (a loopback address), where nothing crosses a network."""
    try:
        address = connection.sock.getpeername()[0] if connection.sock else ""
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except (OSError, ValueError):
        return False


def _close(connection: smtplib.SMTP | None) -> None:
    if connection is not None:
        connection.close()


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def _reason(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_text(error.smtp_error)}"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__
