"""client-portal inbox against a real IMAP server (pymap) on loopback, over TLS and plain."""

from __future__ import annotations

import contextlib
import mailbox
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from imapclient import IMAPClient

from client_portal.commands.cli import main
from client_portal.records.loader import parse_record

from .build import SECRET
from .certificates import certificates
from .imap_server import PASSWORD, USER, deliver
from .inbox_mail import ACME, message, quoted, signed


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def imaps(imap_port, tmp_path_factory) -> Iterator[tuple[int, Path]]:
    """Implicit TLS (as port 993 speaks it) in front of the pymap server: its port and the CA to trust.

    pymap offers STARTTLS only, so a small TLS terminator forwards each connection to it.
    """
    ca, certificate, key = certificates(tmp_path_factory.mktemp("tls"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate, key)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def pipe(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, target):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def serve() -> None:
        while not stop.is_set():
            try:
                raw, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            raw.settimeout(None)
            try:
                secured = context.wrap_socket(raw, server_side=True)
            except (ssl.SSLError, OSError):
                raw.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", imap_port))
            threading.Thread(target=pipe, args=(secured, upstream), daemon=True).start()
            threading.Thread(target=pipe, args=(upstream, secured), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1]), ca
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


@pytest.fixture
def portal(empty_portal, monkeypatch):
    monkeypatch.setenv("PORTAL_SECRET", SECRET)
    monkeypatch.setenv("PORTAL_IMAP_PASSWORD", PASSWORD)
    (empty_portal / "clients" / "acme.yml").write_text(ACME, encoding="utf-8")
    return empty_portal


def flags(port: int) -> list[bool]:
    """Whether each message in the INBOX is marked read, in order."""
    client = IMAPClient("127.0.0.1", port=port, ssl=False)
    client.login(USER, PASSWORD)
    client.select_folder("INBOX", readonly=True)
    found = client.fetch(client.search("ALL"), ["FLAGS"])
    client.logout()
    return [b"\\Seen" in data[b"FLAGS"] for _, data in sorted(found.items())]


def approve():
    return signed(ACME, "acme", "deliverable/brand-refresh", "approve", "anna@acme.example", key_version=2)


def test_imaps_reads_replies_without_marking_them_unless_asked(portal, imap_port, imaps, monkeypatch):
    port, ca = imaps
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    deliver(imap_port, message(quoted(approve())), message("Any news?", message_id="<question@acme.example>"))
    source = f"imaps://{USER}@127.0.0.1:{port}/INBOX"
    result = run("inbox", source)
    assert result.exit_code == 0, result.output
    assert (
        f"recorded: acme: approve on deliverable/brand-refresh by Anna Weber, 2026-11-20 14:02 +0100 ({source[:8]}"
        in result.output
    )
    assert (
        "1 recorded, 0 on an earlier version, 0 refused, 0 already recorded (2 messages read, 1 without"
        in result.output
    )
    text = (portal / "clients" / "acme.yml").read_text(encoding="utf-8")
    assert text.startswith("# Acme Bakery: keep every comment\n")
    assert "    status: approved   # waiting for Anna\n" in text
    assert flags(imap_port) == [False, False]  # read with BODY.PEEK[], from a folder selected read-only
    again = run("inbox", source, "--mark-read")
    assert again.exit_code == 0, again.output
    assert "0 recorded, 0 on an earlier version, 0 refused, 1 already recorded" in again.output
    assert "marked 1 message read" in again.output
    assert flags(imap_port) == [True, False]  # only the message that carried a recorded decision
    decisions = parse_record(text, portal, today=None)[0].decisions
    assert len(decisions) == 1


def test_imaps_refuses_a_certificate_the_system_does_not_trust(portal, imaps, monkeypatch, tmp_path):
    port, _ = imaps
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "empty.pem"))
    (tmp_path / "empty.pem").write_text("", encoding="utf-8")
    result = run("inbox", f"imaps://{USER}@127.0.0.1:{port}/INBOX")
    assert result.exit_code == 2
    assert "certificate verify failed" in result.output
    assert (portal / "clients" / "acme.yml").read_text(encoding="utf-8") == ACME


def test_plain_imap_on_loopback_records_and_refuses(portal, imap_port):
    forged = approve()
    forged = type(forged)(forged.client, forged.item, forged.decision, forged.seen, forged.by, "A" * 22)
    deliver(imap_port, message(f"{forged}", message_id="<forged@evil.example>", sender="anna@acme.example"))
    source = f"imap://{USER}@127.0.0.1:{imap_port}/INBOX"
    refused = run("inbox", source, "--mark-read")
    assert refused.exit_code == 1
    assert f"refused: {source[:7]}" in refused.output
    assert "UID" in refused.output and "Message-ID <forged@evil.example>" in refused.output
    assert "the MAC does not verify" in refused.output
    assert flags(imap_port) == [False]  # a refused message is never marked
    assert (portal / "clients" / "acme.yml").read_text(encoding="utf-8") == ACME
    mbox = mailbox.mbox(portal / "same.mbox")
    mbox.add(message(f"{approve()}", message_id="<both@acme.example>"))
    mbox.close()
    deliver(imap_port, message(f"{approve()}", message_id="<both@acme.example>"))
    assert "1 recorded" in run("inbox", "same.mbox").output
    again = run("inbox", source)
    assert "0 recorded, 0 on an earlier version, 1 refused, 1 already recorded" in again.output
    text = (portal / "clients" / "acme.yml").read_text(encoding="utf-8")
    assert len(parse_record(text, portal, today=None)[0].decisions) == 1
