"""The crypto module's own promises, in microseconds: what opens, what must not, and what comes back."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import struct
import zlib
from pathlib import Path

import pytest

from client_portal.page.render import Renderer
from client_portal.publishing import crypto
from client_portal.publishing.site_files import page_assets

from .pages import render_sample

SECRET = b"test-site-secret-0123456789abcdef-0123456789"
DECOYS = crypto.decoys_key(SECRET, "acme", 1)


@pytest.mark.parametrize("length", range(8))
def test_b64url_round_trips_every_padding(length):
    data = bytes(range(256))[:length] + b"\xff" * length
    text = crypto.b64url(data)
    assert "=" not in text and "+" not in text and "/" not in text
    assert crypto.from_b64url(text) == data
    assert crypto.b64url(b"\x00\x00\x17") == "AAAX"  # only padding is stripped, never a last character


def test_a_page_opens_for_each_recipient_and_comes_back_exactly():
    recipients = [crypto.Recipient.from_link(crypto.contact_key(SECRET, "acme", 1, who, 1)) for who in ("a", "b")]
    for html in ("<p>hello</p>\n\n", "<p>hello</p>  ", ""):  # the page's own trailing spaces stay
        payload = crypto.seal_page(html, "token", recipients, decoys=DECOYS)
        for recipient in recipients:
            assert crypto.open_page(payload, "token", recipient) == html
    stranger = crypto.Recipient.from_link(crypto.contact_key(SECRET, "acme", 1, "c", 1))
    with pytest.raises(KeyError, match=r"^'no wrapped page key for this recipient'$"):
        crypto.open_page(payload, "token", stranger)
    with pytest.raises(crypto.InvalidTag):
        crypto.open_page(payload, "another-token", recipients[0])  # bound to its page


def sealed(content: bytes, *, sha256: str | None = None, token: str = "token") -> tuple[bytes, bytes, str]:
    """(key, sealed bytes, fingerprint) of ``content``, sealed under ``sha256`` if given."""
    digest = sha256 or hashlib.sha256(content).hexdigest()
    key = crypto.file_key(SECRET, "acme", 1, digest)
    out = io.BytesIO()
    with contextlib.suppress(crypto.FileMismatch):  # sealing other bytes under a fingerprint complains at the end
        crypto.seal_file(key, io.BytesIO(content), len(content), digest, token, out)
    return key, out.getvalue(), digest


def open_file(key: bytes, data: bytes, length: int, sha256: str, token: str = "token") -> bytes:
    plain = io.BytesIO()
    crypto.open_file(key, io.BytesIO(data), length, sha256, token, plain)
    return plain.getvalue()


@pytest.mark.parametrize("length", [0, 1, crypto.FILE_CHUNK, crypto.FILE_CHUNK + 1])
def test_a_file_opens_as_exactly_its_bytes(length):
    content = os.urandom(length)
    key, data, digest = sealed(content)
    assert len(data) == crypto.sealed_file_size(length) >= length + crypto.TAG_BYTES
    assert open_file(key, data, length, digest) == content


def test_a_sealed_file_that_is_not_its_file_does_not_open():
    content = os.urandom(3000)
    key, data, digest = sealed(content)
    for broken in (data + b"x", data[:-1], data[:16] + bytes([data[16] ^ 1]) + data[17:]):
        with pytest.raises(crypto.FileMismatch):
            open_file(key, broken, len(content), digest)
    with pytest.raises(crypto.FileMismatch):
        open_file(key, data, len(content), digest, token="another-page")
    other_key, other, _ = sealed(os.urandom(3000), sha256=digest)  # other bytes under this fingerprint
    assert other_key == key
    with pytest.raises(crypto.FileMismatch, match="does not hold the file"):
        open_file(key, other, len(content), digest)


# --- Known answers ------------------------------------------------------------------------------
# Links must stay the same from one build (and one release) to the next, and the browser derives
# and decrypts with the same labels: any change to a derivation, a label or the file format
# breaks every link a client has. These values were computed once; a change here is a new format.


def short(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def test_derived_values_are_those_every_earlier_build_published():
    assert crypto.url_token(SECRET, "acme", 1) == "v672c6ruzg3kymwmqbq53zirai"
    assert crypto.url_token(SECRET, "acme", 1, readable=True) == "x3oppnlyd4fht6nm76oalsaou4"
    assert short(crypto.contact_key(SECRET, "acme", 1, "jane@acme.example", 1)) == "c50298781818cb53"
    assert short(crypto.password_salt(SECRET, "acme", 1)) == "f5daa21ef436620e"
    assert crypto.recipient_label(SECRET, "acme", 1, "person", "jane@acme.example", 1) == "Xw8iK4O5Arhq"
    assert short(crypto.wrapping_key(b"\x01" * 32, "label")) == "302c0ef92757b35f"
    assert crypto.key_id(b"\x02" * 32) == "ftS_jXQxF345"
    assert short(crypto.file_key(SECRET, "acme", 1, "ab" * 32)) == "7ae937288915ba73"
    assert crypto.file_name(SECRET, "acme", 1, "ab" * 32) == "3pssbtklmmfqf3rsluqcdb4sae.bin"
    assert crypto.pbkdf2_parameters(b"\x03" * 16) == {
        "name": "PBKDF2",
        "hash": "SHA-256",
        "iterations": 600_000,
        "salt": "AwMDAwMDAwMDAwMDAwMDAw",
    }


def test_file_size_buckets():
    lengths = (0, 1, 16384, 16385, 2**20, 2**20 + 1, 5 * 2**20 + 3, 50 * 2**20)
    buckets = [16384, 16384, 16384, 32768, 1048576, 1081344, 5373952, 52428800]
    assert [crypto.file_padded_size(length) for length in lengths] == buckets
    assert all(bucket <= length * 1.12 for length, bucket in zip(lengths[5:], buckets[5:], strict=True))  # Padmé


def test_a_sealed_file_is_the_same_bytes_in_every_build():
    content = bytes(range(256)) * 8200  # three chunks, the last one padded
    digest = hashlib.sha256(content).hexdigest()
    out, key = io.BytesIO(), crypto.file_key(SECRET, "acme", 1, digest)
    crypto.seal_file(key, io.BytesIO(content), len(content), digest, "token", out)
    assert (len(out.getvalue()), short(out.getvalue())) == (2162736, "0303e03ce3d5f77a")


def test_a_page_is_deflated_and_padded_to_its_bucket_and_carries_its_format():
    html = "<li>Brand guide delivered</li>\n" * 500 + "end"
    framed = crypto.frame(html)
    (length,) = struct.unpack(">I", framed[:4])
    assert len(framed) == crypto.page_bucket(4 + length) == 4096 and length < len(html) // 20
    assert zlib.decompress(framed[4 : 4 + length], -15).decode() == html and not framed[4 + length :].strip(b"\0")
    assert crypto.unframe(framed) == html
    payload = crypto.seal_page("<p>hi</p>", "token", [], crypto.pbkdf2_parameters(b"\x03" * 16, 1000), decoys=DECOYS)
    assert payload["format"] == "client-portal/2" and payload["kdf"]["iterations"] == 1000
    assert len(crypto.from_b64url(payload["page"]["data"])) == 4096 + crypto.TAG_BYTES


@pytest.mark.parametrize("shared_length", [1, 5000, 40_000])  # the dictionary is the last 32 KiB of a long start
def test_a_page_whose_start_is_shared_with_others_is_still_one_deflate_stream_as_small(shared_length):
    shared = "".join(f".cp-x{n}{{margin:{n}px}}" for n in range(shared_length))[:shared_length]
    html = shared + "<li>Brand guide delivered, 蛋糕 &amp; bread</li>\n" * 300 + "end"
    framed = crypto.frame(html, shared)
    (length,) = struct.unpack(">I", framed[:4])
    inflater = zlib.decompressobj(-15)  # as the browser's deflate-raw: one stream, nothing after it
    assert inflater.decompress(framed[4 : 4 + length]).decode() == html and inflater.eof and not inflater.unused_data
    assert crypto.unframe(framed) == html
    (alone,) = struct.unpack(">I", crypto.frame(html)[:4])  # the whole page deflated in one go, at the same level
    assert length <= alone + 16  # the sync flush after the start costs a few bytes, and nothing else does
    with pytest.raises(ValueError, match="must start with what it shares"):
        crypto.frame("<p>another start</p>" + html, shared)


def test_page_buckets_have_two_significant_bits():
    lengths = (1, 4096, 4097, 6145, 8192, 8193, 12289, 40_000, 70_000)
    assert [crypto.page_bucket(n) for n in lengths] == [4096, 4096, 6144, 8192, 8192, 12288, 16384, 49152, 98304]
    for n in range(4097, 300_000, 997):
        bucket = crypto.page_bucket(n)
        assert n <= bucket < n * 1.5 and crypto.page_bucket(bucket) == bucket  # a bucket is its own bucket


@pytest.mark.parametrize(
    "broken",
    [
        struct.pack(">I", 5000) + bytes(4092),  # a length past the end
        struct.pack(">I", 3) + b"\x01\x02\x03" + bytes(4089),  # not deflate
        struct.pack(">I", 9) + zlib.compress(b"x")[2:] + bytes(4087),  # a zlib checksum after the stream
    ],
)
def test_a_frame_that_is_not_one_whole_page_does_not_open(broken):
    with pytest.raises((ValueError, zlib.error)):
        crypto.unframe(broken)


def test_a_page_sealed_by_this_format_opens_as_it_was():
    """Known answer: a page sealed once (tests/known); every later release and the browser must open it."""
    payload = json.loads((Path(__file__).parent / "known" / "sealed-page-2.json").read_text(encoding="utf-8"))
    jane = crypto.Recipient.from_link(crypto.contact_key(SECRET, "acme", 1, "jane@acme.example", 1))
    assert crypto.open_page(payload, "v672c6ruzg3kymwmqbq53zirai", jane) == "<p>Known answer: 蛋糕 &amp; bread</p>\n  "
    # the labels portal.js opens it with: the wrapped copy's of /1, the page's of /2
    token = "v672c6ruzg3kymwmqbq53zirai"
    entry = next(k for k in payload["keys"] if k["id"] == jane.id)
    page_key = crypto._open(jane.key, entry, f"client-portal/1/key/{token}/{jane.id}")
    framed = crypto._open(page_key, payload["page"], f"client-portal/2/page/{token}")
    (length,) = struct.unpack(">I", framed[:4])
    assert len(framed) == 4096 and not framed[4 + length :].strip(b"\0")


def test_files_that_do_not_open_say_why():
    content = os.urandom(100)
    key, data, digest = sealed(content)
    with pytest.raises(crypto.FileMismatch, match=r"^chunk 0 does not open with this file's key and page$"):
        open_file(key, data, len(content), digest, token="elsewhere")
    with pytest.raises(crypto.FileMismatch, match=r"^the sealed file does not hold the file it was made for$"):
        open_file(key, data + b"x", len(content), digest)
    with pytest.raises(crypto.FileMismatch, match=r"^the file changed while it was being encrypted$"):
        crypto.seal_file(key, io.BytesIO(content + b"more"), len(content), digest, "token", io.BytesIO())


@pytest.mark.parametrize("client_id", ["acme-bakery", "fjord-cycles", "harbor-books", "lotus-tea", "northwind-studio"])
def test_an_example_page_is_padded_to_the_bucket_zlibs_default_level_would_give(client_id):
    # pages are deflated a little faster than zlib's default level: no page may be any bigger on the wire for it
    assets = page_assets(2)
    shared = Renderer.sealed_style(assets)
    html = shared + render_sample(client_id)
    start = crypto._deflated_start(shared)[0]
    packer = zlib.compressobj(6, zlib.DEFLATED, -15, zdict=shared.encode()[-32768:])
    default = 4 + len(start + packer.compress(html[len(shared) :].encode()) + packer.flush())
    assert len(crypto.frame(html, shared)) == crypto.page_bucket(default)
