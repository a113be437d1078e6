"""Decision replies read back into the records: verified, recorded once, and applied.

Each message's body is searched for decision lines (`decisions.line.find_lines`). A line
is recorded when its client and item exist, its ``b`` names a key that still opens the
page (`decisions.signers`) and its MAC verifies under that key. The decision goes into
the record's ``decisions:`` (by `records.writer`), with the effect it has on its item;
a decision on an item that changed since the client saw it is recorded as made on an
earlier version, and its effect is not applied. The same message, or the same decision,
read again is recorded once.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.message import EmailMessage, MIMEPart
from email.utils import getaddresses
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from client_portal.decisions.line import DecisionLine, find_lines
from client_portal.decisions.mailboxes import Mail
from client_portal.decisions.signers import DecisionKeys, Refusal
from client_portal.page.fingerprints import item_fingerprint
from client_portal.publishing.attachments import AttachmentError, file_digests, find_attachments
from client_portal.records.loader import read_clients, shown_path
from client_portal.records.model import Client, Decision, Record
from client_portal.records.problems import Problem
from client_portal.records.writer import RecordText, RecordWriteError

Kind = Literal["recorded", "earlier_version", "refused", "already_recorded"]

# The status a decision on the current version gives its item.
EFFECTS = {
    ("deliverable", "approve"): "approved",
    ("deliverable", "changes"): "in_progress",
    ("idea", "accept"): "accepted",
    ("idea", "decline"): "declined",
}


@dataclass(frozen=True)
class Reply:
    """One message as the inbox needs it: where it is, who sent it, when, and its decision lines."""

    mail: Mail
    message_id: str | None
    sender_name: str
    sender_email: str
    date: datetime | None
    lines: tuple[DecisionLine, ...]

    @property
    def described(self) -> str:
        """The message for the freelancer to find it: where, Message-ID and From."""
        sender = f"{self.sender_name} <{self.sender_email}>" if self.sender_name else self.sender_email or "?"
        return f"{self.mail.where} (Message-ID {self.message_id or 'none'}, From {sender})"


@dataclass(frozen=True)
class Outcome:
    """What became of one decision line."""

    kind: Kind
    reply: Reply
    line: DecisionLine
    text: str


@dataclass
class InboxRun:
    """Every line's outcome and the records as the recorded decisions leave them."""

    outcomes: list[Outcome] = field(default_factory=list)
    records: dict[str, RecordText] = field(default_factory=dict)

    def count(self, kind: Kind) -> int:
        return sum(outcome.kind == kind for outcome in self.outcomes)

    @property
    def changed(self) -> list[RecordText]:
        return [text for text in self.records.values() if text.changed]


def read_reply(mail: Mail) -> Reply:
    """The parts of ``mail`` that matter here; a body that cannot be decoded has no lines."""
    message = email.message_from_bytes(mail.raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    message_id = str(message.get("Message-ID", "") or "").strip() or None
    senders = getaddresses([str(message.get("From", "") or "")])
    name, address = senders[0] if senders else ("", "")
    return Reply(mail, message_id, name.strip(), address.strip().lower(), _date(message), tuple(_lines(message)))


def _date(message: EmailMessage) -> datetime | None:
    try:
        header = message.get("Date")
        when = getattr(header, "datetime", None)
    except (TypeError, ValueError, IndexError):  # a Date header the parser cannot read
        return None
    if not isinstance(when, datetime):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)  # "-0000": UTC, place unknown


def _lines(message: EmailMessage) -> list[DecisionLine]:
    """The decision lines of the plain text body, else of the HTML body."""
    for kind in ("plain", "html"):
        part = message.get_body(preferencelist=(kind,))
        if part is None or part.get_content_type() != f"text/{kind}":
            continue
        text = _text(part)
        if found := find_lines(text):
            return found
    return []


def _text(part: MIMEPart) -> str:
    try:
        content = part.get_content()
        return content if isinstance(content, str) else ""
    except (LookupError, ValueError):  # an unknown or wrong charset: read what can be read
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""


def shown_digests(client: Client, clients_dir: Path) -> dict[str, str]:
    """The SHA-256 of each attached file as the client's page shows it: an unlisted page publishes none."""
    if client.record.access.mode == "unlisted":
        return {}
    return file_digests(find_attachments(client, clients_dir))


def record_replies(
    replies: Iterable[Reply],
    *,
    clients_dir: Path,
    secret: bytes,
    today: date,
    environ: Mapping[str, str],
    relative_to: Path | None = None,
) -> InboxRun:
    """Verify every reply's decision lines and record them in the records (in memory: `InboxRun.changed`)."""
    clients, problems = read_clients(clients_dir, today=today, relative_to=relative_to)
    inbox = _Inbox(clients_dir, {c.id: c for c in clients}, problems, secret, today, environ, relative_to)
    ordered = sorted(replies, key=lambda r: (r.date is None, r.date or datetime.min.replace(tzinfo=UTC)))
    for reply in ordered:
        for line in reply.lines:
            inbox.run.outcomes.append(inbox.record(reply, line))
    return inbox.run


