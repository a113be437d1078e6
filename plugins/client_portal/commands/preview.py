"""A local preview without any generator: the built site, with the client pages and the index of their links.

Client pages are built into a private folder (never into the site), and built again when
a record, an attached file, a template or the configuration changes; only the pages
whose inputs changed are built again (the `Pipeline` keeps the others).

The server answers only for the site folder and the preview: no folder listings, no file or
folder whose name starts with a dot, nothing a link resolves to outside the site folder, and
only requests that name this server (a web page that points its own name at this computer,
"DNS rebinding", must not read the index of every contact's link and key).
"""

from __future__ import annotations

import http.server
import io
import ipaddress
import posixpath
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from client_portal.publishing.errors import BuildError
from client_portal.publishing.portal import Portal
from client_portal.publishing.site_folder import refuse_publishing_records
from client_portal.settings import PortalSettings, SettingsError
from client_portal.site_config import read_site_config

# How often the inputs are looked at: soon enough to feel immediate, cheap enough to forget.
POLL_SECONDS = 0.5

# The names this computer always answers to on its own; no web page can point them elsewhere.
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "[::1]"})
HOST_HEADER = re.compile(r"(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::([0-9]{1,5}))?")


def _inputs(folders: list[Path], files: list[Path]) -> tuple[tuple[str, int, int], ...]:
    """Every input file by its name, size and modification time: a change to any of them changes this."""
    found = []
    for path in [*files, *(p for folder in folders if folder.is_dir() for p in folder.rglob("*"))]:
        try:
            stat = path.stat()
        except OSError:
            continue
        found.append((str(path), stat.st_size, stat.st_mtime_ns))
    return tuple(sorted(found))


class Preview:
    """The client pages of a portal for local viewing, by site path, built again when their inputs change."""

    def __init__(
        self, config_file: Path, secret: bytes, say: Callable[[str], None] = print, site_dir: Path | None = None
    ) -> None:
        self.config_file = config_file
        self.site_dir = site_dir  # the generator's site, served beside the client pages
        self.secret = secret
        self.say = say
        self.routes: dict[str, Path | bytes] = {}  # site path: a file on disk, or the bytes themselves
        self.prefix = ""
        self._portal: Portal | None = None
        self._seen: tuple[tuple[str, int, int], ...] = ()
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def _watched(self) -> tuple[tuple[str, int, int], ...]:
        folders = []
        if self._portal is not None:
            folders.append(self._portal.settings.clients_dir)
            if self._portal.custom_dir is not None:
                folders.append(self._portal.custom_dir)
        return _inputs(folders, [self.config_file])

    def rebuild(self) -> bool:
        """Build the pages again; on a mistake, say it and keep the pages as they were."""
        retired: Portal | None = None
        try:
            site = read_site_config(self.config_file)
            if self._portal is None or (self._portal.settings, self._portal.custom_dir) != (
                site.settings,
                site.custom_dir,
            ):
                # the old pages are served until the new ones are in place
                retired = self._portal
                self._portal = Portal(site.settings, self.secret, site.custom_dir, remember=True)
            built = self._portal.build()
        except (BuildError, SettingsError) as error:
            self.say(f"error: {error}")
            if retired is not None:  # back to the portal whose pages are still served
                assert self._portal is not None
                self._portal.close()
                self._portal = retired
            return False
        finally:
            self._seen = self._watched()
        routes: dict[str, Path | bytes] = {}
        for site_file in built.files(self._existing, local_index_at="/"):
            content, source = site_file.content, site_file.source
            if content is None:
                assert source is not None  # kept pages are files in the private folder
                routes[site_file.path] = source
            else:
                routes[site_file.path] = content.encode("utf-8") if isinstance(content, str) else content
        for page in built.pages:
            if page.notice:
                self.say(f"note: {page.notice}")
        self.prefix = self._portal.settings.url_prefix
        with self._lock:
            self.routes = routes
        if retired is not None:
            retired.close()
        self.say(f"{len(built.pages)} client pages built, {built.reused} of them unchanged")
        return True

    def _existing(self, path: str) -> str:
        """The site's own robots.txt or _headers, which the preview serves extended, as a build writes them."""
        found = self.site_dir / path if self.site_dir is not None else None
        return found.read_text(encoding="utf-8", errors="replace") if found is not None and found.is_file() else ""

    def watch(self) -> None:
        """Build again whenever an input changes, until `close`."""
        while not self._stop.wait(POLL_SECONDS):
            if self._watched() != self._seen:
                self.rebuild()

    def find(self, path: str) -> Path | bytes | None:
        """What is served at a site path ("p/abc/index.html"), when the preview has it."""
        with self._lock:
            return self.routes.get(path)

    def close(self) -> None:
        self._stop.set()
        if self._portal is not None:
            self._portal.close()


