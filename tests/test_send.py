"""digest --send: the letters delivered to a real SMTP server on loopback, once each, with a sent log."""

from __future__ import annotations

import datetime as dt
import email.policy
import json
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner

from client_portal.commands.cli import main
from client_portal.mail import smtp
from client_portal.mail.digest import record_changes
from client_portal.mail.mail import client_letters
from client_portal.publishing.addresses import client_links
from client_portal.records.loader import parse_record
from client_portal.records.model import Client
from client_portal.settings import Freelancer, PortalSettings

from .build import SECRET
from .certificates import certificates
from .conftest import TODAY
from .test_digest import ACME_AFTER, PASSWORD, git, write
from .test_digest import portal as digest_portal  # noqa: F401 (a fixture, found by this name)

LOGIN = "mei@example.com"
SMTP_PASSWORD = "correct horse battery staple"
SEEN = "A" * 43


@dataclass(frozen=True)
class Authority:
    """A certificate authority made for the test, and the loopback server certificate it signed."""

    ca_file: Path
    cert_file: Path
    key_file: Path


def _authority(folder: Path, name: str) -> Authority:
    folder.mkdir(parents=True, exist_ok=True)
    return Authority(*certificates(folder))


@pytest.fixture
def portal(request) -> Path:
    """The digest's portal: Acme (two contacts) and Lotus (one with an address) have news since the first commit."""
    return request.getfixturevalue("digest_portal")


@pytest.fixture(scope="module")
def authority(tmp_path_factory) -> Authority:
    return _authority(tmp_path_factory.mktemp("tls"), "portal")


@dataclass
class Mailbox:
    """What the test server received, and which recipients it refuses or hangs up on."""

    received: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    hang_up: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        if address in self.hang_up:
            server.transport.close()
            return "421 4.3.0 Closing"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        message = BytesParser(policy=email.policy.default).parsebytes(envelope.original_content)
        assert isinstance(message, EmailMessage)
        self.received.append(message)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 2.0.0 Accepted"

    @property
    def recipients(self) -> list[str]:
        return [address for _, addresses in self.envelopes for address in addresses]


def _authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        LOGIN.encode(),
        SMTP_PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


Server = Callable[..., tuple[str, Mailbox]]


@pytest.fixture
def smtp_server(authority, monkeypatch) -> Iterator[Server]:
    """Start an SMTP server on loopback: ``smtps`` (TLS from the start), ``starttls``, or ``plain``.

    Its certificate is trusted through SSL_CERT_FILE, as a user's would be; yields the
    PORTAL_SMTP_URL that reaches it and what it received.
    """
    monkeypatch.setenv("SSL_CERT_FILE", str(authority.ca_file))
    monkeypatch.setenv("PORTAL_SMTP_PASSWORD", SMTP_PASSWORD)
    started: list[Controller] = []

    def start(kind: str = "smtps", login: bool = True) -> tuple[str, Mailbox]:
        import ssl

        mailbox = Mailbox()
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(authority.cert_file, authority.key_file)
        options: dict[str, Any] = {"authenticator": _authenticator} if login else {}
        if kind == "smtps":
            options |= {"ssl_context": tls, "auth_require_tls": False}  # the whole session is TLS
        elif kind == "starttls":
            options |= {"tls_context": tls, "require_starttls": True}
        else:
            options |= {"auth_require_tls": False}
        port = _free_port()
        controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
        controller.start()
        started.append(controller)
        scheme = "smtps" if kind == "smtps" else "smtp"
        user = "mei%40example.com@" if login else ""
        return f"{scheme}://{user}127.0.0.1:{port}", mailbox

    yield start
    for controller in started:
        controller.stop()


def send(*args: str, url: str | None, stdin: str | None = None):
    env = {"PORTAL_SMTP_URL": url}
    return CliRunner().invoke(main, ["digest", "--send", *args], env=env, input=stdin, catch_exceptions=False)


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content()).replace("\r\n", "\n")


def first_commit(portal: Path) -> str:
    return git(portal, "rev-list", "--max-parents=0", "HEAD")


