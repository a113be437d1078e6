"""Attached files: chunked encryption, padding, `check`'s located errors, and a built site that shows none of them."""

from __future__ import annotations

import io
import os
import re
import shutil
import tracemalloc
import warnings
from pathlib import Path

import ahocorasick
import pytest
from click.testing import CliRunner

from client_portal.commands.cli import main
from client_portal.publishing import attachments, crypto
from client_portal.publishing.addresses import client_folder
from client_portal.publishing.attachments import (
    AttachmentError,
    content_samples,
    find_attachments,
    opens,
    seal_attachments,
)
from client_portal.records.loader import load_client, load_clients

from .build import SECRET, build_site
from .conftest import ROOT, TODAY
from .example import use_example_secrets
from .test_loader import VALID

KEY = bytes(range(32))
SHA = "0" * 64
SAMPLE_FILES = sorted((ROOT / "clients" / "files" / "acme-bakery").iterdir())


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def sealed(data: bytes, token: str = "tok", key: bytes = KEY) -> bytes:
    out = io.BytesIO()
    crypto.seal_file(key, io.BytesIO(data), len(data), _sha(data), token, out)
    return out.getvalue()


def opened(blob: bytes, data: bytes, token: str = "tok", key: bytes = KEY) -> bytes:
    out = io.BytesIO()
    crypto.open_file(key, io.BytesIO(blob), len(data), _sha(data), token, out)
    return out.getvalue()


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


# --- the format ---------------------------------------------------------------------------------

MiB = 2**20


