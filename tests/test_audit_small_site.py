"""The leak audit over a small site written by the test: every finding, exactly as the audit words it.

tests/test_audit.py audits the built example portal; these tests write the few files a site
needs by hand (sealed pages are the payload element with ciphertext-like strings), so each
runs in milliseconds and `make mutate MODULES=audit` can afford them.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import lzma
import re
import shutil
import zipfile
from pathlib import Path
from textwrap import dedent

import pytest

from client_portal.audit import audit as audit_module
from client_portal.audit import documents
from client_portal.audit import site_files as site_files_module
from client_portal.audit.audit import NO_PAGES, PAYLOAD, audit_site, fingerprints
from client_portal.publishing import crypto
from client_portal.publishing.addresses import client_folder, client_links, replaced_folders
from client_portal.publishing.attachments import find_attachments, seal_attachments
from client_portal.publishing.site_files import PREFIX_INDEX_MARKER, REPLACED_MARKER
from client_portal.records.loader import load_clients
from client_portal.records.model import Client

from .build import SECRET
from .conftest import TODAY
from .pages import SETTINGS

KEY = SECRET.encode()
PASSWORD = "lotus password for the tests"
ENVIRON = {"LOTUS_PASSWORD": PASSWORD}
NOTE = "Bring the proofs of the winter menu to the shop on Thursday so Anna can check prices with the bakers."
MENU = bytes(range(256)) * 2  # varied bytes: the audit samples them


def zipped(members: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


RECORDS = {
    "acme-bakery": f"""\
        name: Acme Bakery
        contacts:
          - name: Anna Weber
            email: anna@acme.example
          - name: Tomasz Nowak
            email: tomasz@acme.example
        deliverables:
          - title: Winter menu
            status: in_review
            due: 2026-12-01
            files:
              - files/acme-bakery/menu.bin
            notes: {NOTE}
        """,
    "harbor-books": """\
        name: Harbor Books
        contacts:
          - name: Ruth Castellano
        access:
          mode: unlisted
        preferences:
          - Poster proofs on recycled paper
        """,
    "lotus-tea": """\
        name: 莲语茶舍
        language: zh-CN
        contacts:
          - name: 林晓雯
        access:
          mode: password
          password_env: LOTUS_PASSWORD
        """,
    "fjord-cycles": """\
        name: Fjord Cycles
        public_name: true
        contacts:
          - name: Ingrid Halvorsen
        access:
          version: 2
        deliverables:
          - title: Photo shoot
            status: planned
            files:
              - photos.zip
        preferences:
          - Winter service weekends in the Bergen workshop
        """,
}
# Ciphertext is random letters, in which a short name turns up by chance: here, on purpose.
CIPHERTEXT = '{"data":"' + "Qk9PS1Mg" * 4 + "-Acme-Bakery-" + "x" * 32 + '"}'
PHOTOS = zipped({"photos/notes.txt": b"photo notes " * 300})  # an archive attached as it is


@pytest.fixture(scope="module")
def records(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("portal") / "clients"
    (folder / "files" / "acme-bakery").mkdir(parents=True)
    (folder / "files" / "acme-bakery" / "menu.bin").write_bytes(MENU)
    (folder / "photos.zip").write_bytes(PHOTOS)  # beside the records, in no folder of its own
    for client_id, text in RECORDS.items():
        (folder / f"{client_id}.yml").write_text(dedent(text), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def clients(records) -> list[Client]:
    return load_clients(records, today=TODAY)


def folder(clients: list[Client], client_id: str, prefix: str = "p") -> str:
    return client_folder(prefix, KEY, by_id(clients, client_id))


def by_id(clients: list[Client], client_id: str) -> Client:
    return next(client for client in clients if client.id == client_id)


def write(site: Path, path: str, content: str | bytes) -> None:
    target = site / path
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        target.write_text(content, encoding="utf-8")
    else:
        target.write_bytes(content)


def sealed_page() -> str:
    return f"<html><body>{PAYLOAD}{CIPHERTEXT}</script><script src='../../portal.js'></script></body></html>"


def clean_site(clients: list[Client], records: Path, site: Path, prefix: str = "p") -> Path:
    """Each client's page, the neutral pages, the encrypted attachments and a public page."""
    write(site, "index.html", "<html><body><h1>Mei Chen, design</h1><p>Fjord Cycles is a client.</p></body></html>")
    write(site, f"{prefix}/index.html", f"<section {PREFIX_INDEX_MARKER}>Private pages</section>")
    for client in clients:
        page = f"<h1>{client.record.name}</h1>" if client.record.access.mode == "unlisted" else sealed_page()
        home = folder(clients, client.id, prefix)
        write(site, home + "index.html", page)
        for old in replaced_folders(prefix, KEY, client):
            write(site, old + "index.html", f"<section {REPLACED_MARKER}>This link was replaced</section>")
        token = home.rstrip("/").rsplit("/", 1)[1]
        for sealed in seal_attachments(find_attachments(client, records), KEY, client, token, site.parent / "cache"):
            write(site, home + sealed.url, sealed.sealed.read_bytes())
    return site


@pytest.fixture
def site(clients, records, tmp_path) -> Path:
    return clean_site(clients, records, tmp_path / "site")


def audit(site: Path, clients: list[Client], environ: dict[str, str] = ENVIRON, prefix: str = "p") -> list[str]:
    return [str(finding) for finding in audit_site(site, clients, KEY, prefix, environ)]


