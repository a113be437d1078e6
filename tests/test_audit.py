"""The leak audit: text as a reader sees it, archives opened, and every way a built site could name a client."""

from __future__ import annotations

import ast
import bz2
import dataclasses
import gzip
import io
import json
import lzma
import os
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest

from client_portal.audit import site_files as site_files_module
from client_portal.audit.audit import audit_site, fingerprints, site_texts
from client_portal.audit.reader_text import markdown_reader_text, reader_text, words
from client_portal.audit.site_files import MEMBER_LIMIT, site_files
from client_portal.page.markdown_text import render_markdown
from client_portal.publishing.addresses import client_folder, client_links, replaced_folders
from client_portal.publishing.site_files import PREFIX_INDEX_MARKER, REPLACED_MARKER
from client_portal.records.loader import load_clients
from client_portal.records.model import Client, Contact, Record

from .build import SECRET
from .conftest import ROOT, TODAY
from .pages import SETTINGS

PASSWORD = "correct horse battery staple"
ENVIRON = {"LOTUS_TEA_PORTAL_PASSWORD": PASSWORD}


# --- what a reader sees -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "seen"),
    [
        ("Smith &amp; Sons", "smith sons"),
        ("Smith &#38; Sons", "smith sons"),
        ("&#65;cme&#x20;Bakery", "acme bakery"),
        ("Northwind <em>Dental</em> Group", "northwind dental group"),
        ("Ac<b>me</b> Bak<span class='x'>ery</span>", "acme bakery class x"),
        ("<p>Acme</p><p>Bakery</p>", "acme bakery"),
        ("Acme<br>Bakery", "acme bakery"),
        ("ACME BAKERY", "acme bakery"),
        ("Straße", "strasse"),
        ("Ａｃｍｅ Ｂａｋｅｒｙ", "acme bakery"),
        ("ﬁle", "file"),
        ("Acme&nbsp;Bakery", "acme bakery"),
        ("Acme\u00a0Bakery", "acme bakery"),
        ("Ac&shy;me Ba\u00adkery", "acme bakery"),
        ("Ac\u200bme Ba\u200dke\u2060ry\ufeff", "acme bakery"),
        ("Acme \n\t  Bakery", "acme bakery"),
        ("Acme-Bakery_contract.txt", "acme bakery contract txt"),
        (r"\u83b2\u8bed\u8336\u820d", "莲语茶舍"),
        (r"\u0041cme\u00a0\u0042akery", "acme bakery"),
        (r"\ud840\udc0b", "\U0002000b"),
        (r'{"text":"Acme\nBakery \"now\""}', "text acme bakery now"),
        (r"\x41cme", "acme"),
        ("Acme%20Bakery", "acme bakery"),
        ("%E8%8E%B2%E8%AF%AD%E8%8C%B6%E8%88%8D", "莲语茶舍"),
        ('<a href="/find?q=Acme+Bakery">find</a>', "find href find q acme bakery"),
        ('<img alt="Acme Bakery" src="x.png">', "alt acme bakery src x png"),
        ("<!-- Acme Bakery -->", "acme bakery"),
        ("Café", "café"),
        ("Cafe\u0301", "café"),
    ],
)
def test_reader_text_reads_as_a_reader_does(raw, seen):
    assert reader_text(raw) == seen


@pytest.mark.parametrize(
    ("markdown", "seen"),
    [
        ("**Bold** and _italic_ and `code`", "bold and italic and code"),
        ("[Join the call](https://meet.example/mei-acme) today", "join the call today"),
        ('[Join](https://meet.example/x "Title") today', "join today"),
        ("1. First step\n2) Second step", "first step second step"),
        ("### Heading\n\n- item one\n* item two\n> quoted", "heading item one item two quoted"),
        ("Smith &amp; Sons", "smith sons"),
        ("See [the guide][g].\n\n[g]: https://files.example/guide.pdf", "see the guide"),
    ],
)
def test_markdown_reads_as_its_rendered_text(markdown, seen):
    assert markdown_reader_text(markdown) == seen


def record_client(client_id: str = "sample", **fields) -> Client:
    """A client made in memory: unlisted, so it needs no contacts."""
    record = Record.model_validate({"name": "Sample Client", "access": {"mode": "unlisted"}, **fields})
    return Client(client_id, Path(f"clients/{client_id}.yml"), record)


