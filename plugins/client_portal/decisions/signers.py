"""Who signed a decision line, and the key its MAC is checked with.

A line's ``b`` is the public id of the key copy that opened the page: a contact's link
(`crypto.key_id` of their link key), a password's wrapped copy (its label), or ``page`` on
an unlisted page. The ids of every current copy are derived again from the site secret and
the record; ids of earlier key or access versions are recognised too, so a line from a
replaced link is refused as revoked rather than as unknown. Password copies need the
passwords themselves (each stretched with PBKDF2 once per run: 600,000 iterations).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from client_portal.decisions.line import PAGE, DecisionLine
from client_portal.publishing import crypto
from client_portal.publishing.passwords import password
from client_portal.publishing.sealing import PasswordKeys
from client_portal.records.model import Client, Contact

# A shared password's label changes with every contact's key_version: earlier labels are
# recognised by trying earlier versions, up to this many combinations.
MAX_SHARED_VERSIONS = 4096

SignedWith = Literal["link", "password", "shared password", "page"]


@dataclass(frozen=True)
class Signer:
    """The key a line's MAC must verify with, and whose it is.

    ``contact`` is None for a shared password or an unlisted page: anyone who knows the
    password or the address can sign, so the inbox attributes such a line by the message's
    ``From`` address.
    """

    key: bytes = field(repr=False)
    signed_with: SignedWith
    contact: Contact | None = None


@dataclass(frozen=True)
class Refusal:
    """Why a line cannot be verified, said so the freelancer knows what happened."""

    reason: str


class DecisionKeys:
    """Finds the signer of decision lines for one run of the inbox; each password is stretched once."""

    def __init__(
        self,
        secret: bytes,
        environ: Mapping[str, str] = os.environ,
        stretch: Callable[[str, bytes], bytes] | None = None,
    ) -> None:
        self.secret = secret
        self.environ = environ
        self._stretch = stretch or PasswordKeys()

    def verify(self, client: Client, line: DecisionLine) -> Signer | Refusal:
        """The signer of ``line`` when its MAC verifies; otherwise why not."""
        found = self.signer(client, line)
        if isinstance(found, Refusal) or line.verifies(found.key):
            return found
        return Refusal("the decision line does not verify: it was altered, or not made on the client's page")

    def signer(self, client: Client, line: DecisionLine) -> Signer | Refusal:
        """The key ``line``'s MAC should verify with (not yet checked), or why there is none."""
        if line.client != client.id:
            return Refusal(f"the line is for client '{line.client}', not '{client.id}'")
        mode = client.record.access.mode
        if line.by == PAGE:
            return self._page(client, line)
        if mode == "link":
            return self._link(client, line.by)
        if mode == "password":
            return self._password(client, line.by)
        return Refusal(f"unknown key id {line.by}: {client.id}'s page is unlisted, and its lines are signed by 'page'")

    def _page(self, client: Client, line: DecisionLine) -> Signer | Refusal:
        access = client.record.access
        if access.mode == "unlisted":
            key = crypto.decision_key_for_page(self.secret, client.id, access.version)
            if line.verifies(key) or not self._page_verifies(client, line, range(1, access.version)):
                return Signer(key, "page")
            return Refusal(
                f"the page moved: this line comes from an earlier address (now access.version {access.version})"
            )
        if self._page_verifies(client, line, range(1, access.version + 1)):
            return Refusal(f"this line comes from {client.id}'s unlisted page, which is now in {access.mode} mode")
        return Refusal(f"unknown key id {PAGE}: {client.id}'s page is in {access.mode} mode, not unlisted")

    def _page_verifies(self, client: Client, line: DecisionLine, versions: range) -> bool:
        return any(line.verifies(crypto.decision_key_for_page(self.secret, client.id, v)) for v in versions)

    def _link(self, client: Client, by: str) -> Signer | Refusal:
        record = client.record
        version = record.access.version
        for contact in record.contacts:
            key = crypto.contact_key(self.secret, client.id, version, contact.identity, contact.key_version)
            if crypto.key_id(key) == by:
                return Signer(crypto.decision_key_for_link(key), "link", contact)
        for contact in record.contacts:
            for earlier in range(1, contact.key_version):
                if crypto.key_id(crypto.contact_key(self.secret, client.id, version, contact.identity, earlier)) == by:
                    return Refusal(f"revoked: {contact.name}'s link was replaced (key_version {contact.key_version})")
        for old in range(1, version):
            for contact in record.contacts:
                for earlier in range(1, contact.key_version + 1):
                    key = crypto.contact_key(self.secret, client.id, old, contact.identity, earlier)
                    if crypto.key_id(key) == by:
                        moved = f"now access.version {version}"
                        return Refusal(f"the page moved: {contact.name}'s link is to an earlier address ({moved})")
        return Refusal(f"unknown key id {by}: no link of {client.id}'s contacts has this id")

    def _password(self, client: Client, by: str) -> Signer | Refusal:
        record = client.record
        version = record.access.version
        current = [c.key_version for c in record.contacts]
        for contact in record.contacts:
            if contact.password_env and by == self._personal_label(client, version, contact, contact.key_version):
                return self._password_signer(client, contact.password_env, by, contact)
        if record.access.password_env and by == self._shared_label(client, version, current):
            return self._password_signer(client, record.access.password_env, by, None)
        for contact in record.contacts:
            earlier = range(1, contact.key_version)
            if contact.password_env and any(by == self._personal_label(client, version, contact, v) for v in earlier):
                return Refusal(f"revoked: {contact.name}'s password was replaced (key_version {contact.key_version})")
        if record.access.password_env and any(
            by == self._shared_label(client, version, list(versions)) for versions in _earlier(current)
        ):
            return Refusal("revoked: the shared password's copy was replaced when a contact's key_version was bumped")
        for old in range(1, version):
            personal = (
                self._personal_label(client, old, contact, v)
                for contact in record.contacts
                for v in range(1, contact.key_version + 1)
            )
            if by == self._shared_label(client, old, current) or by in personal:
                return Refusal(
                    f"the page moved: this password's copy is of an earlier address (now access.version {version})"
                )
        return Refusal(f"unknown key id {by}: no password of {client.id}'s page has this id")

    def _password_signer(self, client: Client, name: str, label: str, contact: Contact | None) -> Signer | Refusal:
        given = password(name, self.environ)
        if not given:
            return Refusal(f"{name} is not set, so a line signed with its password cannot be verified")
        stretched = self._stretch(given, crypto.password_salt(self.secret, client.id, client.record.access.version))
        key = crypto.decision_key_for_password(stretched, label)
        return Signer(key, "password", contact) if contact else Signer(key, "shared password")

    def _personal_label(self, client: Client, version: int, contact: Contact, key_version: int) -> str:
        return crypto.recipient_label(self.secret, client.id, version, "person", contact.identity, key_version)

    def _shared_label(self, client: Client, version: int, key_versions: list[int]) -> str:
        return crypto.recipient_label(self.secret, client.id, version, "shared", *key_versions)


def _earlier(current: list[int]) -> Iterator[tuple[int, ...]]:
    """Every earlier combination of the contacts' key versions (the first MAX_SHARED_VERSIONS)."""
    every = itertools.product(*(range(1, v + 1) for v in current))
    return itertools.islice((versions for versions in every if list(versions) != current), MAX_SHARED_VERSIONS)
