"""Every file of a built site as text, archives and documents opened: what the leak audit reads.

Archives are recognised by their first bytes, not their names, so a ``.docx`` (a zip)
or a renamed ``.gz`` is opened too. Unpacking is bounded: a member is read up to
``MEMBER_LIMIT`` bytes and one archive up to ``ARCHIVE_LIMIT``, and what is left unread
is reported (``SiteFile.problem``), never skipped in silence. Documents (PDF, PNG and
JPEG metadata, MIME mail, calendars, UTF-16/32 text, ``data:`` URLs) give the text a
person opening them would read, as well as their bytes read as text (see `documents`).
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, Protocol

from client_portal.audit.documents import (
    DocumentError,
    Kind,
    data_urls,
    document_kind,
    is_calendar,
    jpeg_texts,
    mime_parts,
    other_readings,
    pdf_texts,
    png_texts,
    rtf_text,
    text_encoding,
    unfold,
)

MEMBER_LIMIT = 64 * 2**20
ARCHIVE_LIMIT = 16 * MEMBER_LIMIT
MAX_DEPTH = 3  # archives inside archives inside archives; deeper ones are reported
CHUNK = 4 * 2**20  # big files are read in pieces, so memory stays flat
OVERLAP = 64 * 2**10  # each piece repeats the end of the one before: no text is cut in two
_HEAD = 512
# NotImplementedError and RuntimeError: zip members compressed in an unknown way, or encrypted.
_UNPACK_ERRORS = (
    OSError, EOFError, ValueError, zlib.error, lzma.LZMAError, tarfile.TarError, zipfile.BadZipFile,
    NotImplementedError, RuntimeError,
)  # fmt: skip


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class SiteFile:
    """The text of one file of the site (or a piece of it), under its path relative to the site."""

    path: str  # an archive member is ``archive!/member``
    text: str
    problem: str | None = None  # why part of it could not be read
    raw: bytes = b""  # the bytes ``text`` was decoded from


def site_files(site: Path, skip: frozenset[str] = frozenset(), *, archive_bytes: bool = False) -> Iterator[SiteFile]:
    """Every file under ``site`` but those in ``skip`` (paths relative to it), in path order, archives unpacked.

    With ``archive_bytes``, an archive also comes as it is, in pieces that carry only bytes
    (after its members), so an archive that was attached to a deliverable is found as such.
    """
    for path, file, problem in sorted(_walk(site, site.resolve(), "", frozenset())):
        if problem is not None:
            yield SiteFile(path, "", problem)
        elif path not in skip:
            with file.open("rb") as stream:
                yield from _contents(path, stream, None, 0, archive_bytes)


def _walk(folder: Path, site: Path, shown: str, within: frozenset[Path]) -> Iterator[tuple[str, Path, str | None]]:
    """(path as published, file, problem) of every file under ``folder``, links followed as uploaders follow them.

    GitHub Pages' upload (tar --dereference), rsync -L and most uploaders publish what a
    link points to, under the link's name: a link inside the site is read there, one that
    leaves the site (or leads nowhere, or back into a folder that holds it) is a problem.
    ``within`` holds the real folders the walk is in, so a loop ends.
    """
    real = folder.resolve()
    within |= {real}
    for entry in sorted(folder.iterdir()):
        path = shown + entry.name
        if entry.is_symlink():
            problem = _link_problem(entry, site, within)
            if problem is not None:
                yield path, entry, problem
                continue
        if entry.is_dir():
            yield from _walk(entry, site, path + "/", within)
        elif entry.is_file():
            yield path, entry, None


def _link_problem(link: Path, site: Path, within: frozenset[Path]) -> str | None:
    """Why an uploader following ``link`` would publish what is not the site, or loop; None when it leads into it."""
    try:
        target = link.resolve(strict=True)
    except (OSError, RuntimeError):  # broken, or a loop of links
        return f"is a link to {os.readlink(link)}, which leads to no file (it is broken or loops): remove it"
    if not target.is_relative_to(site):
        return (
            f"is a link to {target}, outside the site: uploaders that follow links (GitHub Pages, rsync -L) "
            "publish what it points to; remove it or copy in only what is public"
        )
    if target.is_dir() and any(inside.is_relative_to(target) for inside in within):
        return f"is a link to {target}, a folder that holds it: uploaders would loop; remove it"
    return None


class _Budget:
    """How many more unpacked bytes one archive may give."""

    def __init__(self) -> None:
        self.left = ARCHIVE_LIMIT

    def limit(self) -> int:
        return min(MEMBER_LIMIT, self.left)


Unpacker = Callable[[str, IO[bytes], _Budget, int], Iterator[SiteFile]]


def _contents(
    path: str, stream: IO[bytes], budget: _Budget | None, depth: int, archive_bytes: bool = False
) -> Iterator[SiteFile]:
    """A seekable ``stream`` as text, or as the texts of its members when it is an archive."""
    head = stream.read(_HEAD)
    stream.seek(0)
    unpack = _UNPACKERS.get(_archive_kind(head) or "")
    if unpack is None:
        yield from _pieces(path, stream, budget, depth=depth)
        if kind := document_kind(head, path):
            stream.seek(0)
            yield from _document(path, kind, stream, budget, depth)
        return
    if depth >= MAX_DEPTH:
        yield SiteFile(path, "", f"is an archive nested more than {MAX_DEPTH} deep; it was not unpacked")
    else:
        try:
            yield from unpack(path, stream, budget or _Budget(), depth)
        except _UNPACK_ERRORS as error:
            message = f"cannot be unpacked ({error or type(error).__name__}); its contents were not read"
            yield SiteFile(path, "", message)
    if archive_bytes and depth == 0:
        stream.seek(0)
        yield from _pieces(path, stream, None, decode=False)


def _member(path: str, stream: _Readable, budget: _Budget, depth: int) -> Iterator[SiteFile]:
    """An unpacked member: its text, or, when it is an archive itself, its members in turn."""
    head = stream.read(_HEAD)
    archive = _archive_kind(head) is not None
    if not archive and document_kind(head, path) is None:
        yield from _pieces(path, stream, budget, head, depth=depth)
        return
    # Archive and document formats need to seek, and unpacked streams cannot: the member is read into memory.
    limit = budget.limit()
    data = head + _read(stream, limit + 1 - len(head))
    if len(data) > limit:
        yield SiteFile(path, "", _too_big(budget))
        return
    budget.left -= len(data)
    yield from _contents(path, io.BytesIO(data), budget, depth + 1 if archive else depth)


def _document(path: str, kind: Kind, stream: IO[bytes], budget: _Budget | None, depth: int) -> Iterator[SiteFile]:
    """The text a person opening a document reads; parts that are files of their own are read as such."""
    limit = budget.limit() if budget is not None else MEMBER_LIMIT
    try:
        if kind == "pdf":
            yield from (SiteFile(path, text) for text in pdf_texts(stream))
        elif kind == "png":
            yield from (SiteFile(path, text) for text in png_texts(stream, limit))
        elif kind == "jpeg":
            yield from (SiteFile(path, text) for text in jpeg_texts(stream, limit))
        elif kind == "rtf":
            data = _read(stream, limit + 1)  # read whole, as a word processor does: only up to the limit
            if len(data) > limit:
                yield SiteFile(path, "", f"is an RTF document over {limit // 2**20} MiB; its text was not decoded")
                return
            yield SiteFile(path, rtf_text(data))
        else:
            data = _read(stream, limit + 1)  # a message is parsed whole: only up to the limit
            if len(data) > limit:
                yield SiteFile(path, "", f"is a MIME message over {limit // 2**20} MiB; its parts were not read")
                return
            parts = list(mime_parts(io.BytesIO(data)))
            yield from (SiteFile(path, text) for _, text in parts if isinstance(text, str))
            for name, content in parts:
                if isinstance(content, bytes):
                    yield from _nested(f"{path}!/{name}", content, depth)
    except DocumentError as error:
        yield SiteFile(path, "", str(error))


def _nested(path: str, content: bytes, depth: int) -> Iterator[SiteFile]:
    """A file inside a file (a mail attachment, a ``data:`` URL), read as any file is, one level deeper."""
    if depth + 1 >= MAX_DEPTH:
        yield SiteFile(path, "", f"is nested more than {MAX_DEPTH} deep; it was not read")
    else:
        yield from _contents(path, io.BytesIO(content), None, depth + 1)


def _pieces(
    path: str, stream: _Readable, budget: _Budget | None, head: bytes = b"", *, decode: bool = True, depth: int = 0
) -> Iterator[SiteFile]:
    """The text of ``stream`` (after ``head``, already read) in overlapping pieces of about ``CHUNK`` bytes.

    The text is decoded by its byte-order mark (UTF-8 without one), a calendar's folded
    lines are joined, and the ``data:`` URLs in it are read as files of their own, after it.
    Each piece may come again read as another program would show it (``other_readings``).
    With ``decode`` false, the pieces carry only their bytes (an archive, read as it is).
    """
    limit = budget.limit() if budget is not None else None
    data, done, first = head, len(head), True
    codec, marked, calendar = "utf-8", False, False
    inline: list[tuple[str, bytes]] = []
    inline_left = MEMBER_LIMIT
    while True:
        more = _read(stream, CHUNK - len(data) if limit is None else min(CHUNK - len(data), limit + 1 - done))
        done += len(more)
        data += more
        over = limit is not None and done > limit
        if over and limit is not None:
            data = data[: len(data) - (done - limit)]
        if first:
            (codec, mark), calendar = text_encoding(data), is_calendar(data[:_HEAD], path)
            marked = mark > 0
        if more or first:
            # even an empty file is listed: its name is audited too
            content = unfold(data) if calendar else data
            text = content.decode(codec, errors="replace") if decode else ""
            yield SiteFile(path, text, raw=data)
            if decode:
                for other in other_readings(content, text, marked=marked, calendar=calendar):
                    yield SiteFile(path, other)
            if "data:" in text:
                found = list(data_urls(text, inline_left))
                inline_left -= sum(len(content) for _, content in found)
                inline += found
        if over:
            yield SiteFile(path, "", _too_big(budget))
        if over or not more:
            break
        data, first = data[-OVERLAP:], False
    if budget is not None and limit is not None:
        budget.left -= min(done, limit)
    for media_type, content in dict.fromkeys(inline):  # a piece repeats the end of the one before
        yield from _nested(f"{path}!/data:{media_type}", content, depth)


def _read(stream: _Readable, size: int) -> bytes:
    # read() with a negative size would read everything, the very thing the limits prevent
    return stream.read(size) if size > 0 else b""


def _too_big(budget: _Budget | None) -> str:
    if budget is not None and budget.left < MEMBER_LIMIT:
        return f"its archive unpacks to more than {ARCHIVE_LIMIT // 2**20} MiB; the rest was not read"
    return f"unpacks to more than {MEMBER_LIMIT // 2**20} MiB; the rest was not read (a decompression bomb?)"


def _archive_kind(head: bytes) -> str | None:
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"\x1f\x8b\x08"):
        return "gzip"
    if head[:3] == b"BZh" and head[4:10] == b"1AY&SY":
        return "bzip2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head[257:262] == b"ustar":
        return "tar"
    if _is_lzma_alone(head):
        return "lzma"
    return None


def _is_lzma_alone(head: bytes) -> bool:
    """Whether ``head`` starts an ``.lzma`` file (LZMA-alone), which has no magic number, only a header.

    The header is what every encoder writes: the default properties (lc=3, lp=0, pb=2), a
    dictionary size of 2^n or 3 * 2^(n-1) bytes, and the unpacked size or "unknown".
    """
    if len(head) < 13 or head[0] != 0x5D:
        return False
    dictionary = int.from_bytes(head[1:5], "little")
    if not any(dictionary in (1 << n, 3 << (n - 1)) for n in range(12, 31)):
        return False
    size = int.from_bytes(head[5:13], "little")
    return size == 2**64 - 1 or size < 2**40


def _zip(path: str, stream: IO[bytes], budget: _Budget, depth: int) -> Iterator[SiteFile]:
    with zipfile.ZipFile(stream) as archive:
        for info in archive.infolist():
            if not info.is_dir():
                with archive.open(info) as member:
                    yield from _member(f"{path}!/{info.filename}", member, budget, depth)


def _tar(path: str, stream: IO[bytes], budget: _Budget, depth: int) -> Iterator[SiteFile]:
    with tarfile.open(fileobj=stream, mode="r:") as archive:
        for info in archive:
            member = archive.extractfile(info) if info.isfile() else None
            if member is not None:
                yield from _member(f"{path}!/{info.name}", member, budget, depth)


def _compressed(opener: Callable[[IO[bytes]], io.BufferedIOBase]) -> Unpacker:
    """A single compressed stream (``sitemap.xml.gz``): its content keeps the file's own path."""

    def unpack(path: str, stream: IO[bytes], budget: _Budget, depth: int) -> Iterator[SiteFile]:
        with opener(stream) as inner:
            yield from _member(path, inner, budget, depth)

    return unpack


_UNPACKERS: dict[str, Unpacker] = {
    "zip": _zip,
    "tar": _tar,
    "gzip": _compressed(lambda stream: gzip.GzipFile(fileobj=stream)),
    "bzip2": _compressed(bz2.BZ2File),
    "xz": _compressed(lzma.LZMAFile),
    "lzma": _compressed(partial(lzma.LZMAFile, format=lzma.FORMAT_ALONE)),
}
