"""Fingerprints that let a client's browser tell what changed since its last visit.

Each item on a page carries an opaque id and a fingerprint of what it shows. The
page script keeps the pairs it saw on the device (never sent anywhere), under a name
the page gives, and marks items that are new or changed on the next visit. All three
are HMAC-SHA-256 under a key of the page's own (derived from the site secret), which
appears nowhere, so what a browser keeps names and reveals nothing: no client, title,
text or amount can be guessed back from it, even by trying every likely value.
"""

from __future__ import annotations

import hashlib

from markupsafe import Markup

from client_portal.page.html_text import markup_of

LENGTH = 12  # hex digits: 48 bits tell a page's items apart
NAME_LENGTH = 24  # hex digits of the storage name
BLOCK = 64  # bytes: SHA-256's block, the length HMAC pads its key to


class Seen:
    """``seen(kind, key, *shown)`` for one page's templates, and the name its state is kept under."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("a what's-new key needs at least 128 bits")
        # HMAC (RFC 2104) keyed once, as its inner and outer hashes: a page's sixty digests are then copies of
        # two hashes, without the Python of `hmac.HMAC` around each
        block = (hashlib.sha256(key).digest() if len(key) > BLOCK else key).ljust(BLOCK, b"\0")
        self._inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in block))
        self._outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in block))

    def _digest(self, *parts: object, length: int = LENGTH) -> str:
        # None is written as nothing; most digests have no None, and are joined without a look at each part
        text = "\x1f".join(
            map(str, parts) if None not in parts else ["" if part is None else str(part) for part in parts]
        )
        inner = self._inner.copy()
        inner.update(text.encode("utf-8"))
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()[:length]

    def __call__(self, kind: str, key: object, *shown: object) -> Markup:
        """``data-cp-item`` (which item) and ``data-cp-state`` (what it shows) for one page item."""
        item, state = self._digest("item", kind, key), self._digest("state", *shown)
        return markup_of(f' data-cp-item="{item}" data-cp-state="{state}"')  # hex digests only

    @property
    def storage(self) -> str:
        """The name the browser keeps this page's state under (hex, naming nothing)."""
        return self._digest("storage", length=NAME_LENGTH)