def log_of(portal: Path) -> list[dict[str, Any]]:
    path = portal / "clients" / "sent" / "letters.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def test_every_letter_is_delivered_once_with_message_id_and_date(portal, smtp_server):
    url, mailbox = smtp_server("smtps")
    result = send("--since", first_commit(portal), "--yes", url=url)
    assert result.exit_code == 0, result.output
    # 周建国 has no address: told, not sent; the other three go out, one message each.
    assert "note: 周建国 (lotus) has no e-mail address: not sent" in result.stderr
    assert mailbox.recipients == ["anna@acme.example", "tomasz@acme.example", "lin@lotus.example"]
    assert [sender for sender, _ in mailbox.envelopes] == [LOGIN] * 3
    ids = []
    for message, (name, address) in zip(
        mailbox.received,
        [("Anna Weber", "anna@acme.example"), ("Tomasz Nowak", "tomasz@acme.example"), ("林晓雯", "lin@lotus.example")],
        strict=True,
    ):
        assert message["To"].addresses[0].display_name == name
        assert message["To"].addresses[0].addr_spec == address
        assert str(message["From"]) == "Mei Chen <mei@example.com>"
        assert message["Message-ID"].startswith("<") and message["Message-ID"].endswith("@example.com>")
        assert parsedate_to_datetime(message["Date"]).tzinfo is not None
        assert message["X-Unsent"] is None  # sent, not a draft
        assert message.get_body(("plain",)) is not None and message.get_body(("html",)) is not None
        ids.append(message["Message-ID"])
    assert len(set(ids)) == 3
    assert mailbox.received[2]["Subject"] == "项目进展：莲语茶舍"
    # The sent log: in the records' folder (never published), one entry per message sent.
    log = log_of(portal)
    assert [(e["client"], e["contact"]["email"], e["message_id"]) for e in log] == [
        ("acme", "anna@acme.example", ids[0]),
        ("acme", "tomasz@acme.example", ids[1]),
        ("lotus", "lin@lotus.example", ids[2]),
    ]
    assert log[0]["update"] == log[1]["update"] != log[2]["update"]  # the same news to both Acme contacts
    assert log[0]["since"] == first_commit(portal) and log[0]["news"] and log[0]["date"]
    assert "clients/sent/letters.jsonl lists the 3 letters sent" in result.stdout
    assert SMTP_PASSWORD not in result.output and PASSWORD not in result.output
    # The same command again: everything was sent, nothing goes twice.
    again = send("--since", first_commit(portal), "--yes", url=url)
    assert again.exit_code == 0, again.output
    assert len(mailbox.received) == 3
    assert "note: acme: Anna Weber, Tomasz Nowak already had this news (the sent log says so)" in again.stderr
    assert "Nothing to send: no contact has news since 2026-11-10 not yet sent." in again.stderr
    assert len(log_of(portal)) == 3


def test_a_refused_recipient_is_reported_and_a_rerun_sends_only_it(portal, smtp_server):
    url, mailbox = smtp_server("starttls")
    mailbox.refuse.add("tomasz@acme.example")
    result = send("--since", first_commit(portal), "--yes", url=url)
    assert result.exit_code == 1
    assert (
        "error: not sent to Tomasz Nowak <tomasz@acme.example> (acme): the server refused the address "
        "(550 5.1.1 No such mailbox here)" in result.stderr
    )
    assert mailbox.recipients == ["anna@acme.example", "lin@lotus.example"]  # the batch went on
    assert "1 of 3 letters not sent; run the same command again" in result.stderr
    assert [e["contact"]["email"] for e in log_of(portal)] == ["anna@acme.example", "lin@lotus.example"]
    assert "Traceback" not in result.output
    mailbox.refuse.clear()
    again = send("--since", first_commit(portal), "--yes", url=url)
    assert again.exit_code == 0, again.output
    assert mailbox.recipients == ["anna@acme.example", "lin@lotus.example", "tomasz@acme.example"]
    assert len(log_of(portal)) == 3


def test_a_lost_connection_keeps_what_was_sent_and_a_rerun_sends_the_rest(portal, smtp_server):
    url, mailbox = smtp_server("smtps")
    mailbox.hang_up.add("tomasz@acme.example")
    result = send("--since", first_commit(portal), "--yes", url=url)
    assert result.exit_code == 1
    assert "error: the connection to the mail server failed" in result.stderr
    assert "2 of 3 letters not sent" in result.stderr
    assert mailbox.recipients == ["anna@acme.example"]
    assert [e["contact"]["email"] for e in log_of(portal)] == ["anna@acme.example"]
    assert "Traceback" not in result.output
    mailbox.hang_up.clear()
    again = send("--since", first_commit(portal), "--yes", url=url)
    assert again.exit_code == 0, again.output
    assert mailbox.recipients == ["anna@acme.example", "tomasz@acme.example", "lin@lotus.example"]
    assert len(log_of(portal)) == 3


def test_a_wrong_password_sends_nothing_and_never_shows_the_password(portal, smtp_server, monkeypatch):
    url, mailbox = smtp_server("starttls")
    monkeypatch.setenv("PORTAL_SMTP_PASSWORD", "not-the-password")
    result = send("--since", first_commit(portal), "--yes", url=url)
    assert result.exit_code == 1
    assert f"refused the login of {LOGIN}: check PORTAL_SMTP_PASSWORD" in result.stderr
    assert "not-the-password" not in result.output and "Traceback" not in result.output
    assert mailbox.received == [] and log_of(portal) == []


