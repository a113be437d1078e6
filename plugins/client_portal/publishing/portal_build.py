"""One build of every client page, whatever generator built the rest of the site (or none).

The MkDocs plugin and ``client-portal build`` both go through `Portal`, so the same
inputs give the same pages; `build_into` is the whole flow for a site folder that a
generator (or nobody) has already written.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import posixpath
import shutil
import tempfile
from collections.abc import Collection, Mapping
from datetime import date
from functools import cache
from pathlib import Path

import rcssmin
import rjsmin

from client_portal.page.render import ASSETS_DIR, Assets, Renderer
from client_portal.publishing import crypto
from client_portal.publishing.attachments import attachment_errors
from client_portal.publishing.builder import PARALLEL_FROM, PageBuilder
from client_portal.publishing.publish import (
    PREFIX_INDEX_MARKER,
    SITE_MARK,
    PageInputs,
    PortalPage,
    PublishError,
    SiteFile,
    headers_rules,
    neutral_pages,
    robots_rules,
)
from client_portal.publishing.secret import SECRET_FILE
from client_portal.records.loader import load_clients, record_files
from client_portal.records.model import Client
from client_portal.records.problems import Problem, RecordError
from client_portal.settings import CACHE_DIR, PortalSettings, build_date

PORTAL_ASSETS = "assets/client-portal"
# The private folders in the cache where a one-pass build's workers write pages: pages-<pid>-<random>
STAGING = "pages-"
# What every client page loads; it needs no theme. The stylesheets, in this order, are inlined.
# What shows before a page opens (its gate, the neutral pages) is styled in <head>; the page's
# own sections are styled inside its encrypted body, where deflate makes them a quarter as long.
STYLESHEETS = ("base.css", "shell.css")
PAGE_STYLESHEETS = ("portal.css",)
SCRIPT = "portal.js"


class BuildError(Exception):
    """The client pages cannot be built; the message says why and what to do."""


def page_assets(depth: int) -> Assets:
    """The inline stylesheet, and the script's URL relative to a page ``depth`` folders below the site root."""
    return Assets(stylesheet(), "../" * depth + posixpath.join(PORTAL_ASSETS, SCRIPT), page_stylesheet())


# A phone downloads these before it shows the page: minified, they weigh a third less.
# The sources keep their comments; "/*!" ones (the stylesheet's licence) stay.
@cache
def stylesheet() -> str:
    """The stylesheet every page under the prefix carries inline in its head, minified."""
    return _minified(STYLESHEETS)


@cache
def page_stylesheet() -> str:
    """The stylesheet of a client page's sections, carried inline in its body, minified."""
    return _minified(PAGE_STYLESHEETS)


def _minified(names: tuple[str, ...]) -> str:
    css = (rcssmin.cssmin((ASSETS_DIR / name).read_text(encoding="utf-8"), keep_bang_comments=True) for name in names)
    return "".join(map(str, css))


@cache
def asset_files() -> dict[str, str]:
    """{site path: content} of the script every client page loads, minified."""
    script = (ASSETS_DIR / SCRIPT).read_text(encoding="utf-8")
    return {f"{PORTAL_ASSETS}/{SCRIPT}": str(rjsmin.jsmin(script, keep_bang_comments=True))}


