"""The audit reads files as a real site publishes them: PDF, calendars, data: URLs, image metadata, UTF-16, mail."""

from __future__ import annotations

import base64
import io
import shutil
import struct
import zlib
from email.message import EmailMessage
from pathlib import Path

import pytest

from client_portal.audit import documents
from client_portal.audit.audit import audit_site
from client_portal.audit.site_files import site_files
from client_portal.records.loader import load_clients
from client_portal.records.model import Client

from .build import SECRET
from .conftest import ROOT, TODAY
from .example import PASSWORD

ENVIRON = {"LOTUS_TEA_PORTAL_PASSWORD": PASSWORD}


def tiny_pdf(text: str) -> bytes:
    """A one-page PDF whose only text is ``text``, in a compressed (FlateDecode) stream as PDF writers make."""
    content = zlib.compress(f"BT /F1 12 Tf 72 712 Td ({text}) Tj ET".encode("latin-1"))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def tiny_png(*chunks: bytes) -> bytes:
    """A 1x1 grey PNG with the given text chunks before its image data."""
    header = png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    image = png_chunk(b"IDAT", zlib.compress(b"\0\x80"))
    return b"\x89PNG\r\n\x1a\n" + header + b"".join(chunks) + image + png_chunk(b"IEND", b"")


def tiny_jpeg(comment: bytes) -> bytes:
    """The start of a JPEG: a COM segment, then the start of scan."""
    return b"\xff\xd8\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment + b"\xff\xda\x00\x02\xff\xd9"


def chinese_letter() -> bytes:
    """An update e-mail as `digest --out` writes one in Chinese: base64 body, RFC 2047 subject."""
    letter = EmailMessage()
    letter["From"] = "Mei Chen <mei@example.com>"
    letter["To"] = "林晓雯 <client@example.org>"  # the address is a fingerprint too: keep it out of the test
    letter["Subject"] = "莲语茶舍 · 项目进展"
    letter.set_content("晓雯，您好！本周的进展如下。", charset="utf-8", cte="base64")
    letter.add_alternative("<p>本周的进展如下。</p>", subtype="html", charset="utf-8", cte="base64")
    data = bytes(letter)
    assert "莲语茶舍".encode() not in data and b"=?utf-8?" in data  # nothing readable as it is
    return data


def web_archive() -> bytes:
    """A saved page (.mht): quoted-printable HTML whose soft line break splits the client's name."""
    html = "<html><body><h1>Status for Acme Ba=\r\nkery</h1></body></html>"
    return (
        "MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=b\r\n\r\n--b\r\n"
        "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        f"{html}\r\n--b--\r\n"
    ).encode()


SVG_LOGO = b'<svg xmlns="http://www.w3.org/2000/svg"><title>Acme Bakery</title><rect width="1" height="1"/></svg>'
# (file planted in the site, its bytes, the path a finding names, the client it names)
PLANTED = [
    ("downloads/guide.pdf", tiny_pdf("Brand guide for Acme Bakery"), "downloads/guide.pdf", "acme-bakery"),
    (
        "events.ics",
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:Launch review with Acme Ba\r\n kery\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR\r\n",
        "events.ics",
        "acme-bakery",
    ),
    (
        "about/index.html",
        b'<html><body><img alt="" src="data:image/svg+xml;base64,' + base64.b64encode(SVG_LOGO) + b'"></body></html>',
        "about/index.html!/data:image/svg+xml",
        "acme-bakery",
    ),
    (
        "img/logo.png",
        tiny_png(png_chunk(b"zTXt", b"Comment\0\0" + zlib.compress(b"Logo for Acme Bakery"))),
        "img/logo.png",
        "acme-bakery",
    ),
    (
        "img/mark.png",
        tiny_png(png_chunk(b"iTXt", b"Title\0\1\0zh\0\0" + zlib.compress("莲语茶舍标志".encode()))),
        "img/mark.png",
        "lotus-tea",
    ),
    ("img/photo.jpg", tiny_jpeg("莲语茶舍".encode("utf-16")), "img/photo.jpg", "lotus-tea"),
    ("export/clients.txt", "客户：Acme Bakery".encode("utf-16"), "export/clients.txt", "acme-bakery"),
    ("export/wide.txt", "Acme Bakery".encode("utf-32"), "export/wide.txt", "acme-bakery"),
    ("letters/lin.eml", chinese_letter(), "letters/lin.eml", "lotus-tea"),
    ("saved/status.mht", web_archive(), "saved/status.mht", "acme-bakery"),
]


