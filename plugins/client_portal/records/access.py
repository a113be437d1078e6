"""Who may still open a client's page on a date: end dates of contacts and of the whole client.

Pure functions of (record, day). A contact's access ends at the start of the earlier of
their own ``expires`` and the client's ``access.until``: on that day the build leaves
their key slot out of the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from client_portal.records.model import Contact, Record

WARN_DAYS = 7  # `check` warns this many days before an end date


def access_ends(record: Record, contact: Contact) -> date | None:
    """The first day on which ``contact``'s link or own password opens nothing, or None when it never ends."""
    ends = [day for day in (contact.expires, record.access.until) if day is not None]
    return min(ends) if ends else None


def has_ended(ends: date | None, today: date) -> bool:
    """Whether access that ends on ``ends`` is over on ``today``: the end date itself is the first day without."""
    return ends is not None and today >= ends


def active_contacts(record: Record, today: date) -> list[Contact]:
    """The contacts whose access has not ended on ``today``, in the record's order."""
    return [c for c in record.contacts if not has_ended(access_ends(record, c), today)]


def client_ended(record: Record, today: date) -> bool:
    """Whether ``access.until`` has passed: nobody opens the page any more."""
    return has_ended(record.access.until, today)


@dataclass(frozen=True)
class EndingSoon:
    """An end date within the warning window, where the record sets it."""

    where: tuple[str | int, ...]  # the record field, as a location
    who: str  # a contact's name, or "" for the whole client
    ends: date


def ending_soon(record: Record, today: date) -> list[EndingSoon]:
    """End dates from today to ``WARN_DAYS`` days ahead; passed ones are not news to warn about."""
    window = today + timedelta(days=WARN_DAYS)
    found = []
    until = record.access.until
    if until is not None and today < until <= window:
        found.append(EndingSoon(("access", "until"), "", until))
    for index, contact in enumerate(record.contacts):
        expires = contact.expires
        if expires is not None and today < expires <= window and (until is None or expires < until):
            found.append(EndingSoon(("contacts", index, "expires"), contact.name, expires))
    return found


LinkChangeKind = Literal["new", "revoked", "rotated", "expired", "moved"]


@dataclass(frozen=True)
class LinkChange:
    """A contact whose way in changed between two versions of a record."""

    contact: Contact  # as the newer record has them (the older one for a removed contact)
    kind: LinkChangeKind
    detail: str  # what changed, in a few words, for the freelancer

    @property
    def needs_link(self) -> bool:
        """Whether the contact now has a link they were not sent yet."""
        return self.kind in ("new", "rotated", "moved")


def link_changes(before: Record | None, after: Record, then: date, today: date) -> list[LinkChange]:
    """Contacts whose link changed from ``before`` (as it stood on ``then``) to ``after`` (on ``today``).

    A contact is the same person when their identity (e-mail, else name) is; one whose
    access had already ended then is no news now.
    """
    old = {c.identity: c for c in before.contacts} if before is not None else {}
    found = []
    moved = before is not None and (before.access.version, before.access.mode) != (
        after.access.version,
        after.access.mode,
    )
    for contact in after.contacts:
        ends = access_ends(after, contact)
        earlier = old.get(contact.identity)
        was_open = earlier is not None and before is not None and not has_ended(access_ends(before, earlier), then)
        if has_ended(ends, today):
            if was_open:
                assert ends is not None
                found.append(LinkChange(contact, "expired", f"expired on {ends.isoformat()}"))
        elif earlier is None or not was_open:
            found.append(LinkChange(contact, "new", "new contact" if earlier is None else "access open again"))
        elif moved:
            assert before is not None
            found.append(
                LinkChange(
                    contact,
                    "moved",
                    f"the page moved (access.version {before.access.version} → "
                    f"{after.access.version}, mode {before.access.mode} → {after.access.mode})",
                )
            )
        elif earlier.key_version != contact.key_version:
            found.append(LinkChange(contact, "rotated", f"key_version {earlier.key_version} → {contact.key_version}"))
    current = {c.identity for c in after.contacts}
    assert before is not None or not old
    for identity, contact in old.items():
        if identity not in current and before is not None and not has_ended(access_ends(before, contact), then):
            found.append(LinkChange(contact, "revoked", "removed from contacts"))
    return found


def removed_record_changes(before: Record, then: date) -> list[LinkChange]:
    """The contacts of a record removed since ``then`` whose link still opened its page then: all revoked."""
    return [
        LinkChange(contact, "revoked", "the client's record was removed")
        for contact in before.contacts
        if not has_ended(access_ends(before, contact), then)
    ]
