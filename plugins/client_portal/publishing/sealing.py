"""Who can open a sealed page: its recipients (links and passwords), password keys derived once, and the sealed JSON."""

from __future__ import annotations

import hashlib
import json
import os
import string
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor

from client_portal.publishing import crypto
from client_portal.publishing.addresses import contact_key
from client_portal.publishing.errors import PublishError
from client_portal.publishing.passwords import PasswordsError, portal_passwords, where_to_set
from client_portal.records.model import Client

MIN_PASSWORD = 10


# Who can open a sealed page, the password KDF parameters, and a notice for the log.
Sealing = tuple[list[crypto.Recipient], dict[str, object] | None, str | None]


def _recipients(
    client: Client,
    secret: bytes,
    environ: Mapping[str, str],
    stretch: Callable[[str, bytes], bytes] = crypto.password_key,
) -> Sealing:
    """Who can open the page, the password KDF parameters, and a notice for the log."""
    record = client.record
    if record.access.mode == "link":
        recipients = [crypto.Recipient.from_link(contact_key(secret, client, c), c.identity) for c in record.contacts]
        return recipients, None, None
    salt = crypto.password_salt(secret, client.id, record.access.version)
    try:
        listed = portal_passwords(environ)
    except PasswordsError as error:
        raise PublishError(f"{client.id}: {error}") from None
    recipients, missing = [], []
    for (name, label), holder in zip(password_labels(secret, client), password_holders(client), strict=True):
        given = environ.get(name, "") or listed.get(name, "")
        if not given:
            missing.append(name)
        elif len(given) < MIN_PASSWORD:
            raise PublishError(
                f"{client.id}: the password in {name} is too short; use at least {MIN_PASSWORD} characters"
            )
        else:
            recipients.append(crypto.Recipient.from_password(stretch(given, salt), label, holder))
    notice = None
    if missing and environ.get("CI"):
        unset = " and ".join(missing)
        verb = "is" if len(missing) == 1 else "are"
        raise PublishError(f"{client.id}: {unset} {verb} not set: {where_to_set(missing, environ)}")
    if missing:
        # Locally the page still builds; nobody can open it with the missing passwords.
        notice = (
            f"{client.id}: {', '.join(missing)} not set, so those passwords do not open the page; set them to preview"
        )
    return recipients, crypto.pbkdf2_parameters(salt), notice


class PasswordKeys:
    """PBKDF2 for each (password, salt) once per process: `mkdocs serve` rebuilds without paying it again.

    Keys are looked up by a hash of the password and salt, never by the password itself.
    """

    def __init__(self) -> None:
        self._stretched: dict[bytes, bytes] = {}

    def __call__(self, password: str, salt: bytes) -> bytes:
        """The PBKDF2 key of ``password`` with ``salt``, derived on the first call only."""
        lookup = hashlib.sha256(len(salt).to_bytes(2, "big") + salt + password.encode("utf-8")).digest()
        if lookup not in self._stretched:
            self._stretched[lookup] = crypto.password_key(password, salt)
        return self._stretched[lookup]


def client_sealing(
    client: Client, secret: bytes, environ: Mapping[str, str], stretch: Callable[[str, bytes], bytes]
) -> Sealing | None:
    """Who can open one client's page; None for a readable (unlisted) one."""
    return None if client.record.access.mode == "unlisted" else _recipients(client, secret, environ, stretch)


def sealings(
    clients: list[Client],
    secret: bytes,
    environ: Mapping[str, str] = os.environ,
    stretch: Callable[[str, bytes], bytes] = crypto.password_key,
) -> dict[str, Sealing]:
    """Who can open each encrypted page, by client id; password keys derived on every core."""
    sealed = [c for c in clients if c.record.access.mode != "unlisted"]
    found = {c.id: _recipients(c, secret, environ, stretch) for c in sealed if c.record.access.mode == "link"}
    # PBKDF2 costs ~0.1 s a password and releases the GIL, so threads run it on every core (a link's
    # keys take microseconds: a thread would cost them more than it saves).
    stretched = [c for c in sealed if c.record.access.mode != "link"]
    if stretched:
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            found.update(
                zip(
                    (c.id for c in stretched),
                    pool.map(lambda c: _recipients(c, secret, environ, stretch), stretched),
                    strict=True,
                )
            )
    return {c.id: found[c.id] for c in sealed}


def password_labels(secret: bytes, client: Client) -> list[tuple[str, str]]:
    """(variable name, label of its wrapped copy) for every password that opens a page.

    A personal password's label changes with that person's ``key_version``; the shared
    one's with anyone's, since nobody can tell who typed it.
    """
    record = client.record
    version = record.access.version
    labels = [
        (c.password_env, crypto.recipient_label(secret, client.id, version, "person", c.identity, c.key_version))
        for c in record.contacts
        if c.password_env
    ]
    if record.access.password_env:
        versions = [c.key_version for c in record.contacts]
        labels.append(
            (record.access.password_env, crypto.recipient_label(secret, client.id, version, "shared", *versions))
        )
    return labels


def password_holders(client: Client) -> list[str]:
    """Whose each password of `password_labels` is, in the same order: a contact's identity, "" for the shared one."""
    record = client.record
    return [c.identity for c in record.contacts if c.password_env] + ([""] if record.access.password_env else [])


def sealed_json(payload: dict[str, object], mode: str) -> str:
    """The payload as JSON that is safe inside a <script type="application/json"> element.

    The sealed page is most of it: tens of kilobytes of base64url, which JSON writes as
    it is. Written by `json.dumps` character by character, and looked through three times
    for what could end the element, it took a fortieth of a page's CPU; so base64url is
    put in its place after, once a look at its bytes has found nothing else in it.
    """
    page = payload.get("page")
    data = page.get("data") if isinstance(page, dict) else None
    if isinstance(data, str) and data.isascii() and not data.encode("ascii").translate(None, _BASE64URL):
        text = _script_json({**payload, "page": {**page, "data": _PAGE_DATA}, "mode": mode})  # type: ignore[dict-item]
        return text.replace(json.dumps(_PAGE_DATA), f'"{data}"', 1)
    return _script_json({**payload, "mode": mode})


# Where the sealed page goes, replaced where it first appears: no field of a payload holds a NUL.
_PAGE_DATA = "\0sealed page\0"
_BASE64URL = (string.ascii_letters + string.digits + "-_").encode("ascii")


def _script_json(value: object) -> str:
    text = json.dumps(value, separators=(",", ":"), sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