def changed(clients: list[Client], client_id: str, **fields: object) -> list[Client]:
    return [
        dataclasses.replace(c, record=c.record.model_copy(update=fields)) if c.id == client_id else c for c in clients
    ]


def attachment_name(clients: list[Client]) -> str:
    (attachment,) = find_attachments(by_id(clients, "acme-bakery"), by_id(clients, "acme-bakery").source.parent)
    return folder(clients, "acme-bakery") + crypto.file_name(KEY, "acme-bakery", 1, attachment.sha256)


# --- a clean site ----------------------------------------------------------------------------------


def test_a_clean_site_has_no_findings(site, clients):
    assert audit(site, clients) == []


def test_a_portal_without_records_expects_only_the_neutral_index(tmp_path):
    write(tmp_path, "index.html", "<p>hello</p>")
    assert audit(tmp_path, []) == ["p/index.html: is missing: a host that lists folders would list the client pages"]
    write(tmp_path, "p/index.html", f"<p {PREFIX_INDEX_MARKER}></p>")
    assert audit(tmp_path, []) == []


# --- pages missing or out of place -----------------------------------------------------------------


def test_a_site_without_any_client_page_says_what_builds_them(site, clients):
    for page in (site / "p").glob("*/index.html"):
        page.unlink()
    acme, fjord, harbor, lotus = (
        folder(clients, name) for name in ("acme-bakery", "fjord-cycles", "harbor-books", "lotus-tea")
    )
    assert sorted(audit(site, clients)) == sorted(
        [
            f"p/: {NO_PAGES}",
            f"{acme}: no page was built for client 'acme-bakery'",
            f"{fjord}: no page was built for client 'fjord-cycles'",
            f"{harbor}: no page was built for client 'harbor-books'",
            f"{lotus}: no page was built for client 'lotus-tea'",
        ]
    )


def test_one_missing_page_and_a_missing_index(site, clients):
    (site / folder(clients, "harbor-books") / "index.html").unlink()
    (site / "p" / "index.html").unlink()
    assert audit(site, clients) == sorted(
        [
            f"{folder(clients, 'harbor-books')}: no page was built for client 'harbor-books'",
            "p/index.html: is missing: a host that lists folders would list the client pages",
        ]
    )


def test_a_private_page_published_readable_is_a_finding(site, clients):
    page = folder(clients, "lotus-tea") + "index.html"
    write(site, page, "<html><body><p>Welcome back</p></body></html>")
    assert audit(site, clients) == [f"{page}: the page of 'lotus-tea' is not encrypted"]


def test_an_unlisted_page_needs_no_encryption_and_shows_its_own_text(site, clients):
    page = folder(clients, "harbor-books") + "index.html"
    write(site, page, "<p>Harbor Books: Poster proofs on recycled paper, for Ruth Castellano</p>")
    assert audit(site, clients) == []


def test_a_stray_file_under_the_prefix_is_a_finding(site, clients):
    write(site, "p/old-client/index.html", "<p>hello</p>")
    write(site, "p/notes.txt", "hello")
    assert audit(site, clients) == [
        "p/notes.txt: is no current client page, replaced-link page or index: remove it",
        "p/old-client/index.html: is no current client page, replaced-link page or index: remove it",
    ]


def test_a_file_beside_a_page_that_is_not_its_attachment_is_a_finding(site, clients):
    stray = folder(clients, "acme-bakery") + "extra.html"
    write(site, stray, sealed_page())
    write(site, folder(clients, "harbor-books") + "style.css", "body{}")
    assert audit(site, clients) == sorted(
        [
            f"{stray}: is neither the page of 'acme-bakery' nor one of its encrypted files: remove it",
            f"{folder(clients, 'harbor-books')}style.css: is neither the page of 'harbor-books' nor one of its"
            " encrypted files: remove it",
        ]
    )


def test_a_replaced_folder_holds_only_its_neutral_page(site, clients):
    (old,) = replaced_folders("p", KEY, by_id(clients, "acme-bakery"))
    rule = f"only an index.html with {REPLACED_MARKER} belongs in a replaced page's folder"
    write(site, old + "index.html", "<p>moved</p>")
    write(site, old + "a.txt", "a")
    write(site, old + "more.zip", zipped({"index.html": f"<p {REPLACED_MARKER}></p>"}))
    assert audit(site, clients) == [f"{old}a.txt: {rule}", f"{old}index.html: {rule}", f"{old}more.zip: {rule}"]


def test_the_prefix_index_must_be_the_neutral_one(site, clients):
    write(site, "p/index.html", "<ul><li>a list of folders</li></ul>")
    assert audit(site, clients) == [
        f"p/index.html: is not the neutral index of the client pages (no {PREFIX_INDEX_MARKER})"
    ]


def test_records_and_the_local_secret_are_never_published(site, clients):
    write(site, "data/acme.yml", "name: x\n")
    write(site, "b.yaml", "x: 1\n")
    write(site, "deep/.portal-secret", "x")
    write(site, "portal-secret.txt", "x")  # only the secret file's own name is the secret file
    assert audit(site, clients) == [
        "b.yaml: a YAML file is published; client records must stay out of the site",
        "data/acme.yml: a YAML file is published; client records must stay out of the site",
        "deep/.portal-secret: the local secret file is published",
    ]