def is_loopback(address: str) -> bool:
    """Whether an address (or `localhost`) reaches this computer only."""
    if address.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


def network_warning(address: str) -> str | None:
    """What serving on ``address`` lets others read, when it is not this computer alone."""
    if is_loopback(address):
        return None
    return (
        f"serving on {address} makes the preview reachable from the network: anyone who can connect to it "
        "can open the local index of client pages, with every contact's link and key. "
        "Use --dev-addr 127.0.0.1:8000 unless that is what you want."
    )


def host_allowed(host: str | None, bound: str, port: int) -> bool:
    """Whether a request's Host header names this server at ``bound:port``.

    Always: localhost, 127.0.0.1, [::1] and the address it is bound to. Bound to another
    address than loopback, also any IP address, so other devices can open it by this
    computer's address: a page cannot rebind an address, only a name.
    """
    found = HOST_HEADER.fullmatch((host or "").lower())
    if found is None or int(found.group(2) or 80) != port:
        return False
    name = found.group(1)
    if name in LOOPBACK_NAMES or name == bound.lower():
        return True
    if is_loopback(bound):
        return False
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


def _handler(preview: Preview, site_dir: Path, host: str) -> type[http.server.SimpleHTTPRequestHandler]:
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(site_dir), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def end_headers(self) -> None:
            self.send_header("Cache-Control", "no-store")  # an edited page is seen at once
            super().end_headers()

        def send_head(self) -> Any:
            assert isinstance(self.server, http.server.HTTPServer)
            port = self.server.server_port  # the real one, when asked for port 0
            if not host_allowed(self.headers.get("Host"), host, port):
                self.send_error(403, "Not this server's name", "This preview answers only to the address it serves on.")
                return None
            asked = unquote(urlsplit(self.path).path)
            if "\0" in asked or any(part.startswith(".") for part in asked.split("/")):
                self.send_error(404)  # .git, .portal-secret, .cache, and any way up out of the site
                return None
            path = posixpath.normpath(asked).lstrip("/")
            if path in ("", "."):
                path = ""
            candidates = [path, posixpath.join(path, "index.html")] if path else ["index.html"]
            for candidate in candidates:
                found = preview.find(candidate)
                if found is not None:
                    if candidate != path and not self.path.split("?")[0].endswith("/"):
                        self.send_response(301)  # a folder's page, as a static host answers
                        self.send_header("Location", self.path.split("?")[0] + "/")
                        self.end_headers()
                        return None
                    return self._send(candidate, found)
            if path == preview.prefix or path.startswith(preview.prefix + "/"):
                self.send_error(404)  # never a page the generator left there
                return None
            if not Path(self.translate_path(self.path)).resolve().is_relative_to(site_dir.resolve()):
                self.send_error(404)  # a link that leads out of the site folder
                return None
            return super().send_head()

        def list_directory(self, path: Any) -> None:
            self.send_error(404)  # a static host lists no folder either
            return None

        def _send(self, path: str, found: Path | bytes) -> Any:
            try:
                data = found if isinstance(found, bytes) else found.read_bytes()
            except OSError:  # replaced by a rebuild while this request came in
                self.send_error(404)
                return None
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(path))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            return io.BytesIO(data)

    return Handler


def serve(
    preview: Preview, site_dir: Path, host: str, port: int, settings: PortalSettings
) -> http.server.ThreadingHTTPServer:
    """A server of the site and the preview's pages on ``host:port``; call ``serve_forever`` on it.

    Raises `BuildError` for a site folder that holds the records, the secret or the cache, as a build does.
    """
    refuse_publishing_records(site_dir, settings)
    return http.server.ThreadingHTTPServer((host, port), _handler(preview, site_dir, host))
