"""Client logos, inlined at build time: client pages load nothing from other origins."""

from __future__ import annotations

import base64
import urllib.request
from pathlib import Path
from urllib.error import URLError

MAX_BYTES = 512 * 1024
TYPES = {
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".gif": "image/gif",
}


class LogoError(Exception):
    """A logo cannot be read or downloaded; the message says what to do."""


def logo_data_uri(logo: str, base_dir: Path, timeout: float = 10) -> str:
    """The logo as a ``data:`` URI: a file relative to ``base_dir``, or an http(s) URL downloaded now."""
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


def _download(url: str, timeout: float) -> tuple[bytes, str]:
    request = urllib.request.Request(url, headers={"User-Agent": "mkdocs-client-portal"})  # noqa: S310 - http(s) only
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) only
            mime = response.headers.get_content_type()
            data = response.read(MAX_BYTES + 1)
    except (URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise LogoError(f"could not download {url} ({reason}); save the file next to the records instead") from None
    if mime not in TYPES.values():
        raise LogoError(f"{url} is {mime}, not an image ({', '.join(sorted(set(TYPES.values())))})")
    if len(data) > MAX_BYTES:
        raise LogoError(f"{url} is over {MAX_BYTES // 1024} KB; use a smaller logo")
    return data, mime
