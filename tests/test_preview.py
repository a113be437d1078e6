"""`client-portal serve`: the site and the client pages over loopback, rebuilt when a record changes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

from client_portal.loader import load_clients

from .build import SECRET
from .conftest import TODAY
from .test_build import PASSWORD, copy_portal, folder_of


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, ""


def test_serve_previews_the_pages_and_rebuilds_an_edited_record(tmp_path):
    portal = copy_portal(tmp_path / "portal").parent
    (portal / "site").mkdir()
    (portal / "site" / "index.html").write_text("<h1>Studio</h1>", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env |= {"PORTAL_SECRET": SECRET, "LOTUS_TEA_PORTAL_PASSWORD": PASSWORD}
    server = subprocess.Popen(
        [sys.executable, "-c", "from client_portal.cli import main; main()", "serve", "--dev-addr", "127.0.0.1:0"],
        cwd=portal,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        lines = []
        while not lines or "Client pages" not in lines[-1]:
            line = server.stdout.readline()
            assert line, server.stderr.read() if server.stderr else ""
            lines.append(line)
        index_url = re.search(r"(http://127\.0\.0\.1:\d+/p/)", lines[-1]).group(1)
        base = index_url.removesuffix("p/")
        status, index = fetch(index_url)
        assert status == 200 and "Acme Bakery" in index and "local preview" in index.lower()
        assert fetch(base) == (200, "<h1>Studio</h1>")  # the generator's site, served as it is
        harbor = next(c for c in load_clients(portal / "clients", today=TODAY) if c.id == "harbor-books")
        status, page = fetch(base + folder_of(harbor))
        assert status == 200 and "Harbor Books" in page
        record = portal / "clients" / "harbor-books.yml"
        record.write_text(record.read_text(encoding="utf-8").replace("Harbor Books", "Harbour Books & Maps"))
        deadline = time.monotonic() + 30
        while "Harbour Books &amp; Maps" not in page and time.monotonic() < deadline:
            time.sleep(0.2)
            page = fetch(base + folder_of(harbor))[1]
        assert "Harbour Books &amp; Maps" in page
        assert fetch(base + "p/not-a-page/")[0] == 404
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=20) == 0
    assert sorted(p.name for p in (portal / "site").iterdir()) == ["index.html"]  # nothing written into the site
