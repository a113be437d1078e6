"""The Nu HTML Checker (vnu) on every page a visitor or client sees, in every state it can be in."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from client_portal.publishing.addresses import replaced_folders

from ..build import SECRET
from ..conftest import ROOT
from .conftest import IN_CI, PASSWORD, Site, copy_portal, serve_portal
from .test_client_pages import HOSTILE

pytestmark = pytest.mark.browser

VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
SAMPLES = ["acme-bakery", "fjord-cycles", "harbor-books", "jasmine-roastery", "lotus-tea", "northwind-studio"]
OPEN_ALL_DETAILS = "document.querySelectorAll('details').forEach(d => d.open = true)"

# Errors vnu reports in markup we do not write and cannot change from our content:
# (file, message, extract) patterns, all three matching, each with the reason it is not ours.
THEME_EXCEPTIONS = [
    # Material's base.html gives its two CSS-only toggles (the navigation drawer and the search
    # overlay, <input type="checkbox">) autocomplete="off", which HTML allows only on text-like
    # inputs; it is in Material's own template on every public page, not in content/.
    (
        r"public-.*\.html",
        r"^Attribute “autocomplete” is only allowed when the input type is ",
        r'<input class="md-toggle" data-md-toggle="(drawer|search)" type="checkbox" id="__\1" autocomplete="off">',
    ),
]
# vnu applies each page's Content-Security-Policy to the saved copy, a file: URL that 'self'
# cannot match; the browser tests check the real thing (no violation when served).
CSP_ON_A_COPY = "violates Content Security Policy"
# Block Markdown in every Markdown field (paragraphs, a list, a quote, a table, code), so each
# element that holds record text is checked with every block it can receive, not only short notes.
BLOCKS = "First paragraph.\\n\\n- one\\n- two\\n\\n> quoted\\n\\n| a | b |\\n|---|---|\\n| 1 | 2 |\\n\\n    code"
RICH = f"""\
name: Rich Notes
contacts:
  - name: Ann
    email: ann@rich.example
greeting: "{BLOCKS}"
preferences:
  - "{BLOCKS}"
deliverables:
  - title: Late one
    status: in_progress
    due: 2026-11-02
    notes: "{BLOCKS}"
  - title: Dropped one
    status: cancelled
    notes: "{BLOCKS}"
schedule:
  - date: 2026-12-05
    title: Review call
    kind: meeting
    notes: "{BLOCKS}"
  - date: 2026-11-05
    title: Kick-off
    notes: "{BLOCKS}"
suggestions:
  - title: An idea
    date: 2026-11-20
    body: "{BLOCKS}"
updates:
  - date: 2026-11-20
    text: "{BLOCKS}"
"""


def vnu_command() -> list[str]:
    """How to run the checker, or fail (CI) / skip (locally) when Java or the jar is missing."""
    java = shutil.which("java")
    missing = [what for what, there in (("java", java), (str(VNU), VNU.is_file())) if not there]
    if missing:
        message = f"{' and '.join(missing)} not found; `make test` installs them (Debian's Java, npm ci)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    # One short run: the quick compiler and a simple collector halve the CPU time the JVM needs;
    # quick-compiled frames are larger, and the checker already asks for a 512k thread stack.
    tuning = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xss8m"]
    return [str(java), *tuning, "-jar", str(VNU), "--format", "json", "--stdout"]


@pytest.fixture(scope="module")
def vnu() -> list[str]:
    return vnu_command()


@pytest.fixture(scope="module")
def hostile(build_env, tmp_path_factory) -> Iterator[Site]:
    """The example portal plus a record full of raw HTML and script links and one of block Markdown, served."""
    portal = copy_portal(tmp_path_factory.mktemp("hostile") / "portal")
    (portal / "clients" / "evil-co.yml").write_text(HOSTILE, encoding="utf-8")
    (portal / "clients" / "rich-notes.yml").write_text(RICH, encoding="utf-8")
    served = serve_portal(portal, tmp_path_factory.mktemp("hostile-site"))
    yield served
    served.server.shutdown()


class Collector:
    """Writes each page's HTML to a file of its own, named for what it shows."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.files: dict[str, Path] = {}

    def add(self, name: str, html: str) -> None:
        assert name not in self.files, name
        path = self.folder / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        self.files[name] = path

    def dom(self, name: str, page: Page) -> None:
        """The live DOM, serialised, with everything collapsed opened."""
        page.evaluate(OPEN_ALL_DETAILS)
        self.add(name, page.content())


def expect_state(page: Page, state: str) -> None:
    expect(page.locator("#cp-gate")).to_have_attribute("data-state", state)


def open_decrypted(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("#cp-content .cp-page")).to_be_visible()


