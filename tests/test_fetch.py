"""`links --check URL`: the published index is read from the address given, and within a deadline."""

from __future__ import annotations

import http.server
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from client_portal.commands import fetch
from client_portal.commands.cli import main
from client_portal.commands.fetch import FetchError, read_page
from client_portal.publishing.crypto import site_fingerprint
from client_portal.publishing.secret import site_secret

from .build import SECRET
from .conftest import ROOT

PAGE = '<html><body data-cp-site="{}">client index</body></html>'


class Site:
    """A server on 127.0.0.1 whose paths redirect, answer, or trickle one byte at a time."""

    def __init__(self) -> None:
        self.page = PAGE.format("")
        self.stop = threading.Event()
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                port = self.server.server_address[1]
                moved = {
                    "/same/p/": "/site/p/",
                    "/relative/p/": "../../site/p/",
                    "/other-port/p/": f"http://127.0.0.1:{port + 1}/site/p/",
                    "/other-host/p/": f"http://localhost:{port}/site/p/",
                    "/other-scheme/p/": f"https://127.0.0.1:{port}/site/p/",
                    "/ftp/p/": "ftp://127.0.0.1/site/p/",
                }
                if self.path in moved:
                    self.send_response(302)
                    self.send_header("Location", moved[self.path])
                    self.end_headers()
                elif self.path == "/site/p/":
                    body = site.page.encode()
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                elif self.path == "/slow/p/":
                    self.send_response(200)
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    for _ in range(50):  # a byte well within any socket timeout, for 5 s
                        if site.stop.wait(0.1):
                            break
                        self.wfile.write(b"x")
                        self.wfile.flush()
                else:
                    self.send_error(404)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site() -> Iterator[Site]:
    served = Site()
    threading.Thread(target=served.server.serve_forever, args=(0.05,), daemon=True).start()
    yield served
    served.close()


def test_a_redirect_on_the_same_origin_is_followed(site):
    assert "client index" in read_page(f"{site.base}/same/p/", seconds=5)
    assert "client index" in read_page(f"{site.base}/relative/p/", seconds=5)


@pytest.mark.parametrize("path", ["/other-port/p/", "/other-host/p/", "/other-scheme/p/", "/ftp/p/"])
def test_a_redirect_to_another_origin_is_refused(site, path):
    with pytest.raises(FetchError, match=r"redirected to \S+, another address"):
        read_page(site.base + path, seconds=5)


def test_a_server_that_trickles_is_given_up_on_at_the_deadline(site):
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"no full answer within 1 s"):
        read_page(f"{site.base}/slow/p/", seconds=1)
    assert time.monotonic() - started < 3


@pytest.fixture
def portal(tmp_path, monkeypatch) -> Path:
    for name in ("mkdocs.yml", "content", "clients"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PORTAL_SECRET", SECRET)
    monkeypatch.setenv("LOTUS_TEA_PORTAL_PASSWORD", "correct horse battery staple")
    monkeypatch.delenv("CI", raising=False)
    return tmp_path


def test_links_check_confirms_only_the_address_that_answered(portal, site):
    site.page = PAGE.format(site_fingerprint(site_secret(portal, "PORTAL_SECRET").value))
    same = CliRunner().invoke(main, ["links", "--check", f"{site.base}/same"])
    assert same.exit_code == 0, same.output
    assert f"{site.base}/same was built with this secret" in same.stderr
    elsewhere = CliRunner().invoke(main, ["links", "--check", f"{site.base}/ftp"])
    assert elsewhere.exit_code == 1
    assert f"error: cannot read {site.base}/ftp/p/: redirected to ftp://127.0.0.1/site/p/" in elsewhere.stderr
    assert "built with this secret" not in elsewhere.stderr and "https://" not in elsewhere.stdout


def test_links_check_stops_at_the_deadline(portal, site, monkeypatch):
    monkeypatch.setattr(fetch, "DEADLINE_SECONDS", 1.0)
    started = time.monotonic()
    result = CliRunner().invoke(main, ["links", "--check", f"{site.base}/slow"])
    assert result.exit_code == 1
    assert f"error: cannot read {site.base}/slow/p/: no full answer within 1 s" in result.stderr
    assert time.monotonic() - started < 5
