"""Tokens and keys derived from the site secret. The only module that touches cryptography."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

TOKEN_BYTES = 16  # 128 bits: not guessable, short enough for a link


def derive(secret: bytes, purpose: str, *parts: str | int, length: int = 32) -> bytes:
    """Key material for one purpose, bound to the given parts (client id, versions)."""
    info = "\x1f".join(["client-portal", purpose, *map(str, parts)]).encode("utf-8")
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(secret)


def url_token(secret: bytes, client_id: str, access_version: int) -> str:
    """The opaque folder name of a client's page; a new access version gives a new URL."""
    raw = derive(secret, "url", client_id, access_version, length=TOKEN_BYTES)
    return base64.b32encode(raw).decode("ascii").rstrip("=").lower()
