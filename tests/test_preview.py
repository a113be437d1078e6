"""`client-portal serve`: the site and the client pages over loopback, rebuilt when their inputs change."""

from __future__ import annotations

import http.client
import http.server
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
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from client_portal.commands.cli import main
from client_portal.commands.preview import Preview, host_allowed, network_warning, serve
from client_portal.publishing.errors import BuildError
from client_portal.records.loader import load_clients
from client_portal.site_config import read_site_config

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
        wait_for(lambda: heard("6 client pages built, 5 of them unchanged"), "the page of the changed file")
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=20) == 0
    assert sorted(p.name for p in (portal / "site").iterdir()) == ["index.html"]  # nothing written into the site


def ask(port: int, path: str, host: str | None) -> tuple[int, str]:
    """GET ``path`` from 127.0.0.1:``port`` with this Host header (none for None), as any client may send it."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        if host is not None:
            connection.putheader("Host", host)
        connection.endheaders()
        answer = connection.getresponse()
        return answer.status, answer.read().decode("utf-8", "replace")
    finally:
        connection.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[int]:
    """The example portal's preview on 127.0.0.1, of a site folder that also holds what must never be served."""
    config = copy_portal(tmp_path_factory.mktemp("served") / "portal")
    site = config.parent / "site"
    (site / "notes").mkdir(parents=True)  # a folder without index.html
    (site / "notes" / "todo.txt").write_text("site notes", encoding="utf-8")
    (site / "index.html").write_text("<h1>Studio</h1>", encoding="utf-8")
    (site / ".portal-secret").write_text("secret in the site", encoding="utf-8")
    (site / ".git").mkdir()
    (site / ".git" / "HEAD").write_text("ref: refs/heads/secret-branch\n", encoding="utf-8")
    (site / ".cache").mkdir()
    (site / ".cache" / "kept.txt").write_text("cached secret", encoding="utf-8")
    (config.parent / "outside.txt").write_text("outside the site", encoding="utf-8")
    (site / "linked.txt").symlink_to(config.parent / "outside.txt")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LOTUS_TEA_PORTAL_PASSWORD", PASSWORD)
        preview = Preview(config, SECRET.encode(), say=lambda _: None)
        server = serve(preview, site, "127.0.0.1", 0, read_site_config(config).settings)
        assert preview.rebuild()
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield server.server_port
    server.shutdown()
    server.server_close()
    preview.close()


@pytest.mark.parametrize(
    "path",
    [
        "/.portal-secret",
        "/.git/HEAD",
        "/.git/",
        "/.cache/kept.txt",
        "/%2egit/HEAD",
        "/notes/../.portal-secret",
        "/notes/",  # no listing of a folder
        "/linked.txt",  # a link out of the site folder
        "/../outside.txt",
        "/%2e%2e/outside.txt",
        "/p/../../outside.txt",
        "/%00",
    ],
)
def test_serve_answers_nothing_but_the_site_and_the_preview(served, path):
    status, body = ask(served, path, f"127.0.0.1:{served}")
    assert status == 404
    assert not any(text in body for text in ("secret", "outside the site", "todo.txt", "HEAD"))


def test_serve_still_answers_the_site_and_the_client_pages(served):
    assert ask(served, "/", f"127.0.0.1:{served}") == (200, "<h1>Studio</h1>")
    assert ask(served, "/notes/todo.txt", f"127.0.0.1:{served}") == (200, "site notes")
    status, index = ask(served, "/p/", f"127.0.0.1:{served}")
    assert status == 200 and "Acme Bakery" in index


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LocalHost:{port}", "[::1]:{port}"])
def test_serve_answers_to_its_own_names(served, host):
    status, index = ask(served, "/p/", host.format(port=served))
    assert status == 200 and "Acme Bakery" in index