class Portal:
    """The client pages of one portal, built again on each call (and kept between builds when remembering)."""

    def __init__(
        self,
        settings: PortalSettings,
        secret: bytes,
        custom_dir: Path | None = None,
        *,
        remember: bool = False,
        live_reload: bool = False,
    ) -> None:
        self.settings = settings
        self.live_reload = live_reload  # `mkdocs serve`: pages let MkDocs' reload script run
        self.secret = secret
        # A user's own templates and icons come before the package's.
        self.search_path: tuple[Path, ...] = (custom_dir,) if custom_dir is not None else ()
        self.custom_dir = custom_dir
        self.builder = PageBuilder(remember=remember)
        self.clients: list[Client] = []
        self.today: date | None = None
        self._known: dict[str, Client] = {}
        # pages built while reading (`_read_and_build`), and the private folder they wait in
        self._staged: list[PortalPage] | None = None
        self._staging: Path | None = None

    def read(self, environ: Mapping[str, str] = os.environ) -> list[Client]:
        """Read and check every record and attached file, before anything is written.

        A first build of many records is done by the workers in one pass: each reads,
        checks and builds its records' pages into a private folder (under the cache
        folder), which `pages` moves into the site. Nothing is written into the site here.
        """
        settings = self.settings
        paths = record_files(settings.clients_dir) if settings.clients_dir.is_dir() else []
        try:
            self.today = build_date(settings.today)
        except ValueError as error:  # a malformed SOURCE_DATE_EPOCH
            raise BuildError(str(error)) from None
        self._discard_staged()
        _sweep_staging(settings.root / CACHE_DIR)
        many = len(paths) >= PARALLEL_FROM and self.builder.workers > 1
        if many and not self.builder.remember:
            return self._read_and_build(paths, environ)
        # A preview keeps its pages between rebuilds, so it reads first and builds what changed;
        # its first read of many records is spread over the workers, later ones re-read only edits.
        mapper = self.builder.map if many and not self._known else None
        try:
            self.clients = load_clients(
                settings.clients_dir,
                today=self.today,
                relative_to=settings.root,
                known=self._known,
                located=False,
                mapper=mapper,
            )
        except RecordError as error:
            raise BuildError(f"invalid client records:\n{error}") from None
        current = {id(client) for client in self.clients}
        self._known = {key: client for key, client in self._known.items() if id(client) in current}
        problems = attachment_errors(self.clients, settings.clients_dir, settings.root, self.today)
        if problems:
            raise BuildError(_attachment_message(problems))
        return self.clients

    def _read_and_build(self, paths: list[Path], environ: Mapping[str, str]) -> list[Client]:
        cache = self.settings.root / CACHE_DIR
        cache.mkdir(parents=True, exist_ok=True)
        self._staging = Path(tempfile.mkdtemp(prefix=f"{STAGING}{os.getpid()}-", dir=cache))
        try:
            pages, records, attached = self.builder.read_and_build(
                paths, self._inputs(), self.custom_dir, environ, self._staging
            )
        except PublishError as error:
            self._discard_staged()
            raise BuildError(str(error)) from None
        if records or attached:
            self._discard_staged()
            if records:
                raise BuildError(f"invalid client records:\n{RecordError(records)}")
            raise BuildError(_attachment_message(attached))
        self._staged = pages
        self.clients = [page.client for page in pages]
        return self.clients

    def _discard_staged(self) -> None:
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
        self._staging, self._staged = None, None

    @property
    def depth(self) -> int:
        """How many folders below the site root a client page sits: ``<url_prefix>/<token>/index.html``."""
        return self.settings.url_prefix.count("/") + 2

    def _inputs(self) -> PageInputs:
        assert self.today is not None, "read() first"
        return PageInputs(
            self.settings,
            self.secret,
            self.today,
            self.search_path,
            page_assets(self.depth),
            live_reload=self.live_reload,
        )

    def pages(self, site_dir: Path | None, environ: Mapping[str, str] = os.environ) -> list[PortalPage]:
        """Every client's page (and attached files), written into ``site_dir`` where they belong."""
        if self._staged is not None:
            staged, staging = self._staged, self._staging
            assert staging is not None
            try:
                return [_moved(page, staging, site_dir) for page in staged]
            finally:
                self._discard_staged()
        try:
            return self.builder.build(self.clients, self._inputs(), self.custom_dir, environ, site_dir=site_dir)
        except PublishError as error:
            raise BuildError(str(error)) from None

    def neutral(self, *, with_index: bool = True) -> dict[str, str]:
        """{site path: HTML} of the pages that name no client: the prefix index and every replaced link."""
        renderer = Renderer(self.search_path)
        return neutral_pages(
            self.clients,
            self.settings,
            self.secret,
            renderer,
            page_assets,
            built=self.today,
            with_index=with_index,
        )

    def close(self) -> None:
        """Stop the worker processes and remove what was kept for serving (or built and not placed)."""
        self._discard_staged()
        self.builder.close()


def _sweep_staging(cache: Path) -> None:
    """Remove the private folders of builds that were killed: they can hold readable (unlisted) pages.

    Each is named for the process that built into it; one whose process is gone is stale.
    """
    for folder in cache.glob(f"{STAGING}*"):
        pid = folder.name.removeprefix(STAGING).split("-", 1)[0]
        if not (pid.isdigit() and _running(int(pid))):
            shutil.rmtree(folder, ignore_errors=True)


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True  # another portal of this process (a preview's) may be building into it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process: there, and not ours to judge
    return True


