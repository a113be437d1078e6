"""Logos are inlined at build time, so client pages load nothing from other origins.

Remote logos come over https from public addresses only. These tests never send
traffic anywhere but loopback: names are resolved by a fake ``getaddrinfo``, and the
one test server listens on 127.0.0.1 with a certificate made here.
"""

from __future__ import annotations

import base64
import contextlib
import http.server
import ipaddress
import socket
import ssl
import threading
import time
from pathlib import Path
from typing import ClassVar

import pytest

from client_portal.page import logo
from client_portal.page.logo import LogoError, is_public, logo_data_uri

from .certificates import certificates

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect width="1" height="1"/></svg>'
HOST = "logo.test"  # the test server's name; its certificate is issued for it


@pytest.fixture
def clients_dir(tmp_path) -> Path:
    folder = tmp_path / "clients"
    (folder / "logos").mkdir(parents=True)
    (folder / "logos" / "acme.svg").write_bytes(SVG)
    (folder / "logos" / "huge.png").write_bytes(b"\x89PNG" + b"0" * 600_000)
    return folder


def test_local_logo_becomes_a_data_uri(clients_dir):
    uri = logo_data_uri("logos/acme.svg", clients_dir)
    assert uri == "data:image/svg+xml;base64," + base64.b64encode(SVG).decode()


@pytest.mark.parametrize(
    ("logo_path", "words"),
    [
        ("logos/missing.svg", "not found"),
        ("logos/huge.png", "keep logos under 512 KB"),
        ("../../outside.svg", "outside the portal"),
    ],
)
def test_unusable_local_logos_are_explained(clients_dir, logo_path, words):
    (clients_dir.parent.parent / "outside.svg").write_bytes(SVG)
    with pytest.raises(LogoError, match=words):
        logo_data_uri(logo_path, clients_dir)


# --- Which addresses are public ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),  # multicast
        ("240.0.0.1", False),  # reserved
        ("255.255.255.255", False),
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("ff02::1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback
        ("::ffff:10.0.0.1", False),
        ("2002:7f00:1::", False),  # 6to4 wrapping 127.0.0.1
        ("64:ff9b::a00:1", False),  # NAT64 wrapping 10.0.0.1
    ],
)
def test_only_public_addresses_count_as_public(address, public):
    assert is_public(ipaddress.ip_address(address)) is public


# --- Refusals: nothing is ever connected to ---------------------------------------------------

FAKE_DNS = {
    "localhost": ["127.0.0.1", "::1"],
    "intranet.example": ["10.1.2.3"],
    "metadata.example": ["169.254.169.254"],
    "mixed.example": ["93.184.216.34", "192.168.0.10"],  # one private answer is enough to refuse
    "public.example": ["93.184.216.34"],
}


def fake_getaddrinfo(table: dict[str, list[str]]):
    def getaddrinfo(host, port, *args, **kwargs):
        with contextlib.suppress(ValueError):  # numbers resolve to themselves
            table[host] = [str(ipaddress.ip_address(host))]
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in table[host]
        ]

    return getaddrinfo


@pytest.fixture
def no_connections(monkeypatch):
    """Fail the test if anything opens a connection."""

    def refuse(*args, **kwargs):
        pytest.fail(f"a connection was opened: {args}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(logo.http.client.HTTPSConnection, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo(FAKE_DNS))


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("https://127.0.0.1/x.svg", "127.0.0.1 is not a public address"),
        ("https://localhost/x.svg", "localhost (127.0.0.1, ::1) is not a public address"),
        ("https://10.0.0.1/", "10.0.0.1 is not a public address"),
        ("https://169.254.169.254/latest/meta-data/", "169.254.169.254 is not a public address"),
        ("https://[::1]/", "::1 is not a public address"),
        ("https://[::ffff:127.0.0.1]/x.svg", "not a public address"),
        ("https://0.0.0.0/x.svg", "not a public address"),
        ("https://intranet.example/x.svg", "intranet.example (10.1.2.3) is not a public address"),
        ("https://metadata.example/x.svg", "not a public address"),
        ("https://mixed.example/x.svg", "mixed.example (192.168.0.10) is not a public address"),
        ("http://public.example/x.svg", "https only"),
        ("https://public.example:8443/x.svg", "from the https port (443) only"),
        ("https://public.example:22/x.svg", "from the https port (443) only"),
        ("https://nowhere.example/x.svg", "cannot look up nowhere.example"),
    ],
)
def test_private_and_plain_http_logos_are_refused_without_connecting(clients_dir, no_connections, url, words):
    with pytest.raises(LogoError, match="save the file next to the records instead") as caught:
        logo_data_uri(url, clients_dir)
    assert words in str(caught.value)


def test_the_connection_goes_to_the_vetted_address_not_a_new_lookup(clients_dir, monkeypatch):
    """DNS rebinding: the name is resolved once, and the socket opens to that answer."""
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])
    monkeypatch.setattr(
        socket, "getaddrinfo", lambda host, port, *a, **k: fake_getaddrinfo({host: next(answers)})(host, port)
    )
    opened = []

    def create_connection(address, *args, **kwargs):
        opened.append(address)
        raise ConnectionRefusedError("refused by the test")

    monkeypatch.setattr(socket, "create_connection", create_connection)
    with pytest.raises(LogoError, match="could not download"):
        logo_data_uri("https://rebind.example/logo.svg", clients_dir)
    assert opened == [("93.184.216.34", 443)]


