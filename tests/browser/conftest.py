"""Real-browser fixtures: built sites served on loopback, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from client_portal.publishing.addresses import Link, client_links
from client_portal.records.loader import load_clients
from client_portal.records.model import Client

from ..build import SECRET, build_site
from ..conftest import ROOT, TODAY
from ..pages import SETTINGS

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
IN_CI = bool(os.environ.get("CI"))  # read at import: fixtures below unset CI for local-style builds
PASSWORD = "correct horse battery staple"
# Chromium on a closed network: no background connections, no first-run work.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # an http:// origin that is not localhost, to see the insecure-context message
    "--host-resolver-rules=MAP portal.test 127.0.0.1",
]

pytestmark = pytest.mark.browser


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def end_headers(self) -> None:
        # as the _headers file asks of a host: a rebuilt page is fetched again, not
        # taken from the browser's heuristic cache
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def send_head(self):  # type: ignore[no-untyped-def]
        # File times here have one-second steps: a page rebuilt within the second of the
        # first build would be answered "304 Not Modified". Hosts compare content (ETag).
        del self.headers["If-Modified-Since"]
        return super().send_head()


class Site:
    """A built portal served on a loopback port."""

    def __init__(self, folder: Path, portal: Path) -> None:
        self.folder = folder
        self.portal = portal
        handler = functools.partial(_QuietHandler, directory=str(folder))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def clients(self) -> dict[str, Client]:
        return {c.id: c for c in load_clients(self.portal / "clients", today=TODAY)}

    def links(self, client_id: str) -> list[Link]:
        return client_links(SETTINGS, SECRET.encode(), self.clients()[client_id])

    def url(self, link: Link) -> str:
        return link.url(self.base)


def copy_portal(target: Path) -> Path:
    """A copy of the example portal that a test may change."""
    target.mkdir(parents=True)
    for name in ("mkdocs.yml", "content", "clients"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, target / name)
    return target


@pytest.fixture(scope="session")
def build_env() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PORTAL_SECRET", SECRET)
        env.setenv("LOTUS_TEA_PORTAL_PASSWORD", PASSWORD)
        env.delenv("CI", raising=False)
        yield


def serve_portal(portal: Path, site_dir: Path) -> Site:
    """Build ``portal`` into ``site_dir`` and serve it."""
    build_site(portal / "mkdocs.yml", site_dir)
    return Site(site_dir, portal)


@pytest.fixture(scope="session")
def site(build_env, tmp_path_factory) -> Iterator[Site]:
    portal = copy_portal(tmp_path_factory.mktemp("portal") / "portal")
    served = serve_portal(portal, tmp_path_factory.mktemp("site"))
    yield served
    served.server.shutdown()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM}; `make test` installs Debian's chromium"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Watched:
    """A page with its console errors, CSP violations and dialogs recorded."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        page.add_init_script(
            "window.__csp = [];"
            "document.addEventListener('securitypolicyviolation',"
            " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
        )

    def csp_violations(self) -> list[str]:
        return list(self.page.evaluate("window.__csp"))


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, accept_downloads=True)
    yield ctx
    ctx.close()


@pytest.fixture
def watched(context) -> Watched:
    return Watched(context.new_page())


# What a script of the same origin (the public home page, say) can do with what the browser
# keeps: read every IndexedDB record, localStorage and sessionStorage entry; use every
# CryptoKey it finds to open the page its record names, as the attacker did.
SAME_ORIGIN_ATTACK_JS = """async (prefix) => {
  const found = { keys: 0, opened: [], stored: [] };
  const b64 = (t) => Uint8Array.from(atob(t.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  const all = (store) => new Promise((resolve) => {
    const out = [];
    const walk = store.openCursor();
    walk.onsuccess = () => {
      const at = walk.result;
      if (!at) return resolve(out);
      out.push([at.key, at.value]);
      at.continue();
    };
    walk.onerror = () => resolve(out);
  });
  async function tryKey(name, key, id) {
    const response = await fetch("/" + prefix + "/" + name + "/");
    const html = await response.text();
    const json = html.split('id="cp-payload">')[1];
    if (!json) return;
    const payload = JSON.parse(json.split("</script>")[0]);
    for (const entry of payload.keys) {
      try {
        const aad = new TextEncoder().encode("client-portal/1/key/" + name + "/" + entry.id);
        const sealed = { name: "AES-GCM", iv: b64(entry.iv), additionalData: aad };
        await crypto.subtle.unwrapKey("raw", b64(entry.data), key, sealed, "AES-GCM", false, ["decrypt"]);
        found.opened.push(name);
        return;
      } catch (e) { /* not this copy */ }
    }
  }
  for (const info of await indexedDB.databases()) {
    const db = await new Promise((resolve) => {
      const opening = indexedDB.open(info.name);
      opening.onsuccess = () => resolve(opening.result);
    });
    for (const storeName of db.objectStoreNames) {
      for (const [name, value] of await all(db.transaction(storeName, "readonly").objectStore(storeName))) {
        found.stored.push(JSON.stringify([name, value]));
        const key = value && value.key;
        if (key instanceof CryptoKey) { found.keys += 1; await tryKey(String(name), key, value.id); }
      }
    }
    db.close();
  }
  for (const storage of [localStorage, sessionStorage]) {
    for (let i = 0; i < storage.length; i++) found.stored.push(storage.key(i) + "=" + storage.getItem(storage.key(i)));
  }
  return found;
}"""


def same_origin_attack(page: Page, prefix: str = "p") -> dict[str, object]:
    """Run `SAME_ORIGIN_ATTACK_JS` in ``page``: CryptoKeys found, pages they open, everything stored."""
    return dict(page.evaluate(SAME_ORIGIN_ATTACK_JS, prefix))


KEPT_KEYS_JS = """() => new Promise((resolve, reject) => {
  const opening = indexedDB.open("client-portal", 1);
  opening.onupgradeneeded = () => opening.result.createObjectStore("keys");
  opening.onerror = () => reject(opening.error);
  opening.onsuccess = () => {
    const all = opening.result.transaction("keys", "readonly").objectStore("keys").getAll();
    all.onsuccess = () => {
      opening.result.close();
      resolve(all.result.map(e => ({
        id: e.id, remember: e.remember, type: e.key.type,
        extractable: e.key.extractable, algorithm: e.key.algorithm.name, usages: e.key.usages,
      })));
    };
  };
})"""


def kept_keys(page: Page) -> list[dict[str, object]]:
    """What this browser keeps in IndexedDB for client pages (key properties, never bytes)."""
    return list(page.evaluate(KEPT_KEYS_JS))


def web_storage(page: Page) -> str:
    """Everything in localStorage and sessionStorage, as one string."""
    return str(page.evaluate("JSON.stringify([localStorage, sessionStorage])"))