LONG = (
    "One short e-mail in December with photos from the Lysefjord shoot, so the 120 people on the "
    "waiting list remember you when the shop opens, and a second one in February with the new range."
)
CHINESE = "很多老客人每个月都会来买同一款茶。每月固定寄一款当季好茶、附一张冲泡卡片，可以带来稳定的收入。"


def test_any_run_of_twelve_words_holds_a_fingerprint():
    pieces = fingerprints(record_client(preferences=[LONG])).keys()
    words = reader_text(LONG).split()
    assert len(words) > 30
    for start in range(len(words) - 11):
        run = " ".join(words[start : start + 12])
        assert any(piece in run for piece in pieces), run
    assert all(len(piece.split()) <= 9 for piece in pieces if piece != "sample client")


def test_any_run_of_nineteen_chinese_characters_holds_a_fingerprint():
    pieces = fingerprints(record_client(preferences=[CHINESE])).keys()
    text = reader_text(CHINESE)
    characters = words(text)
    for first in range(len(characters) - 18):
        run = text[characters[first][0] : characters[first + 18][1]]
        assert any(piece in run for piece in pieces), run


def test_every_free_text_field_is_fingerprinted():
    client = record_client(
        contacts=[{"name": "Wilhelmina Quarterfield", "email": "wq@contact-mail.example"}],
        brand={"logo": "https://brand.example/quarterfield-logo.svg"},
        greeting="Greeting words one two three four five six seven eight nine ten eleven twelve",
        preferences=["Preference words one two three four five six seven eight nine ten"],
        deliverables=[
            {
                "id": "bespoke-thing",
                "title": "Deliverable title words",
                "status": "planned",
                "link": "https://files.example/deliverable-link.zip",
                "notes": "First line.\nSecond line.\nThird line words one two three four five six seven eight",
            }
        ],
        schedule=[{"date": "2026-12-01", "title": "Schedule title words", "notes": "Schedule notes words here"}],
        requests=[{"title": "Request title words"}],
        suggestions=[{"title": "Suggestion title words", "body": "Suggestion body words one two three"}],
        updates=[{"date": "2026-11-01", "text": "Update text words one two"}],
    )
    found = " | ".join(fingerprints(client))
    for expected in (
        "sample client", "sample", "wilhelmina quarterfield", "wq contact mail example", "quarterfield logo svg",
        "greeting words", "preference words", "deliverable title words", "deliverable link zip",
        "third line words", "schedule title words", "schedule notes words", "request title words",
        "suggestion title words", "suggestion body words", "update text words",
    ):  # fmt: skip
        assert expected in found, expected
    assert "planned" not in found and "bespoke" not in found  # a status and a deliverable's slug are labels


def test_short_generic_texts_are_no_fingerprints():
    client = record_client(deliverables=[{"title": "Logo", "status": "planned"}])
    assert "logo" not in fingerprints(client)


def test_fingerprints_of_every_sample_text_are_found_in_its_rendered_html():
    for client in load_clients(ROOT / "clients", today=TODAY):
        record = client.record
        texts = [record.greeting, *record.preferences, *(d.notes for d in record.deliverables)]
        texts += [*(s.notes for s in record.schedule), *(s.body for s in record.suggestions)]
        texts += [u.text for u in record.updates]
        for text in filter(None, texts):
            rendered = reader_text(str(render_markdown(text)))
            pieces = fingerprints(record_client(preferences=[text])).keys() - fingerprints(record_client()).keys()
            for piece in pieces:
                assert piece in rendered, (client.id, piece)


# --- reading every file, archives opened ---------------------------------------------------------


def texts_of(tmp_path: Path, name: str, content: bytes) -> dict[str, str]:
    target = tmp_path / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    return {file.path: file.text for file in site_files(tmp_path)}


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def tarred(members: dict[str, bytes], mode: str = "w:gz") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


NOTE = b"Acme Bakery"


@pytest.mark.parametrize(
    ("name", "content", "path"),
    [
        ("a.txt.gz", gzip.compress(NOTE), "a.txt.gz"),
        ("a.txt.bz2", bz2.compress(NOTE), "a.txt.bz2"),
        ("a.txt.xz", lzma.compress(NOTE), "a.txt.xz"),
        ("a.zip", zipped({"notes/a.txt": NOTE}), "a.zip!/notes/a.txt"),
        ("a.docx", zipped({"word/document.xml": b"<w:t>" + NOTE + b"</w:t>"}), "a.docx!/word/document.xml"),
        ("a.tar", tarred({"a.txt": NOTE}, "w"), "a.tar!/a.txt"),
        ("a.tar.gz", tarred({"a.txt": NOTE}), "a.tar.gz!/a.txt"),
        ("a.tgz", tarred({"a.txt": NOTE}, "w:bz2"), "a.tgz!/a.txt"),
        ("a.tar.xz", tarred({"a.txt": NOTE}, "w:xz"), "a.tar.xz!/a.txt"),
        ("a.zip", zipped({"inner.zip": zipped({"a.txt": NOTE})}), "a.zip!/inner.zip!/a.txt"),
        ("renamed.bin", gzip.compress(NOTE), "renamed.bin"),
    ],
)
def test_archives_are_opened_by_their_content(tmp_path, name, content, path):
    assert "Acme Bakery" in texts_of(tmp_path, name, content)[path]


