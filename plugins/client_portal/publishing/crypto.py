"""Tokens, keys and page encryption. The only module that touches ``cryptography``.

A page is compressed (raw deflate), padded to a size bucket and encrypted once
with a random page key (AES-256-GCM). The page key is then wrapped once per
recipient: per contact with a key derived from the site secret (it travels in the
link's fragment), or per password with a key derived from it: PBKDF2-SHA256 with
the page's salt (one derivation, whichever password is typed), then HKDF with the
copy's public label, which changes with that person's ``key_version``. Associated data binds every
ciphertext to the page's URL token, so ciphertexts cannot be moved between pages.
Attached files are encrypted in chunks with keys of their own (see `seal_file`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from zlib_ng import zlib_ng

# The sealed page's format, named in the payload and in the page's associated data:
# /2 deflates the page before padding (see `frame`). Keys, wrapped copies and files
# keep the labels of /1, so links, remembered devices and cached files stay valid.
FORMAT = "client-portal/2"
LABELS = "client-portal/1"
TOKEN_BYTES = 16  # 128 bits: not guessable, short enough for a link
KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # 96-bit GCM nonce, fresh and random for every encryption
PBKDF2_ITERATIONS = 600_000
KEY_ID_LABEL = b"client-portal key id"
LABEL_BYTES = 9  # a wrapped copy's public id: 12 characters, the same for links and passwords
MIN_PADDED = 16 * 1024  # files are padded to the next power of two from 16 KiB up (then Padmé)
MIN_PAGE = 4 * 1024  # a compressed page to a bucket of at least 4 KiB (see `page_bucket`)
KEYS_MULTIPLE = 4  # the list of wrapped copies is padded with decoys to a multiple of this
DEFLATE_LEVEL = 5  # zlib-ng's: see `frame`


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


def site_fingerprint(secret: bytes) -> str:
    """A public mark of the secret a site's client pages were built with: tells two secrets apart, reveals neither."""
    return b64url(derive(secret, "site fingerprint", length=9))


# A page asks for its folder's token four times (its folder, its links, its earlier folders), a preview on
# every rebuild: each an HKDF and a base32 in Python, a fortieth of a page's CPU.
@lru_cache(maxsize=100_000)
def url_token(secret: bytes, client_id: str, access_version: int, readable: bool = False) -> str:
    """The opaque folder name of a client's page; a new access version gives a new URL.

    A readable (unlisted) page has addresses of its own, so no link to the encrypted
    page, revoked ones included, ever reads it.
    """
    parts: tuple[str | int, ...] = (client_id, access_version, "readable") if readable else (client_id, access_version)
    raw = derive(secret, "url", *parts, length=TOKEN_BYTES)
    return base64.b32encode(raw).decode("ascii").rstrip("=").lower()


def feed_token(secret: bytes, client_id: str, access_version: int) -> str:
    """The unguessable file name of a client's calendar feed; a new access version gives a new one."""
    raw = derive(secret, "calendar feed", client_id, access_version, length=TOKEN_BYTES)
    return base64.b32encode(raw).decode("ascii").rstrip("=").lower()


def feed_uid_key(secret: bytes, client_id: str, access_version: int) -> bytes:
    """The key that names a feed's events, so an event's id tells nothing of its title."""
    return derive(secret, "calendar feed uid", client_id, access_version)


@lru_cache(maxsize=100_000)  # asked for by a page's links and again by its sealing
def contact_key(secret: bytes, client_id: str, access_version: int, contact: str, key_version: int) -> bytes:
    """The key in one contact's link; bumping their ``key_version`` revokes the old link."""
    return derive(secret, "contact", client_id, access_version, contact, key_version)


def whatsnew_key(secret: bytes, client_id: str, access_version: int) -> bytes:
    """The key of a page's what's-new fingerprints; it stays inside the page's build."""
    return derive(secret, "whats-new", client_id, access_version)


def password_salt(secret: bytes, client_id: str, access_version: int) -> bytes:
    """A per-page salt: every password of a page stretches with it, so the browser runs PBKDF2 once."""
    return derive(secret, "password-salt", client_id, access_version, length=16)


