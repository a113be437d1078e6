"""`client-portal serve`: the site and the client pages over loopback, rebuilt when their inputs change."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

from client_portal.records.loader import load_clients

from .build import SECRET
from .conftest import TODAY
from .test_build import PASSWORD, copy_portal, folder_of


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, ""


def wait_for(check, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_serve_previews_the_pages_and_rebuilds_what_changed(tmp_path):
    portal = copy_portal(tmp_path / "portal").parent
    (portal / "site").mkdir()
    (portal / "site" / "index.html").write_text("<h1>Studio</h1>", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env |= {"PORTAL_SECRET": SECRET, "LOTUS_TEA_PORTAL_PASSWORD": PASSWORD}
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from client_portal.commands.cli import main; main()",
            "serve",
            "--dev-addr",
            "127.0.0.1:0",
        ],
        cwd=portal,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    said: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [said.put(line) for line in server.stdout], daemon=True).start()  # type: ignore[union-attr]
    log: list[str] = []

    def heard(text: str) -> bool:
        while not said.empty():
            log.append(said.get())
        return any(text in line for line in log)

    try:
        wait_for(lambda: heard("Client pages"), "the server")
        index_url = re.search(r"(http://127\.0\.0\.1:\d+/p/)", "".join(log)).group(1)
        base = index_url.removesuffix("p/")
        status, index = fetch(index_url)
        assert status == 200 and "Acme Bakery" in index and "local preview" in index.lower()
        assert fetch(base) == (200, "<h1>Studio</h1>")  # the generator's site, served as it is
        harbor = next(c for c in load_clients(portal / "clients", today=TODAY) if c.id == "harbor-books")
        status, page = fetch(base + folder_of(harbor))
        assert status == 200 and "Harbor Books" in page
        assert fetch(base + "p/not-a-page/")[0] == 404

        # a record
        record = portal / "clients" / "harbor-books.yml"
        record.write_text(record.read_text(encoding="utf-8").replace("Harbor Books", "Harbour Books & Maps"))
        wait_for(lambda: "Harbour Books &amp; Maps" in fetch(base + folder_of(harbor))[1], "the edited record")
        # the configuration and a template (a user's own, from theme.custom_dir)
        partial = portal / "overrides" / "client-portal" / "partials" / "contact.html"
        partial.parent.mkdir(parents=True)
        partial.write_text('<section id="contact"><p>Call me: {{ freelancer.name }}</p></section>', encoding="utf-8")
        config = portal / "mkdocs.yml"
        config.write_text(
            config.read_text(encoding="utf-8").replace(
                "  name: material\n", "  name: material\n  custom_dir: overrides\n"
            )
        )
        wait_for(lambda: "Call me: Mei Chen" in fetch(base + folder_of(harbor))[1], "the new template")
        partial.write_text('<section id="contact"><p>Write to {{ freelancer.name }}</p></section>', encoding="utf-8")
        wait_for(lambda: "Write to Mei Chen" in fetch(base + folder_of(harbor))[1], "the edited template")
        # an attached file: only its client's page is built again
        log.clear()
        attached = next((portal / "clients" / "files" / "acme-bakery").iterdir())
        attached.write_bytes(attached.read_bytes() + b"\n")
        wait_for(lambda: heard("5 client pages built, 4 of them unchanged"), "the page of the changed file")
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=20) == 0
    assert sorted(p.name for p in (portal / "site").iterdir()) == ["index.html"]  # nothing written into the site