def test_a_sealed_page_beyond_the_depth_of_a_page_folder_is_still_checked(site, clients):
    write(site, folder(clients, "acme-bakery") + "deeper/index.html", "<p>hello</p>")
    assert audit(site, clients) == [
        f"{folder(clients, 'acme-bakery')}deeper/index.html: is neither the page of 'acme-bakery' nor one of its"
        " encrypted files: remove it",
        f"{folder(clients, 'acme-bakery')}deeper/index.html: the page of 'acme-bakery' is not encrypted",
    ]


# --- attached files --------------------------------------------------------------------------------


def test_an_attached_file_not_published_or_not_its_ciphertext_is_a_finding(site, clients):
    published = attachment_name(clients)
    where = "an attached file of 'acme-bakery' (deliverable 'winter-menu')"
    (site / published).write_bytes(b"\0" * 2000)
    assert audit(site, clients) == [
        f"{published}: is not {where} encrypted for its page: it does not open with its key"
    ]
    (site / published).unlink()
    assert audit(site, clients) == [f"{published}: {where} was not published"]


def test_attached_files_that_cannot_be_found_are_a_finding(site, clients):
    acme = by_id(clients, "acme-bakery")
    lost = acme.record.deliverables[0].model_copy(update={"files": ["files/acme-bakery/lost.bin"]})
    found = audit(site, changed(clients, "acme-bakery", deliverables=[lost]))
    assert found[0].startswith(
        f"{folder(clients, 'acme-bakery')}: the attached files of 'acme-bakery' cannot be checked:\n"
    )
    assert "lost.bin not found" in found[0]


def test_an_attached_files_bytes_readable_anywhere_are_a_finding(site, clients):
    write(site, "downloads/copy.dat", MENU)
    write(site, "downloads/menu.zip", zipped({"inside.bin": b"head" + MENU}))
    write(site, folder(clients, "acme-bakery") + "index.html", sealed_page() + MENU.decode("latin-1"))
    shown = "the content of menu.bin, attached for 'acme-bakery', is readable in this file"
    assert audit(site, clients) == [
        f"downloads/copy.dat: {shown}",
        f"downloads/menu.zip!/inside.bin: {shown}",
        f"{folder(clients, 'acme-bakery')}index.html: {shown}",  # attached files are published encrypted only
    ]


def test_an_unlisted_clients_attached_file_is_not_expected_on_its_page_but_still_private(site, clients):
    unlisted = changed(clients, "acme-bakery", access=by_id(clients, "harbor-books").record.access)
    write(site, "menu.bin", MENU)
    found = audit(site, unlisted)
    assert "menu.bin: the content of menu.bin, attached for 'acme-bakery', is readable in this file" in found
    assert not any("was not published" in finding for finding in found)


# --- client text outside its page ------------------------------------------------------------------


def test_a_clients_name_outside_its_page_is_a_leak_however_written(site, clients):
    write(site, "a.html", "<p>Thanks to ACME&nbsp;bakery!</p>")
    write(site, "b.html", "<p>莲语茶舍</p>")
    write(site, "c.html", "<p>Harbor Booksellers and Acme Bakeryville are other shops</p>")  # other words
    write(site, "d.html", "<p>欢迎莲语茶舍的朋友</p>")  # unspaced script: a name inside a sentence
    assert audit(site, clients) == [
        "a.html: text of client 'acme-bakery' appears outside its folder: 'Acme Bakery'",
        "b.html: text of client 'lotus-tea' appears outside its folder: '莲语茶舍'",
        "d.html: text of client 'lotus-tea' appears outside its folder: '莲语茶舍'",
    ]


def test_a_clients_name_in_a_file_name_is_a_leak(site, clients):
    write(site, "files/AcmeBakery-invoice.txt", "x")
    write(site, "files/Acme Bakery.txt", "x")
    assert audit(site, clients) == [
        "files/Acme Bakery.txt: the file name carries text of client 'acme-bakery': 'Acme Bakery'",
        "files/AcmeBakery-invoice.txt: the file name carries text of client 'acme-bakery': 'Acme Bakery'",
    ]


def test_a_long_text_leaks_by_any_long_part_and_a_finding_quotes_three_at_most(site, clients):
    write(site, "part.html", "<p>" + " ".join(NOTE.split()[3:16]) + "</p>")
    write(site, "all.html", f"<p>{NOTE} Anna Weber, anna@acme.example, Tomasz Nowak, Acme Bakery</p>")
    found = audit(site, clients)
    assert re.fullmatch(
        r"all\.html: text of client 'acme-bakery' appears outside its folder: '[^']+', '[^']+', '[^']+' and \d+ more",
        found[0],
    )
    assert found[1].startswith("part.html: text of client 'acme-bakery' appears outside its folder: '")
    assert "'winter menu to the shop on thursday so'" in found[1]  # the part found is quoted, not the whole note
    assert NOTE not in found[1] and len(found) == 2


def test_readable_text_of_an_encrypted_page_in_that_page_is_a_finding(site, clients):
    page = folder(clients, "acme-bakery") + "index.html"
    write(site, page, sealed_page().replace("</body>", "<p>Acme Bakery: Winter menu for Anna Weber</p></body>"))
    assert audit(site, clients) == [
        f"{page}: readable text of 'acme-bakery' in its encrypted page: 'Acme Bakery', 'Winter menu', 'Anna Weber'"
    ]