def test_starttls_is_required_unless_the_server_is_this_machine(portal, smtp_server):
    url, mailbox = smtp_server("plain", login=False)
    with pytest.MonkeyPatch.context() as elsewhere:
        elsewhere.setattr(smtp, "on_this_machine", lambda connection: False)  # as a server elsewhere would be
        result = send("--since", first_commit(portal), "--yes", url=url)
    assert result.exit_code == 1
    assert "does not offer STARTTLS, so the letters and your password would cross the network unencrypted" in (
        result.stderr
    )
    assert mailbox.received == [] and log_of(portal) == []
    # The real check: 127.0.0.1 is this machine, where nothing crosses a network.
    again = send("--since", first_commit(portal), "--yes", url=url)
    assert again.exit_code == 0, again.output
    assert len(mailbox.received) == 3


def test_a_certificate_the_system_does_not_trust_is_refused(portal, smtp_server, monkeypatch, tmp_path):
    url, mailbox = smtp_server("smtps")
    monkeypatch.setenv("SSL_CERT_FILE", str(_authority(tmp_path / "other", "other").ca_file))
    result = send("--since", first_commit(portal), "--yes", url=url)
    assert result.exit_code == 1
    assert "cannot verify the certificate of 127.0.0.1:" in result.stderr
    assert mailbox.received == [] and log_of(portal) == []


def test_it_shows_what_it_will_send_and_asks_first(portal, smtp_server):
    url, mailbox = smtp_server("smtps")
    since = first_commit(portal)
    declined = send("--since", since, url=url, stdin="n\n")
    assert declined.exit_code == 1
    assert f"3 letters to send from Mei Chen <mei@example.com> through smtps://{LOGIN}@127.0.0.1:" in declined.stdout
    assert "  acme: Anna Weber <anna@acme.example>: Project update: Acme Bakery\n" in declined.stdout
    assert "  lotus: 林晓雯 <lin@lotus.example>: 项目进展：莲语茶舍\n" in declined.stdout
    assert "Send 3 letters? [y/N]" in declined.stderr and "Nothing sent." in declined.stderr
    assert mailbox.received == []
    unanswered = send("--since", since, url=url, stdin="")  # no terminal: the input ends at once
    assert unanswered.exit_code == 2
    assert "got no answer; nothing sent. Run it in a terminal, or add --yes" in unanswered.stderr
    assert mailbox.received == []
    agreed = send("--since", since, url=url, stdin="y\n")
    assert agreed.exit_code == 0, agreed.output
    assert len(mailbox.received) == 3


@pytest.mark.parametrize(
    ("args", "url", "environ", "message"),
    [
        ((), None, {}, "--send needs PORTAL_SMTP_URL, such as smtps://you@smtp.example.com:465"),
        ((), "https://mail.example.com", {}, "PORTAL_SMTP_URL must start with smtps:// (TLS, usually port 465)"),
        ((), "smtps://mei:hunter2@mail.example.com", {}, "PORTAL_SMTP_URL holds a password: remove it from the URL"),
        ((), "smtps://mei@mail.example.com:99999", {}, "PORTAL_SMTP_URL is not a URL such as"),
        ((), "smtps://mei@mail.example.com:0", {}, "PORTAL_SMTP_URL is not a URL such as"),
        ((), "smtps://mei@mail.example.com/inbox", {}, "scheme://USER@HOST:PORT only"),
        ((), "smtps://mei@mail.example.com", {"PORTAL_SMTP_PASSWORD": ""}, "set PORTAL_SMTP_PASSWORD"),
        (("--out", "drafts"), "smtps://mei@mail.example.com", {}, "--send delivers the letters, --out writes them"),
    ],
)
def test_what_sending_needs_is_a_clean_usage_error(portal, monkeypatch, args, url, environ, message):
    monkeypatch.setenv("PORTAL_SMTP_PASSWORD", SMTP_PASSWORD)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    result = send("--yes", *args, url=url)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "hunter2" not in result.output and SMTP_PASSWORD not in result.output
    assert "Traceback" not in result.output and not (portal / "drafts").exists()


def test_yes_without_send_and_an_unreachable_server_are_clean_errors(portal, monkeypatch):
    result = CliRunner().invoke(main, ["digest", "--yes"])
    assert result.exit_code == 2 and "--yes answers --send's question" in result.stderr
    monkeypatch.setenv("PORTAL_SMTP_PASSWORD", SMTP_PASSWORD)
    port = _free_port()  # nothing listens there
    result = send("--since", first_commit(portal), "--yes", url=f"smtps://mei@127.0.0.1:{port}")
    assert result.exit_code == 1
    assert f"error: cannot talk to 127.0.0.1:{port}: Connection refused" in result.stderr
    assert log_of(portal) == []