def password_key(password: str, salt: bytes, iterations: int = PBKDF2_ITERATIONS) -> bytes:
    """What a typed password stretches to, exactly as the browser derives it with WebCrypto."""
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt, iterations=iterations)
    return kdf.derive(password.encode("utf-8"))


def recipient_label(secret: bytes, client_id: str, access_version: int, *who: str | int) -> str:
    """The public label of one password's wrapped copy; it changes with the person's ``key_version``."""
    return b64url(derive(secret, "recipient", client_id, access_version, *who, length=LABEL_BYTES))


def wrapping_key(stretched: bytes, label: str) -> bytes:
    """The key that unwraps one password's copy of the page key (HKDF, as in the browser)."""
    info = f"{LABELS}/wrap/{label}".encode()
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(stretched)


def decision_key_for_link(link_key: bytes) -> bytes:
    """The key a link's holder signs decisions with (HKDF of the link's key, as the browser derives it)."""
    info = f"{LABELS}/decide".encode()
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(link_key)


def decision_key_for_password(stretched: bytes, label: str) -> bytes:
    """The key a password's holder signs decisions with: HKDF of the stretched password, per copy as for wrapping."""
    info = f"{LABELS}/decide/{label}".encode()
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(stretched)


def decision_key_for_page(secret: bytes, client_id: str, access_version: int) -> bytes:
    """The key an unlisted page's decisions are signed with at build time (the page is readable: no key to hold)."""
    return derive(secret, "decide", client_id, access_version)


def decision_mac(key: bytes, message: bytes) -> str:
    """A decision's MAC: HMAC-SHA-256, its first 128 bits in base64url (22 characters)."""
    return b64url(hmac.new(key, message, hashlib.sha256).digest()[:16])


def key_id(key: bytes) -> str:
    """A short public id for a key, so the browser finds its wrapped copy without trying all."""
    return b64url(hashlib.sha256(KEY_ID_LABEL + key).digest()[:LABEL_BYTES])


def _seal(key: bytes, plaintext: bytes, associated: str) -> dict[str, str]:
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, associated.encode("utf-8"))
    return {"iv": b64url(nonce), "data": b64url(ciphertext)}


def _open(key: bytes, sealed: dict[str, str], associated: str) -> bytes:
    return AESGCM(key).decrypt(from_b64url(sealed["iv"]), from_b64url(sealed["data"]), associated.encode("utf-8"))


def ended_check(opener: bytes) -> str:
    """A public mark of a link's key (or a stretched password) whose access ended, as the browser derives it.

    The page lists these, each with its end date sealed to it (`seal_end_date`), so an ended
    link can say when; the mark is an HKDF output, so it tells nothing about the key and
    opens nothing.
    """
    info = f"{LABELS}/ended".encode()
    return b64url(HKDF(algorithm=hashes.SHA256(), length=LABEL_BYTES, salt=None, info=info).derive(opener))


def ended_date_key(opener: bytes) -> bytes:
    """The key that seals an ended mark's date: only the link or password it ended for reads when."""
    info = f"{LABELS}/ended-date".encode()
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(opener)


def seal_end_date(key: bytes, check: str, day: str) -> dict[str, str]:
    """An ended mark's date (``YYYY-MM-DD``), sealed to its mark."""
    return _seal(key, day.encode("ascii"), f"{LABELS}/ended/{check}")


def open_end_date(key: bytes, check: str, sealed: dict[str, str]) -> str:
    """The date `seal_end_date` sealed (what the browser does; used in tests)."""
    return _open(key, sealed, f"{LABELS}/ended/{check}").decode("ascii")


def decoy_mark(key: bytes, slot: int) -> str:
    """The mark of the ended-link decoy in ``slot``: the same in every build, like a real mark."""
    return b64url(hmac.new(key, f"ended decoy {slot}".encode(), hashlib.sha256).digest()[:LABEL_BYTES])


