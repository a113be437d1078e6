"""Client logos, inlined at build time: client pages load nothing from other origins.

A remote logo is fetched once per build, over https only, from public addresses only:
a record must not make the build machine call a service on its own network (a cloud
metadata endpoint, a router, a local admin page). The host name is resolved first,
every address is vetted, and the connection goes to the vetted address, so a second DNS
answer cannot swap in a private one. Only the https port (443) is dialled: a public
address can still front other services on other ports. Redirects are followed (at most
``MAX_REDIRECTS``), each vetted the same way. Size and total time are bounded: the body
is read in pieces and the download stops as soon as it is over the limit.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

MAX_BYTES = 512 * 1024
MAX_REDIRECTS = 3
TYPES = {
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".gif": "image/gif",
}
INSTEAD = "save the file next to the records instead (brand.logo: logos/acme.svg)"
REDIRECTS = (301, 302, 303, 307, 308)
HTTPS_PORT = 443

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class LogoError(Exception):
    """A logo cannot be read or downloaded; the message says what to do."""


def logo_data_uri(logo: str, base_dir: Path, timeout: float = 10) -> str:
    """The logo as a ``data:`` URI: a file relative to ``base_dir``, or an https URL downloaded now."""
    if logo.startswith(("http://", "https://")):
        data, mime = _download(logo, timeout)
    else:
        data, mime = _read(base_dir, logo)
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _read(base_dir: Path, logo: str) -> tuple[bytes, str]:
    path = (base_dir / logo).resolve()
    if not path.is_relative_to(base_dir.resolve().parent):
        raise LogoError(f"{logo} is outside the portal; keep logos next to the records")
    mime = TYPES.get(path.suffix.lower())
    if mime is None:
        raise LogoError(f"{logo} is not an image file ({', '.join(TYPES)})")
    if not path.is_file():
        raise LogoError(f"{logo} not found (looked in {base_dir})")
    data = path.read_bytes()
    if len(data) > MAX_BYTES:
        raise LogoError(f"{logo} is {len(data) // 1024} KB; keep logos under {MAX_BYTES // 1024} KB")
    return data, mime


def is_public(address: IPAddress) -> bool:
    """Whether an address is on the public internet (not loopback, private, link-local, reserved, multicast)."""
    if isinstance(address, ipaddress.IPv6Address):
        # Addresses that carry an IPv4 address are judged by the address they lead to.
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in ipaddress.IPv6Network("64:ff9b::/96"):  # NAT64
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is None and address.teredo:
            embedded = address.teredo[1]
        if embedded is not None and not is_public(embedded):
            return False
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
    )


def _download(url: str, timeout: float) -> tuple[bytes, str]:
    deadline = time.monotonic() + timeout
    for _ in range(MAX_REDIRECTS + 1):
        target = urlsplit(url)
        if target.scheme != "https" or not target.hostname:
            raise LogoError(f"{url}: logos are fetched over https only; {INSTEAD}")
        try:
            port = target.port or HTTPS_PORT
        except ValueError:
            raise LogoError(f"{url} has an invalid port; {INSTEAD}") from None
        if port != HTTPS_PORT:
            raise LogoError(f"{url}: logos are fetched from the https port ({HTTPS_PORT}) only; {INSTEAD}")
        address = _public_address(url, target.hostname, port, deadline)
        status, location, mime, data = _fetch(target.hostname, address, port, _path(url), deadline)
        if status in REDIRECTS and location:
            url = urljoin(url, location)
            continue
        if status != 200:
            raise LogoError(f"could not download {url} (HTTP {status}); {INSTEAD}")
        if mime not in TYPES.values():
            raise LogoError(f"{url} is {mime}, not an image ({', '.join(sorted(set(TYPES.values())))}); {INSTEAD}")
        return data, mime
    raise LogoError(f"{url}: more than {MAX_REDIRECTS} redirects; {INSTEAD}")


def _path(url: str) -> str:
    target = urlsplit(url)
    return (target.path or "/") + (f"?{target.query}" if target.query else "")


def _remaining(deadline: float, url: str) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise LogoError(f"could not download {url} in time; {INSTEAD}")
    return left


def _public_address(url: str, host: str, port: int, deadline: float) -> IPAddress:
    """The address to connect to: ``host`` resolved, refused unless every address it has is public."""
    try:
        addresses, named = [ipaddress.ip_address(host)], False
    except ValueError:
        addresses, named = _resolve(url, host, port, _remaining(deadline, url)), True
    refused = sorted({str(a) for a in addresses if not is_public(a)})
    if refused or not addresses:
        where = f"{host} ({', '.join(refused) or 'no address'})" if named else host
        raise LogoError(f"{url}: {where} is not a public address, and logos come only from public ones; {INSTEAD}")
    return addresses[0]


def _resolve(url: str, host: str, port: int, timeout: float) -> list[IPAddress]:
    # getaddrinfo has no timeout of its own: wait for it only as long as the deadline allows.
    answer: list[list[IPAddress] | BaseException] = []

    def lookup() -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            # The scope of a link-local IPv6 address ("fe80::1%eth0") is not part of the address.
            answer.append([ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos])
        except (OSError, UnicodeError, ValueError) as error:
            answer.append(error)

    resolver = threading.Thread(target=lookup, daemon=True)
    resolver.start()
    resolver.join(timeout)
    if not answer:
        raise LogoError(f"could not download {url} (looking up {host} took too long); {INSTEAD}")
    if isinstance(answer[0], BaseException):
        raise LogoError(f"could not download {url} (cannot look up {host}: {answer[0]}); {INSTEAD}")
    return answer[0]


def _tls_context() -> ssl.SSLContext:
    """Certificates are checked against the host name, as a browser would."""
    return ssl.create_default_context()


class _VettedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to an address vetted beforehand; the certificate is still checked for the host name."""

    def __init__(self, host: str, address: IPAddress, port: int, timeout: float) -> None:
        self.tls = _tls_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.address = address
        self.cut_off = False

    def connect(self) -> None:
        """Connect to the vetted address, never to whatever ``host`` resolves to now."""
        raw = socket.create_connection((str(self.address), self.port), self.timeout)
        self.sock = self.tls.wrap_socket(raw, server_hostname=self.host)

    def cut(self) -> None:
        """Stop a transfer that ran out of time, even one blocked in a read."""
        self.cut_off = True
        if self.sock is not None:
            # The plain socket's shutdown: SSLSocket's own would drop TLS state under the reading thread.
            with contextlib.suppress(OSError):  # already closed
                socket.socket.shutdown(self.sock, socket.SHUT_RDWR)