def test_a_decompression_bomb_is_reported_not_read_to_the_end(tmp_path):
    bomb = gzip.compress(b"\0" * (MEMBER_LIMIT + 1), compresslevel=1)
    (tmp_path / "bomb.gz").write_bytes(bomb)
    files = list(site_files(tmp_path))
    assert sum(len(file.text) for file in files) <= MEMBER_LIMIT + len(files) * site_files_module.OVERLAP
    assert [file.problem for file in files if file.problem] == [
        "unpacks to more than 64 MiB; the rest was not read (a decompression bomb?)"
    ]


def test_an_archive_that_cannot_be_unpacked_is_reported(tmp_path):
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04" + b"\0" * 100)
    (files := list(site_files(tmp_path)))
    assert files[0].path == "broken.zip" and "cannot be unpacked" in (files[0].problem or "")


def test_big_files_are_read_in_overlapping_pieces(tmp_path, monkeypatch):
    monkeypatch.setattr(site_files_module, "CHUNK", 1024)
    monkeypatch.setattr(site_files_module, "OVERLAP", 64)
    (tmp_path / "big.txt").write_text("x" * 1015 + " Acme Bakery " + "y" * 3000)
    (tmp_path / "empty.txt").write_text("")
    pieces = list(site_files(tmp_path))
    assert [piece.path for piece in pieces].count("big.txt") == 5
    assert any("Acme Bakery" in piece.text for piece in pieces if piece.path == "big.txt")
    assert ("empty.txt", "") in [(piece.path, piece.text) for piece in pieces]  # its name is audited too


def test_site_texts_gives_path_and_text_pairs(tmp_path):
    (tmp_path / "sitemap.xml.gz").write_bytes(gzip.compress(b"<urlset></urlset>"))
    assert dict(site_texts(tmp_path)) == {"sitemap.xml.gz": "<urlset></urlset>"}


# --- the audit of a built portal ------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(example_site) -> Path:
    """The example portal, built once; tests that plant leaks take a copy (``site``)."""
    return example_site


@pytest.fixture(scope="module")
def clients() -> list[Client]:
    return load_clients(ROOT / "clients", today=TODAY)


@pytest.fixture
def site(built, tmp_path) -> Path:
    """A copy of the built example portal that a test may plant leaks in."""
    return Path(shutil.copytree(built, tmp_path / "site"))


def audit(site: Path, clients: list[Client], environ: dict[str, str] = ENVIRON) -> list[str]:
    return [str(finding) for finding in audit_site(site, clients, SECRET.encode(), "p", environ)]


def plant(site: Path, path: str, html: str) -> None:
    """Add ``html`` at the end of the body of a built page."""
    page = site / path
    page.write_text(page.read_text(encoding="utf-8").replace("</body>", html + "</body>"), encoding="utf-8")


def changed(clients: list[Client], client_id: str, **fields) -> list[Client]:
    """The clients with one record changed, as if its YAML said so."""
    return [
        dataclasses.replace(c, record=c.record.model_copy(update=fields)) if c.id == client_id else c for c in clients
    ]


def folder(clients: list[Client], client_id: str) -> str:
    return client_folder("p", SECRET.encode(), next(c for c in clients if c.id == client_id))


def test_the_example_portal_is_clean(built, clients):
    assert audit(built, clients) == []
    assert (built / "p" / "index.html").is_file()  # the neutral index the audit insists on


OUTSIDE = "index.html: text of client '{}' appears outside its folder"