@pytest.mark.parametrize("size", [0, 1, 5000, 16 * 1024, MiB - 1, MiB, MiB + 1, 3 * MiB + 12345])
def test_a_file_opens_to_exactly_its_bytes_and_is_padded_to_its_bucket(size):
    data = os.urandom(size)
    blob = sealed(data)
    padded = crypto.file_padded_size(size)
    assert len(blob) == crypto.sealed_file_size(size) == padded + 16 * -(-padded // crypto.FILE_CHUNK)
    assert opened(blob, data) == data


def test_sealing_is_deterministic_so_unchanged_files_stay_byte_identical():
    data = os.urandom(2 * MiB + 7)
    assert sealed(data) == sealed(data)
    assert sealed(data, key=bytes(32)) != sealed(data)


@pytest.mark.parametrize(
    ("size", "bucket"),
    [(1, 16 * 1024), (16 * 1024, 16 * 1024), (16 * 1024 + 1, 32 * 1024), (600_000, MiB), (MiB, MiB)],
)
def test_small_files_are_padded_like_pages(size, bucket):
    assert crypto.file_padded_size(size) == bucket


@pytest.mark.parametrize("size", [MiB + 1, 3 * MiB + 12345, 50 * 10**6, 100 * MiB - 1, 100 * MiB])
def test_large_files_get_padme_padding_of_at_most_12_percent(size):
    padded = crypto.file_padded_size(size)
    assert size <= padded <= size * 1.12
    assert crypto.file_padded_size(padded) == padded  # a bucket is its own bucket


def test_nearby_sizes_share_a_bucket():
    assert len({crypto.file_padded_size(50 * 10**6 + n * 1000) for n in range(100)}) <= 2


@pytest.mark.parametrize(
    "tamper",
    [
        lambda blob: blob[: -(crypto.FILE_CHUNK // 2)],  # the last chunk cut short
        lambda blob: blob[: crypto.FILE_CHUNK + 16],  # whole chunks dropped from the end
        lambda blob: (
            blob[crypto.FILE_CHUNK + 16 : 2 * (crypto.FILE_CHUNK + 16)]
            + blob[: crypto.FILE_CHUNK + 16]
            + blob[2 * (crypto.FILE_CHUNK + 16) :]
        ),  # chunks swapped
        lambda blob: blob[:100] + bytes([blob[100] ^ 1]) + blob[101:],  # one bit flipped
        lambda blob: blob + b"\0" * 16,  # bytes appended
    ],
)
def test_cut_reordered_or_changed_ciphertext_does_not_open(tamper):
    data = os.urandom(2 * MiB + 5)
    with pytest.raises(crypto.FileMismatch):
        opened(tamper(sealed(data)), data)


def test_a_file_sealed_for_one_page_does_not_open_on_another():
    data = b"brand guide" * 100
    with pytest.raises(crypto.FileMismatch):
        opened(sealed(data, token="page-a"), data, token="page-b")


def test_a_file_that_changes_while_sealing_is_refused():
    data = os.urandom(1000)
    with pytest.raises(crypto.FileMismatch):
        crypto.seal_file(KEY, io.BytesIO(data), len(data), SHA, "tok", io.BytesIO())


def test_sealing_a_50_mb_file_streams_in_chunks(tmp_path):
    big = tmp_path / "big.bin"
    with big.open("wb") as out:
        for _ in range(50):
            out.write(os.urandom(10**6))
    tracemalloc.start()
    try:
        with big.open("rb") as source, (tmp_path / "big.sealed").open("wb") as target:
            crypto.seal_file(KEY, source, 50 * 10**6, attachments.file_sha256(big), "tok", target)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * MiB  # a few chunks, never the whole file
    assert (tmp_path / "big.sealed").stat().st_size == crypto.sealed_file_size(50 * 10**6)


def test_opaque_names_and_keys_depend_on_client_version_and_content():
    secret = SECRET.encode()
    names = {
        crypto.file_name(secret, client, version, sha)
        for client in ("acme", "fjord")
        for version in (1, 2)
        for sha in ("a" * 64, "b" * 64)
    }
    assert len(names) == 8
    assert all(re.fullmatch(r"[a-z2-7]{26}\.bin", name) for name in names)
    assert crypto.file_key(secret, "acme", 1, SHA) != crypto.file_key(secret, "acme", 2, SHA)


# --- the record and `check` ---------------------------------------------------------------------


def record_with(files: str, mode: str = "link") -> str:
    return VALID.replace("    due: 2026-12-01\n", f"    due: 2026-12-01\n    files: {files}\n") + (
        f"access:\n  mode: {mode}\n"
    )


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ("[../secret.pdf]", "deliverables[0].files[0]: '../secret.pdf' is outside the clients folder"),
        ("[files/../../x.pdf]", "is outside the clients folder"),
        ("[/etc/passwd]", "'/etc/passwd' is outside the clients folder"),
        ("['C:/x.pdf']", "is outside the clients folder"),
        ("['a\\\\b.pdf']", "separate folders with '/'"),
        ("[files/]", "is a folder"),
        ("[a.pdf, a.pdf]", "deliverables[0].files[1]: 'a.pdf' is already listed as file #1"),
        ("[" + ", ".join(f"f{n}.pdf" for n in range(21)) + "]", "deliverables[0].files: has 21 entries"),
    ],
)
def test_check_refuses_paths_outside_the_clients_folder(empty_portal, files, message):
    (empty_portal / "clients" / "acme.yml").write_text(record_with(files), encoding="utf-8")
    result = run("check")
    assert result.exit_code == 1
    assert re.search(r"clients/acme\.yml:9:\d+: error: .*" + re.escape(message), result.output), result.output
    assert "Traceback" not in result.output


def test_check_reports_a_missing_file_at_its_line(empty_portal):
    (empty_portal / "clients" / "acme.yml").write_text(record_with("[files/acme/guide.pdf]"), encoding="utf-8")
    result = run("check")
    assert result.exit_code == 1
    assert "clients/acme.yml:9:13: error: deliverables[0].files[0]: files/acme/guide.pdf not found" in result.output
    (empty_portal / "clients" / "files" / "acme").mkdir(parents=True)
    (empty_portal / "clients" / "files" / "acme" / "guide.pdf").write_bytes(b"%PDF-1.4 ...")
    assert run("check").exit_code == 0


def test_check_refuses_a_symlink_that_leads_outside(empty_portal, tmp_path_factory):
    outside = tmp_path_factory.mktemp("elsewhere") / "private.txt"
    outside.write_text("not for clients")
    (empty_portal / "clients" / "link.txt").symlink_to(outside)
    (empty_portal / "clients" / "acme.yml").write_text(record_with("[link.txt]"), encoding="utf-8")
    result = run("check")
    assert result.exit_code == 1
    assert "clients/acme.yml:9:13: error: deliverables[0].files[0]: link.txt leads outside the clients folder" in (
        result.output
    )


def test_check_refuses_files_over_the_size_limits(empty_portal, monkeypatch):
    monkeypatch.setattr(attachments, "MAX_FILE_BYTES", 1000)
    monkeypatch.setattr(attachments, "MAX_CLIENT_BYTES", 1500)
    for name, size in (("big.bin", 1001), ("a.bin", 800), ("b.bin", 800)):
        (empty_portal / "clients" / name).write_bytes(b"x" * size)
    (empty_portal / "clients" / "acme.yml").write_text(record_with("[big.bin, a.bin, b.bin]"), encoding="utf-8")
    output = run("check").output
    assert (
        "clients/acme.yml:9:13: error: deliverables[0].files[0]: big.bin is 0.0 MiB; attach files of at most 0 MiB"
        in output
    )
    assert "deliverables[0].files[2]: the files attached for this client come to more than 0 MiB" in output
    assert "files[1]" not in output


def test_the_stated_limits():
    assert (100 * MiB, 500 * MiB) == (attachments.MAX_FILE_BYTES, attachments.MAX_CLIENT_BYTES)


def test_check_warns_that_unlisted_pages_publish_no_files(empty_portal):
    (empty_portal / "clients" / "a.pdf").write_bytes(b"%PDF")
    (empty_portal / "clients" / "acme.yml").write_text(record_with("[a.pdf]", "unlisted"), encoding="utf-8")
    result = run("check")
    assert result.exit_code == 0
    assert (
        "clients/acme.yml:9:12: warning: deliverables[0].files: unlisted pages are readable by anyone with the "
        "address, so these files are not published" in result.output
    )


def test_new_record_template_shows_how_to_attach_files(empty_portal):
    assert run("new", "acme-bakery").exit_code == 0
    text = (empty_portal / "clients" / "acme-bakery.yml").read_text(encoding="utf-8")
    assert "#    files:" in text and "#      - files/acme-bakery/brand-guide.pdf" in text


def test_sample_client_attaches_real_files():
    client = load_client(ROOT / "clients" / "acme-bakery.yml", today=TODAY)
    found = find_attachments(client, ROOT / "clients")
    assert [a.name for a in found] == [
        "acme-bakery-brand-guide.pdf",
        "sourdough-articles.zip",
        "christmas-market-flyer-a5.pdf",
    ]
    assert all(a.source.read_bytes()[:4] in (b"%PDF", b"PK\x03\x04") for a in found)


def test_the_build_refuses_a_missing_file(tmp_path, caplog):
    portal = copy_portal(tmp_path)
    (portal / "clients" / "files" / "acme-bakery" / "sourdough-articles.zip").unlink()
    with pytest.raises(Exception, match="BuildError"):
        build_site(portal / "mkdocs.yml", tmp_path / "site")
    assert (
        "clients/acme-bakery.yml:52:9: error: deliverables[1].files[0]: files/acme-bakery/sourdough-articles.zip "
        "not found (looked in clients/)" in caplog.text
    )


def test_sealed_files_are_cached_and_stale_ones_removed(tmp_path):
    client = load_client(ROOT / "clients" / "acme-bakery.yml", today=TODAY)
    found = find_attachments(client, ROOT / "clients")
    cache = tmp_path / "cache"
    first = seal_attachments(found, SECRET.encode(), client, "tok", cache)
    stamps = [f.sealed.stat().st_mtime_ns for f in first]
    (cache / "tok" / "old.bin").write_bytes(b"left by an earlier build")
    again = seal_attachments(found[:2], SECRET.encode(), client, "tok", cache)
    assert [f.sealed.stat().st_mtime_ns for f in again] == stamps[:2]  # reused, not encrypted again
    assert sorted(p.name for p in (cache / "tok").iterdir()) == sorted(f.url for f in again)


def test_a_sealed_file_altered_in_the_cache_is_sealed_again(tmp_path):
    client = load_client(ROOT / "clients" / "acme-bakery.yml", today=TODAY)
    found = find_attachments(client, ROOT / "clients")[:1]
    cache = tmp_path / "cache"
    [first] = seal_attachments(found, SECRET.encode(), client, "tok", cache)
    sealed = first.sealed.read_bytes()
    altered = bytearray(sealed)
    altered[len(altered) // 2] ^= 1  # same size, one bit changed
    first.sealed.write_bytes(bytes(altered))
    [again] = seal_attachments(found, SECRET.encode(), client, "tok", cache)
    assert again.sealed.read_bytes() == sealed  # written again, not reused on its size
    assert opens(again.sealed, found[0], SECRET.encode(), client, "tok")


def test_content_samples_are_varied_windows_of_the_file(tmp_path):
    path = tmp_path / "x"
    path.write_bytes(b"\0" * 5000 + os.urandom(5000))
    samples = content_samples(path, 10000)
    data = path.read_bytes()
    assert samples and all(len(s) == 32 and s in data and len(set(s)) >= 16 for s in samples)
    path.write_bytes(b"\0" * 10000)
    assert content_samples(path, 10000) == []


# --- the built site -------------------------------------------------------------------------------


@pytest.fixture
def build_env(monkeypatch) -> None:
    use_example_secrets(monkeypatch)


def copy_portal(tmp_path: Path) -> Path:
    portal = tmp_path / "portal"
    portal.mkdir()
    for name in ("mkdocs.yml", "content", "clients"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, portal / name)
    return portal


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PORTAL_SECRET", SECRET)
        env.setenv("LOTUS_TEA_PORTAL_PASSWORD", "correct horse battery staple")
        env.delenv("CI", raising=False)
        portal = copy_portal(tmp_path_factory.mktemp("attached"))
        build_site(portal / "mkdocs.yml", portal / "site")
        build_site(portal / "mkdocs.yml", portal / "again")
    return portal


def test_each_file_is_published_once_under_an_opaque_name_in_its_clients_folder(built):
    client = load_client(built / "clients" / "acme-bakery.yml", today=TODAY)
    folder = built / "site" / "p" / crypto.url_token(SECRET.encode(), client.id, 1)
    published = sorted(p.name for p in folder.iterdir())
    expected = {crypto.file_name(SECRET.encode(), client.id, 1, attachments.file_sha256(f)): f for f in SAMPLE_FILES}
    assert published == sorted(["index.html", *expected])
    for name, original in expected.items():
        assert (folder / name).stat().st_size == crypto.sealed_file_size(original.stat().st_size) >= 16 * 1024
    all_bins = sorted((built / "site").rglob("*.bin"))
    assert [p.parent for p in all_bins] == [folder] * len(SAMPLE_FILES)


def test_rebuilding_gives_byte_identical_ciphertext(built):
    for path in (built / "site").rglob("*.bin"):
        assert path.read_bytes() == (built / "again" / path.relative_to(built / "site")).read_bytes()


def test_no_byte_of_an_attached_file_its_name_or_its_size_is_readable_anywhere(built):
    windows = ahocorasick.Automaton()
    for original in SAMPLE_FILES:
        data = original.read_bytes()
        for start in range(len(data) - 15):
            window = data[start : start + 16].decode("latin-1")
            windows.add_word(window, (original.name, start))
    windows.make_automaton()
    names = {f.name.encode() for f in SAMPLE_FILES} | {f.stem.encode() for f in SAMPLE_FILES}
    sizes = [re.compile(rb"(?<![\d.,])" + s + rb"(?![\d.,])") for f in SAMPLE_FILES for s in _size_texts(f)]
    files = [p for p in (built / "site").rglob("*") if p.is_file()]
    assert len(files) > 30
    for path in files:
        raw = path.read_bytes()
        hit = next(windows.iter(raw.decode("latin-1")), None)
        assert hit is None, f"{path}: bytes {hit[1][1]} of {hit[1][0]}"
        assert not any(name in raw or name.lower() in raw.lower() for name in names), path
        assert not any(size.search(raw) for size in sizes), path


def _size_texts(path: Path) -> list[bytes]:
    size = path.stat().st_size
    return [str(size).encode(), f"{size:,}".encode()]


def test_an_unlisted_page_publishes_no_files(tmp_path, build_env):
    portal = copy_portal(tmp_path)
    record = portal / "clients" / "acme-bakery.yml"
    text = record.read_text(encoding="utf-8").replace("mode: link", "mode: unlisted")
    # an unlisted page cannot end for one person: the example's expiring link goes too
    text = re.sub(r"^ +expires: .*\n", "", text, flags=re.MULTILINE)
    record.write_text(text, encoding="utf-8")
    build_site(portal / "mkdocs.yml", tmp_path / "site")
    assert not list((tmp_path / "site").rglob("*.bin"))
    client = load_client(record, today=TODAY)
    page = tmp_path / "site" / "p" / crypto.url_token(SECRET.encode(), client.id, 1, True) / "index.html"
    html = page.read_text(encoding="utf-8")
    assert "Christmas market flyer" in html
    assert "data-cp-file" not in html and "acme-bakery-brand-guide.pdf" not in html


def test_every_missing_file_is_reported_at_once(tmp_path):
    clients = load_clients(ROOT / "clients", today=TODAY)
    acme = next(c for c in clients if c.id == "acme-bakery")
    with pytest.raises(AttachmentError) as error:
        find_attachments(acme, tmp_path)
    assert all(p.severity == "error" and "not found" in p.message for p in error.value.problems)
    assert len(error.value.problems) == 3


def test_check_does_not_load_cryptography():
    import subprocess
    import sys

    code = "import sys, client_portal.commands.cli; print('cryptography' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"


@pytest.mark.parametrize(("stage", "language"), [("active", "en"), ("prospect", "en"), ("active", "zh-CN")])
def test_a_deliverable_offers_its_files_with_name_size_and_fingerprint(stage, language):
    from client_portal.page.render import Renderer
    from client_portal.page.view import page_context
    from client_portal.publishing.attachments import SealedFile

    from .pages import MATERIAL_TEMPLATES, SEEN_KEY, SETTINGS, text_of

    client = load_client(ROOT / "clients" / "acme-bakery.yml", today=TODAY)
    record = client.record.model_copy(update={"stage": stage, "language": language})
    client = client.__class__(client.id, client.source, record, client.locations)
    found = find_attachments(client, ROOT / "clients")
    files = [SealedFile(a, f"name{n}.bin", f"key{n}", 16400, a.source) for n, a in enumerate(found)]
    html = str(
        Renderer([MATERIAL_TEMPLATES]).body(page_context(client, SETTINGS, TODAY, whatsnew_key=SEEN_KEY, files=files))
    )
    assert html.count("data-cp-file=") == 3
    guide = found[0]
    button = re.search(r"<button[^>]*data-name=\"acme-bakery-brand-guide.pdf\"[^>]*>(.*?)</button>", html, re.S)
    assert button and 'data-cp-file="name0.bin"' in button[0] and 'data-key="key0"' in button[0]
    assert f'data-size="{guide.size}"' in button[0] and f'data-sha256="{guide.sha256}"' in button[0]
    assert guide.size == 11_019
    assert "acme-bakery-brand-guide.pdf 11 kB" in text_of(button[1])
    assert f"SHA-256 {guide.sha256[:12]}…" in text_of(html)
    assert guide.sha256 in text_of(html)
    assert ("下载" if language == "zh-CN" else "Download") in text_of(button[1])
    assert ("这是交付时文件的指纹" in html) == (language == "zh-CN")


@pytest.mark.parametrize(
    ("size", "en", "zh"),
    [
        (512, "512 bytes", "512字节"),
        (11_019, "11 kB", "11 kB"),
        (3_158_073, "3.2 MB", "3.2 MB"),
        (10**9, "1 GB", "1 GB"),
    ],
)
def test_file_sizes_read_as_people_write_them(size, en, zh):
    from zoneinfo import ZoneInfo

    from babel import Locale

    from client_portal.i18n import translations
    from client_portal.page.view import Formatter

    def shown(locale: str) -> str:
        return Formatter(Locale.parse(locale), ZoneInfo("UTC"), TODAY, translations(locale)).file_size(size)

    assert (shown("en"), shown("zh_Hans_CN")) == (en, zh)


OTHER = VALID.replace("name: Acme Bakery", "name: Other Shop")


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("files/other/x.pdf", "deliverables[0].files[0]: files/other/x.pdf is in the folder of client 'other'"),
        (
            "other.yml",
            "deliverables[0].files[0]: other.yml is the record of 'other': attaching it publishes the record",
        ),
        ("acme.yml", "deliverables[0].files[0]: acme.yml is this client's own record"),
    ],
)
def test_check_warns_about_another_clients_file_or_a_record(empty_portal, path, message):
    (empty_portal / "clients" / "other.yml").write_text(OTHER, encoding="utf-8")
    (empty_portal / "clients" / "files" / "other").mkdir(parents=True)
    (empty_portal / "clients" / "files" / "other" / "x.pdf").write_bytes(b"%PDF-1.4 other's")
    (empty_portal / "clients" / "acme.yml").write_text(record_with(f"[{path}]"), encoding="utf-8")
    result = run("check")
    assert result.exit_code == 0
    assert f"clients/acme.yml:9:13: warning: {message}" in result.output


