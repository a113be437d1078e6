"""`mkdocs serve` as a freelancer uses it, with a site_url that has a path: the address it prints,
the local index of links, and client pages that reload themselves when their record changes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from ..build import SECRET
from ..test_workflow import fetch, free_port, wait_for
from .conftest import PASSWORD, Watched, copy_portal

pytestmark = pytest.mark.browser

BIN = Path(sys.executable).parent


def serve(portal: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    """`mkdocs serve` in ``portal``, its log in ``log``."""
    env = os.environ | {"PORTAL_SECRET": SECRET, "LOTUS_TEA_PORTAL_PASSWORD": PASSWORD, "NO_MKDOCS_2_WARNING": "1"}
    env.pop("CI", None)
    with log.open("w") as output:
        return subprocess.Popen(
            [str(BIN / "mkdocs"), "serve", "--dev-addr", f"127.0.0.1:{port}"],
            cwd=portal,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def test_preview_under_a_site_path_opens_and_live_reloads(tmp_path, watched: Watched):
    portal = copy_portal(tmp_path / "portal")
    config = portal / "mkdocs.yml"
    config.write_text(config.read_text().replace("https://portal.mei.example/", "https://mei.example/portal/"))
    port = free_port()
    log = tmp_path / "serve.log"
    server = serve(portal, port, log)
    try:
        printed = f"http://127.0.0.1:{port}/portal/p/"
        index = wait_for(printed, "Acme Bakery")
        assert f"Client pages (local preview only): {printed}" in log.read_text()
        links = re.findall(r'<a href="([^"]+)"', index)
        assert links and all(link.startswith("/portal/p/") for link in links)
        anna = next(link for link in links if "Anna" in index.split(link, 1)[1].split("</a>", 1)[0])
        served = fetch(f"http://127.0.0.1:{port}{anna.split('#')[0]}")
        assert "script-src 'self' 'unsafe-inline'" in served and "livereload(" in served

        page = watched.page
        page.goto(f"http://127.0.0.1:{port}{anna}".replace("&amp;", "&"))
        expect(page.locator("h1.cp-title")).to_have_text("Acme Bakery")
        record = portal / "clients" / "acme-bakery.yml"
        record.write_text(record.read_text().replace("name: Acme Bakery", "name: Acme Bakery & Café"))
        # MkDocs' reload script, allowed by the page's policy while serving, reloads the tab,
        # and the key, left in the address bar while previewing, opens the rebuilt page
        expect(page.locator("h1.cp-title")).to_have_text("Acme Bakery & Café", timeout=60_000)
        assert watched.csp_violations() == []
        assert watched.errors == [], watched.errors
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=10)


def test_the_printed_address_and_index_without_a_site_path(tmp_path):
    portal = copy_portal(tmp_path / "portal")
    port = free_port()
    log = tmp_path / "serve.log"
    server = serve(portal, port, log)
    try:
        index = wait_for(f"http://127.0.0.1:{port}/p/", "Acme Bakery")
        deadline = time.monotonic() + 10
        while "Client pages" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert f"Client pages (local preview only): http://127.0.0.1:{port}/p/" in log.read_text()
        links = re.findall(r'<a href="([^"]+)"', index)
        assert links and all(link.startswith("/p/") for link in links)
        assert all("<html" in fetch(f"http://127.0.0.1:{port}{link.split('#')[0]}") for link in links)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=10)