@pytest.mark.parametrize(
    ("html", "owner"),
    [
        ("<p>Proud of &#65;cme&#32;Bakery</p>", "acme-bakery"),
        ("<p>Proud of Acme <em>Bak</em>ery</p>", "acme-bakery"),
        ("<p>Proud of <span>Harbor</span> <b>Books</b></p>", "harbor-books"),
        ("<p>PROUD OF ACME BAKERY</p>", "acme-bakery"),
        ("<p>Proud of Fjord&nbsp;Cycles</p>", "fjord-cycles"),
        ("<p>Proud of Fjord Cy&shy;cles</p>", "fjord-cycles"),
        ("<p>Proud of Fjord Cy\u00adcles</p>", "fjord-cycles"),
        ("<p>Proud of North\u200bwind Studio</p>", "northwind-studio"),
        ('<a href="https://search.example/?q=Northwind%20Studio">search</a>', "northwind-studio"),
        ('<img src="x.png" alt="Harbor Books">', "harbor-books"),
        ("<p>莲语<em>茶舍</em></p>", "lotus-tea"),
        # runs of 8+ words from the free texts, as a page would render them
        ("<li>Warm, plain language with no baker&#39;s jargon on the website</li>", "acme-bakery"),
        ("<p>A simple sign-up card at the till on reading nights. A short</p>", "harbor-books"),
        ("<p>Thirty minutes to see whether the supplier is confirmed and to plan</p>", "fjord-cycles"),
        ("<p>working in the preview; checkout is next. New target: <strong>Wednesday 26</strong></p>", "acme-bakery"),
        ("<p>Your Renovation Projects are most impressive side by side. A simple slider</p>", "northwind-studio"),
        ("<p>很多老客人每个月都会来买同一款茶。每月固定寄一款</p>", "lotus-tea"),
    ],
)
def test_a_client_named_on_a_public_page_is_found_however_written(site, clients, html, owner):
    plant(site, "index.html", html)
    assert any(f.startswith(OUTSIDE.format(owner)) for f in audit(site, clients)), html


def test_a_json_escaped_name_in_the_search_index_is_found(site, clients):
    index = site / "search" / "search_index.json"
    data = json.loads(index.read_text(encoding="utf-8"))
    data["docs"][0]["text"] += " 莲语茶舍 Harbor Books"
    index.write_text(json.dumps(data, ensure_ascii=True), encoding="utf-8")
    assert "\\u83b2" in index.read_text(encoding="utf-8")
    findings = audit(site, clients)
    assert "search/search_index.json: text of client 'lotus-tea' appears outside its folder: '莲语茶舍'" in findings
    assert any(f.startswith("search/search_index.json: text of client 'harbor-books'") for f in findings)


def test_an_entity_escaped_ampersand_name_is_found(site, clients):
    renamed = changed(clients, "acme-bakery", name="Smith & Sons")
    plant(site, "index.html", "<p>Smith &amp; Sons</p>")
    assert "index.html: text of client 'acme-bakery' appears outside its folder: 'Smith & Sons'" in audit(site, renamed)


@pytest.mark.parametrize(
    ("name", "owner"),
    [
        ("downloads/acme-bakery-contract.txt", "acme-bakery"),
        ("downloads/Harbor Books invoice.pdf", "harbor-books"),
        ("downloads/FjordCycles.pdf", "fjord-cycles"),
        ("downloads/莲语茶舍/menu.pdf", "lotus-tea"),
    ],
)
def test_a_client_named_in_a_file_name_is_found(site, clients, name, owner):
    (site / name).parent.mkdir(parents=True, exist_ok=True)
    (site / name).write_text("nothing to see")
    assert any(f.startswith(f"{name}: the file name carries text of client '{owner}'") for f in audit(site, clients))


@pytest.mark.parametrize(
    ("name", "content", "path"),
    [
        ("downloads/bundle.zip", zipped({"notes.txt": NOTE}), "downloads/bundle.zip!/notes.txt"),
        ("downloads/notes.txt.gz", gzip.compress(NOTE), "downloads/notes.txt.gz"),
        ("downloads/notes.txt.bz2", bz2.compress(NOTE), "downloads/notes.txt.bz2"),
        ("downloads/notes.txt.xz", lzma.compress(NOTE), "downloads/notes.txt.xz"),
        ("downloads/bundle.tar.gz", tarred({"notes.txt": NOTE}), "downloads/bundle.tar.gz!/notes.txt"),
    ],
)
def test_a_leak_inside_an_archive_is_found(site, clients, name, content, path):
    (site / name).parent.mkdir(parents=True, exist_ok=True)
    (site / name).write_bytes(content)
    assert f"{path}: {OUTSIDE.format('acme-bakery').split(': ', 1)[1]}: 'Acme Bakery'" in audit(site, clients)