def _attachment_message(problems: list[Problem]) -> str:
    return "attached files cannot be published:\n" + "\n".join(str(p) for p in sorted(problems))


def _moved(page: PortalPage, staging: Path, site_dir: Path | None) -> PortalPage:
    """A page built into ``staging``, moved to where it belongs in ``site_dir`` (or read back).

    The page's folder moves whole when the site has none of that name yet: one rename, where
    moving each file and removing the emptied folder costs the disk a write per folder.
    """
    if site_dir is not None:
        folder, target = staging / page.folder, site_dir / page.folder
        if folder.is_dir() and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            folder.rename(target)
    files = []
    for site_file in page.files:
        source = site_file.source
        if source is None or not source.is_relative_to(staging):
            files.append(site_file)  # attached files stay in the cache folder, copied from there
        elif site_dir is None:
            files.append(SiteFile(site_file.path, source.read_text(encoding="utf-8")))
        else:
            target = site_dir / site_file.path
            if source.exists():  # its folder could not move whole
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(source, target)  # a rename on one file system
            files.append(SiteFile(site_file.path, source=target))
    return dataclasses.replace(page, files=tuple(files))


def claim_prefix(site_dir: Path, prefix: str, secret: bytes, written: Collection[str] = ()) -> None:
    """Empty the prefix folder of a site for new client pages, or refuse when it is not ours to empty.

    Ours: its index carries this secret's fingerprint (an earlier `client-portal build`
    or plugin build) and every other file in it is one an earlier build wrote there
    (``written``, from the cache). Not ours: pages built with another secret, or the
    generator's own public pages, which would be published among the client pages, and
    which are never deleted (a copied index carries the fingerprint too).
    """
    folder = site_dir / prefix
    if not folder.is_dir() or not any(folder.iterdir()):
        return
    index = folder / "index.html"
    text = index.read_text(encoding="utf-8", errors="replace") if index.is_file() else ""
    mark = SITE_MARK.search(text) if PREFIX_INDEX_MARKER in text else None
    if mark is None and PREFIX_INDEX_MARKER in text:
        raise BuildError(
            f"{site_dir / prefix} holds client pages of an earlier client-portal that cannot tell which secret "
            "built them; build the site again from scratch (or empty that folder)"
        )
    if mark is None:
        raise BuildError(
            f"{site_dir / prefix} already holds {_shown_files(_files_under(site_dir, prefix))}, which client-portal "
            "did not build; the folder of client pages must be the portal's own: move those pages or change "
            "url_prefix, and build the site again"
        )
    if mark.group(1) != crypto.site_fingerprint(secret):
        raise BuildError(
            f"{site_dir / prefix} holds client pages built with another site secret; build the site again "
            "from scratch (or empty that folder) so no page with old links stays published"
        )
    foreign = [
        path for path in _files_under(site_dir, prefix) if path not in written and path != f"{prefix}/index.html"
    ]
    if foreign:
        raise BuildError(
            f"{site_dir / prefix} holds {_shown_files(foreign)}, which no client-portal build is known to have "
            f"written there (their list is kept in {CACHE_DIR}); nothing was deleted. The folder of client pages "
            "must be the portal's own: move pages the generator wrote there or change url_prefix; if they are "
            "old client pages, empty that folder; then build the site again"
        )
    shutil.rmtree(folder)


def _files_under(site_dir: Path, prefix: str) -> list[str]:
    """Every file (or link) under the prefix folder, as site paths."""
    return sorted(p.relative_to(site_dir).as_posix() for p in (site_dir / prefix).rglob("*") if not p.is_dir())