def test_names_that_turn_up_inside_ciphertext_are_no_finding(site, clients):
    # every sealed page of the site holds CIPHERTEXT, and the clean site has no finding
    write(site, "other.html", f"<html><body>{PAYLOAD}{CIPHERTEXT}</script></body></html>")
    assert audit(site, clients) == []
    write(site, "plain.html", f"<p>{CIPHERTEXT}</p>")  # the same letters outside a payload element are read
    assert audit(site, clients) == [
        "plain.html: text of client 'acme-bakery' appears outside its folder: 'Acme Bakery'"
    ]


def test_another_clients_text_in_a_readable_page_is_a_leak(site, clients):
    page = folder(clients, "harbor-books") + "index.html"
    write(site, page, "<p>Harbor Books</p><p>Also working for Acme Bakery</p>")
    assert audit(site, clients) == [f"{page}: text of client 'acme-bakery' appears outside its folder: 'Acme Bakery'"]


def test_a_public_name_may_appear_anywhere_but_nothing_else_of_that_client(site, clients):
    write(site, "work.html", "<p>Fjord Cycles, fjord-cycles</p>")
    assert audit(site, clients) == []
    write(site, "work.html", "<p>Fjord Cycles: Winter service weekends in the Bergen workshop</p>")
    assert audit(site, clients) == [
        "work.html: text of client 'fjord-cycles' appears outside its folder: "
        "'Winter service weekends in the Bergen workshop'"
    ]
    private = changed(clients, "fjord-cycles", public_name=False)
    write(site, "work.html", "<p>Fjord Cycles</p>")
    assert audit(site, private) == [
        "index.html: text of client 'fjord-cycles' appears outside its folder: 'Fjord Cycles'",
        "work.html: text of client 'fjord-cycles' appears outside its folder: 'Fjord Cycles'",
    ]


def test_text_two_clients_share_is_allowed_in_each_of_their_pages_only(site, clients):
    shared = "Poster proofs on recycled paper"
    both = changed(clients, "acme-bakery", preferences=[shared])
    unlisted = changed(both, "acme-bakery", access=by_id(clients, "harbor-books").record.access)
    acme_page = client_folder("p", KEY, by_id(unlisted, "acme-bakery")) + "index.html"
    write(site, acme_page, f"<p>Acme Bakery: {shared}</p>")
    write(site, "blog.html", f"<p>{shared}</p>")
    found = audit(site, unlisted)
    assert [f for f in found if f.startswith(("blog", acme_page))] == [
        f"blog.html: text of client 'acme-bakery' appears outside its folder: '{shared}'",
        f"blog.html: text of client 'harbor-books' appears outside its folder: '{shared}'",
    ]


# --- addresses and secrets -------------------------------------------------------------------------


def test_a_page_address_outside_its_folder_is_a_finding(site, clients):
    (old,) = replaced_folders("p", KEY, by_id(clients, "acme-bakery"))
    token = folder(clients, "acme-bakery").split("/")[1]
    write(site, old + "index.html", f"<section {REPLACED_MARKER}>See /p/{token}/</section>")
    assert audit(site, clients) == [f"{old}index.html: the page address of 'acme-bakery' appears outside its folder"]


def test_secrets_are_found_in_files_and_in_file_names(site, clients):
    acme = by_id(clients, "acme-bakery")
    key = client_links(SETTINGS, KEY, acme)[1].path.split("#")[1]
    write(site, "debug.txt", f"secret={SECRET}\npassword: {PASSWORD}\n")
    write(site, f"k/{key}.txt", "x")
    assert audit(site, clients) == [
        "debug.txt: the password in LOTUS_PASSWORD appears in this file",
        "debug.txt: the site secret appears in this file",
        f"k/{key}.txt: the link key of contact #2 of 'acme-bakery' is in the file name",
    ]
    assert audit(site, clients, {})[:2] == [  # no password set
        "debug.txt: the site secret appears in this file",
        f"k/{key}.txt: the link key of contact #2 of 'acme-bakery' is in the file name",
    ]


def test_a_secret_of_mostly_punctuation_is_compared_as_it_is(site, clients):
    weak = "!!-=+*~^%$#@&!!"
    write(site, "a.txt", f"x {weak} y")
    write(site, f"b{weak}.txt", "x")
    write(site, "c.txt", "!! = + * ~ ^ % $ # @ & !!")  # the same once folded: not the secret
    assert audit(site, clients, {"LOTUS_PASSWORD": weak}) == [
        "a.txt: the password in LOTUS_PASSWORD appears in this file",
        f"b{weak}.txt: the password in LOTUS_PASSWORD is in the file name",
    ]


def test_a_personal_password_is_a_secret_too(site, clients):
    lotus = by_id(clients, "lotus-tea")
    contact = lotus.record.contacts[0].model_copy(update={"password_env": "LIN_PASSWORD"})
    personal = changed(clients, "lotus-tea", contacts=[contact])
    write(site, "a.txt", "lin's own password here")
    assert audit(site, personal, {"LIN_PASSWORD": "lin's own password"}) == [
        "a.txt: the password in LIN_PASSWORD appears in this file"
    ]


# --- what identifies a client ----------------------------------------------------------------------


def test_fingerprints_are_the_records_texts_its_names_and_its_id(clients):
    found = fingerprints(by_id(clients, "acme-bakery"))
    assert found["acme bakery"] == "Acme Bakery" and found["acmebakery"] == "Acme Bakery"
    assert found["acme bakery"] == "Acme Bakery" and found["anna weber"] == "Anna Weber"
    assert found["menu bin"] == "menu.bin"  # an attached file's own name
    assert "winter menu" in found and "in review" not in found and "in_review" not in found
    short = fingerprints(dataclasses.replace(by_id(clients, "harbor-books"), id="hb"))
    assert "hb" not in short and "harbor books" in short and "harborbooks" in short
    assert fingerprints(by_id(clients, "harbor-books"))["harbor books"] == "Harbor Books"
    tiny = by_id(clients, "harbor-books").record.model_copy(update={"name": "Ab C", "preferences": []})
    found = fingerprints(dataclasses.replace(by_id(clients, "harbor-books"), record=tiny))
    assert "ab c" in found and "abc" not in found  # run together it is too short to prove anything