def test_check_says_nothing_of_a_clients_own_folder(empty_portal):
    (empty_portal / "clients" / "other.yml").write_text(OTHER, encoding="utf-8")
    (empty_portal / "clients" / "files" / "acme").mkdir(parents=True)
    (empty_portal / "clients" / "files" / "acme" / "other-notes.pdf").write_bytes(b"%PDF-1.4 acme's")
    (empty_portal / "clients" / "acme.yml").write_text(record_with("[files/acme/other-notes.pdf]"), encoding="utf-8")
    assert run("check").output.strip() == "2 records checked: 0 errors, 0 warnings"


def test_a_file_attached_to_two_deliverables_is_published_once_without_a_warning(tmp_path, build_env):
    portal = copy_portal(tmp_path)
    record = portal / "clients" / "acme-bakery.yml"
    text = record.read_text(encoding="utf-8")
    again = "    progress: 60\n    files:\n      - files/acme-bakery/christmas-market-flyer-a5.pdf\n"
    record.write_text(text.replace("    progress: 60\n", again, 1), encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        build_site(portal / "mkdocs.yml", tmp_path / "site")
    assert [str(w.message) for w in caught if "replace an existing file" in str(w.message)] == []
    client = load_client(record, today=TODAY)
    token = client_folder("p", SECRET.encode(), client)
    assert len(list((tmp_path / "site" / token).glob("*.bin"))) == 3  # the flyer once, for both deliverables
