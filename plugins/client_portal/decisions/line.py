"""The machine-readable line a decision reply carries, and its MAC.

A client's Accept, Decline, Approve or Request changes opens a reply whose body ends with
one line such as::

    [cp1 c=acme-bakery i=deliverable/brand-refresh d=approve s=<43> b=<12> m=<22>]

``c`` the client, ``i`` the item (``proposal``, ``deliverable/<id>`` or ``idea/<id>``),
``d`` the decision, ``s`` the SHA-256 (base64url) of the item as the client saw it, ``b``
the public id of the key that opened the page (a contact's link, a password's copy, or
``page`` on an unlisted page), ``m`` an HMAC-SHA-256 (first 128 bits) under a key only
someone who could open the page holds (`crypto.decision_key_for_link`,
`decision_key_for_password`, `decision_key_for_page`). The browser computes it with
WebCrypto; `client-portal inbox` computes it again.

Mail clients quote a reply (``> ``), wrap long lines (at spaces, or inside a long
word) and turn text into HTML and back: `find_lines` reads through all of that.
"""

from __future__ import annotations

import hmac
import html
import re
from dataclasses import dataclass

from client_portal.publishing import crypto
from client_portal.records.model import DECISIONS, ITEM_REFERENCE, SEEN

VERSION = "cp1"
PAGE = "page"  # `b` of an unlisted page's decisions: signed at build time with the page's key
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_BY = re.compile(r"^(?:page|[A-Za-z0-9_-]{12})$")
_MAC = re.compile(r"^[A-Za-z0-9_-]{22}$")
# With every space and line break taken out (a client may wrap anywhere, even inside a
# field), the line is `[cp1c=…i=…d=…s=…b=…m=…]`: no value holds "=", so a field starts at
# the one letter before each "=".
_LINE = re.compile(r"\[cp1((?:[a-z]=[^=\[\]]*)+)\]")
_FIELD = re.compile(r"([a-z])=([^=]*?)(?=[a-z]=|$)")
_QUOTE = re.compile(r"^[ \t]*(?:>[ \t]?)+", re.MULTILINE)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
FIELDS = ("c", "i", "d", "s", "b", "m")


@dataclass(frozen=True)
class DecisionLine:
    """One decision as its line says it; `signed` is the text its MAC covers."""

    client: str
    item: str
    decision: str
    seen: str
    by: str
    mac: str = ""

    @property
    def signed(self) -> bytes:
        return "\n".join([VERSION, self.client, self.item, self.decision, self.seen, self.by]).encode("utf-8")

    def with_mac(self, key: bytes) -> DecisionLine:
        """This decision, signed with ``key``."""
        return DecisionLine(
            self.client, self.item, self.decision, self.seen, self.by, crypto.decision_mac(key, self.signed)
        )

    def verifies(self, key: bytes) -> bool:
        """Whether the line's MAC is the one ``key`` makes (compared in constant time)."""
        expected = crypto.decision_mac(key, self.signed)
        return bool(self.mac) and hmac.compare_digest(expected, self.mac)

    def __str__(self) -> str:
        values = (self.client, self.item, self.decision, self.seen, self.by, self.mac)
        return "[" + " ".join([VERSION, *(f"{name}={value}" for name, value in zip(FIELDS, values, strict=True))]) + "]"


def is_valid(line: DecisionLine) -> bool:
    """Whether every field has its shape and the decision fits the item's kind (the MAC is not checked)."""
    kind = line.item.split("/", 1)[0]
    return bool(
        _ID.match(line.client)
        and ITEM_REFERENCE.match(line.item)
        and line.decision in DECISIONS.get(kind, ())
        and SEEN.match(line.seen)
        and _BY.match(line.by)
        and _MAC.match(line.mac)
    )


def find_lines(text: str) -> list[DecisionLine]:
    """Every well-formed decision line in a message body, quoted, re-wrapped or HTML, in order, without repeats."""
    plain = html.unescape(_TAG.sub(" ", text)) if "<" in text else text
    compact = _SPACE.sub("", _QUOTE.sub("", plain))
    found: list[DecisionLine] = []
    for match in _LINE.finditer(compact):
        fields: dict[str, str] = {}
        for name, value in _FIELD.findall(match.group(1)):
            if name in FIELDS and name not in fields:
                fields[name] = value
        if set(fields) != set(FIELDS):
            continue
        line = DecisionLine(fields["c"], fields["i"], fields["d"], fields["s"], fields["b"], fields["m"])
        if is_valid(line) and line not in found:
            found.append(line)
    return found
