"""Every engine a client uses: the same pages opened in Chromium, WebKit and Firefox.

A client on an iPhone sees the page through WebKit whatever browser they use, and many
use Firefox. Each test runs once per engine, so a change to `portal.js` that one engine
does not support fails here under that engine's name. An engine `make debian` installs
and that is missing fails the test: it is never skipped.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from client_portal.records.model import Client

from ..conftest import ROOT
from .conftest import PASSWORD, Site
from .engines import Chromium, Engine, EngineMissing, Firefox, WebKit, wait_for

pytestmark = pytest.mark.browser

ENGINES = ["chromium", "webkit", "firefox"]
EXAMPLES = sorted(path.stem for path in (ROOT / "clients").glob("*.yml"))
RIGHT_TO_LEFT = {"ar", "fa", "he", "ur"}  # primary language subtags written right to left
# The example clients written in Arabic. Every example client whose language is Arabic
# must be listed here (test_the_arabic_examples_are_listed), so the page of each is opened
# and checked right to left in every engine below.
ARABIC_EXAMPLES: list[str] = ["jasmine-roastery"]


@pytest.fixture(scope="session", params=ENGINES)
def engine(request, tmp_path_factory) -> Iterator[Engine]:
    """One engine for the session (pytest groups the tests by engine, so each starts once)."""
    opened: Engine | None = None
    try:
        if request.param == "chromium":
            opened = Chromium(request.getfixturevalue("browser"))
        elif request.param == "webkit":
            opened = WebKit()
        else:
            opened = Firefox(tmp_path_factory.mktemp("firefox-downloads"))
    except EngineMissing as missing:
        message = str(missing)
    if opened is None:
        pytest.fail(message, pytrace=False)
    yield opened
    opened.close()


def open_page(engine: Engine, site: Site, client: Client) -> None:
    """Open ``client``'s page by its first link, typing the password on a password page."""
    engine.goto(site.url(site.links(client.id)[0]))
    if client.record.access.mode == "password":
        wait_for(engine, "() => !!document.querySelector('#cp-password')", what="the password field did not show")
        engine.type("#cp-password", PASSWORD)
        engine.click("#cp-password-form button")
    wait_for(
        engine,
        "(name) => document.querySelector('h1.cp-title')?.textContent.trim() === name",
        client.record.name,
        what=f"{client.id}'s page did not open with its title",
    )


PAGE_JS = """() => {
  const gate = document.querySelector("#cp-gate");  /* none on an unlisted page */
  return {
    title: document.title,
    lang: document.documentElement.lang,
    dir: document.documentElement.getAttribute("dir"),
    direction: getComputedStyle(document.querySelector("h1.cp-title")).direction,
    gate: gate && { hidden: gate.hidden, state: gate.getAttribute("data-state") },
  };
}"""
# What the gate says when a page did not open, or stopped opening halfway (portal.js
# shows "invalid" when anything after the decryption throws).
GATE_FAILURES = {"missing", "invalid", "wrong-password", "insecure", "unsupported"}


def assert_opened(gate: dict[str, object] | None) -> None:
    """The gate (none on an unlisted page) is hidden and does not say the page failed to open."""
    if gate is not None:
        assert gate["hidden"] and gate["state"] not in GATE_FAILURES, f"the gate says {gate['state']!r}"


@pytest.mark.parametrize("client_id", EXAMPLES)
def test_every_example_page_opens(engine, site, client_id):
    client = site.clients()[client_id]
    open_page(engine, site, client)
    shown = engine.evaluate(PAGE_JS)
    assert shown["title"] == client.record.name
    assert_opened(shown["gate"])
    right_to_left = shown["lang"].split("-")[0] in RIGHT_TO_LEFT
    assert right_to_left == (client_id in ARABIC_EXAMPLES)
    if right_to_left:
        assert (shown["dir"], shown["direction"]) == ("rtl", "rtl")
    else:
        assert shown["dir"] in (None, "ltr")
        assert shown["direction"] == "ltr"
    assert engine.errors() == []


def test_the_arabic_examples_are_listed(site):
    """An Arabic example added to clients/ cannot escape the right-to-left checks above."""
    arabic = sorted(c.id for c in site.clients().values() if (c.record.language or "").split("-")[0] == "ar")
    assert arabic == sorted(ARABIC_EXAMPLES)


