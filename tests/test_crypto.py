"""The crypto module's own promises, in microseconds: what opens, what must not, and what comes back."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os

import pytest

from client_portal.publishing import crypto

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
    for html in ("<p>hello</p>\n\n", "<p>hello</p>\n\nX"):  # only the size padding (spaces) is removed
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


def test_a_page_is_padded_to_its_bucket_and_carries_its_format():
    assert len(crypto.pad(b"x" * 20000)) == 32768 and crypto.pad(b"x" * 20000).rstrip(b" ") == b"x" * 20000
    payload = crypto.seal_page("<p>hi</p>", "token", [], crypto.pbkdf2_parameters(b"\x03" * 16, 1000), decoys=DECOYS)
    assert payload["format"] == "client-portal/1" and payload["kdf"]["iterations"] == 1000


def test_a_password_page_opens_with_the_iterations_it_names():
    salt = b"\x04" * 16
    stretched = crypto.password_key("correct horse battery staple", salt, 1000)
    recipient = crypto.Recipient.from_password(stretched, "label")
    assert recipient == crypto.Recipient(crypto.wrapping_key(stretched, "label"), "label")  # as the browser unwraps
    payload = crypto.seal_page("<p>hi</p>", "token", [recipient], crypto.pbkdf2_parameters(salt, 1000), decoys=DECOYS)
    assert crypto.open_with_password(payload, "token", "correct horse battery staple") == "<p>hi</p>"
    with pytest.raises(KeyError, match=r"^'this password opens no copy of the page key'$"):
        crypto.open_with_password(payload, "token", "wrong")


def test_files_that_do_not_open_say_why():
    content = os.urandom(100)
    key, data, digest = sealed(content)
    with pytest.raises(crypto.FileMismatch, match=r"^chunk 0 does not open with this file's key and page$"):
        open_file(key, data, len(content), digest, token="elsewhere")
    with pytest.raises(crypto.FileMismatch, match=r"^the sealed file does not hold the file it was made for$"):
        open_file(key, data + b"x", len(content), digest)
    with pytest.raises(crypto.FileMismatch, match=r"^the file changed while it was being encrypted$"):
        crypto.seal_file(key, io.BytesIO(content + b"more"), len(content), digest, "token", io.BytesIO())