def test_a_client_named_in_an_archive_member_name_is_found(site, clients):
    (site / "bundle.zip").write_bytes(zipped({"acme-bakery/readme.txt": b"hello"}))
    findings = audit(site, clients)
    assert any(
        f.startswith("bundle.zip!/acme-bakery/readme.txt: the file name carries text of client") for f in findings
    )


def test_an_oversized_archive_is_a_finding(site, clients):
    (site / "bomb.gz").write_bytes(gzip.compress(b"\0" * (MEMBER_LIMIT + 1), compresslevel=1))
    assert "bomb.gz: unpacks to more than 64 MiB; the rest was not read (a decompression bomb?)" in audit(site, clients)


def test_a_stale_page_under_the_prefix_is_a_finding(site, clients):
    stale = site / "p" / ("z" * 26) / "index.html"
    stale.parent.mkdir()
    stale.write_text("<p>An old page of a client who left</p>")
    (site / "p" / "notes.txt").write_text("hello")
    findings = audit(site, clients)
    assert f"p/{'z' * 26}/index.html: is no current client page, replaced-link page or index: remove it" in findings
    assert "p/notes.txt: is no current client page, replaced-link page or index: remove it" in findings


def test_a_replaced_folder_holds_only_its_neutral_page(site, clients):
    acme = next(c for c in clients if c.id == "acme-bakery")
    old = replaced_folders("p", SECRET.encode(), acme)[0]
    assert REPLACED_MARKER in (site / old / "index.html").read_text(encoding="utf-8")
    (site / old / "notes.txt").write_text("hello")
    findings = audit(site, clients)
    assert f"{old}notes.txt: only an index.html with {REPLACED_MARKER} belongs in a replaced page's folder" in findings
    page = site / old / "index.html"
    page.write_text(page.read_text(encoding="utf-8").replace(REPLACED_MARKER, "data-x"), encoding="utf-8")
    assert f"{old}index.html: only an index.html with {REPLACED_MARKER} belongs in a replaced page's folder" in (
        audit(site, clients)
    )


def test_a_replaced_page_naming_its_client_or_new_address_is_a_leak(site, clients):
    acme = next(c for c in clients if c.id == "acme-bakery")
    old = replaced_folders("p", SECRET.encode(), acme)[0]
    token = folder(clients, "acme-bakery").split("/")[1]
    plant(site, old + "index.html", f'<p>Acme Bakery moved to <a href="../{token}/">here</a></p>')
    findings = audit(site, clients)
    assert f"{old}index.html: text of client 'acme-bakery' appears outside its folder: 'Acme Bakery'" in findings
    assert f"{old}index.html: the page address of 'acme-bakery' appears outside its folder" in findings


def test_the_prefix_index_must_be_the_neutral_one(site, clients):
    index = site / "p" / "index.html"
    index.write_text(index.read_text(encoding="utf-8").replace(PREFIX_INDEX_MARKER, "data-x"), encoding="utf-8")
    assert f"p/index.html: is not the neutral index of the client pages (no {PREFIX_INDEX_MARKER})" in (
        audit(site, clients)
    )
    index.unlink()
    assert "p/index.html: is missing: a host that lists folders would list the client pages" in audit(site, clients)


def test_a_record_repeating_a_name_does_not_hide_its_leak(site, clients):
    copycat = changed(clients, "harbor-books", greeting="Acme Bakery")
    plant(site, "index.html", "<p>Acme Bakery</p>")
    plant(site, folder(clients, "harbor-books") + "index.html", "<p>Acme Bakery</p>")
    findings = audit(site, copycat)
    assert "index.html: text of client 'acme-bakery' appears outside its folder: 'Acme Bakery'" in findings
    assert "index.html: text of client 'harbor-books' appears outside its folder: 'Acme Bakery'" in findings
    assert not any(f.startswith(folder(clients, "harbor-books")) for f in findings)  # shared text, at home


def test_shared_text_is_allowed_only_in_its_owners_pages(site, clients):
    # "Mei on holiday until 2 January" is in three records, and Harbor Books' page is readable
    plant(site, folder(clients, "harbor-books") + "index.html", "<p>Mei on holiday until 2 January</p>")
    assert audit(site, clients) == []
    plant(site, "404.html", "<p>Mei on holiday until 2 January</p>")
    findings = audit(site, clients)
    for owner in ("acme-bakery", "harbor-books", "northwind-studio"):
        assert f"404.html: text of client '{owner}' appears outside its folder: 'Mei on holiday until 2 January'" in (
            findings
        )