def test_a_leak_in_an_archive_names_the_member(site, clients):
    write(site, "a.zip", zipped({"notes/Acme Bakery.txt": "Acme Bakery"}))
    write(site, "b.txt.gz", gzip.compress(b"Anna Weber"))
    assert audit(site, clients) == [
        "a.zip!/notes/Acme Bakery.txt: text of client 'acme-bakery' appears outside its folder: 'Acme Bakery'",
        "a.zip!/notes/Acme Bakery.txt: the file name carries text of client 'acme-bakery': 'Acme Bakery'",
        "b.txt.gz: text of client 'acme-bakery' appears outside its folder: 'Anna Weber'",
    ]


def test_an_unreadable_file_is_reported(site, clients):
    write(site, "broken.zip", b"PK\x03\x04" + b"\0" * 100)
    found = audit(site, clients)
    assert len(found) == 1 and found[0].startswith("broken.zip: cannot be unpacked")


def test_the_same_site_copied_elsewhere_gives_the_same_findings(site, clients, tmp_path):
    write(site, "a.html", "<p>Acme Bakery</p>")
    moved = shutil.copytree(site, tmp_path / "elsewhere")
    assert audit(Path(moved), clients) == audit(site, clients) != []


# --- where words start and end ---------------------------------------------------------------------


def test_a_name_counts_only_as_words_of_its_own(site, clients):
    write(site, "a.html", "<p>Bigacme Bakery and Acme Bakerys are other shops</p>")
    write(site, "Acme Bakery.txt", "x")  # the name at the very start of what is read
    write(site, "b.html", "<p>欢迎Acme Bakery的朋友</p>")  # Latin between Chinese characters
    write(site, "c.html", "<p>welcome莲语茶舍shop</p>")  # Chinese between Latin letters
    assert audit(site, clients) == [
        "Acme Bakery.txt: the file name carries text of client 'acme-bakery': 'Acme Bakery'",
        "b.html: text of client 'acme-bakery' appears outside its folder: 'Acme Bakery'",
        "c.html: text of client 'lotus-tea' appears outside its folder: '莲语茶舍'",
    ]


def test_a_name_ending_in_a_chinese_character_ends_there(site, clients):
    mixed = changed(clients, "lotus-tea", name="Lotus茶")
    write(site, "a.html", "<p>Lotus茶shop</p>")
    assert audit(site, mixed) == ["a.html: text of client 'lotus-tea' appears outside its folder: 'Lotus茶'"]


def test_a_client_id_apart_from_its_name_is_a_fingerprint_quoted_as_written(site, clients):
    write(site, "a.html", "<p>see lotus-tea</p>")
    assert audit(site, clients) == ["a.html: text of client 'lotus-tea' appears outside its folder: 'lotus-tea'"]


def test_a_public_name_run_together_is_public_too(site, clients):
    write(site, "work.html", "<p>FjordCycles.com</p>")
    assert audit(site, clients) == []


# --- files read in pieces, archives attached as they are ------------------------------------------


def test_a_big_sealed_page_read_in_pieces_is_still_sealed(site, clients, monkeypatch):
    monkeypatch.setattr(site_files_module, "CHUNK", 4096)
    monkeypatch.setattr(site_files_module, "OVERLAP", 256)
    page = folder(clients, "acme-bakery") + "index.html"
    write(site, page, sealed_page().replace("</body>", "<p>" + "padding " * 3000 + "</p></body>"))
    assert audit(site, clients) == []


def test_an_archive_attached_as_it_is_is_found_as_it_is(site, clients):
    write(site, "downloads/copy.zip", PHOTOS)
    assert audit(site, clients) == [
        "downloads/copy.zip: the content of photos.zip, attached for 'fjord-cycles', is readable in this file"
    ]


def test_attached_files_of_one_record_that_cannot_be_checked_leave_the_others_checked(site, clients):
    acme = by_id(clients, "acme-bakery")
    lost = acme.record.deliverables[0].model_copy(update={"files": ["files/acme-bakery/lost.bin"]})
    broken = changed(clients, "acme-bakery", deliverables=[lost])
    write(site, "downloads/copy.zip", PHOTOS)
    found = audit(site, broken)
    assert [finding.split(": ")[0] for finding in found] == [
        "downloads/copy.zip",  # fjord-cycles' content is still looked for
        folder(clients, "acme-bakery"),  # acme-bakery's files cannot be checked
        attachment_name(clients),  # so its encrypted file is a stray one
    ]  # and fjord-cycles' encrypted file still belongs in its folder


def test_a_copy_of_a_page_folder_outside_the_prefix_is_no_page_folder(site, clients):
    home = folder(clients, "harbor-books")
    token = home.split("/")[1]
    write(site, f"{token}/index.html", "<h1>Harbor Books</h1>")
    assert audit(site, clients) == [
        f"{token}/index.html: text of client 'harbor-books' appears outside its folder: 'Harbor Books'",
        f"{token}/index.html: the page address of 'harbor-books' appears outside its folder",
    ]


