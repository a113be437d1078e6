"""The text inside the document formats a site publishes by accident, for the leak audit.

A file's bytes read as UTF-8 show little of a PDF (its text streams are compressed), a
PNG's compressed text chunks, a UTF-16 export, a calendar whose long lines are folded
or a MIME message whose body is base64. Each reader here gives what a person opening
the file would read: PDF page text and metadata (pypdf), PNG text chunks (tEXt, zTXt,
iTXt), JPEG comments and APP1 metadata (XMP, Exif), MIME parts and headers decoded
(RFC 2045-2047, Python's ``email``), calendars unfolded (RFC 5545), text decoded by its
byte-order mark, and ``data:`` URLs decoded wherever they appear. Every reader is
bounded: what it unpacks never exceeds the limit it is given.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import logging
import re
import zlib
from collections.abc import Iterator
from email.message import EmailMessage
from typing import IO, Literal
from urllib.parse import unquote_to_bytes

Kind = Literal["pdf", "png", "jpeg", "mime"]

_PNG = b"\x89PNG\r\n\x1a\n"
_MIME_NAMES = (".eml", ".mht", ".mhtml", ".mim", ".mime")
_CALENDAR_NAMES = (".ics", ".ical", ".ifb", ".vcs", ".vcf", ".vcard")
_MIME_HEAD = re.compile(rb"^(?:[\x21-\x39\x3b-\x7e]+:[^\r\n]*\r?\n(?:[ \t][^\r\n]*\r?\n)*)+", re.ASCII)
_FOLD = re.compile(rb"\r?\n[ \t]")
# Byte-order marks, the 32-bit ones first: UTF-32-LE starts like UTF-16-LE.
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xef\xbb\xbf", "utf-8"),
)
# data:[<media type>][;<parameter>...][;base64],<data>, up to where a quote, bracket or space ends it
_DATA_URL = re.compile(
    r"data:(?P<type>[\w.+-]+/[\w.+-]+)?(?P<parameters>(?:;[\w.+-]+=[^;,\s\"'<>()]*)*)(?P<base64>;base64)?,"
    r"(?P<data>[^\s\"'<>()\\]*)",
    re.IGNORECASE,
)
_JPEG_TEXT = {0xFE: "comment", 0xE1: "APP1 metadata"}  # COM; APP1 holds Exif and XMP


class DocumentError(Exception):
    """A file that looks like a document but cannot be read as one."""


def document_kind(head: bytes, path: str) -> Kind | None:
    """The document format of a file, from its first bytes (and, for MIME mail, its name)."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(_PNG):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if path.lower().endswith(_MIME_NAMES) or (_MIME_HEAD.match(head) and b"mime-version:" in head.lower()):
        return "mime"
    return None


def text_encoding(head: bytes) -> tuple[str, int]:
    """The codec of a text file by its byte-order mark, and the mark's length; UTF-8 without one."""
    for mark, codec in _BOMS:
        if head.startswith(mark):
            return codec, len(mark)
    return "utf-8", 0


def is_calendar(head: bytes, path: str) -> bool:
    """Whether a file is an iCalendar or vCard text, whose long lines are folded."""
    return path.lower().endswith(_CALENDAR_NAMES) or b"BEGIN:VCALENDAR" in head or b"BEGIN:VCARD" in head


def unfold(data: bytes) -> bytes:
    """RFC 5545 unfolding: a line break followed by one space or tab is no break at all.

    Done on bytes, since a fold may fall inside a multi-byte character.
    """
    return _FOLD.sub(b"", data)


def data_urls(text: str, limit: int) -> Iterator[tuple[str, bytes]]:
    """(media type, decoded bytes) of each ``data:`` URL in ``text``, base64 or percent-encoded.

    At most ``limit`` bytes in all, decoded, so a page of inline images stays bounded.
    """
    for match in _DATA_URL.finditer(text):
        payload = match["data"]
        if not payload:
            continue
        if match["base64"]:
            cleaned = re.sub(r"[^A-Za-z0-9+/_-]", "", payload)
            try:
                data = base64.b64decode(
                    cleaned + "=" * (-len(cleaned) % 4), altchars=b"-_" if "-" in cleaned or "_" in cleaned else None
                )
            except (binascii.Error, ValueError):
                continue
        else:
            data = unquote_to_bytes(payload)
        if len(data) > limit:
            return
        limit -= len(data)
        yield (match["type"] or "text/plain").lower(), data


