"""The text inside the document formats a site publishes by accident, for the leak audit.

A file's bytes read as UTF-8 show little of a PDF (its text streams are compressed), a
PNG's compressed text chunks, a UTF-16 export, a calendar whose long lines are folded
or a MIME message whose body is base64. Each reader here gives what a person opening
the file would read: PDF page text and metadata (pypdf), PNG text chunks (tEXt, zTXt,
iTXt), JPEG comments and APP1 metadata (XMP, Exif), MIME parts and headers decoded
(RFC 2045-2047, Python's ``email``), calendars unfolded (RFC 5545), text decoded by its
byte-order mark, and ``data:`` URLs decoded wherever they appear. Text exports are also
read as the programs that wrote them meant: without a byte-order mark (UTF-16 told by
its zero bytes, Windows code pages when the bytes are no UTF-8), word-processor and SVG
text whose words are split across runs joined again, vCard quoted-printable values and
RTF escapes decoded. Every reader is bounded: what it unpacks never exceeds the limit
it is given.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import email
import email.policy
import logging
import quopri
import re
import zlib
from collections.abc import Iterator
from email.message import EmailMessage
from typing import IO, Literal
from urllib.parse import unquote_to_bytes

Kind = Literal["pdf", "png", "jpeg", "mime", "rtf"]

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
# Text without a byte-order mark that is no UTF-8 was written in a Windows code page:
# Western (Excel's CSV on most European systems) or Chinese (GBK, read as its superset).
LEGACY_CODECS = ("cp1252", "gb18030")
_SAMPLE = 64 * 2**10  # how much of a text is looked at to tell UTF-16 by its zero bytes
# Elements that join the text around them in word-processor and SVG files: a word edited
# in Word is split across runs (<w:r><w:t>), in LibreOffice across <text:span>s, in an SVG
# across <tspan>s. Per prefix, the elements that separate instead (paragraphs, breaks, cells).
_RUN_SEPARATORS = {
    "w": frozenset({"p", "br", "cr", "tab", "tc", "footnote", "endnote", "comment", "txbxContent"}),
    "a": frozenset({"p", "br"}),
    "text": frozenset({"p", "h", "s", "tab", "line-break", "note", "note-body", "list-item", "index-title"}),
}
_RUN_JOINERS = frozenset({"tspan", "textPath"})
_RUN_MARKS = ("<w:t", "<a:t", "<text:", "<tspan")
_XML_TAG = re.compile(r"<(?:/?([A-Za-z][\w.-]*)(?::([\w.-]+))?[^>]*|!--.*?--)>", re.DOTALL)
# vCard 2.1 (Android and Outlook exports): a property whose value is quoted-printable,
# its soft line breaks ("=" at the end of a line) joining the lines that follow.
_QUOTED_PRINTABLE = re.compile(
    rb"^[^:\r\n]*;(?:ENCODING=)?QUOTED-PRINTABLE[^:\r\n]*:(?:[^\r\n]*=\r?\n)*[^\r\n]*",
    re.IGNORECASE | re.MULTILINE,
)
_CHARSET = re.compile(rb";CHARSET=([\w.:-]+)", re.IGNORECASE)
_RTF_TOKEN = re.compile(
    r"\\([a-z]{1,32})(-?\d{1,10})? ?|\\'([0-9a-fA-F]{2})|\\(.)|([{}])|([^\\{}\r\n]+)|[\r\n]+", re.DOTALL
)
# RTF groups a reader never sees as text: tables of fonts, colours, styles, pictures.
_RTF_HIDDEN = frozenset({
    "fonttbl", "colortbl", "stylesheet", "listtable", "listoverridetable", "rsidtbl", "pict", "themedata",
    "colorschememapping", "datastore", "latentstyles", "generator", "xmlnstbl", "fldinst", "objdata",
})  # fmt: skip
_RTF_BREAKS = frozenset({"par", "line", "tab", "sect", "page", "cell", "row", "emspace", "enspace"})
_RTF_SYMBOLS = {"~": " ", "-": "", "_": "-", "\\": "\\", "{": "{", "}": "}", "\n": "\n", "\r": "\n"}
_RTF_CODE_PAGES = {"mac": "mac_roman", "pc": "cp437", "pca": "cp850", "ansi": "cp1252"}


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
    if head.startswith(b"{\\rtf"):
        return "rtf"
    return None


def text_encoding(head: bytes) -> tuple[str, int]:
    """The codec of a text file by its byte-order mark, and the mark's length; UTF-8 without one."""
    for mark, codec in _BOMS:
        if head.startswith(mark):
            return codec, len(mark)
    return "utf-8", 0


def other_readings(data: bytes, text: str, *, marked: bool, calendar: bool) -> Iterator[str]:
    """The other ways a program may show a text file's ``data``, beyond ``text`` (UTF-8, or decoded by its mark).

    Text without a byte-order mark is also read as UTF-16 when every other byte is
    zero, or in the Windows code pages when it is no UTF-8; word-processor and SVG runs
    are joined; a vCard's quoted-printable values are decoded.
    """
    if not marked:
        for codec in _unmarked_codecs(data, text):
            yield data.decode(codec, errors="replace")
    if any(mark in text for mark in _RUN_MARKS):
        yield runs_joined(text)
    if calendar and b"quoted-printable" in data.lower():
        yield quoted_printable_values(data)


