"""Tokens, keys and page encryption. The only module that touches ``cryptography``.

A page is encrypted once with a random page key (AES-256-GCM). The page key is
then wrapped once per recipient: per contact with a key derived from the site
secret (it travels in the link's fragment), or with a key derived from the
client's password (PBKDF2-SHA256). Associated data binds every ciphertext to the
page's URL token, so ciphertexts cannot be moved between pages.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

FORMAT = "client-portal/1"
TOKEN_BYTES = 16  # 128 bits: not guessable, short enough for a link
KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # 96-bit GCM nonce, fresh and random for every encryption
PBKDF2_ITERATIONS = 600_000
KEY_ID_LABEL = b"client-portal key id"


def b64url(data: bytes) -> str:
    """URL-safe base64 without padding (as in links)."""
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def from_b64url(text: str) -> bytes:
    """Inverse of `b64url`."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def derive(secret: bytes, purpose: str, *parts: str | int, length: int = KEY_BYTES) -> bytes:
    """Key material for one purpose, bound to the given parts (client id, versions)."""
    info = "\x1f".join(["client-portal", purpose, *map(str, parts)]).encode("utf-8")
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(secret)


def url_token(secret: bytes, client_id: str, access_version: int) -> str:
    """The opaque folder name of a client's page; a new access version gives a new URL."""
    raw = derive(secret, "url", client_id, access_version, length=TOKEN_BYTES)
    return base64.b32encode(raw).decode("ascii").rstrip("=").lower()


def contact_key(secret: bytes, client_id: str, access_version: int, contact: str, key_version: int) -> bytes:
    """The key in one contact's link; bumping their ``key_version`` revokes the old link."""
    return derive(secret, "contact", client_id, access_version, contact, key_version)


def password_salt(secret: bytes, client_id: str, access_version: int, key_versions: list[int]) -> bytes:
    """A per-client salt; any version bump changes it, so remembered logins stop working."""
    return derive(secret, "password-salt", client_id, access_version, *key_versions, length=16)


def password_key(password: str, salt: bytes, iterations: int = PBKDF2_ITERATIONS) -> bytes:
    """The key a password unlocks, exactly as the browser derives it with WebCrypto."""
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt, iterations=iterations)
    return kdf.derive(password.encode("utf-8"))


def key_id(key: bytes) -> str:
    """A short public id for a key, so the browser finds its wrapped copy without trying all."""
    return b64url(hashlib.sha256(KEY_ID_LABEL + key).digest()[:9])


def _seal(key: bytes, plaintext: bytes, associated: str) -> dict[str, str]:
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, associated.encode("utf-8"))
    return {"iv": b64url(nonce), "data": b64url(ciphertext)}


def _open(key: bytes, sealed: dict[str, str], associated: str) -> bytes:
    return AESGCM(key).decrypt(from_b64url(sealed["iv"]), from_b64url(sealed["data"]), associated.encode("utf-8"))


@dataclass(frozen=True)
class Recipient:
    """Who can open a page: the key they hold (from a link, or from a password)."""

    key: bytes


def seal_page(html: str, token: str, recipients: list[Recipient], kdf: dict[str, Any] | None = None) -> dict[str, Any]:
    """Encrypt a page body for its recipients; the JSON the browser decrypts."""
    page_key = AESGCM.generate_key(bit_length=256)
    keys = []
    for recipient in recipients:
        kid = key_id(recipient.key)
        keys.append({"id": kid, **_seal(recipient.key, page_key, f"{FORMAT}/key/{token}/{kid}")})
    payload: dict[str, Any] = {
        "format": FORMAT,
        "page": _seal(page_key, html.encode("utf-8"), f"{FORMAT}/page/{token}"),
        "keys": keys,
    }
    if kdf is not None:
        payload["kdf"] = kdf
    return payload


def open_page(payload: dict[str, Any], token: str, key: bytes) -> str:
    """Decrypt a sealed page with one recipient's key (what the browser does; used in tests and audit)."""
    kid = key_id(key)
    entry = next((k for k in payload["keys"] if k["id"] == kid), None)
    if entry is None:
        raise KeyError("no wrapped page key for this key")
    page_key = _open(key, entry, f"{FORMAT}/key/{token}/{kid}")
    return _open(page_key, payload["page"], f"{FORMAT}/page/{token}").decode("utf-8")


def pbkdf2_parameters(salt: bytes, iterations: int = PBKDF2_ITERATIONS) -> dict[str, Any]:
    """How the browser derives the password key (stored with the page, not secret)."""
    return {"name": "PBKDF2", "hash": "SHA-256", "iterations": iterations, "salt": b64url(salt)}