@dataclass(frozen=True)
class Recipient:
    """Who can open a page: the key that unwraps their copy, that copy's public id, and whose it is."""

    key: bytes
    id: str
    holder: str = ""  # a contact's identity, or "" for a shared password
    ended: str = ""  # `ended_check` of what opens this copy, listed in the page once access has ended
    ended_key: bytes = b""  # `ended_date_key` of what opens this copy: seals the date beside that mark

    @classmethod
    def from_link(cls, key: bytes, holder: str = "") -> Recipient:
        """A contact whose link carries ``key``; the id lets the browser find its copy at once."""
        return cls(key, key_id(key), holder, ended_check(key), ended_date_key(key))

    @classmethod
    def from_password(cls, stretched: bytes, label: str, holder: str = "") -> Recipient:
        """A password (already stretched with PBKDF2) and the label of its copy."""
        return cls(wrapping_key(stretched, label), label, holder, ended_check(stretched), ended_date_key(stretched))


def padded_size(length: int) -> int:
    """The size bucket of a file up to 1 MiB: the next power of two, at least 16 KiB."""
    return max(MIN_PADDED, 1 << (length - 1).bit_length())


def page_bucket(length: int) -> int:
    """The size bucket of a framed page: the next of 4, 6, 8, 12, 16, 24, 32... KiB.

    Two significant bits rather than one: the padding is at most half as long as the
    page instead of as long, and the length tells one bit more (which half of a power
    of two the page is in).
    Deflate makes the length depend on how repetitive the page is as well as on how
    long, which the bucket hides just as well: what remains is a rough size.
    """
    if length <= MIN_PAGE:
        return MIN_PAGE
    step = 1 << ((length - 1).bit_length() - 2)  # a quarter of the next power of two
    return -(-length // step) * step


def frame(html: str, shared: str = "") -> bytes:
    """A page's plaintext before encryption: its length once deflated, the deflated page, zeros up to its bucket.

    Compression is safe here: a page is static, built once from its own record, so no
    text an attacker chooses is ever compressed beside a secret (as in CRIME or BREACH),
    and nobody can ask for the same secret compressed again with guesses of their own.
    The browser inflates with ``DecompressionStream("deflate-raw")``, which rejects
    trailing bytes: the length tells it where the padding starts.
    ``shared`` is how every page of the build starts (its stylesheet): deflated once, and
    the rest of the page deflated after it, still one deflate stream.
    """
    if not html.startswith(shared):
        raise ValueError("a page must start with what it shares with the others")
    start, primed = _deflated_start(shared)
    # raw deflate: no zlib header or checksum (GCM has one); the shared start is the dictionary,
    # as the browser's inflater has it in its window when it reaches the rest. With it, level 5
    # deflates the example and benchmark pages smaller than level 9 deflated whole pages, and
    # into the same buckets as level 6 (1 % more bytes), for a sixth less CPU than 6.
    # zlib-ng writes the same format as the standard library's zlib: at level 5, 0.1 % more bytes
    # for a benchmark page, in 0.29 ms where zlib took 0.47 ms (deflating was a page's biggest part).
    # the dictionary is set once a build and copied: setting it costs a page twice what a copy does
    packer = primed.copy() if primed is not None else zlib_ng.compressobj(DEFLATE_LEVEL, zlib_ng.DEFLATED, -15)
    deflated = start + packer.compress(html[len(shared) :].encode("utf-8")) + packer.flush()
    framed = struct.pack(">I", len(deflated)) + deflated
    return framed + bytes(page_bucket(len(framed)) - len(framed))


@lru_cache(maxsize=4)
def _deflated_start(shared: str) -> tuple[bytes, Any]:
    """``shared`` deflated up to a byte boundary, not as the stream's last block, and a compressor for the rest
    with its last 32 KiB as the dictionary (to be copied, never used itself)."""
    if not shared:
        return b"", None
    data = shared.encode("utf-8")
    packer = zlib_ng.compressobj(DEFLATE_LEVEL, zlib_ng.DEFLATED, -15)
    start = packer.compress(data) + packer.flush(zlib_ng.Z_SYNC_FLUSH)
    return start, zlib_ng.compressobj(DEFLATE_LEVEL, zlib_ng.DEFLATED, -15, zdict=data[-32768:])


def unframe(plaintext: bytes) -> str:
    """The page inside a decrypted `frame` (what the browser does after decryption)."""
    (length,) = struct.unpack(">I", plaintext[:4])
    if 4 + length > len(plaintext):
        raise ValueError("the page's length is past its end")
    packer = zlib.decompressobj(-15)  # the standard library's, as any other inflater: not the deflater's own
    html = packer.decompress(plaintext[4 : 4 + length]) + packer.flush()
    if not packer.eof or packer.unused_data:
        raise ValueError("the page is not one whole deflate stream")
    return html.decode("utf-8")


def decoys_key(secret: bytes, client_id: str, access_version: int) -> bytes:
    """The key that names a page's decoy copies (see `seal_page`)."""
    return derive(secret, "decoys", client_id, access_version)


def decoy_id(key: bytes, slot: int) -> str:
    """The id of the decoy in ``slot``: the same in every build, like a real copy's id."""
    return b64url(hmac.new(key, f"decoy {slot}".encode(), hashlib.sha256).digest()[:LABEL_BYTES])


def seal_page(
    html: str,
    token: str,
    recipients: list[Recipient],
    kdf: dict[str, Any] | None = None,
    *,
    decoys: bytes,
    shared: str = "",
) -> dict[str, Any]:
    """Encrypt a page body for its recipients; the JSON the browser decrypts.

    ``decoys`` (`decoys_key`) names the decoy copies that pad the list. Their ids are the
    same in every build, as real ones are, so two snapshots of the site differ only where
    a real copy changed; their content is fresh each build, as real ones' is. ``shared``:
    how every page of the build starts (see `frame`).
    """
    page_key = AESGCM.generate_key(bit_length=256)
    keys = [{"id": r.id, **_seal(r.key, page_key, f"{LABELS}/key/{token}/{r.id}")} for r in recipients]
    # Decoys, indistinguishable from real copies, so the list does not count the people.
    slot = 0
    # A page nobody can open any more (access.until passed) still looks like any other.
    while len(keys) % KEYS_MULTIPLE or not keys:
        decoy = decoy_id(decoys, slot)
        keys.append({"id": decoy, **_seal(os.urandom(KEY_BYTES), os.urandom(KEY_BYTES), decoy)})
        slot += 1
    keys.sort(key=lambda entry: entry["id"])
    payload: dict[str, Any] = {
        "format": FORMAT,
        "page": _seal(page_key, frame(html, shared), f"{FORMAT}/page/{token}"),
        "keys": keys,
    }
    if kdf is not None:
        payload["kdf"] = kdf
    return payload


def open_page(payload: dict[str, Any], token: str, recipient: Recipient) -> str:
    """Decrypt a sealed page as one recipient (what the browser does; used in tests and the audit)."""
    entry = next((k for k in payload["keys"] if k["id"] == recipient.id), None)
    if entry is None:
        raise KeyError("no wrapped page key for this recipient")
    page_key = _open(recipient.key, entry, f"{LABELS}/key/{token}/{recipient.id}")
    return unframe(_open(page_key, payload["page"], f"{FORMAT}/page/{token}"))


def open_with_password(payload: dict[str, Any], token: str, password: str) -> str:
    """Decrypt a password page as the browser does: one PBKDF2, then each copy's HKDF key."""
    kdf = payload["kdf"]
    stretched = password_key(password, from_b64url(kdf["salt"]), kdf["iterations"])
    for entry in payload["keys"]:
        try:
            return open_page(payload, token, Recipient.from_password(stretched, entry["id"]))
        except InvalidTag:
            continue
    raise KeyError("this password opens no copy of the page key")


def pbkdf2_parameters(salt: bytes, iterations: int = PBKDF2_ITERATIONS) -> dict[str, Any]:
    """How the browser derives the password key (stored with the page, not secret)."""
    return {"name": "PBKDF2", "hash": "SHA-256", "iterations": iterations, "salt": b64url(salt)}


# ---- attached files ----
# A file is encrypted in chunks (STREAM-like): each chunk is its own AES-GCM message under
# the file's key, its nonce is the chunk's number, and its associated data names the page,
# the file, the chunk's number and whether it is the last one, so chunks cannot be dropped,
# reordered, cut short or moved to another page. The key comes from the site secret and
# the file's SHA-256, so an unchanged file gives the same ciphertext in every build.
FILE_CHUNK = 2**20  # plaintext bytes per chunk: memory stays flat in the build and the browser
TAG_BYTES = 16
PADME_FROM = 2**20  # from here on, Padmé padding (at most 12% more) instead of powers of two


def file_key(secret: bytes, client_id: str, access_version: int, sha256: str) -> bytes:
    """The key of one attached file; the same file on the same page always gets the same key."""
    return derive(secret, "file", client_id, access_version, sha256)


def file_name(secret: bytes, client_id: str, access_version: int, sha256: str) -> str:
    """The opaque published name of an attached file: not guessable, not revealing order or name."""
    raw = derive(secret, "file-name", client_id, access_version, sha256, length=TOKEN_BYTES)
    return base64.b32encode(raw).decode("ascii").rstrip("=").lower() + ".bin"


def file_padded_size(length: int) -> int:
    """A file's size bucket: like pages up to 1 MiB (powers of two from 16 KiB), then Padmé.

    Padmé (Nikitin et al., 2019) rounds to a number with few significant bits, so the
    size leaks O(log log n) bits at an overhead of at most 12%, where powers of two
    could double a large file.
    """
    if length <= PADME_FROM:
        return padded_size(max(length, 1))
    exponent = length.bit_length() - 1
    mask = (1 << (exponent - exponent.bit_length())) - 1
    return (length + mask) & ~mask


def sealed_file_size(length: int) -> int:
    """The published size of a file of ``length`` bytes: padded, plus one tag per chunk."""
    padded = file_padded_size(length)
    return padded + TAG_BYTES * -(-padded // FILE_CHUNK)


def _chunk_associated(token: str, sha256: str, index: int, last: bool) -> bytes:
    return f"{LABELS}/file/{token}/{sha256}/{index}/{'last' if last else 'more'}".encode()


def _chunk_nonce(index: int) -> bytes:
    return index.to_bytes(NONCE_BYTES, "big")


class FileMismatch(Exception):
    """A file is not the one its key was made for: it changed while building, or a sealed file does not open."""


def _file_chunks(length: int, token: str, sha256: str) -> Iterator[tuple[int, int, bytes, bytes]]:
    """For each chunk of a sealed file: its number, plaintext size (padding included), nonce and associated data."""
    padded = file_padded_size(length)
    chunks = -(-padded // FILE_CHUNK)
    for index in range(chunks):
        size = min(FILE_CHUNK, padded - index * FILE_CHUNK)
        yield index, size, _chunk_nonce(index), _chunk_associated(token, sha256, index, index == chunks - 1)


def seal_file(key: bytes, source: BinaryIO, length: int, sha256: str, token: str, target: BinaryIO) -> None:
    """Encrypt ``length`` bytes of ``source`` into ``target``, chunk by chunk, zero-padded to its bucket."""
    aead, digest = AESGCM(key), hashlib.sha256()
    left = length
    for _, size, nonce, associated in _file_chunks(length, token, sha256):
        data = source.read(min(size, left)) if left > 0 else b""
        left -= len(data)
        digest.update(data)
        target.write(aead.encrypt(nonce, data + bytes(size - len(data)), associated))
    if left or source.read(1) or digest.hexdigest() != sha256:
        raise FileMismatch("the file changed while it was being encrypted")


def open_file(key: bytes, source: BinaryIO, length: int, sha256: str, token: str, target: BinaryIO | None) -> None:
    """Decrypt and check a sealed file as the browser does; raises `FileMismatch` when it does not open."""
    aead, digest = AESGCM(key), hashlib.sha256()
    left = length
    for index, size, nonce, associated in _file_chunks(length, token, sha256):
        sealed = source.read(size + TAG_BYTES)
        try:
            data = aead.decrypt(nonce, sealed, associated)[: max(left, 0)]
        except InvalidTag:
            raise FileMismatch(f"chunk {index} does not open with this file's key and page") from None
        left -= len(data)
        digest.update(data)
        if target is not None:
            target.write(data)
    if source.read(1) or digest.hexdigest() != sha256:
        raise FileMismatch("the sealed file does not hold the file it was made for")