STATE_JS = "() => document.querySelector('#cp-gate')?.getAttribute('data-state')"


def test_a_password_page_refuses_a_wrong_password_and_opens_with_the_right_one(engine, site):
    engine.goto(site.url(site.links("lotus-tea")[0]))
    wait_for(engine, "() => !!document.querySelector('#cp-password')", what="the password field did not show")
    engine.type("#cp-password", "not the password")
    engine.click("#cp-password-form button")
    wait_for(engine, f"() => ({STATE_JS})() === 'wrong-password'", what="a wrong password was not refused")
    assert engine.evaluate("() => document.querySelector('#cp-content').innerHTML") == ""
    assert "密码不正确" in engine.evaluate("() => document.querySelector('#cp-gate').textContent")
    engine.evaluate("() => { document.querySelector('#cp-password').value = ''; }")
    engine.type("#cp-password", PASSWORD)
    engine.click("#cp-password-form button")
    wait_for(
        engine,
        "() => document.querySelector('h1.cp-title')?.textContent.trim() === '莲语茶舍'",
        what="the right password did not open the page",
    )
    assert_opened(engine.evaluate(PAGE_JS)["gate"])
    assert engine.errors() == []


# Keeps what the page hands the browser to save: the file's name (the link's `download`)
# and the Blob behind the link, so its bytes can be hashed in the page.
KEEP_SAVED_JS = """() => {
  window.__saved = [];
  const create = URL.createObjectURL;
  URL.createObjectURL = function (blob) {
    window.__saved.push({ blob: blob, name: null });
    return create.call(URL, blob);
  };
  const click = HTMLAnchorElement.prototype.click;
  HTMLAnchorElement.prototype.click = function () {
    const last = window.__saved[window.__saved.length - 1];
    if (this.download && last && last.name === null) last.name = this.download;
    return click.call(this);
  };
}"""

SAVED_JS = """async (index) => {
  const saved = window.__saved[index];
  if (!saved || saved.name === null) return null;
  const bytes = await saved.blob.arrayBuffer();
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return {
    name: saved.name,
    size: bytes.byteLength,
    sha256: Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join(""),
  };
}"""

FILES_JS = """() => Array.from(document.querySelectorAll("[data-cp-file]"), (button) => {
  const item = button.closest(".cp-file");
  return {
    name: button.getAttribute("data-name"),
    shown: item.querySelector(".cp-file__hash").textContent.trim(),
  };
})"""

STATUS_JS = """(index) => document.querySelectorAll(".cp-file__status")[index].textContent"""


def test_attached_files_download_decrypted_with_the_sha256_the_page_shows(engine, site):
    client = site.clients()["acme-bakery"]
    open_page(engine, site, client)
    engine.evaluate(KEEP_SAVED_JS)
    files = engine.evaluate(FILES_JS)
    folder = site.portal / "clients" / "files" / client.id
    assert sorted(f["name"] for f in files) == sorted(p.name for p in folder.iterdir())
    for index, shown in enumerate(files):
        original = (folder / shown["name"]).read_bytes()
        assert shown["shown"] == hashlib.sha256(original).hexdigest()
        engine.click(f'[data-cp-file][data-name="{shown["name"]}"]')
        status = wait_for(
            engine, f"(i) => ({STATUS_JS})(i).includes('Verified')", index, what=f"{shown['name']} was not verified"
        )
        assert engine.evaluate(STATUS_JS, index) == (
            f"Downloaded {shown['name']}. Verified: its SHA-256 matches the fingerprint published here."
        ), status
        saved = wait_for(engine, SAVED_JS, index, what=f"{shown['name']} was not handed to the browser to save")
        assert saved == {"name": shown["name"], "size": len(original), "sha256": shown["shown"]}
    if isinstance(engine, Firefox):  # Firefox saves into the test's folder: the file on disk too
        for shown in files:
            path = engine.downloads / shown["name"]
            wait_until_saved(path, (folder / shown["name"]).read_bytes())
    assert engine.errors() == []


def wait_until_saved(path: Path, expected: bytes) -> None:
    """Wait for the browser to finish writing ``path``, then compare it with ``expected``."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not (path.exists() and path.read_bytes() == expected):
        time.sleep(0.1)
    assert path.exists(), f"{path.name} was not saved"
    assert path.read_bytes() == expected
