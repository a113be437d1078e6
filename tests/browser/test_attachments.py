"""Attached files in a real browser: fetched, decrypted with WebCrypto and saved under their real name."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from client_portal.publishing import crypto

from ..build import SECRET
from .conftest import Watched, copy_portal, serve_portal
from .test_client_pages import assert_clean, open_page

pytestmark = pytest.mark.browser


def download(watched: Watched, button, target: Path) -> Path:
    with watched.page.expect_download() as info:
        button.click()
    saved = target / info.value.suggested_filename
    info.value.save_as(saved)
    return saved


def test_each_attachment_downloads_as_the_original_bytes_under_its_real_name(site, watched, tmp_path):
    open_page(watched, site.url(site.links("acme-bakery")[0]))
    page = watched.page
    buttons = page.locator("[data-cp-file]")
    expect(buttons).to_have_count(3)
    originals = sorted((site.portal / "clients" / "files" / "acme-bakery").iterdir())
    for original in originals:
        button = page.locator(f'[data-cp-file][data-name="{original.name}"]')
        expect(button).to_contain_text(original.name)
        saved = download(watched, button, tmp_path)
        assert saved.name == original.name
        assert saved.read_bytes() == original.read_bytes()
        item = button.locator("xpath=..")
        expect(item.locator(".cp-file__status")).to_have_text(
            f"Downloaded {original.name}. Verified: its SHA-256 matches the fingerprint published here."
        )
        # clicked, so hovered and focused: the text must not melt into a filled background
        page.wait_for_timeout(300)  # Material's colour transition
        colours = button.evaluate("e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]")
        assert colours[1] == "rgba(0, 0, 0, 0)", colours
    assert_clean(watched)


def test_the_sha256_is_shown_short_and_whole_on_demand(site, watched):
    open_page(watched, site.url(site.links("acme-bakery")[0]))
    page = watched.page
    original = site.portal / "clients" / "files" / "acme-bakery" / "christmas-market-flyer-a5.pdf"
    digest = hashlib.sha256(original.read_bytes()).hexdigest()
    item = page.locator(".cp-file", has=page.locator(f'[data-name="{original.name}"]'))
    summary = item.locator("summary")
    expect(summary).to_have_text(f"SHA-256 {digest[:12]}…")
    expect(item.locator(".cp-file__hash")).to_be_hidden()
    summary.focus()
    page.keyboard.press("Enter")  # reachable and usable by keyboard
    expect(item.locator(".cp-file__hash")).to_have_text(digest)
    for target in (summary, item.locator("[data-cp-file]")):
        assert target.bounding_box()["height"] >= 44


# "$&" and "$'" mean something to String.replace: the status line must still show the name as written.
ODD_NAME = "photos $' & $&.bin"


def test_files_are_checked_against_their_fingerprint_or_vouched_for_by_the_encryption(build_env, browser, tmp_path):
    portal = copy_portal(tmp_path / "portal")
    files = portal / "clients" / "files" / "acme-bakery"
    photos, video = files / ODD_NAME, files / "video.bin"
    photos.write_bytes(os.urandom(3 * 2**20 + 12345))  # four chunks, the last one mostly padding
    video.write_bytes(os.urandom(32 * 2**20 + 1))  # one byte past what the browser fingerprints
    record = portal / "clients" / "acme-bakery.yml"
    text = record.read_text(encoding="utf-8")
    listed = "      - files/acme-bakery/sourdough-articles.zip\n"
    record.write_text(
        text.replace(listed, f'{listed}      - "files/acme-bakery/{ODD_NAME}"\n      - files/acme-bakery/video.bin\n'),
        encoding="utf-8",
    )
    served = serve_portal(portal, tmp_path / "site")
    context = browser.new_context(accept_downloads=True)
    try:
        watched = Watched(context.new_page())
        open_page(watched, served.url(served.links("acme-bakery")[0]))
        for original, expected in [
            (photos, f"Downloaded {ODD_NAME}. Verified: its SHA-256 matches the fingerprint published here."),
            (
                video,
                "Downloaded video.bin. It is too large to fingerprint in the browser, so its proof is the encryption"
                " itself: it would not have decrypted had a single byte changed.",
            ),
        ]:
            button = watched.page.locator("[data-cp-file]").filter(has_text=original.name)
            saved = download(watched, button, tmp_path)
            assert saved.read_bytes() == original.read_bytes()
            expect(button.locator("xpath=..").locator(".cp-file__status")).to_have_text(expected)
        assert_clean(watched)
    finally:
        context.close()
        served.server.shutdown()


def test_a_file_that_opens_but_is_not_the_one_fingerprinted_is_not_saved(site, watched):
    """The encryption says the file is what the build sealed; the fingerprint says it is what was delivered."""
    open_page(watched, site.url(site.links("acme-bakery")[0]))
    button = watched.page.locator("[data-cp-file]").first
    sealed = site.folder / site.links("acme-bakery")[0].path.split("#")[0] / button.get_attribute("data-cp-file")
    client = site.clients()["acme-bakery"]
    size, sha256 = int(button.get_attribute("data-size")), button.get_attribute("data-sha256")
    token = sealed.parent.name
    other = io.BytesIO()  # other bytes of the same size, sealed under this file's key and fingerprint
    with contextlib.suppress(crypto.FileMismatch):
        key = crypto.file_key(SECRET.encode(), client.id, 1, sha256)
        crypto.seal_file(key, io.BytesIO(os.urandom(size)), size, sha256, token, other)
    kept = sealed.read_bytes()
    downloads = []
    watched.page.on("download", lambda download: downloads.append(download))
    try:
        sealed.write_bytes(other.getvalue())
        button.click()
        expect(button.locator("xpath=..").locator(".cp-file__status")).to_have_text(
            "This file does not match its published fingerprint, so it was not saved."
            " Please ask Mei Chen to send it again."
        )
    finally:
        sealed.write_bytes(kept)
    assert downloads == []


def test_a_missing_or_swapped_file_says_whom_to_ask(site, watched):
    open_page(watched, site.url(site.links("acme-bakery")[0]))
    page = watched.page
    folder = site.folder / site.links("acme-bakery")[0].path.split("#")[0]
    client = site.clients()["acme-bakery"]
    sealed = sorted(folder.glob("*.bin"))
    first, second = (page.locator("[data-cp-file]").nth(n) for n in (0, 1))
    first_file = folder / first.get_attribute("data-cp-file")
    second_file = folder / second.get_attribute("data-cp-file")
    assert {first_file, second_file} <= set(sealed)
    kept = first_file.read_bytes(), second_file.read_bytes()
    try:
        first_file.unlink()
        second_file.write_bytes(kept[0])  # another file's ciphertext under this name
        first.click()
        expect(first.locator("xpath=..").locator(".cp-file__status")).to_have_text(
            "This file is no longer on the server. Please ask Mei Chen to send it again."
        )
        second.click()
        expect(second.locator("xpath=..").locator(".cp-file__status")).to_have_text(
            "This file could not be decrypted. Please ask Mei Chen to send it again."
        )
    finally:
        first_file.write_bytes(kept[0])
        second_file.write_bytes(kept[1])
    assert crypto.file_name(SECRET.encode(), client.id, 1, first.get_attribute("data-sha256")) == first_file.name
    assert watched.csp_violations() == []


def test_the_button_says_it_is_decrypting_until_the_file_is_saved(site, watched, tmp_path):
    open_page(watched, site.url(site.links("acme-bakery")[0]))
    page = watched.page
    held = []
    page.route("**/*.bin", lambda route: held.append(route))  # the file arrives only when the test lets it
    button = page.locator("[data-cp-file]").first
    button.click()
    status = button.locator("xpath=..").locator(".cp-file__status")
    expect(status).to_have_text("Decrypting… 0%")
    expect(button).to_have_attribute("aria-busy", "true")
    button.click()  # a second click while busy starts nothing more
    page.wait_for_timeout(200)
    assert len(held) == 1
    with page.expect_download():
        held[0].continue_()
    expect(status).to_contain_text(f"Downloaded {button.get_attribute('data-name')}. Verified: ")
    expect(button).not_to_have_attribute("aria-busy", "true")