def _shown_files(found: list[str]) -> str:
    return ", ".join(found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")


def _written_list(site_dir: Path, settings: PortalSettings) -> Path:
    """Where the cache keeps the files the last build wrote under this site folder's prefix.

    Kept out of the site: it names every client folder, and the published index must not.
    """
    key = hashlib.sha256(os.fsencode(site_dir.resolve())).hexdigest()[:32]
    return settings.root / CACHE_DIR / "written" / f"{key}.json"


def _written_before(listing: Path) -> frozenset[str]:
    try:
        found = json.loads(listing.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return frozenset()  # no list, or a damaged one: nothing is known to be ours
    return frozenset(path for path in found if isinstance(path, str)) if isinstance(found, list) else frozenset()


def _remember_written(listing: Path, site_dir: Path, prefix: str) -> None:
    """Keep the files now under the prefix folder: this build emptied it first, so each is one it wrote."""
    listing.parent.mkdir(parents=True, exist_ok=True)
    partial = listing.with_name(f"{listing.name}.{os.getpid()}.partial")
    partial.write_text(json.dumps(_files_under(site_dir, prefix)), encoding="utf-8")
    partial.replace(listing)


def refuse_publishing_records(site_dir: Path, settings: PortalSettings) -> None:
    """A site folder that holds the records, the secret or the cache would publish (or serve) them with the pages.

    So would a link in it that leads to them (or to a folder holding them): uploaders such
    as GitHub Pages' (tar --dereference) and rsync -L publish what a link points to.
    """
    site = site_dir.resolve()
    for private in _private_paths(settings):
        if private.resolve().is_relative_to(site):
            raise BuildError(
                f"{site_dir} holds {private.relative_to(settings.root).as_posix()}, which must never be published; "
                "give the folder the generator writes the site to (such as site)"
            )
    refuse_links_to_private(site_dir, settings)


def refuse_links_to_private(folder: Path, settings: PortalSettings) -> None:
    """Refuse a link under ``folder`` (the site, or the pages MkDocs copies) to the records, the secret or the cache."""
    privates = [(private, Path(os.path.realpath(private))) for private in _private_paths(settings)]
    for link in _links(folder):
        # realpath, not resolve: a loop of links is no error here (the audit reports it)
        target = Path(os.path.realpath(link))
        for private, real in privates:
            if target.is_relative_to(real) or real.is_relative_to(target):
                where = "is" if target == real else "is inside" if target.is_relative_to(real) else "holds"
                raise BuildError(
                    f"{link} is a link to {target}, which {where} {private.relative_to(settings.root).as_posix()}: "
                    "uploaders and generators that follow links would publish it; remove the link"
                )


def _private_paths(settings: PortalSettings) -> list[Path]:
    return [settings.clients_dir, settings.root / SECRET_FILE, settings.root / CACHE_DIR]


def _links(folder: Path) -> list[Path]:
    """Every symbolic link under ``folder``, not followed."""
    return [
        Path(parent, name)
        for parent, folders, files in os.walk(folder)
        for name in (*folders, *files)
        if os.path.islink(os.path.join(parent, name))
    ]


def _write(site_dir: Path, path: str, text: str) -> None:
    target = site_dir / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def _extended(site_dir: Path, path: str) -> str:
    """A file the generator may have written (robots.txt, _headers), to be extended, never replaced."""
    existing = site_dir / path
    return existing.read_text(encoding="utf-8") if existing.is_file() else ""


def build_into(
    site_dir: Path,
    settings: PortalSettings,
    secret: bytes,
    custom_dir: Path | None = None,
    environ: Mapping[str, str] = os.environ,
) -> list[PortalPage]:
    """Write every client page, the neutral pages, their assets, robots.txt and _headers entries into a built site."""
    refuse_publishing_records(site_dir, settings)
    listing = _written_list(site_dir, settings)
    portal = Portal(settings, secret, custom_dir)
    try:
        portal.read(environ)  # every record checked before the site is touched
        claim_prefix(site_dir, settings.url_prefix, secret, _written_before(listing))
        pages = portal.pages(site_dir, environ)
        written = {**asset_files(), **portal.neutral()}
    finally:
        portal.close()
    for page in pages:  # attached files, copied from the cache folder where they were encrypted
        for site_file in page.files:
            target = site_dir / site_file.path
            if site_file.source is not None and site_file.source != target:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(site_file.source, target)
    for path, text in written.items():
        _write(site_dir, path, text)
    _write(site_dir, "robots.txt", robots_rules(_extended(site_dir, "robots.txt"), settings.url_prefix))
    if settings.headers_file:
        _write(site_dir, "_headers", headers_rules(_extended(site_dir, "_headers"), settings.url_prefix))
    _remember_written(listing, site_dir, settings.url_prefix)
    return pages