def pdf_texts(stream: IO[bytes]) -> Iterator[str]:
    """The text of every page of a PDF, and its metadata (title, author, subject, keywords)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # a damaged PDF is a finding of ours, not log noise
    try:
        reader = PdfReader(stream)
        # Many PDFs are encrypted only to restrict printing or copying: their user password is empty.
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError("is a password-protected PDF; its text was not read")
        if reader.metadata is not None:
            yield " ".join(str(value) for value in reader.metadata.values() if value)
        for page in reader.pages:
            yield page.extract_text() or ""
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError, RecursionError) as error:
        raise DocumentError(
            f"cannot be read as a PDF ({error or type(error).__name__}); its text was not read"
        ) from None


def png_texts(stream: IO[bytes], limit: int) -> Iterator[str]:
    """The text chunks of a PNG (tEXt, zTXt, iTXt), compressed ones unpacked up to ``limit`` bytes."""
    stream.read(len(_PNG))
    while header := stream.read(8):
        if len(header) < 8:
            return
        length, kind = int.from_bytes(header[:4], "big"), header[4:]
        if kind not in (b"tEXt", b"zTXt", b"iTXt"):
            _skip(stream, length + 4)  # the chunk and its CRC
            if kind == b"IEND":
                return
            continue
        data = stream.read(min(length, limit))
        _skip(stream, length - len(data) + 4)
        keyword, _, rest = data.partition(b"\0")
        if kind == b"tEXt":
            yield (keyword + b" " + rest).decode("latin-1")
        elif kind == b"zTXt":
            yield keyword.decode("latin-1") + " " + _inflate(rest[1:], limit).decode("latin-1")
        else:
            compressed, rest = rest[:1] == b"\1", rest[2:]
            language, _, rest = rest.partition(b"\0")
            translated, _, text = rest.partition(b"\0")
            body = _inflate(text, limit) if compressed else text
            yield b" ".join((keyword, language, translated, body)).decode("utf-8", errors="replace")


def jpeg_texts(stream: IO[bytes], limit: int) -> Iterator[str]:
    """The comments (COM) and APP1 metadata (Exif, XMP) of a JPEG, up to where the image data starts."""
    stream.read(2)
    while (marker := stream.read(2)) and len(marker) == 2 and marker[0] == 0xFF:
        code = marker[1]
        if code in (0xD9, 0xDA):  # end of image, start of scan: no more metadata
            return
        if code == 0x01 or 0xD0 <= code <= 0xD7:  # markers without a length
            continue
        size = stream.read(2)
        if len(size) < 2:
            return
        length = int.from_bytes(size, "big") - 2
        if code not in _JPEG_TEXT:
            _skip(stream, length)
            continue
        data = stream.read(min(length, limit))
        _skip(stream, length - len(data))
        yield data.decode(text_encoding(data)[0], errors="replace")
        if data.startswith(b"Exif"):  # Windows' XPTitle, XPAuthor ... are UTF-16
            yield data.decode("utf-16-le", errors="replace")


def mime_parts(stream: IO[bytes]) -> Iterator[tuple[str, str | bytes]]:
    """(name, content) of every part of a MIME message (``.eml``, ``.mht``): text decoded, the rest as bytes.

    Headers come first, RFC 2047 encoded words decoded (``=?utf-8?b?...?=``).
    """
    message = email.message_from_binary_file(stream, policy=email.policy.default)
    for number, part in enumerate(message.walk(), start=1):
        name = f"part {number}"
        yield f"{name} headers", "\n".join(f"{key}: {value}" for key, value in part.items())
        if part.is_multipart():
            continue
        assert isinstance(part, EmailMessage)
        if part.get_content_maintype() == "text":
            try:
                yield name, part.get_content()
                continue
            except (LookupError, ValueError):  # an unknown charset: read the bytes as they are
                pass
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            yield part.get_filename() or name, payload


def _inflate(data: bytes, limit: int) -> bytes:
    try:
        return zlib.decompressobj().decompress(data, limit)
    except zlib.error:
        return b""


def _skip(stream: IO[bytes], count: int) -> None:
    while count > 0:
        step = stream.read(min(count, 2**20))
        if not step:
            return
        count -= len(step)
