"""The crypto module's own promises, in microseconds: what opens, what must not, and what comes back."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os

import pytest

from client_portal import crypto

SECRET = b"test-site-secret-0123456789abcdef-0123456789"


@pytest.mark.parametrize("length", range(8))
def test_b64url_round_trips_every_padding(length):
    data = bytes(range(256))[:length] + b"\xff" * length
    text = crypto.b64url(data)
    assert "=" not in text and "+" not in text and "/" not in text
    assert crypto.from_b64url(text) == data


def test_a_page_opens_for_each_recipient_and_comes_back_exactly():
    html = "<p>hello</p>\n\n"  # ends in line breaks: only the size padding (spaces) is removed
    recipients = [crypto.Recipient.from_link(crypto.contact_key(SECRET, "acme", 1, who, 1)) for who in ("a", "b")]
    payload = crypto.seal_page(html, "token", recipients)
    for recipient in recipients:
        assert crypto.open_page(payload, "token", recipient) == html
    stranger = crypto.Recipient.from_link(crypto.contact_key(SECRET, "acme", 1, "c", 1))
    with pytest.raises(KeyError, match="no wrapped page key"):
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
