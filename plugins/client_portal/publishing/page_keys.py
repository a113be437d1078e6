"""What a client page is made from, as one hash: a page is built again only when its key changes.

A page is rebuilt when anything it is made from changes: the record's bytes, the build
date, the settings, the secret, a password, the logo, the templates (a user's overrides
in ``theme.custom_dir`` included), the asset names or this package's version. All of it
goes into one SHA-256 key; secrets and passwords only ever as part of that hash. An
encrypted page is reused only under the same key, so its ciphertext is reused only
when its plaintext and keys are the same too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

from client_portal import __version__
from client_portal.publishing.pages import PageInputs, PortalPage
from client_portal.publishing.passwords import PASSWORDS_ENV
from client_portal.publishing.sealing import password_labels
from client_portal.records.model import Client


def templates_fingerprint(search_path: tuple[Path, ...], custom_dir: Path | None) -> str:
    """A hash of every template and icon of a user's own a page can be made from, as found on disk now.

    The package's own templates, icons and stylesheets change only with its version, which is part of the key.
    """
    digest = hashlib.sha256()
    folders = [folder / "client-portal" for folder in search_path]
    if custom_dir is not None:
        folders.append(custom_dir / ".icons")  # the theme's own icons change only with its version
    for folder in folders:
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if path.is_file():
                digest.update(f"{path}\0{len(path.read_bytes())}\0".encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def build_fingerprint(inputs: PageInputs, templates: str) -> str:
    """What every page of a build is made from besides its client, as one hash (computed once a build)."""
    parts = [
        __version__,
        inputs.today.isoformat(),
        repr(inputs.settings),
        repr(inputs.assets),
        str(inputs.live_reload),
        repr(inputs.search_path),
        templates,
        hashlib.sha256(inputs.secret).hexdigest(),
    ]
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def page_key(
    client: Client, inputs: PageInputs, build: str, logo_src: str | None, environ: Mapping[str, str]
) -> str | None:
    """What ``client``'s page is made from, as one hash (``build``: `build_fingerprint`); None without its bytes."""
    if not client.digest:
        return None
    # PORTAL_PASSWORDS whole: a page changes when any password in it does (its parse errors come later)
    passwords = [environ.get(name, "") for name, _ in password_labels(inputs.secret, client)]
    if passwords:
        passwords.append(environ.get(PASSWORDS_ENV, ""))
    parts = [
        build,
        client.id,
        str(client.source),
        client.digest,
        hashlib.sha256((logo_src or "").encode()).hexdigest(),
        *passwords,
        *_attached_files(client, inputs.settings.clients_dir),
        "CI" if environ.get("CI") else "",
    ]
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8") + b"\0")
    return digest.hexdigest()


def _attached_files(client: Client, clients_dir: Path) -> list[str]:
    """Each attached file by its size and modification time, as `make` would see it.

    Hashing every attached file again on each rebuild could cost more than the page.
    """
    found = []
    for deliverable in client.record.deliverables:
        for name in deliverable.files:
            try:
                stat = (clients_dir / name).stat()
            except OSError:
                found.append(f"{name}\0-")
            else:
                found.append(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}\0{stat.st_ino}")
    return found


def still_there(page: PortalPage) -> bool:
    """Whether every file a remembered page copies from disk is still there (the cache folder may be gone)."""
    return all(f.source is None or f.source.is_file() for f in page.files)