def test_a_damaged_sent_log_stops_the_digest_before_anything_is_sent(portal, smtp_server):
    url, mailbox = smtp_server("smtps")
    log = portal / "clients" / "sent" / "letters.jsonl"
    log.parent.mkdir()
    log.write_text('{"client": "acme", "contact": {"email": "anna@acme.example"}, "news": []}\n{"client": "ac', "utf-8")
    result = send("--since", first_commit(portal), "--yes", url=url)
    assert result.exit_code == 2
    assert "clients/sent/letters.jsonl:2: not a sent-log entry" in result.stderr
    assert mailbox.received == []


DECISIONS = f"""\
decisions:
  - item: deliverable/menu
    decision: approve
    by: Anna Weber
    at: 2026-12-08T14:02:00+01:00
    seen: {SEEN}
    message_id: <approve-1@acme.example>
  - item: idea/start-a-newsletter
    decision: decline
    by: Tomasz Nowak
    at: 2026-12-09T09:30:00+01:00
    seen: {SEEN}
    message_id: <decline-1@acme.example>
    earlier_version: true
"""


def test_news_sent_once_then_only_the_decisions_that_came_back(portal, smtp_server):
    url, mailbox = smtp_server("smtps")
    assert send("--since", first_commit(portal), "--yes", url=url).exit_code == 0
    write(portal, "acme.yml", ACME_AFTER + DECISIONS)
    result = send("--since", first_commit(portal), "--yes", url=url)
    assert result.exit_code == 0, result.output
    assert mailbox.recipients[3:] == ["anna@acme.example", "tomasz@acme.example"]  # nothing new for Lotus
    anna = text_of(mailbox.received[3])
    assert "We received your decisions\n- You approved “Winter menu” on Tue, Dec 8.\n" in anna
    assert "- Tomasz Nowak declined the idea “Start a newsletter” on Wed, Dec 9.\n" in anna
    assert "Delivered\n" not in anna and "Ideas for you" not in anna  # already sent: not again
    tomasz = text_of(mailbox.received[4])
    assert "- Anna Weber approved “Winter menu” on Tue, Dec 8.\n" in tomasz
    assert (
        "- You declined the idea “Start a newsletter” on Wed, Dec 9.\n"
        "  This was decided on an earlier version, which has changed since: "
        "please look at the current version on your project page.\n"
    ) in tomasz
    html = mailbox.received[4].get_body(("html",)).get_content()
    assert ">We received your decisions</h2>" in html and "You declined the idea “Start a newsletter”" in html


def _decision_letters(language: str) -> list[str]:
    record = ACME_AFTER.replace("language: en", f"language: {language}")
    before, _ = parse_record(record, Path("acme.yml"), today=TODAY)
    after, _ = parse_record(record + DECISIONS, Path("acme.yml"), today=TODAY)
    client = Client(id="acme", source=Path("clients/acme.yml"), record=after)
    settings = PortalSettings(root=Path("."), clients_dir=Path("clients"), freelancer=Freelancer("Mei Chen", LOGIN))
    changes = record_changes(before, after, TODAY)
    assert changes.is_news and len(changes.decided) == 2  # decisions alone are news
    links = client_links(settings, SECRET.encode(), client)
    letters = client_letters(client, changes, links, "https://mei.example/", settings, TODAY, dt.date(2026, 11, 16))
    return [letter.text + letter.html for letter in letters]


@pytest.mark.parametrize(
    ("language", "anna", "tomasz"),
    [
        (
            "en",
            ["We received your decisions", "You approved “Winter menu” on Tue, Dec 8."],
            ["You declined the idea “Start a newsletter” on Wed, Dec 9.", "This was decided on an earlier version"],
        ),
        (
            "de",
            ["Wir haben Ihre Entscheidungen erhalten", "Sie haben „Winter menu“ am Di., 8. Dez. freigegeben."],
            [
                "Anna Weber hat „Winter menu“ am Di., 8. Dez. freigegeben.",
                "Sie haben die Idee „Start a newsletter“ am Mi., 9. Dez. abgelehnt.",
                "Das betraf eine frühere Fassung",
            ],
        ),
    ],
)
def test_the_letter_confirms_the_decisions_received_in_the_clients_language(language, anna, tomasz):
    anna_letter, tomasz_letter = _decision_letters(language)
    for words in anna:
        assert words in anna_letter
    for words in tomasz:
        assert words in tomasz_letter