def _fetch(host: str, address: IPAddress, port: int, path: str, deadline: float) -> tuple[int, str, str, bytes]:
    """(status, Location, content type, body) of one GET, all within ``deadline``."""
    url = f"https://{f'[{host}]' if ':' in host else host}{path}"
    connection = _VettedHTTPSConnection(host, address, port, _remaining(deadline, url))
    # Socket timeouts bound each read, not the whole transfer: a server that drips one
    # byte a second would never time out. The watchdog ends it at the deadline.
    watchdog = threading.Timer(_remaining(deadline, url), connection.cut)
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request("GET", path, headers={"User-Agent": "mkdocs-client-portal", "Accept": "image/*"})
        response = connection.getresponse()
        location = response.getheader("Location") or ""
        mime = response.headers.get_content_type()
        if response.status == 200 and (response.length or 0) > MAX_BYTES:  # said so up front: read nothing
            raise LogoError(f"{url} is over {MAX_BYTES // 1024} KB; use a smaller logo, or {INSTEAD}")
        data = bytearray()
        while response.status == 200 and len(data) <= MAX_BYTES:
            chunk = response.read(min(64 * 1024, MAX_BYTES + 1 - len(data)))
            if not chunk:
                break
            data += chunk
        if connection.cut_off:  # a cut can look like a short but complete response
            raise LogoError(f"could not download {url} in time; {INSTEAD}")
    except (OSError, http.client.HTTPException, ValueError) as error:
        if connection.cut_off or time.monotonic() >= deadline:
            raise LogoError(f"could not download {url} in time; {INSTEAD}") from None
        reason = getattr(error, "reason", None) or error
        raise LogoError(f"could not download {url} ({reason}); {INSTEAD}") from None
    finally:
        watchdog.cancel()
        connection.close()
    if len(data) > MAX_BYTES:
        raise LogoError(f"{url} is over {MAX_BYTES // 1024} KB; use a smaller logo, or {INSTEAD}")
    return response.status, location, mime, bytes(data)