class _Inbox:
    def __init__(
        self,
        clients_dir: Path,
        clients: dict[str, Client],
        problems: list[Problem],
        secret: bytes,
        today: date,
        environ: Mapping[str, str],
        relative_to: Path | None,
    ) -> None:
        self.clients_dir = clients_dir
        self.clients = clients
        self.problems = problems
        self.keys = DecisionKeys(secret, environ)  # each password stretched once a run
        self.today = today
        self.relative_to = relative_to
        self.run = InboxRun()

    def record(self, reply: Reply, line: DecisionLine) -> Outcome:
        what = f"{line.client}: {line.decision} on {line.item}"

        def refused(reason: str) -> Outcome:
            return Outcome("refused", reply, line, f"refused: {reply.described}: {what}: {reason}; nothing written")

        client = self.clients.get(line.client)
        if client is None:
            return refused(self._no_client(line.client))
        signer = self.keys.signer(client, line)
        if isinstance(signer, Refusal):
            return refused(signer.reason)
        if not line.verifies(signer.key):
            return refused("the MAC does not verify: the line was forged, or altered after the page made it")
        try:
            text = self._text(client)
        except RecordWriteError as error:
            return refused(str(error))
        try:
            digests = shown_digests(Client(client.id, client.source, text.record), self.clients_dir)
        except AttachmentError as error:
            return refused(f"its record's attached files cannot be read ({error.problems[0].message})")
        current = item_fingerprint(text.record, line.item, digests)
        if current is None:
            return refused(f"{self._shown(client)} has no {line.item}")
        if reply.date is None:
            return refused("the message has no Date header to tell when it was decided")
        by = self._by(client, signer.contact.name if signer.contact else None, reply)
        if self._known(text.record, reply, line, by):
            return Outcome("already_recorded", reply, line, f"already recorded: {what} by {by} ({reply.mail.where})")
        earlier = current != line.seen
        try:
            decision = Decision(
                item=line.item,
                decision=line.decision,
                by=by,
                at=reply.date,
                seen=line.seen,
                message_id=reply.message_id[:300] if reply.message_id else None,
                earlier_version=earlier,
            )
        except ValidationError as error:
            return refused(f"cannot record it: {error.errors()[0]['msg']}")
        saved = text.text
        try:
            text.append_decision(decision)
            if not earlier:
                self._apply(text, line, reply.date)
            text.validate()
        except RecordWriteError as error:
            text.text = saved
            return refused(str(error))
        when = reply.date.strftime("%Y-%m-%d %H:%M %z")
        if earlier:
            return Outcome(
                "earlier_version",
                reply,
                line,
                f"earlier version: {what} by {by}, {when} ({reply.mail.where}): {line.item} changed after {by} "
                "saw it; recorded as decided on an earlier version, its status left as it is: look at it",
            )
        return Outcome("recorded", reply, line, f"recorded: {what} by {by}, {when} ({reply.mail.where})")

    def _no_client(self, client_id: str) -> str:
        path = self.clients_dir / f"{client_id}.yml"
        shown = shown_path(path, self.relative_to)
        mine = [p for p in self.problems if p.path == shown]
        if mine:
            return f"the record {shown} does not load ({mine[0]}); fix it (client-portal check), then run this again"
        return f"no client {client_id} in {shown_path(self.clients_dir, self.relative_to)}"

    def _text(self, client: Client) -> RecordText:
        if client.id not in self.run.records:
            shown = shown_path(client.source, self.relative_to)
            self.run.records[client.id] = RecordText.read(client.source, today=self.today, shown=shown)
        return self.run.records[client.id]

    def _shown(self, client: Client) -> Path:
        return shown_path(client.source, self.relative_to)

    @staticmethod
    def _by(client: Client, contact: str | None, reply: Reply) -> str:
        """The contact the key belongs to; else the one whose address sent it; else the sender's name."""
        if contact:
            return contact
        for person in client.record.contacts:
            if person.email and person.email.strip().lower() == reply.sender_email:
                return person.name
        return reply.sender_name or reply.sender_email or "unknown sender"

    @staticmethod
    def _known(record: Record, reply: Reply, line: DecisionLine, by: str) -> bool:
        """Whether the record holds this decision already: from this message, or the same line from another."""
        for decision in record.decisions:
            if decision.item != line.item:
                continue
            if reply.message_id and decision.message_id == reply.message_id[:300]:
                return True
            if (decision.decision, decision.seen, decision.by) == (line.decision, line.seen, by):
                return True
        return False

    def _apply(self, text: RecordText, line: DecisionLine, when: datetime) -> None:
        kind, _, key = line.item.partition("/")
        status = EFFECTS.get((kind, line.decision))
        if status is None:  # a proposal: the freelancer activates it (client-portal activate)
            return
        if kind == "deliverable":
            if status == "approved":  # never a date after today: `delivered` may not be in the future
                text.set_delivered_if_missing(key, min(when.date(), self.today))
            text.set_deliverable_status(key, status)
        else:
            text.set_suggestion_status(key, status)