@pytest.fixture(scope="module")
def built(example_site) -> Path:
    return example_site


@pytest.fixture(scope="module")
def clients() -> list[Client]:
    """The example's records, as the audit is given them."""
    return load_clients(ROOT / "clients", today=TODAY)


def audit(site: Path, clients: list[Client]) -> list[str]:
    return [str(finding) for finding in audit_site(site, clients, SECRET.encode(), "p", ENVIRON)]


@pytest.mark.parametrize(("name", "content", "path", "owner"), PLANTED, ids=[p[0] for p in PLANTED])
def test_each_accidental_form_is_found_with_its_file(built, clients, tmp_path, name, content, path, owner):
    site = Path(shutil.copytree(built, tmp_path / "site"))
    (site / name).parent.mkdir(parents=True, exist_ok=True)
    (site / name).write_bytes(content)
    assert f"{path}: text of client '{owner}' appears outside its folder" in " ".join(audit(site, clients))


def test_a_digest_letter_carries_keys_the_audit_finds(built, clients, tmp_path):
    """A letter with a link, base64-encoded as the digest writes Chinese and Japanese ones."""
    from client_portal.publishing.addresses import client_links
    from client_portal.settings import PortalSettings

    lotus = next(c for c in clients if c.id == "acme-bakery")
    link = client_links(PortalSettings(root=ROOT, clients_dir=ROOT / "clients"), SECRET.encode(), lotus)[0]
    letter = EmailMessage()
    letter["Subject"] = "进展"
    letter.set_content(f"请打开：https://portal.mei.example/{link.path}", charset="utf-8", cte="base64")
    site = Path(shutil.copytree(built, tmp_path / "site"))
    (site / "drafts.txt").write_bytes(bytes(letter))  # no telling name: recognised by its headers
    found = audit(site, clients)
    assert "drafts.txt: the link key of contact #1 of 'acme-bakery' appears in this file" in found


def test_the_example_portal_is_still_clean(built, clients):
    assert audit(built, clients) == []


def test_a_damaged_pdf_is_reported_not_skipped(tmp_path):
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\n" + b"\0" * 64)
    problems = [file.problem for file in site_files(tmp_path) if file.problem]
    assert len(problems) == 1 and "cannot be read as a PDF" in problems[0]


def test_compressed_png_text_is_bounded():
    limit = 2**20
    bomb = zlib.compress(b"a" * (64 * limit), 9)
    texts = list(documents.png_texts(io.BytesIO(tiny_png(png_chunk(b"zTXt", b"k\0\0" + bomb))), limit))
    assert len(texts) == 1 and len(texts[0]) == limit + 2  # the keyword, a space, then no more than the limit


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (
            "url(data:image/svg+xml,%3Csvg%3E%3Ctitle%3EAcme%3C/title%3E%3C/svg%3E)",
            [("image/svg+xml", b"<svg><title>Acme</title></svg>")],
        ),
        ('src="data:text/plain;charset=utf-8;base64,QWNtZQ=="', [("text/plain", b"Acme")]),
        ("data:;base64,QWNtZQ", [("text/plain", b"Acme")]),
        ("a data: b", []),
    ],
)
def test_data_urls_are_decoded(text, found):
    assert list(documents.data_urls(text, 1000)) == found


def test_data_urls_stop_at_their_limit():
    text = " ".join(["data:text/plain;base64," + base64.b64encode(b"x" * 100).decode()] * 5)
    assert len(list(documents.data_urls(text, 250))) == 2


@pytest.mark.parametrize(("user_password", "read"), [("", True), ("secret", False)])
def test_an_encrypted_pdf_is_read_when_it_opens_without_a_password(user_password, read):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(tiny_pdf("Acme Bakery"))))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-128")
    sealed = io.BytesIO()
    writer.write(sealed)
    sealed.seek(0)
    if read:
        assert "Acme Bakery" in documents.pdf_texts(sealed)
    else:
        with pytest.raises(documents.DocumentError, match="password-protected PDF"):
            list(documents.pdf_texts(sealed))
