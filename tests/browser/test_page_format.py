"""The sealed page format in Chromium: what Python seals (deflated, framed, padded), portal.js opens exactly.

A page sealed once and stored (tests/known) is the known answer both sides must agree on;
a frame that does not hold one whole deflated page shows the gate's message, never a broken page.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from pathlib import Path

import pytest
from playwright.sync_api import expect

from client_portal.publishing import crypto

from .conftest import Watched
from .test_client_pages import assert_clean, expect_gate, open_page

pytestmark = pytest.mark.browser

KNOWN = Path(__file__).resolve().parent.parent / "known" / "sealed-page-2.json"
KNOWN_TOKEN = "v672c6ruzg3kymwmqbq53zirai"  # the folder it was sealed for
TRAILING = zlib.compress(b"<p>x</p>")[2:]  # a raw deflate stream, then zlib's checksum
# The secret the stored page was sealed under (a test value: today's builds refuse one this weak).
KNOWN_SECRET = b"test-site-secret-0123456789abcdef-0123456789"
JANE = crypto.contact_key(KNOWN_SECRET, "acme", 1, "jane@acme.example", 1)


def publish(site, token: str, payload: dict) -> str:
    """Acme's built page shell at ``p/<token>/``, carrying ``payload``; its address."""
    acme = site.folder / site.links("acme-bakery")[0].path.split("#")[0]
    html = (acme / "index.html").read_text(encoding="utf-8")
    start = html.index('id="cp-payload">') + len('id="cp-payload">')
    shell = html[:start] + json.dumps(payload) + html[html.index("</script>", start) :]
    (site.folder / "p" / token).mkdir(exist_ok=True)
    (site.folder / "p" / token / "index.html").write_text(shell, encoding="utf-8")
    return f"{site.base}p/{token}/"


def sealed_frame(frame: bytes, token: str) -> dict:
    """A link page whose decrypted plaintext is ``frame``, as `crypto.seal_page` lays it out, for Jane."""
    page_key, jane = os.urandom(crypto.KEY_BYTES), crypto.Recipient.from_link(JANE)
    wrapped = {"id": jane.id, **crypto._seal(jane.key, page_key, f"{crypto.LABELS}/key/{token}/{jane.id}")}
    page = crypto._seal(page_key, frame, f"{crypto.FORMAT}/page/{token}")
    return {"format": crypto.FORMAT, "page": page, "keys": [wrapped], "mode": "link"}


def test_the_stored_page_opens_in_the_browser_as_python_opens_it(site, watched: Watched):
    payload = json.loads(KNOWN.read_text(encoding="utf-8"))
    open_page(watched, publish(site, KNOWN_TOKEN, payload) + "#" + crypto.b64url(JANE))
    content = watched.page.locator("#cp-content")
    assert content.inner_html() == "<p>Known answer: 蛋糕 &amp; bread</p>\n  "  # its trailing spaces too
    assert_clean(watched)


def test_a_long_page_inflates_whole(site, watched: Watched):
    token = "a" * 26
    rows = "".join(f"<p>Item {n}: the brand guide, the menu and the shop</p>" for n in range(3000))
    framed = crypto.frame(rows)
    assert len(framed) < len(rows) // 10  # 150 KB of page in a few KiB
    open_page(watched, publish(site, token, sealed_frame(framed, token)) + "#" + crypto.b64url(JANE))
    expect(watched.page.locator("#cp-content p")).to_have_count(3000)
    expect(watched.page.locator("#cp-content p").last).to_have_text("Item 2999: the brand guide, the menu and the shop")
    assert_clean(watched)


@pytest.mark.parametrize(
    "frame",
    [
        struct.pack(">I", 10**6) + bytes(4092),  # a length past the end
        struct.pack(">I", len(TRAILING)) + TRAILING + bytes(4080),  # more after the stream
        struct.pack(">I", 4) + b"\xff\xff\xff\xff" + bytes(4088),  # no deflate stream
    ],
    ids=["length-past-the-end", "trailing-bytes", "not-deflate"],
)
def test_a_frame_that_is_not_one_whole_page_shows_the_gate_message(site, watched: Watched, frame):
    token = "b" * 26
    watched.page.goto(publish(site, token, sealed_frame(frame, token)) + "#" + crypto.b64url(JANE))
    expect_gate(watched, "invalid")
    assert_clean(watched)
