"""Who signed a decision line: the key its MAC must verify under, and the contact it belongs to.

A line's ``b`` names the key copy that opened the page: a contact's link
(`crypto.key_id` of the link's key) or ``page`` on an unlisted page. A ``b`` that only an
earlier link of a contact (a lower ``key_version``) or an earlier address of the page
(a lower ``access.version``) had is a revoked key: its decisions are refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from client_portal.decisions.line import PAGE, DecisionLine
from client_portal.publishing import crypto
from client_portal.records.model import Client, Contact


@dataclass(frozen=True)
class Signer:
    """The key a line's MAC must verify under; ``contact`` is None when the key is not one person's."""

    key: bytes
    contact: Contact | None


@dataclass(frozen=True)
class Refusal:
    """Why no key of the record can have signed the line."""

    reason: str


def signer_for(client: Client, secret: bytes, line: DecisionLine, environ: Mapping[str, str]) -> Signer | Refusal:
    """The signer a line names, or why the record refuses it."""
    del environ  # password pages read their passwords from it
    access = client.record.access
    if access.mode == "unlisted":
        if line.by != PAGE:
            return Refusal(f"the page of {client.id} is unlisted, but the line names a contact's key ({line.by})")
        return Signer(crypto.decision_key_for_page(secret, client.id, access.version), None)
    if access.mode != "link":
        return Refusal(f"decisions from {access.mode} pages cannot be verified yet")
    for contact in client.record.contacts:
        link_key = crypto.contact_key(secret, client.id, access.version, contact.identity, contact.key_version)
        if crypto.key_id(link_key) == line.by:
            return Signer(crypto.decision_key_for_link(link_key), contact)
    for contact in client.record.contacts:
        for version in range(1, access.version + 1):
            for key_version in range(1, contact.key_version + 1):
                if (version, key_version) == (access.version, contact.key_version):
                    continue
                old = crypto.contact_key(secret, client.id, version, contact.identity, key_version)
                if crypto.key_id(old) == line.by:
                    why = (
                        "the page has moved since (access.version)"
                        if version < access.version
                        else "their link was replaced (key_version)"
                    )
                    return Refusal(f"{contact.name} no longer has access: {why}")
    return Refusal(f"no contact of {client.id} has the key {line.by}")