def test_another_clients_text_in_a_readable_page_is_a_leak(site, clients):
    plant(site, folder(clients, "harbor-books") + "index.html", "<p>Tomasz Nowak</p>")
    findings = audit(site, clients)
    harbor = folder(clients, "harbor-books")
    assert f"{harbor}index.html: text of client 'acme-bakery' appears outside its folder: 'Tomasz Nowak'" in findings


def test_a_public_name_may_appear_anywhere_but_nothing_else(site, clients):
    public = changed(clients, "acme-bakery", public_name=True)
    plant(site, "index.html", "<p>Clients include Acme Bakery.</p>")
    (site / "AcmeBakery-case-study.pdf").write_text("case study")
    assert audit(site, public) == []
    plant(site, "index.html", "<p>Take Christmas stollen pre-orders online</p>")
    findings = audit(site, public)
    assert findings == [
        "index.html: text of client 'acme-bakery' appears outside its folder: "
        "'Take Christmas stollen pre-orders online'"
    ]


def test_secrets_are_found_even_in_file_names(site, clients):
    environ = {**ENVIRON, "LIN_PASSWORD": "lin-xiaowen-own-password"}
    lin = Contact(name="林晓雯", email="lin.xiaowen@lotus-tea.example", password_env="LIN_PASSWORD")
    personal = changed(clients, "lotus-tea", contacts=[lin])
    (site / "debug.txt").write_text(f"secret={SECRET.upper()} password=lin-xiaowen-own-password")
    (site / f"{SECRET}.txt").write_text("hello")
    findings = audit(site, personal, environ)
    assert "debug.txt: the site secret appears in this file" in findings
    assert "debug.txt: the password in LIN_PASSWORD appears in this file" in findings
    assert f"{SECRET}.txt: the site secret is in the file name" in findings
    assert not any("lin-xiaowen-own-password" in f for f in findings)


def test_a_secret_of_mostly_punctuation_is_compared_as_it_is(site, clients):
    environ = {"LOTUS_TEA_PORTAL_PASSWORD": "!#%&*()-+=a"}
    (site / "debug.txt").write_text("password: !#%&*()-+=a")
    assert audit(site, clients, environ) == [
        "debug.txt: the password in LOTUS_TEA_PORTAL_PASSWORD appears in this file"
    ]


def test_a_contacts_link_key_anywhere_is_a_finding(site, clients):
    acme = next(c for c in clients if c.id == "acme-bakery")
    key = client_links(SETTINGS, SECRET.encode(), acme)[1].path.split("#", 1)[1]
    plant(site, "index.html", f'<a href="https://mei.example/p/x/#{key}">preview</a>')
    plant(site, folder(clients, "harbor-books") + "index.html", f"<p>{key}</p>")
    findings = audit(site, clients)
    assert "index.html: the link key of contact #2 of 'acme-bakery' appears in this file" in findings
    harbor = folder(clients, "harbor-books")
    assert f"{harbor}index.html: the link key of contact #2 of 'acme-bakery' appears in this file" in findings


# --- attached files -------------------------------------------------------------------------------

ATTACHED = ROOT / "clients" / "files" / "acme-bakery"


def sealed_files(site: Path, clients: list[Client]) -> list[Path]:
    return sorted((site / folder(clients, "acme-bakery")).glob("*.bin"))


def test_a_site_with_encrypted_attachments_is_clean(built, clients):
    assert len(sealed_files(built, clients)) == 3
    assert audit(built, clients) == []