def test_only_the_index_of_a_replaced_folder_may_carry_the_neutral_page(site, clients):
    (old,) = replaced_folders("p", KEY, by_id(clients, "acme-bakery"))
    write(site, old + "copy.html", f"<section {REPLACED_MARKER}>This link was replaced</section>")
    assert audit(site, clients) == [
        f"{old}copy.html: only an index.html with {REPLACED_MARKER} belongs in a replaced page's folder"
    ]


def test_the_local_secret_is_found_at_any_depth(site, clients):
    write(site, "a/b/.portal-secret", "x")
    assert audit(site, clients) == ["a/b/.portal-secret: the local secret file is published"]


ACME = "text of client 'acme-bakery' appears outside its folder: 'Acme Bakery'"
LOTUS = "text of client 'lotus-tea' appears outside its folder: '莲语茶舍'"
FRENCH = "Pâtisserie Éclair"  # acme-bakery's name in the tests that need a letter beyond ASCII


@pytest.fixture
def french(clients):
    return changed(clients, "acme-bakery", name=FRENCH)


def found_french(path: str) -> str:
    return f"{path}: text of client 'acme-bakery' appears outside its folder: '{FRENCH}'"


# --- exports: text without a byte-order mark ------------------------------------------------------


def test_a_csv_saved_by_excel_on_western_windows_is_read_in_its_code_page(site, french):
    write(site, "exports/clients.csv", f"Name;City\r\n{FRENCH};Lyon\r\n".encode("cp1252"))
    assert audit(site, french) == [found_french("exports/clients.csv")]


def test_a_csv_saved_by_excel_on_chinese_windows_is_read_as_gbk(site, clients):
    write(site, "exports/clients.csv", "客户,城市\r\n莲语茶舍,杭州\r\n".encode("gbk"))
    assert audit(site, clients) == [f"exports/clients.csv: {LOTUS}"]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_text_without_a_byte_order_mark_is_read(site, clients, codec):
    write(site, "exports/clients.txt", "Client\tCity\r\nAcme Bakery\tBerlin\r\n".encode(codec))
    assert audit(site, clients) == [f"exports/clients.txt: {ACME}"]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_each_utf16_byte_order_mark_decodes_its_text(site, clients, codec):
    # Chinese in UTF-16 has no zero bytes: only the mark tells how to read it
    data = "莲语茶舍".encode(codec)
    assert b"\0" not in data
    write(site, "exports/name.txt", (b"\xff\xfe" if codec == "utf-16-le" else b"\xfe\xff") + data)
    assert audit(site, clients) == [f"exports/name.txt: {LOTUS}"]


def test_ordinary_files_in_other_encodings_are_no_finding(site, clients):
    write(site, "exports/cities.csv", "Stadt;Café\r\nZürich;Crème brûlée\r\n".encode("cp1252"))
    write(site, "exports/wide.txt", "Nothing to see here".encode("utf-16-le"))
    write(site, "img/icon.bin", bytes(i * 7 % 256 for i in range(4096)))  # binary: zero bytes everywhere
    write(site, "notes.txt", b"]\x00\x00\x80\x00 not an lzma file")
    assert audit(site, clients) == []


# --- exports: words split across runs -------------------------------------------------------------

WORD = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def test_a_docx_whose_name_is_split_across_runs_is_read_joined(site, clients):
    # Word splits a run where an edit or a spelling mark started: "Acme Bak" + "ery"
    body = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{WORD}"><w:body>'
        '<w:p><w:r><w:t xml:space="preserve">Invoice for Acme Bak</w:t></w:r><w:proofErr w:type="spellEnd"/>'
        '<w:r w:rsidR="00A1"><w:rPr><w:b/></w:rPr><w:t>ery</w:t></w:r></w:p>'
        "<w:p><w:r><w:t>Thank you</w:t></w:r></w:p></w:body></w:document>"
    )
    write(site, "files/invoice.docx", zipped({"[Content_Types].xml": "<Types/>", "word/document.xml": body}))
    assert audit(site, clients) == [f"files/invoice.docx!/word/document.xml: {ACME}"]


