"""The whole loop: a client decides on the page, the reply comes back by e-mail, the record and the next page show it.

Chromium opens a client's page and clicks Approve (and a prospect's Accept); the `mailto:`
the click produces becomes the message a mail client sends (quoted and re-wrapped once),
delivered to a real IMAP server on loopback; `client-portal inbox imap://…` reads it; the
record changes with its comments intact; the rebuilt page shows the decision. A forged
reply, sent beside it, changes nothing: remove the MAC check and this test fails.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest
from playwright.sync_api import Page, expect

from client_portal.decisions.line import find_lines
from client_portal.records.loader import load_client

from ..build import SECRET
from ..conftest import TODAY
from ..imap_server import PASSWORD, USER, deliver
from .conftest import Watched, copy_portal, serve_portal

pytestmark = pytest.mark.browser

BIN = Path(sys.executable).parent
# Records the decision for, the button it clicks, and what the next page says about it.
DECISIONS = [
    ("acme-bakery", "deliverable/gift-box-labels", "approve", "Approved by Anna Weber"),
    ("northwind-studio", "proposal", "accept", "Accepted by"),
]


def clicked_mailto(page: Page, selector: str) -> str:
    """The `mailto:` address a click on the control opens, once the page has signed it."""
    control = page.locator(selector)
    expect(control).to_be_visible()
    page.wait_for_function(
        "s => !document.querySelector(s).getAttribute('href').endsWith('b%3D%20m%3D%5D')", arg=selector
    )
    page.evaluate(
        """s => document.querySelector(s).addEventListener('click', e => {
             window.__opened = e.currentTarget.href; e.preventDefault(); })""",
        selector,
    )
    control.click()
    return str(page.evaluate("window.__opened"))


def sent_reply(mailto: str, sender: str, message_id: str, note: str) -> bytes:
    """The message a mail client sends from ``mailto``: the client's note on top, the body quoted and re-wrapped."""
    parts = urlsplit(mailto)
    query = parse_qs(parts.query)
    body = query["body"][0].replace("\r\n", "\n")
    wrapped = [piece for line in body.split("\n") for piece in (textwrap.wrap(line, 64) or [""])]
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = unquote(parts.path)
    mail["Subject"] = query["subject"][0]
    mail["Date"] = format_datetime(datetime(2026, 11, 24, 14, 2, tzinfo=UTC))
    mail["Message-ID"] = message_id
    mail.set_content(note + "\n\n" + "\n".join("> " + piece for piece in wrapped) + "\n")
    return bytes(mail)


def forged(mailto: str) -> str:
    """The reply with the other decision in its line, as someone without the page's key would have to write it."""
    parts = urlsplit(mailto)
    query = parse_qs(parts.query)
    body = query["body"][0]
    (line,) = find_lines(body)
    # the other answer, with a MAC made up: all a forger without the page's key can do
    other = {"approve": "changes", "changes": "approve", "accept": "decline", "decline": "accept"}[line.decision]
    fake = dataclasses.replace(line, decision=other, mac=("A" if line.mac[0] != "A" else "B") + line.mac[1:])
    forged_body = body.replace(str(line), str(fake))
    return f"mailto:{parts.path}?subject={quote(query['subject'][0])}&body={quote(forged_body)}"


def command(portal: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(portal), "LANG": "C.UTF-8", "PORTAL_SECRET": SECRET}
    env |= {"PORTAL_IMAP_PASSWORD": PASSWORD, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [str(BIN / "client-portal"), *args], cwd=portal, env=env, capture_output=True, text=True, check=False
    )


def test_a_decision_on_the_page_comes_back_into_the_record_and_the_next_page(build_env, tmp_path, context, imap_port):
    portal = copy_portal(tmp_path / "portal")
    site = serve_portal(portal, tmp_path / "site")
    before = {client: (portal / "clients" / f"{client}.yml").read_text(encoding="utf-8") for client, *_ in DECISIONS}
    replies = []
    try:
        for number, (client, item, decision, _) in enumerate(DECISIONS):
            link = site.links(client)[0]
            contact = load_client(portal / "clients" / f"{client}.yml", today=TODAY).record.contacts[0]
            watched = Watched(context.new_page())
            watched.page.goto(site.url(link))
            mailto = clicked_mailto(watched.page, f'a[data-cp-decide="{item}"][data-cp-decision="{decision}"]')
            assert mailto.startswith("mailto:")
            sender = f"{contact.name} <{contact.email}>"
            replies.append(sent_reply(mailto, sender, f"<decided-{number}@client.example>", "Looks good, thank you!"))
            if number == 0:
                replies.append(sent_reply(forged(mailto), sender, "<forged@client.example>", "Approved."))
            assert watched.errors == []
        deliver(imap_port, *replies)

        done = command(portal, "inbox", f"imap://{USER}@127.0.0.1:{imap_port}/INBOX")
        assert "2 recorded, 0 on an earlier version, 1 refused" in done.stdout, done.stdout + done.stderr
        assert "the MAC does not verify" in done.stdout
        assert done.returncode == 1  # a refused reply is a finding

        for client, item, decision, _ in DECISIONS:
            text = (portal / "clients" / f"{client}.yml").read_text(encoding="utf-8")
            kept = [line for line in before[client].splitlines() if line.lstrip().startswith("#")]
            assert all(line in text.splitlines() for line in kept)  # the freelancer's comments stay
            record = load_client(portal / "clients" / f"{client}.yml", today=TODAY).record
            assert [(d.item, d.decision, d.earlier_version) for d in record.decisions] == [(item, decision, False)]
        approved = load_client(portal / "clients" / "acme-bakery.yml", today=TODAY).record
        assert next(d for d in approved.deliverables if d.key == "gift-box-labels").status == "approved"

        # reading the mailbox again records nothing twice
        again = command(portal, "inbox", f"imap://{USER}@127.0.0.1:{imap_port}/INBOX")
        assert "0 recorded, 0 on an earlier version, 1 refused, 2 already recorded" in again.stdout, again.stdout
    finally:
        site.server.shutdown()

    rebuilt = serve_portal(portal, tmp_path / "rebuilt")
    try:
        for client, item, _, shown in DECISIONS:
            watched = Watched(context.new_page())
            watched.page.goto(rebuilt.url(rebuilt.links(client)[0]))
            expect(watched.page.locator("#cp-content")).to_be_visible()
            expect(watched.page.locator("#cp-content")).to_contain_text(shown)
            expect(watched.page.locator(f'a[data-cp-decide="{item}"]')).to_have_count(0)  # decided: no buttons
    finally:
        rebuilt.server.shutdown()
