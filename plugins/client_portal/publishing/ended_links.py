"""Which wrapped copies of a page key a build keeps on its date, and the marks of those whose access ended.

An ended contact's copy is left out of the page, not hidden in it. The page lists only
each ended copy's public mark (`crypto.ended_check`) with its end date sealed to that
link or password, so that link's page can say when it ended and whom to ask, while
anyone else learns nothing: not the dates, and not how many ended, as decoys pad the
list to a multiple of `crypto.KEYS_MULTIPLE`, never empty.
"""

from __future__ import annotations

import os
from datetime import date

from client_portal.publishing.crypto import (
    KEY_BYTES,
    KEYS_MULTIPLE,
    Recipient,
    decoy_mark,
    seal_end_date,
)
from client_portal.records.access import access_ends, has_ended
from client_portal.records.model import Record

# What a decoy's sealed date holds: as long as a real one, which no key opens anyway.
_DECOY_DAY = "0000-00-00"


def kept_and_ended(
    record: Record, recipients: list[Recipient], today: date, decoys: bytes
) -> tuple[list[Recipient], list[dict[str, object]]]:
    """The copies still to seal on ``today``, and ``{"check", "on"}`` for each one whose access has ended.

    ``on`` is the date sealed to the mark; ``decoys`` (`crypto.decoys_key`) names the decoys.
    """
    ends = {contact.identity: access_ends(record, contact) for contact in record.contacts}
    kept, ended = [], {}
    for recipient in recipients:
        # a shared password belongs to no one contact: it ends with the whole client only
        if recipient.holder and recipient.holder not in ends:
            raise ValueError(f"a wrapped copy for {recipient.holder!r}, who is not among the contacts")
        end = ends[recipient.holder] if recipient.holder else record.access.until
        if has_ended(end, today):
            assert end is not None
            ended[recipient.ended] = seal_end_date(recipient.ended_key, recipient.ended, end.isoformat())
        else:
            kept.append(recipient)
    slot = 0
    while len(ended) % KEYS_MULTIPLE or not ended:
        mark = decoy_mark(decoys, slot)
        ended[mark] = seal_end_date(os.urandom(KEY_BYTES), mark, _DECOY_DAY)
        slot += 1
    return kept, [{"check": check, "on": on} for check, on in sorted(ended.items())]