def test_an_odt_whose_name_is_split_across_spans_is_read_joined(site, clients):
    content = (
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>'
        '<text:p text:style-name="P1">Invoice for Acme Bak<text:span text:style-name="T1">ery</text:span></text:p>'
        "</office:text></office:body></office:document-content>"
    )
    odt = zipped({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": content})
    write(site, "files/invoice.odt", odt)
    assert audit(site, clients) == [f"files/invoice.odt!/content.xml: {ACME}"]


def test_an_svg_logo_whose_name_is_split_over_tspans_is_read_joined(site, clients):
    logo = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 40"><text x="10" y="30">'
        '<tspan fill="#c60">Acme Ba</tspan><tspan font-weight="bold">kery</tspan></text></svg>'
    )
    write(site, "img/logo.svg", logo)
    assert audit(site, clients) == [f"img/logo.svg: {ACME}"]


def test_runs_of_separate_paragraphs_stay_apart():
    text = "<w:p><w:r><w:t>Acme</w:t></w:r></w:p><w:p><w:r><w:t>Bakery</w:t></w:r><w:r><w:tab/><w:t>x</w:t></w:r></w:p>"
    assert documents.runs_joined(text).split() == ["Acme", "Bakery", "x"]


# --- exports: contacts, RTF, LZMA -----------------------------------------------------------------


def test_a_vcard_21_with_a_quoted_printable_name_is_decoded(site, clients):
    # as Android exports a contact: UTF-8 bytes escaped, the long line broken by soft line breaks
    card = (
        b"BEGIN:VCARD\r\nVERSION:2.1\r\n"
        b"N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E8=8E=B2=E8=AF=AD;=E8=8C=B6=E8=88=8D\r\n"
        b"FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E8=8E=B2=E8=AF=AD=E8=8C=\r\n=B6=E8=88=8D\r\n"
        b"TEL;CELL:+86 571 0000 0000\r\nEND:VCARD\r\n"
    )
    assert "莲语茶舍".encode() == b"\xe8\x8e\xb2\xe8\xaf\xad\xe8\x8c\xb6\xe8\x88\x8d"
    write(site, "contacts/lotus.vcf", card)
    assert audit(site, clients) == [f"contacts/lotus.vcf: {LOTUS}"]


def test_a_quoted_printable_value_without_a_charset_is_read_as_outlook_writes_it():
    card = b"BEGIN:VCARD\r\nVERSION:2.1\r\nORG;ENCODING=QUOTED-PRINTABLE:P=E2tisserie =C9clair\r\nEND:VCARD\r\n"
    assert documents.quoted_printable_values(card) == FRENCH


def test_rtf_escapes_are_decoded_as_textedit_and_word_write_them(site, french):
    # TextEdit writes \'xx in the document's code page and \uN for the rest (with \uc0: no stand-in);
    # Word writes \uN followed by a stand-in character for readers without Unicode
    rtf = (
        rb"{\rtf1\ansi\ansicpg1252\cocoartf2761" + b"\n"
        rb"{\fonttbl\f0\fswiss\fcharset0 Helvetica;}{\colortbl;\red255\green255\blue255;}{\*\expandedcolortbl;;}"
        + b"\n"
        rb"\pard\tx566\pardirnatural\partightenfactor0\f0\fs24 \cf0 Notes for P\'e2tisserie \'c9clair\par" + b"\n"
        rb"\uc0\u33714 \u35821 \u33590 \u33293 \par" + b"\n"
        rb"\uc1 Tea house \u33714?\u35821?\u-31946?\u-32243?}"
    )
    write(site, "notes/clients.rtf", rtf)
    assert audit(site, french) == [found_french("notes/clients.rtf"), f"notes/clients.rtf: {LOTUS}"]


def test_rtf_bytes_follow_the_documents_code_page():
    assert documents.rtf_text(rb"{\rtf1\ansi\ansicpg936 \'c1\'ab\'d3\'ef\'b2\'e8\'c9\'e1}") == "莲语茶舍"
    assert documents.rtf_text(rb"{\rtf1\ansi \u-10179?\u-8694?}") == "\U0001f60a"  # a surrogate pair


def test_an_lzma_alone_file_is_unpacked(site, clients):
    write(site, "backup/notes.txt.lzma", lzma.compress(b"Call Acme Bakery on Monday", format=lzma.FORMAT_ALONE))
    assert audit(site, clients) == [f"backup/notes.txt.lzma: {ACME}"]


def test_an_lzma_alone_bomb_is_reported_not_read_to_the_end(site, clients, monkeypatch):
    monkeypatch.setattr(site_files_module, "MEMBER_LIMIT", 2**20)
    monkeypatch.setattr(site_files_module, "ARCHIVE_LIMIT", 2**20)
    write(site, "backup/zeros.lzma", lzma.compress(b"\0" * (2**20 + 1), format=lzma.FORMAT_ALONE))
    assert audit(site, clients) == [
        "backup/zeros.lzma: unpacks to more than 1 MiB; the rest was not read (a decompression bomb?)"
    ]


# --- links, followed as uploaders follow them -----------------------------------------------------


def test_a_link_that_leaves_the_site_is_a_finding_naming_where_it_points(site, clients, records):
    (site / "records").symlink_to(records, target_is_directory=True)
    (site / "secret.txt").symlink_to(records / "acme-bakery.yml")
    assert audit(site, clients) == [
        f"records: is a link to {records.resolve()}, outside the site: uploaders that follow links (GitHub Pages, "
        "rsync -L) publish what it points to; remove it or copy in only what is public",
        f"secret.txt: is a link to {(records / 'acme-bakery.yml').resolve()}, outside the site: uploaders that "
        "follow links (GitHub Pages, rsync -L) publish what it points to; remove it or copy in only what is public",
    ]


def test_a_link_within_the_site_is_followed_and_read_where_it_is_published(site, clients):
    write(site, "drafts/status.html", "<p>Anna Weber</p>")
    (site / "latest.html").symlink_to("drafts/status.html")
    (site / "mirror").symlink_to("drafts", target_is_directory=True)
    (site / "home.html").symlink_to("index.html")  # an ordinary page: the link itself is no finding
    outside = "text of client 'acme-bakery' appears outside its folder: 'Anna Weber'"
    assert audit(site, clients) == [
        f"drafts/status.html: {outside}",
        f"latest.html: {outside}",
        f"mirror/status.html: {outside}",
    ]


def test_links_that_loop_or_lead_nowhere_end_the_walk_and_are_findings(site, clients):
    (site / "a").mkdir()
    (site / "a" / "up").symlink_to("..", target_is_directory=True)
    (site / "x").symlink_to("y")
    (site / "y").symlink_to("x")
    (site / "gone.html").symlink_to("missing.html")
    assert audit(site, clients) == [
        f"a/up: is a link to {site.resolve()}, a folder that holds it: uploaders would loop; remove it",
        "gone.html: is a link to missing.html, which leads to no file (it is broken or loops): remove it",
        "x: is a link to y, which leads to no file (it is broken or loops): remove it",
        "y: is a link to x, which leads to no file (it is broken or loops): remove it",
    ]


# --- a prefix of two folders -----------------------------------------------------------------------


def test_a_prefix_of_two_folders_is_audited_the_same(clients, records, tmp_path):
    site = clean_site(clients, records, tmp_path / "site", "clients/p")
    assert audit(site, clients, prefix="clients/p") == []
    token = folder(clients, "acme-bakery", "clients/p").split("/")[2]
    write(site, "index.html", f"<p>Old link: {token}</p>")
    assert audit(site, clients, prefix="clients/p") == [
        "index.html: the page address of 'acme-bakery' appears outside its folder"
    ]


def test_a_bare_page_address_anywhere_is_a_finding(site, clients):
    token = folder(clients, "lotus-tea").split("/")[1]
    write(site, "notes.txt", f"token {token}")
    assert audit(site, clients) == ["notes.txt: the page address of 'lotus-tea' appears outside its folder"]


# --- secrets at the edge of "distinctive" ---------------------------------------------------------


def test_a_password_of_eight_letters_is_found_however_its_case_is_written(site, clients):
    write(site, "a.txt", "Pass: ABCD1234")
    assert audit(site, clients, {"LOTUS_PASSWORD": "abcd1234"}) == [
        "a.txt: the password in LOTUS_PASSWORD appears in this file"
    ]


# --- what identifies a client, at the edges -------------------------------------------------------


@pytest.fixture
def fresh_fields():
    """The text fields of each record type are computed once per process: here, from this test's own call."""
    audit_module._text_fields.cache_clear()
    yield
    audit_module._text_fields.cache_clear()


def pieces(clients: list[Client], text: str) -> set[str]:
    """The fingerprints a record gets for one preference ``text``, beyond those of its other fields."""
    harbor = by_id(clients, "harbor-books")
    bare = dataclasses.replace(harbor, record=harbor.record.model_copy(update={"preferences": []}))
    with_text = dataclasses.replace(harbor, record=harbor.record.model_copy(update={"preferences": [text]}))
    return set(fingerprints(with_text)) - set(fingerprints(bare))


def test_labels_are_no_fingerprints_and_every_text_field_is(clients, fresh_fields):
    found = fingerprints(by_id(clients, "acme-bakery"))
    assert "in review" not in found  # a status: one of a fixed set of words
    assert "winter menu" in found and "anna acme example" in found  # a title and an e-mail
    assert any(piece.startswith("bring the proofs") for piece in found)  # notes: Markdown or nothing
    assert found["winter menu"] == "Winter menu"


def test_a_text_of_nine_words_is_found_in_windows_of_eight(clients):
    assert pieces(clients, "one two three four five six seven eight nine") == {
        "one two three four five six seven eight",
        "two three four five six seven eight nine",
    }
    assert pieces(clients, "one two three four five six seven eight") == {"one two three four five six seven eight"}


def test_a_long_text_is_found_in_overlapping_windows(clients):
    words = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike"
    assert pieces(clients, words) == {
        "alpha bravo charlie delta echo foxtrot golf hotel",
        "foxtrot golf hotel india juliet kilo lima mike",
    }
    words += " november oscar papa"
    assert pieces(clients, words) == {
        "alpha bravo charlie delta echo foxtrot golf hotel",
        "foxtrot golf hotel india juliet kilo lima mike",
        "india juliet kilo lima mike november oscar papa",
    }


def test_chinese_is_found_in_windows_of_twelve_characters(clients):
    text = "很多老客人每个月都会来买同一款茶"  # 16 characters
    assert pieces(clients, text) == {text[:12], text[-12:]}


def test_a_short_text_counts_from_eight_bytes(clients):
    assert pieces(clients, "café la") == {"café la"}  # 8 bytes in UTF-8
    assert pieces(clients, "café l") == set()


def test_a_name_run_together_counts_from_eight_bytes(clients):
    def forms(name: str) -> set[str]:
        harbor = by_id(clients, "harbor-books")
        named = dataclasses.replace(harbor, record=harbor.record.model_copy(update={"name": name}))
        return {text for text, shown in fingerprints(named).items() if shown == name}

    assert forms("Tea Leafs") == {"tea leafs", "tealeafs"}
    assert forms("Bo Kos") == {"bo kos"}  # "bokos" is too short to prove anything
    assert "abcd efg" in fingerprints(dataclasses.replace(by_id(clients, "harbor-books"), id="abcd-efg"))


def test_a_finding_quotes_three_texts_and_counts_the_rest(site, clients):
    def quoting(count: int) -> str:
        names = ["Anna Weber", "Tomasz Nowak", "Winter menu", "anna@acme.example", "tomasz@acme.example"][:count]
        write(site, "a.html", "<p>" + " | ".join(names) + "</p>")
        (finding,) = audit(site, clients)
        return finding.split(": ", 2)[2]

    assert quoting(3) == "'Anna Weber', 'Tomasz Nowak', 'Winter menu'"
    assert quoting(4) == "'Anna Weber', 'Tomasz Nowak', 'Winter menu' and 1 more"
    assert quoting(5) == "'Anna Weber', 'Tomasz Nowak', 'Winter menu' and 2 more"