def collect_built(collector: Collector, site: Site) -> None:
    """Pages as the build wrote them: the public site, the neutral pages, a page before it opens."""
    public = sorted(p for p in site.folder.rglob("*.html") if p.relative_to(site.folder).parts[0] != "p")
    assert {p.relative_to(site.folder).as_posix() for p in public} >= {"index.html", "404.html"}
    for path in public:
        name = "public-" + path.relative_to(site.folder).as_posix().replace("/", "-").removesuffix(".html")
        collector.add(name, path.read_text(encoding="utf-8"))
    collector.add("neutral-prefix-index", (site.folder / "p" / "index.html").read_text(encoding="utf-8"))
    acme = site.clients()["acme-bakery"]
    old = replaced_folders("p", SECRET.encode(), acme)[0]
    collector.add("neutral-replaced", (site.folder / old / "index.html").read_text(encoding="utf-8"))
    # encrypted: the loading gate (in English and in Arabic, right to left); unlisted: the page itself
    for client_id in ("acme-bakery", "jasmine-roastery", "harbor-books"):
        folder = site.links(client_id)[0].path.split("#")[0]
        collector.add(f"built-{client_id}", (site.folder / folder / "index.html").read_text(encoding="utf-8"))


def collect_live(collector: Collector, site: Site, hostile: Site, browser: Browser) -> None:
    """Pages as the browser shows them: every sample decrypted, every gate state, a hostile record."""
    # Two contexts: an opened page is remembered for its tab, and the gates need a browser that has seen nothing.
    opened, fresh = (browser.new_context(viewport={"width": 390, "height": 844}) for _ in range(2))
    try:
        page = opened.new_page()
        for client_id in SAMPLES:
            if client_id != "lotus-tea":  # opened below, after a wrong password
                open_decrypted(page, site.url(site.links(client_id)[0]))
                collector.dom(f"client-{client_id}", page)
        for client_id in ("evil-co", "rich-notes"):
            open_decrypted(page, hostile.url(hostile.links(client_id)[0]))
            collector.dom(f"client-{client_id}", page)

        page = fresh.new_page()
        link = site.links("acme-bakery")[0]
        base, key = site.url(link).split("#")
        for state, url in (
            ("missing", base),
            ("invalid", f"{base}#{key[:20]}"),
            ("insecure", f"http://portal.test:{site.port}/{link.path}"),
            ("password", site.url(site.links("lotus-tea")[0])),
        ):
            page.goto(url)
            expect_state(page, state)
            collector.dom(f"gate-{state}", page)
        page.goto(site.url(site.links("jasmine-roastery")[0]).split("#")[0])
        expect_state(page, "missing")
        collector.dom("gate-missing-arabic", page)
        page.goto(site.url(site.links("lotus-tea")[0]))
        expect_state(page, "password")
        page.fill("#cp-password", "not the password")
        page.click("#cp-password-form button")
        expect_state(page, "wrong-password")
        collector.dom("gate-wrong-password", page)
        page.fill("#cp-password", PASSWORD)
        page.click("#cp-password-form button")
        expect(page.locator("#cp-content .cp-page")).to_be_visible()
        collector.dom("client-lotus-tea", page)

        page = fresh.new_page()
        page.add_init_script("Object.defineProperty(Crypto.prototype, 'subtle', {get: () => undefined})")
        page.goto(site.url(link))
        expect_state(page, "unsupported")
        collector.dom("gate-unsupported", page)
    finally:
        opened.close()
        fresh.close()


def excused(file: str, message: dict[str, str]) -> bool:
    return any(
        re.fullmatch(name, file)
        and re.search(text, message.get("message", ""))
        and re.search(extract, message.get("extract", ""))
        for name, text, extract in THEME_EXCEPTIONS
    )


def test_every_page_and_state_is_valid_html(vnu, site, hostile, browser, tmp_path):
    collector = Collector(tmp_path)
    collect_built(collector, site)
    collect_live(collector, site, hostile, browser)
    expected = {f"client-{c}" for c in SAMPLES} | {
        "client-evil-co",
        "client-rich-notes",
        "neutral-prefix-index",
        "neutral-replaced",
    }
    expected |= {"public-index", "public-404", "built-acme-bakery", "built-harbor-books"}
    expected |= {f"gate-{s}" for s in ("missing", "invalid", "password", "wrong-password", "insecure", "unsupported")}
    assert expected <= collector.files.keys()

    started = time.monotonic()
    run = subprocess.run([*vnu, *map(str, collector.files.values())], capture_output=True, text=True, check=False)
    print(f"vnu checked {len(collector.files)} files in {time.monotonic() - started:.1f} s")
    try:
        messages = json.loads(run.stdout or run.stderr)["messages"]
    except (ValueError, KeyError):
        pytest.fail(f"vnu gave no JSON report (exit {run.returncode}): {run.stderr or run.stdout}")

    errors, notes = [], []
    for message in messages:
        file = Path(message.get("url", "?")).name
        kind = message.get("subType", message["type"])
        line = f"{file}:{message.get('lastLine', '?')}: {kind}: {message.get('message', '')}"
        if message["type"] in ("error", "non-document-error"):
            if excused(file, message):
                notes.append(f"{line} (excused: Material's markup)")
            else:
                errors.append(f"{line}\n    {message.get('extract', '').strip()}")
        elif CSP_ON_A_COPY not in message.get("message", ""):
            notes.append(line)
    if notes:
        print("\n".join(["vnu warnings, notes and excused theme errors (not failures):", *notes]))
    assert not errors, f"{len(errors)} HTML errors:\n" + "\n".join(errors)