# --- Downloads from a loopback https server --------------------------------------------------


def _certificate(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for HOST, as PEM files (ca, cert, key)."""
    return certificates(tmp_path, HOST)


class _Handler(http.server.BaseHTTPRequestHandler):
    ROUTES: ClassVar[dict[str, tuple[int, dict[str, str], bytes]]] = {
        "/logo.svg": (200, {"Content-Type": "image/svg+xml"}, SVG),
        "/page.html": (200, {"Content-Type": "text/html"}, b"<p>not an image</p>"),
        "/huge.svg": (200, {"Content-Type": "image/svg+xml"}, b"<svg>" + b" " * 600_000),
        "/redirect": (302, {"Location": "/logo.svg"}, b""),
        "/to-http": (302, {"Location": f"http://{HOST}/logo.svg"}, b""),
        "/to-private": (302, {"Location": "https://10.0.0.1/logo.svg"}, b""),
        "/loop": (302, {"Location": "/loop"}, b""),
    }

    def do_GET(self):
        if self.path == "/drip":
            self._drip()
            return
        if self.path in ("/endless.svg", "/claims-huge.svg"):
            self._oversized()
            return
        status, headers, body = self.ROUTES.get(self.path, (404, {"Content-Type": "text/plain"}, b"missing"))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _drip(self):
        """A header line that never ends, one byte at a time: each read succeeds, the whole never does."""
        try:
            self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            for _ in range(100):
                self.wfile.write(b"a")
                self.wfile.flush()
                time.sleep(0.1)
        except OSError:
            pass

    def _oversized(self):
        """A body that never ends, or one that says up front it is 10 MB and then stalls."""
        self.send_response(200)
        self.send_header("Content-Type", "image/svg+xml")
        if self.path == "/claims-huge.svg":
            self.send_header("Content-Length", str(10_000_000))
        self.end_headers()
        try:
            while self.path == "/endless.svg":
                self.wfile.write(b" " * 65536)
            self.wfile.write(b"<svg>")
            self.wfile.flush()
            time.sleep(10)
        except OSError:
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def https_server(tmp_path, monkeypatch):
    """An https server on 127.0.0.1 known as HOST, and a build that trusts its certificate and address."""
    ca, cert, key = _certificate(tmp_path)
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address):
            pass  # a client that gives up mid-handshake is part of the tests

    httpd = Server(("127.0.0.1", 0), _Handler)
    httpd.socket = server_tls.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def client_tls():
        context = ssl.create_default_context(cafile=str(ca))
        return context

    loopback = ipaddress.ip_address("127.0.0.1")
    monkeypatch.setattr(logo, "_tls_context", client_tls)
    monkeypatch.setattr(logo, "is_public", lambda address: address == loopback)  # only the test server
    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo({HOST: ["127.0.0.1"], "other.test": ["127.0.0.1"]}))
    # Logos come from port 443 only; the test server listens where it can, and the build dials it there.
    dial = socket.create_connection
    port = httpd.server_address[1]
    monkeypatch.setattr(socket, "create_connection", lambda address, *a: dial((address[0], port), *a))
    yield f"https://{HOST}"
    httpd.shutdown()
    httpd.server_close()


def test_remote_logo_is_downloaded_once_at_build_time(clients_dir, https_server):
    uri = logo_data_uri(f"{https_server}/logo.svg", clients_dir)
    assert uri == "data:image/svg+xml;base64," + base64.b64encode(SVG).decode()


def test_a_redirect_is_followed_and_vetted_again(clients_dir, https_server):
    assert logo_data_uri(f"{https_server}/redirect", clients_dir).startswith("data:image/svg+xml;base64,")


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/page.html", "text/html, not an image"),
        ("/nothing.svg", "could not download .* \\(HTTP 404\\)"),
        ("/huge.svg", "over 512 KB"),
        ("/endless.svg", "over 512 KB"),  # read in pieces: the download stops at the limit
        ("/claims-huge.svg", "over 512 KB"),  # a length said up front is believed: nothing is read
        ("/to-http", "https only"),
        ("/to-private", "10.0.0.1 is not a public address"),
        ("/loop", "more than 3 redirects"),
    ],
)
def test_unusable_remote_logos_are_explained(clients_dir, https_server, path, words):
    with pytest.raises(LogoError, match=words) as caught:
        logo_data_uri(https_server + path, clients_dir, timeout=5)
    assert "save the file next to the records instead" in str(caught.value)


def test_the_certificate_must_name_the_host(clients_dir, https_server):
    """The vetted address is dialled, but TLS still checks the name in the URL."""
    url = https_server.replace(HOST, "other.test") + "/logo.svg"
    with pytest.raises(LogoError, match="could not download"):
        logo_data_uri(url, clients_dir, timeout=5)


def test_a_slow_drip_stops_at_the_deadline(clients_dir, https_server):
    started = time.monotonic()
    with pytest.raises(LogoError, match="in time"):
        logo_data_uri(f"{https_server}/drip", clients_dir, timeout=1)
    assert time.monotonic() - started < 5  # the server would drip for 10 s
