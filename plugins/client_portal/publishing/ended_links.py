"""Which wrapped copies of a page key a build keeps on its date, and the marks of those whose access ended.

An ended contact's copy is left out of the page, not hidden in it. The page lists only
each ended copy's public mark (`crypto.ended_check`) with its end date, so that link's
page can say when it ended and whom to ask, while a link that never opened the page
learns nothing.
"""

from __future__ import annotations

from datetime import date

from client_portal.publishing.crypto import Recipient
from client_portal.records.access import access_ends, has_ended
from client_portal.records.model import Record


def kept_and_ended(
    record: Record, recipients: list[Recipient], today: date
) -> tuple[list[Recipient], list[dict[str, str]]]:
    """The copies still to seal on ``today``, and ``{"check", "on"}`` for each one whose access has ended."""
    ends = {contact.identity: access_ends(record, contact) for contact in record.contacts}
    kept, ended = [], {}
    for recipient in recipients:
        # a shared password belongs to no one contact: it ends with the whole client only
        if recipient.holder and recipient.holder not in ends:
            raise ValueError(f"a wrapped copy for {recipient.holder!r}, who is not among the contacts")
        end = ends[recipient.holder] if recipient.holder else record.access.until
        if has_ended(end, today):
            assert end is not None
            ended[recipient.ended] = end.isoformat()
        else:
            kept.append(recipient)
    return kept, [{"check": check, "on": on} for check, on in sorted(ended.items())]
