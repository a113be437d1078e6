"""Where each client page goes in the site: its folder (token), earlier folders, and each contact's link and key."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from client_portal.publishing import crypto
from client_portal.records.model import Client, Contact
from client_portal.settings import PortalSettings


@dataclass(frozen=True)
class Link:
    """One person's way in: the page URL, with their key in the fragment in link mode."""

    contact: str
    path: str  # relative to the site root; the fragment holds the key in link mode

    def url(self, base_url: str) -> str:
        """The full link for a site published at ``base_url``."""
        return base_url.rstrip("/") + "/" + self.path


def client_folder(prefix: str, secret: bytes, client: Client) -> str:
    """``<url_prefix>/<token>/``: stable across builds, new when ``access.version`` or readability changes."""
    access = client.record.access
    return f"{prefix}/{crypto.url_token(secret, client.id, access.version, access.mode == 'unlisted')}/"


def replaced_folders(prefix: str, secret: bytes, client: Client) -> list[str]:
    """Every earlier address of a client's page: each older version, encrypted and readable.

    Each gets a neutral "this link was replaced" page, so an old link says what to do
    instead of showing the host's 404 page.
    """
    access = client.record.access
    return list(_replaced_folders(prefix, secret, client.id, access.version, access.mode == "unlisted"))


# A preview lists every client's earlier addresses on each rebuild: each is a few HMACs.
@lru_cache(maxsize=100_000)
def _replaced_folders(prefix: str, secret: bytes, client_id: str, version: int, readable: bool) -> tuple[str, ...]:
    current = f"{prefix}/{crypto.url_token(secret, client_id, version, readable)}/"
    folders = (
        f"{prefix}/{crypto.url_token(secret, client_id, earlier, earlier_readable)}/"
        for earlier in range(1, version + 1)
        for earlier_readable in (False, True)
    )
    return tuple(folder for folder in folders if folder != current)


def client_links(settings: PortalSettings, secret: bytes, client: Client) -> list[Link]:
    """One link per contact (key in the fragment in link mode; the bare page otherwise)."""
    folder = client_folder(settings.url_prefix, secret, client)
    record = client.record
    if record.access.mode != "link":
        names = [c.name for c in record.contacts] or [record.name]
        return [Link(name, folder) for name in names]
    return [Link(c.name, folder + "#" + crypto.b64url(contact_key(secret, client, c))) for c in record.contacts]


def link_keys(secret: bytes, client: Client) -> list[str]:
    """The keys in a link-mode client's links, as the links carry them (for the audit to look for)."""
    if client.record.access.mode != "link":
        return []
    return [crypto.b64url(contact_key(secret, client, contact)) for contact in client.record.contacts]


def contact_key(secret: bytes, client: Client, contact: Contact) -> bytes:
    access = client.record.access
    return crypto.contact_key(secret, client.id, access.version, contact.identity, contact.key_version)
