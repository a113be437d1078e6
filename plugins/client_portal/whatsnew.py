"""Fingerprints that let a client's browser tell what changed since its last visit.

Each item on a page carries an opaque id and a fingerprint of what it shows. The
page script keeps the pairs it saw on the device (never sent anywhere) and marks
items that are new or changed on the next visit. Both are hashes, so what a
browser keeps names no client, title or text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import partial

from markupsafe import Markup

LENGTH = 12  # hex digits: 48 bits tell a page's items apart


def _digest(*parts: object) -> str:
    text = "\x1f".join("" if part is None else str(part) for part in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:LENGTH]


def seen_attributes(client_id: str, kind: str, key: object, *shown: object) -> Markup:
    """``data-cp-item`` (which item) and ``data-cp-state`` (what it shows) for one page item."""
    item, state = _digest(client_id, kind, key), _digest(*shown)
    return Markup(f' data-cp-item="{item}" data-cp-state="{state}"')  # noqa: S704 - hex digests only


def seen_for(client_id: str) -> Callable[..., Markup]:
    """``seen(kind, key, *shown)`` for one client's templates."""
    return partial(seen_attributes, client_id)
