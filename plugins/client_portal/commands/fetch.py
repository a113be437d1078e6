"""Reading one page of a published site: only from the origin asked for, and within one deadline.

A redirect to another host, port or scheme is refused rather than followed, so what the page
says is never credited to an address that did not serve it; and the whole read, not each
packet, has a deadline, so a server that answers a byte at a time cannot keep it waiting.
"""

from __future__ import annotations

import http.client
import threading
import urllib.request
from typing import IO
from urllib.parse import urlsplit

# Long enough for a slow host's first answer, short enough that a stalled one is given up on.
DEADLINE_SECONDS = 30.0


class FetchError(Exception):
    """A page that could not be read: an error, a redirect elsewhere or the deadline."""


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:  # a port that is not a number
        port = -1
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


class _SameOrigin(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only when it stays on the first address's scheme, host and port."""

    def __init__(self, first: str) -> None:
        self.first = first

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if _origin(newurl) != _origin(self.first):
            raise FetchError(f"redirected to {newurl}, another address; check that address itself if it is the site")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _read(url: str, limit: int, seconds: float) -> str:
    opener = urllib.request.build_opener(_SameOrigin(url))
    try:
        with opener.open(url, timeout=seconds) as response:
            return str(response.read(limit).decode("utf-8", "replace"))
    except (OSError, ValueError, http.client.HTTPException) as error:
        raise FetchError(str(getattr(error, "reason", None) or error)) from None


def read_page(url: str, limit: int = 1_000_000, seconds: float | None = None) -> str:
    """The text at an http(s) ``url`` (its first ``limit`` bytes), read in ``seconds`` at most (default 30)."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise FetchError(f"{url} is not an http(s) address")
    seconds = DEADLINE_SECONDS if seconds is None else seconds
    outcome: list[str | Exception] = []

    def fetch() -> None:
        try:
            outcome.append(_read(url, limit, seconds))
        except Exception as error:  # raised again by the waiting thread, where it is seen
            outcome.append(error)

    # A socket timeout bounds each read, not the whole answer (nor the name lookup): the
    # deadline is the wait for a reading thread, which is left behind when it is missed.
    reader = threading.Thread(target=fetch, daemon=True)
    reader.start()
    reader.join(seconds)
    if not outcome:
        raise FetchError(f"no full answer within {seconds:g} s; the server is too slow or stalled")
    found = outcome[0]
    if isinstance(found, Exception):
        raise found
    return found
