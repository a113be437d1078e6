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
import hmac

from markupsafe import Markup

LENGTH = 12  # hex digits: 48 bits tell a page's items apart
NAME_LENGTH = 24  # hex digits of the storage name


class Seen:
    """``seen(kind, key, *shown)`` for one page's templates, and the name its state is kept under."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("a what's-new key needs at least 128 bits")
        # keyed once: a copy for each of a page's few dozen items costs less than keying again
        self._keyed = hmac.new(key, digestmod=hashlib.sha256)

    def _digest(self, *parts: object, length: int = LENGTH) -> str:
        text = "\x1f".join(["" if part is None else str(part) for part in parts])
        digest = self._keyed.copy()
        digest.update(text.encode("utf-8"))
        return digest.hexdigest()[:length]

    def __call__(self, kind: str, key: object, *shown: object) -> Markup:
        """``data-cp-item`` (which item) and ``data-cp-state`` (what it shows) for one page item."""
        item, state = self._digest("item", kind, key), self._digest("state", *shown)
        return Markup(f' data-cp-item="{item}" data-cp-state="{state}"')  # noqa: S704 - hex digests only

    @property
    def storage(self) -> str:
        """The name the browser keeps this page's state under (hex, naming nothing)."""
        return self._digest("storage", length=NAME_LENGTH)
