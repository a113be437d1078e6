"""Logos are inlined at build time, so client pages load nothing from other origins."""

from __future__ import annotations

import base64
import functools
import http.server
import threading
from pathlib import Path

import pytest

from client_portal.logo import LogoError, logo_data_uri

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect width="1" height="1"/></svg>'


@pytest.fixture
def clients_dir(tmp_path) -> Path:
    folder = tmp_path / "clients"
    (folder / "logos").mkdir(parents=True)
    (folder / "logos" / "acme.svg").write_bytes(SVG)
    (folder / "logos" / "huge.png").write_bytes(b"\x89PNG" + b"0" * 600_000)
    return folder


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    (root / "logo.svg").write_bytes(SVG)
    (root / "page.html").write_text("<p>not an image</p>")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_local_logo_becomes_a_data_uri(clients_dir):
    uri = logo_data_uri("logos/acme.svg", clients_dir)
    assert uri == "data:image/svg+xml;base64," + base64.b64encode(SVG).decode()


def test_remote_logo_is_downloaded_once_at_build_time(clients_dir, server):
    assert logo_data_uri(f"{server}/logo.svg", clients_dir).startswith("data:image/svg+xml;base64,")


@pytest.mark.parametrize(
    ("logo", "words"),
    [
        ("logos/missing.svg", "not found"),
        ("logos/huge.png", "keep logos under 512 KB"),
        ("../../outside.svg", "outside the portal"),
    ],
)
def test_unusable_local_logos_are_explained(clients_dir, logo, words):
    (clients_dir.parent.parent / "outside.svg").write_bytes(SVG)
    with pytest.raises(LogoError, match=words):
        logo_data_uri(logo, clients_dir)


@pytest.mark.parametrize(("path", "words"), [("/page.html", "not an image"), ("/nothing.svg", "could not download")])
def test_unusable_remote_logos_are_explained(clients_dir, server, path, words):
    with pytest.raises(LogoError, match=words):
        logo_data_uri(server + path, clients_dir, timeout=5)
