"""Records and replies for the inbox tests: lines signed as the page signs them, mail as clients send it."""

from __future__ import annotations

import textwrap
from email.message import EmailMessage
from pathlib import Path

from client_portal.decisions.line import DecisionLine
from client_portal.page.fingerprints import item_fingerprint
from client_portal.publishing import crypto
from client_portal.records.loader import parse_record

from .build import SECRET

ACME = """\
# Acme Bakery: keep every comment
name: "Acme Bakery"   # as the page shows it
stage: active

contacts:
  - name: Anna Weber
    email: anna@acme.example
    key_version: 2      # her first link was lost
  - name: 'Ben Kraus'
    email: ben@acme.example

deliverables:
  - title: Brand refresh
    status: in_review   # waiting for Anna
    due: 2026-11-30
    notes: |
      Two logo directions.

  - id: menu
    title: Spring menu
    status: in_review
    due: 2026-12-01

suggestions:
  - title: Start a newsletter   # id: start-a-newsletter
    impact: high

updates: []   # the log
"""

LINDEN = """\
name: Linden & Hart Solicitors
stage: prospect   # a proposal
contacts:
  - name: Sarah Hart
    email: sarah@linden.example
budget: {period: project, unit: money, included: 7200, used: 0, currency: GBP}
"""

DATE = "Fri, 20 Nov 2026 14:02:00 +0100"


def signed(
    text: str,
    client: str,
    item: str,
    decision: str,
    identity: str,
    *,
    key_version: int = 1,
    access_version: int = 1,
    seen: str | None = None,
) -> DecisionLine:
    """The line the page of ``client`` makes for the contact ``identity``, signed with their link's key."""
    record = parse_record(text, Path(f"{client}.yml"), today=None)[0]
    fingerprint = seen or item_fingerprint(record, item, {}) or "A" * 43
    link = crypto.contact_key(SECRET.encode(), client, access_version, identity, key_version)
    line = DecisionLine(client, item, decision, fingerprint, crypto.key_id(link))
    return line.with_mac(crypto.decision_key_for_link(link))


def message(
    body: str,
    *,
    message_id: str = "<reply-1@acme.example>",
    sender: str = "Anna Weber <anna@acme.example>",
    date: str = DATE,
    html: bool = False,
) -> bytes:
    """A reply as a mail client sends it."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "Jo Freelancer <jo@example.com>"
    mail["Subject"] = "Re: Brand refresh"
    mail["Date"] = date
    mail["Message-ID"] = message_id
    if html:
        mail.set_content(body, subtype="html")
    else:
        mail.set_content(body)
    return bytes(mail)


def quoted(line: DecisionLine, width: int = 30) -> str:
    """The page's reply body as a mail client quotes it: re-wrapped (inside tokens too), ``> `` before each line."""
    original = f"I approve Brand refresh.\n\n{line}\n"
    wrapped = [piece for paragraph in original.splitlines() for piece in (textwrap.wrap(paragraph, width) or [""])]
    return "Yes, go ahead.\n\nOn Fri, Anna wrote:\n" + "\n".join("> " + piece for piece in wrapped) + "\n"


def html_only(line: DecisionLine) -> str:
    """The reply as an HTML-only mail client writes it: the line wrapped in tags, with entities."""
    text = str(line)
    middle = len(text) // 2
    return (
        "<html><body><p>Approved &amp; thanks!</p><blockquote><div>"
        f"{text[:middle]}<br>\n{text[middle:]}</div></blockquote></body></html>"
    )
