"""The sent log: one line per letter `digest --send` delivered, kept beside the records in git.

It lives in the records' folder, which the site never publishes (the build and the
settings refuse a site that would). Each line is a JSON object; a line is written, and
flushed to disk, right after its message is handed to the server, so a batch cut short
keeps every letter that went out, and the next run sends only the rest.
"""

from __future__ import annotations

import json
import os
from collections.abc import Set
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from client_portal.mail.mail import Letter
from client_portal.records.model import Contact

# Inside the records' folder: private wherever that folder is.
LOG = Path("sent") / "letters.jsonl"


class SentLogError(Exception):
    """The sent log cannot be read or written; the message names the file and the line."""


@dataclass
class SentLog:
    """Which news each contact of each client has been sent."""

    path: Path
    shown: Path  # the path as messages name it
    _told: dict[tuple[str, str], set[str]] = field(default_factory=dict)

    def told(self, client_id: str, contact: Contact) -> Set[str]:
        """The news already sent to this contact of this client, by their address."""
        return self._told.get((client_id, _address(contact.email or "")), set())

    def add(self, letter: Letter, message_id: str, sent: datetime, since: str | None) -> None:
        """Write one sent letter down, durably, before the next is sent."""
        entry = {
            "client": letter.client_id,
            "contact": {"name": letter.contact.name, "email": letter.contact.email},
            "update": letter.update,
            "news": sorted(letter.news),
            "since": since,  # the commit the letter compared the record with
            "subject": letter.subject,
            "message_id": message_id,
            "date": sent.isoformat(timespec="seconds"),
        }
        line = json.dumps(entry, ensure_ascii=False, separators=(", ", ": ")) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(descriptor, line.encode("utf-8"))
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        except OSError as error:
            raise SentLogError(
                f"cannot write {self.shown}: {error.strerror}; the letter to {letter.contact.name} "
                f"({letter.client_id}) was sent: add it by hand or it will be sent again"
            ) from None
        self.remember(letter.client_id, letter.contact.email or "", letter.news)

    def remember(self, client_id: str, address: str, told: object) -> None:
        """Count the news named in ``told`` as sent to that address."""
        if isinstance(told, list | tuple):
            self._told.setdefault((client_id, _address(address)), set()).update(str(name) for name in told)


def read_sent_log(clients_dir: Path, shown_dir: Path) -> SentLog:
    """The sent log of a records' folder (empty when nothing was sent yet); `SentLogError` when it does not read."""
    log = SentLog(clients_dir / LOG, shown_dir / LOG)
    try:
        text = log.path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return log
    except (OSError, UnicodeDecodeError) as error:
        raise SentLogError(f"cannot read {log.shown}: {getattr(error, 'strerror', None) or error}") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            client, address, told = entry["client"], entry["contact"]["email"], entry["news"]
        except (ValueError, KeyError, TypeError):
            # Refusing is the safe side: a line that does not read could be a letter already sent.
            raise SentLogError(
                f"{log.shown}:{number}: not a sent-log entry (a JSON object with client, contact.email and news); "
                "mend or remove that line (it may stand for a letter already sent), then run again"
            ) from None
        if not isinstance(client, str) or not isinstance(address, str) or not isinstance(told, list):
            raise SentLogError(f"{log.shown}:{number}: client and contact.email must be text, news a list")
        log.remember(client, address, told)
    return log


def _address(address: str) -> str:
    """An address as the log compares it: mail providers treat the domain, and in practice the name, without case."""
    return address.strip().lower()