@pytest.mark.parametrize(
    ("name", "where"),
    [
        ("sourdough-articles.zip", "assets/sourdough-articles.zip"),  # an archive, found as it was attached
        ("acme-bakery-brand-guide.pdf", "downloads/guide.pdf"),
        ("christmas-market-flyer-a5.pdf", "{acme}flyer.pdf"),  # even in the client's own folder
    ],
)
def test_a_plaintext_copy_of_an_attached_file_is_a_finding(site, clients, name, where):
    path = site / where.format(acme=folder(clients, "acme-bakery"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"some header" + (ATTACHED / name).read_bytes()[100:3000])  # a part of it is enough
    shown = where.format(acme=folder(clients, "acme-bakery"))
    assert f"{shown}: the content of {name}, attached for 'acme-bakery', is readable in this file" in audit(
        site, clients
    )


def test_an_attached_file_inside_another_archive_is_a_finding(site, clients):
    data = (ATTACHED / "acme-bakery-brand-guide.pdf").read_bytes()
    (site / "bundle.tar.gz").write_bytes(tarred({"guide.pdf": data}))
    findings = audit(site, clients)
    assert (
        "bundle.tar.gz!/guide.pdf: the content of acme-bakery-brand-guide.pdf, attached for 'acme-bakery', "
        "is readable in this file"
    ) in findings


def test_an_attached_files_name_is_a_finding(site, clients):
    plant(site, "index.html", '<a href="files/Acme-Bakery-Brand-Guide.PDF">our guide</a>')
    findings = audit(site, clients)
    assert any(
        f.startswith(OUTSIDE.format("acme-bakery")) and "'acme-bakery-brand-guide.pdf'" in f for f in findings
    ), findings


def test_ciphertext_that_does_not_open_as_its_file_is_a_finding(site, clients):
    first, second, _ = sealed_files(site, clients)
    first.write_bytes(second.read_bytes())  # another file's ciphertext under this name
    findings = audit(site, clients)
    name = first.relative_to(site).as_posix()
    assert len(findings) == 1 and findings[0].startswith(f"{name}: is not an attached file of 'acme-bakery'")
    assert findings[0].endswith("encrypted for its page: it does not open with its key")


def test_a_missing_attachment_and_a_stray_file_in_a_clients_folder_are_findings(site, clients):
    stray = sealed_files(site, clients)[0]
    stray.unlink()  # not published
    acme = folder(clients, "acme-bakery")
    (site / acme / "notes.txt").write_text("draft")
    (site / acme / ("a" * 26 + ".bin")).write_bytes(os.urandom(20000))
    findings = audit(site, clients)
    missing = stray.relative_to(site).as_posix()
    assert any(f.startswith(f"{missing}: an attached file of 'acme-bakery'") for f in findings), findings
    assert f"{acme}notes.txt: is neither the page of 'acme-bakery' nor one of its encrypted files: remove it" in (
        findings
    )
    assert f"{acme}{'a' * 26}.bin: is neither the page of 'acme-bakery' nor one of its encrypted files: remove it" in (
        findings
    )


def test_an_unlisted_clients_file_is_still_private(site, clients):
    unlisted = changed(clients, "acme-bakery", access=next(c for c in clients if c.id == "harbor-books").record.access)
    (site / "flyer.pdf").write_bytes((ATTACHED / "christmas-market-flyer-a5.pdf").read_bytes())
    findings = audit(site, unlisted)
    assert (
        "flyer.pdf: the content of christmas-market-flyer-a5.pdf, attached for 'acme-bakery', is readable in this file"
        in findings
    )


# --- every kind of finding ------------------------------------------------------------------------
# Each way the audit can speak, shown on a site that has exactly that fault. The last test keeps
# this list whole: a new kind of finding in audit.py fails it until a case here shows it.


def acme_index(site: Path, clients: list[Client]) -> Path:
    return site / folder(clients, "acme-bakery") / "index.html"


def unreadable_attachment(site: Path, clients: list[Client]) -> list[Client]:
    acme = next(c for c in clients if c.id == "acme-bakery")
    first, *rest = acme.record.deliverables
    lost = first.model_copy(update={"files": ["files/acme-bakery/lost.pdf"]})
    return changed(clients, "acme-bakery", deliverables=[lost, *rest])


def nothing_built(site: Path, clients: list[Client]) -> list[Client]:
    for page in (site / "p").glob("*/index.html"):
        page.unlink()
    return clients


def missing_page(site: Path, clients: list[Client]) -> list[Client]:
    acme_index(site, clients).unlink()
    return clients


def name_in_the_page(site: Path, clients: list[Client]) -> list[Client]:
    plant(site, f"{folder(clients, 'acme-bakery')}index.html", "<p>Acme Bakery</p>")
    return clients


def readable_page(site: Path, clients: list[Client]) -> list[Client]:
    # the fail-open case: a link-mode client's page published in clear at its encrypted address
    acme_index(site, clients).write_text("<html><body><p>Welcome back</p></body></html>", encoding="utf-8")
    return clients


def plants(path: str, content: bytes) -> object:
    def plant_file(site: Path, clients: list[Client]) -> list[Client]:
        (site / path).write_bytes(content)
        return clients

    return plant_file


def nested(depth: int) -> bytes:
    content = b"hello"
    for _ in range(depth):
        content = gzip.compress(content)
    return content


FINDING_KINDS = {
    "attachments unreadable": (
        unreadable_attachment,
        "p/{acme}/: the attached files of 'acme-bakery' cannot be checked:\n",
    ),
    "no client page at all": (
        nothing_built,
        "p/: no client page was built: with MkDocs, enable the client-portal plugin",
    ),
    "one client page missing": (missing_page, "p/{acme}/: no page was built for client 'acme-bakery'"),
    "page not encrypted": (readable_page, "p/{acme}/index.html: the page of 'acme-bakery' is not encrypted"),
    "readable text in its encrypted page": (
        name_in_the_page,
        "p/{acme}/index.html: readable text of 'acme-bakery' in its encrypted page: 'Acme Bakery'",
    ),
    "a record published": (plants("acme-bakery.yml", b"name: x\n"), "acme-bakery.yml: a YAML file is published;"),
    "the local secret published": (
        plants(".portal-secret", b"x"),
        ".portal-secret: the local secret file is published",
    ),
    "an archive too deep": (plants("deep.gz", nested(5)), "deep.gz: is an archive nested more than 3 deep"),
    "an archive that cannot be unpacked": (
        plants("broken.zip", b"PK\x03\x04" + b"\0" * 100),
        "broken.zip: cannot be unpacked",
    ),
}


@pytest.mark.parametrize("kind", FINDING_KINDS)
def test_each_kind_of_finding_is_reported(site, clients, kind):
    fault, expected = FINDING_KINDS[kind]
    findings = audit(site, fault(site, clients))
    expected = expected.replace("p/{acme}/", folder(clients, "acme-bakery"))
    assert any(finding.startswith(expected) for finding in findings), findings


# Every message audit.py writes (its source, as the ast gives it back) and the test showing it.
SHOWN_BY = {
    "NO_PAGES": "no client page at all",
    "message": "test_the_prefix_index_must_be_the_neutral_one",
    "'a YAML file is published; client records must stay out of the site'": "a record published",
    "'the local secret file is published'": "the local secret published",
    # _OUTSIDE, _IN_NAME and the readable text of an encrypted page
    "f\"{message}: {', '.join((repr(text) for text in shown[:3]))}{more}\"": "readable text in its encrypted page",
    "f'{where} was not published'": "test_a_missing_attachment_and_a_stray_file_in_a_clients_folder_are_findings",
    "piece.problem": "an archive that cannot be unpacked",
    "f\"no page was built for client '{client.id}'\"": "one client page missing",
    "f\"the page of '{home.id}' is not encrypted\"": "page not encrypted",
    "f\"is neither the page of '{home.id}' nor one of its encrypted files: remove it\"": (
        "test_a_missing_attachment_and_a_stray_file_in_a_clients_folder_are_findings"
    ),
    "f\"{needle.shown} {('is in the file name' if in_name else 'appears in this file')}\"": (
        "test_secrets_are_found_even_in_file_names"
    ),
    "f\"the attached files of '{client.id}' cannot be checked:\\n{error}\"": "attachments unreadable",
    "f'is not {where} encrypted for its page: it does not open with its key'": (
        "test_ciphertext_that_does_not_open_as_its_file_is_a_finding"
    ),
    "f'is not the neutral index of the client pages (no {PREFIX_INDEX_MARKER})'": (
        "test_the_prefix_index_must_be_the_neutral_one"
    ),
    "f\"{needle.shown}, attached for '{min(needle.owners)}', is readable in this file\"": (
        "test_a_plaintext_copy_of_an_attached_file_is_a_finding"
    ),
    'f"only an index.html with {REPLACED_MARKER} belongs in a replaced page\'s folder"': (
        "test_a_replaced_folder_holds_only_its_neutral_page"
    ),
    "'is no current client page, replaced-link page or index: remove it'": (
        "test_a_stale_page_under_the_prefix_is_a_finding"
    ),
    "f\"the page address of '{min(needle.owners)}' appears outside its folder\"": (
        "test_a_replaced_page_naming_its_client_or_new_address_is_a_leak"
    ),
}


def test_every_kind_of_finding_has_a_test():
    source = ast.parse((ROOT / "plugins" / "client_portal" / "audit" / "audit.py").read_text(encoding="utf-8"))
    written = {
        ast.unparse(node.args[1])
        for node in ast.walk(source)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Finding"
    }
    assert written == set(SHOWN_BY)
    for shown_by in SHOWN_BY.values():
        assert shown_by in FINDING_KINDS or callable(globals().get(shown_by)), shown_by
