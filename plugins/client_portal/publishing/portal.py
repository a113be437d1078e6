"""One build of every client page, whatever generator built the rest of the site (or none).

The MkDocs plugin, ``client-portal build`` and ``client-portal serve`` all go through
`Portal`, so the same inputs give the same pages.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from client_portal.page.render import Renderer
from client_portal.publishing.attachments import attachment_errors
from client_portal.publishing.errors import BuildError, PublishError
from client_portal.publishing.pages import PageInputs, PortalPage, SiteFile
from client_portal.publishing.pipeline import PARALLEL_FROM, PageBuilder
from client_portal.publishing.site_files import neutral_pages, page_assets
from client_portal.records.loader import load_clients, record_files
from client_portal.records.model import Client
from client_portal.records.problems import Problem, RecordError
from client_portal.settings import CACHE_DIR, PortalSettings, build_date

# The private folders in the cache where a one-pass build's workers write pages: pages-<pid>-<random>
STAGING = "pages-"


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