@pytest.mark.parametrize(
    "host",
    [
        "rebound.example:{port}",  # a web page's own name, pointed at 127.0.0.1
        "rebound.example",
        "127.0.0.1.rebound.example:{port}",
        "rebound.example@127.0.0.1:{port}",
        "127.0.0.1:1",
        "127.0.0.1",
        "192.168.1.20:{port}",
        "",
        None,
    ],
)
def test_serve_refuses_requests_that_name_another_server(served, host):
    status, body = ask(served, "/p/", host.format(port=served) if host else host)
    assert status == 403 and "answers only to the address it serves on" in body
    assert "Acme Bakery" not in body and "/p/" not in body


@pytest.mark.parametrize(
    ("host", "bound", "allowed"),
    [
        ("192.168.1.20:8000", "0.0.0.0", True),  # another device, by this computer's address
        ("[fe80::1]:8000", "::", True),
        ("0.0.0.0:8000", "0.0.0.0", True),
        ("studio.local:8000", "studio.local", True),
        ("localhost:8000", "0.0.0.0", True),
        ("rebound.example:8000", "0.0.0.0", False),  # a name is never taken on trust
        ("studio.local:8000", "0.0.0.0", False),
        ("192.168.1.20:8001", "0.0.0.0", False),
        ("192.168.1.20:8000", "127.0.0.1", False),  # loopback only: the loopback names only
        ("192.168.1.20:8000", "localhost", False),
    ],
)
def test_the_names_a_preview_answers_to(host, bound, allowed):
    assert host_allowed(host, bound, 8000) is allowed


@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_no_warning_on_loopback(address):
    assert network_warning(address) is None


@pytest.mark.parametrize("address", ["0.0.0.0", "::", "192.168.1.20"])
def test_a_warning_for_any_other_address(address):
    warning = network_warning(address)
    assert warning is not None and address in warning
    assert "every contact's link and key" in warning and "127.0.0.1" in warning


def test_serve_refuses_the_portal_folder_as_build_does(tmp_path, monkeypatch):
    portal = copy_portal(tmp_path / "portal").parent
    monkeypatch.chdir(portal)
    monkeypatch.setenv("PORTAL_SECRET", SECRET)
    monkeypatch.setenv("LOTUS_TEA_PORTAL_PASSWORD", PASSWORD)
    monkeypatch.delenv("CI", raising=False)

    def served_anyway(*args: object) -> None:
        pytest.fail("the portal's own folder was served")

    monkeypatch.setattr(http.server.ThreadingHTTPServer, "serve_forever", served_anyway)
    served = CliRunner().invoke(main, ["serve", ".", "--dev-addr", "127.0.0.1:0"])
    built = CliRunner().invoke(main, ["build", "."])
    assert served.exit_code == 1 and built.exit_code == 1
    assert "holds clients, which must never be published" in served.stderr
    assert served.stderr.splitlines()[-1] == built.stderr.splitlines()[-1]
    with pytest.raises(BuildError, match="which must never be published"):  # the folder above it, too
        serve(
            Preview(portal / "mkdocs.yml", SECRET.encode()),
            portal.parent,
            "127.0.0.1",
            0,
            read_site_config(portal / "mkdocs.yml").settings,
        )


def test_serve_on_every_address_warns_and_still_checks_the_host(tmp_path):
    portal = copy_portal(tmp_path / "portal").parent
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env |= {"PORTAL_SECRET": SECRET, "LOTUS_TEA_PORTAL_PASSWORD": PASSWORD}
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from client_portal.commands.cli import main; main()",
            "serve",
            "--dev-addr",
            "0.0.0.0:0",
        ],
        cwd=portal,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    log: list[str] = []
    try:
        assert server.stdout is not None
        for line in server.stdout:
            log.append(line)
            if "Client pages" in line:
                break
        said = "".join(log)
        assert "warning: serving on 0.0.0.0 makes the preview reachable from the network" in said, said
        port = int(re.search(r"http://0\.0\.0\.0:(\d+)/p/", said).group(1))
        status, index = ask(port, "/p/", f"127.0.0.1:{port}")
        assert status == 200 and "Acme Bakery" in index
        assert ask(port, "/p/", f"rebound.example:{port}")[0] == 403
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=20) == 0