def _unmarked_codecs(data: bytes, text: str) -> tuple[str, ...]:
    """The codecs a file without a byte-order mark may be in, besides UTF-8."""
    if b"\0" in data:
        sample = data[:_SAMPLE]
        pairs = len(sample) // 2
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        # ASCII in UTF-16: a zero in every other byte, and almost never in the others
        if odd >= pairs // 4 and even * 8 <= odd:
            return ("utf-16-le",)
        if even >= pairs // 4 and odd * 8 <= even:
            return ("utf-16-be",)
        return ()  # binary: images, fonts, archives already read
    if "\ufffd" in text and not _is_utf8(data):
        return LEGACY_CODECS
    return ()


def _is_utf8(data: bytes) -> bool:
    """Whether ``data`` is UTF-8, allowing for a character cut at its end (a file read in pieces)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start >= len(data) - 3 and error.reason == "unexpected end of data"
    return True


def runs_joined(text: str) -> str:
    """Word, OpenDocument and SVG XML as a reader sees it: runs of one paragraph joined, tags out."""

    def replace(match: re.Match[str]) -> str:
        prefix, local = match[1], match[2]
        if local is None:
            return "" if prefix in _RUN_JOINERS else " "
        separators = _RUN_SEPARATORS.get(prefix)
        return "" if separators is not None and local not in separators else " "

    return _XML_TAG.sub(replace, text)


def quoted_printable_values(data: bytes) -> str:
    """The quoted-printable values of a vCard 2.1 (or vCalendar 1.0), decoded in their charset, one a line."""
    values = []
    for match in _QUOTED_PRINTABLE.finditer(data):
        line = match[0]
        name, _, value = line.partition(b":")
        charset = _CHARSET.search(name)
        decoded = quopri.decodestring(value.replace(b"\r\n", b"\n"))
        # no charset: UTF-8 when it is that, else Windows-1252, as Outlook writes
        codec = charset[1].decode("ascii") if charset else "utf-8" if _is_utf8(decoded) else "cp1252"
        values.append(_decoded(decoded, codec))
    return "\n".join(values)


def _decoded(data: bytes, codec: str) -> str:
    try:
        return data.decode(codec, errors="replace")
    except LookupError:  # a charset Python does not know: UTF-8 is the likeliest
        return data.decode("utf-8", errors="replace")


def rtf_text(data: bytes) -> str:
    """The text of an RTF document as a word processor shows it: escapes decoded, control words and tables out.

    ``\\'xx`` is a byte in the document's code page (``\\ansicpgN``, Windows-1252 by default);
    ``\\uN`` a UTF-16 unit, signed, followed by ``\\ucN`` characters for readers without
    Unicode, which are skipped.
    """
    out: list[str] = []
    pending = bytearray()  # bytes of the code page, decoded together: a GBK character is two \\'xx
    code_page = "cp1252"
    units: list[int] = []  # UTF-16 units of \\u, joined so surrogate pairs make one character
    hidden, skip, fallback = False, 0, 1
    stack: list[tuple[bool, int]] = []
    first_in_group = False

    def flush() -> None:
        if pending:
            out.append(_decoded(bytes(pending), code_page))
            pending.clear()
        if units:
            out.append(b"".join(unit.to_bytes(2, "little") for unit in units).decode("utf-16-le", "replace"))
            units.clear()

    for match in _RTF_TOKEN.finditer(data.decode("latin-1")):
        word, number, byte, symbol, brace, literal = match.groups()
        starts_group, first_in_group = first_in_group, False
        if brace == "{":
            stack.append((hidden, fallback))
            first_in_group = True
            continue
        if brace == "}":
            skip = 0
            if stack:
                hidden, fallback = stack.pop()
            continue
        if skip and (byte is not None or symbol is not None or literal):
            if literal and len(literal) > skip:
                literal, skip = literal[skip:], 0
            else:
                skip -= len(literal) if literal else 1
                continue
        if hidden:
            continue
        if word is not None:
            if starts_group and word in _RTF_HIDDEN:
                hidden = True
            elif word == "ansicpg" and number:
                code_page = _code_page(number)
            elif word in _RTF_CODE_PAGES:  # the character set; \\ansicpg, after it, names the code page
                code_page = _RTF_CODE_PAGES[word]
            elif word == "uc" and number:
                fallback = int(number)
            elif word == "u" and number:
                if pending:
                    flush()
                units.append(int(number) % 0x10000)
                skip = fallback
                continue
            elif word == "bin" and number:
                skip = int(number)
            elif word in _RTF_BREAKS:
                flush()
                out.append("\n")
            continue
        if symbol == "*" and starts_group:
            hidden = True
            continue
        if units:
            flush()
        if byte is not None:
            pending.append(int(byte, 16))
        elif symbol is not None:
            flush()
            out.append(_RTF_SYMBOLS.get(symbol, ""))
        elif literal:
            pending += literal.encode("latin-1")
    flush()
    return "".join(out)


def _code_page(number: str) -> str:
    name = "utf-8" if number == "65001" else f"cp{number}"
    try:
        codecs.lookup(name)
    except LookupError:
        return "cp1252"
    return name


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
