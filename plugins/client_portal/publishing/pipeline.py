"""Every client's page for one build: on all cores, reusing the pages of clients that did not change."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import shutil
import sys
import tempfile
import threading
import time
import types
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TypeVar

from client_portal.page.render import Renderer
from client_portal.publishing.addresses import Link
from client_portal.publishing.attachments import attachment_errors
from client_portal.publishing.page_keys import page_key, still_there, templates_fingerprint
from client_portal.publishing.pages import PageInputs, PortalPage, SiteFile, client_logo, client_page
from client_portal.publishing.sealing import PasswordKeys, Sealing, client_sealing, sealings
from client_portal.records.loader import read_records
from client_portal.records.model import Client
from client_portal.records.problems import Problem

# The store's folder for pages that name no client (see `kept`).
NEUTRAL = "neutral"
# Below this many pages to build, this process is done before worker processes start.
PARALLEL_FROM = 150
# Pages per task sent to a worker: large enough that sending them costs little, small
# enough that both cores stay busy to the end.
CHUNK = 16

_In = TypeVar("_In")
_Out = TypeVar("_Out")

# One page to build in a worker: the client (without its source locations), who opens it, its
# logo, and the folder its files are written to (None: they travel back in memory).
Job = tuple[Client, Sealing | None, str | None, Path | None]
# What a worker sends back: the client's folder, links, files and log notice.
Built = tuple[str, list[Link], tuple[SiteFile, ...], str | None]


class PageBuilder:
    """Builds client pages for one build after another, remembering them when asked (`mkdocs serve`)."""

    def __init__(self, *, workers: int | None = None, remember: bool = False) -> None:
        self.workers = os.cpu_count() or 1 if workers is None else workers
        self.remember = remember
        self.password_keys = PasswordKeys()
        self.reused = 0  # pages the last build took over unchanged
        self._pages: dict[str, PortalPage] = {}
        self._pool: ProcessPoolExecutor | None = None
        self._store: Path | None = None

    def start(self) -> None:
        """Start the worker processes now, so they are ready by the time the pages are."""
        if self.workers > 1 and self._pool is None:
            context = multiprocessing.get_context("forkserver")
            # Workers start from a server that imported the renderer once; forking the build
            # process itself could copy a lock held by one of `mkdocs serve`'s threads.
            context.set_forkserver_preload([__name__])
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=context, initializer=_exit_with_build, initargs=(os.getpid(),)
            )
            with _bare_main():
                for _ in range(self.workers):  # each call starts one worker
                    self._pool.submit(int)

    def close(self) -> None:
        """Stop the worker processes, and remove the pages kept for `mkdocs serve`."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
        if self._store is not None:
            shutil.rmtree(self._store, ignore_errors=True)
            self._store = None

    def store(self) -> Path:
        """A private folder that keeps built pages between `mkdocs serve` rebuilds (removed on close)."""
        if self._store is None:
            self._store = Path(tempfile.mkdtemp(prefix="client-portal-"))
        return self._store

    def build(
        self,
        clients: list[Client],
        inputs: PageInputs,
        custom_dir: Path | None,
        environ: Mapping[str, str] = os.environ,
        site_dir: Path | None = None,
    ) -> list[PortalPage]:
        """Every client's page, in the order of ``clients``.

        With ``site_dir``, pages are written where they belong in the site (MkDocs leaves a
        file a plugin wrote in place), so no page is held in memory or copied twice. When
        remembering, pages go to a private folder instead, one subfolder per page key, for
        the site folder is emptied before each rebuild.
        """
        if not self.remember:
            self._pages = {}
        templates = templates_fingerprint(inputs.search_path, custom_dir)
        logos = {client.id: client_logo(client, inputs.settings) for client in clients}
        # Keys cost a few hashes and file checks per client: only worth it when pages are kept.
        keys = {c.id: page_key(c, inputs, templates, logos[c.id], environ) if self.remember else None for c in clients}
        pages: dict[str, PortalPage] = {}
        for client in clients:
            key = keys[client.id]
            if key is not None and key in self._pages and still_there(self._pages[key]):
                pages[client.id] = self._pages[key]
        self.reused = len(pages)
        todo = [client for client in clients if client.id not in pages]
        sealed = sealings(todo, inputs.secret, environ, self.password_keys)
        jobs = [(_portable(c), sealed.get(c.id), logos[c.id], self._folder(keys[c.id], site_dir)) for c in todo]
        for client, (folder, links, files, notice) in zip(todo, self._run(jobs, inputs, templates), strict=True):
            pages[client.id] = PortalPage(client, folder, links, files, notice)
        if self.remember:
            self._pages = {key: pages[cid] for cid, key in keys.items() if key is not None}
            if self._store is not None:  # an edited record's earlier page is not needed again
                for stale in set(os.listdir(self._store)) - set(self._pages) - {NEUTRAL}:
                    shutil.rmtree(self._store / stale, ignore_errors=True)
        return [pages[client.id] for client in clients]

    def kept(self, html: str) -> Path:
        """A page that names no client, written once to the store, so an unchanged one is not copied again."""
        target = self.store() / NEUTRAL / (hashlib.sha256(html.encode("utf-8")).hexdigest() + ".html")
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(html, encoding="utf-8")
        return target

    def _folder(self, key: str | None, site_dir: Path | None) -> Path | None:
        """Where a page's files are written: the site, a private folder per page key, or nowhere."""
        if site_dir is None:
            return None
        if not self.remember:
            return site_dir
        return self.store() / (key or uuid.uuid4().hex)

    def read_and_build(
        self,
        paths: list[Path],
        inputs: PageInputs,
        custom_dir: Path | None,
        environ: Mapping[str, str],
        staging: Path,
    ) -> tuple[list[PortalPage], list[Problem], list[Problem]]:
        """Every record in ``paths`` read, checked and built into ``staging`` by the workers, in one pass.

        Nothing travels to a worker but file names, and only the parsed records and where
        their files went come back. Returns the pages, the records' problems and the attached
        files' problems; the pages are complete only when there are none.
        """
        templates = templates_fingerprint(inputs.search_path, custom_dir)
        work = partial(_read_and_build_chunk, inputs, templates, dict(environ), staging)
        chunks = [paths[start : start + CHUNK] for start in range(0, len(paths), CHUNK)]
        pages: list[PortalPage] = []
        records: list[Problem] = []
        attached: list[Problem] = []
        for clients, wrong, unpublishable, built in self.map(work, chunks):
            records += wrong
            attached += unpublishable
            pages += [PortalPage(client, *result) for client, result in zip(clients, built, strict=False)]
        self.reused = 0
        return pages, records, attached

    def map(self, function: Callable[[_In], _Out], items: list[_In]) -> Iterator[_Out]:
        """``function`` over ``items`` in the worker processes (here, if one dies), results in order."""
        self.start()
        if self._pool is None:
            yield from map(function, items)
            return
        try:
            results = list(self._pool.map(function, items))
        except BrokenProcessPool:
            self.close()
            results = [function(item) for item in items]
        yield from results

    def _run(self, jobs: list[Job], inputs: PageInputs, templates: str) -> Iterator[Built]:
        if len(jobs) < PARALLEL_FROM or self.workers < 2:
            yield from _build_chunk(inputs, templates, jobs)
            return
        self.start()
        pool: Executor | None = self._pool
        assert pool is not None
        chunks = [jobs[start : start + CHUNK] for start in range(0, len(jobs), CHUNK)]
        try:
            results = list(pool.map(_build_chunk, [inputs] * len(chunks), [templates] * len(chunks), chunks))
        except BrokenProcessPool:
            # A worker died (killed, out of memory): the pages are still built, here.
            self.close()
            results = [_build_chunk(inputs, templates, chunk) for chunk in chunks]
        for built in results:
            yield from built


# How often a worker looks whether the build that started it is still there.

# How often a worker looks whether the build that started it is still there.
BUILD_CHECK_SECONDS = 0.5


def _exit_with_build(build: int) -> None:
    """Make this worker exit once the build process ``build`` is gone.

    A killed build would leave its workers waiting, or writing pages into its private
    folder, for ever: they and the forkserver that started them keep one another
    alive, so watching their own parent would not do.
    """

    def watch() -> None:
        while True:
            try:
                os.kill(build, 0)  # signal 0: only asks whether the process is there
            except ProcessLookupError:
                break
            except PermissionError:
                break  # its number now belongs to another user's process
            time.sleep(BUILD_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="client-portal-build-watch", daemon=True).start()


@contextmanager
def _bare_main() -> Iterator[None]:
    """Keep new worker processes from importing the script that started the build, which they do not need.

    A script that calls MkDocs' build without an ``if __name__ == "__main__"`` guard
    would otherwise start the build again in every worker.
    """
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def _portable(client: Client) -> Client:
    """The client as a worker needs it: where each value came from stays behind."""
    return Client(client.id, client.source, client.record, digest=client.digest)


_renderers: dict[tuple[tuple[Path, ...], str], Renderer] = {}


def _build_chunk(inputs: PageInputs, templates: str, jobs: list[Job]) -> list[Built]:
    """Build a few pages; run in a worker process, or in the build's own for a few pages."""
    wanted = (inputs.search_path, templates)
    if wanted not in _renderers:
        _renderers.clear()  # templates changed: compile them afresh
        _renderers[wanted] = Renderer(list(inputs.search_path))
    renderer = _renderers[wanted]
    built = []
    for client, sealing, logo_src, folder in jobs:
        page = client_page(client, inputs, renderer, sealing, logo_src)
        files = page.files if folder is None else tuple(_written(f, folder) for f in page.files)
        built.append((page.folder, page.links, files, page.notice))
    return built


# Password keys derived in this worker process (each client's page has a salt of its own).

# Password keys derived in this worker process (each client's page has a salt of its own).
_password_keys = PasswordKeys()


def _read_and_build_chunk(
    inputs: PageInputs, templates: str, environ: dict[str, str], staging: Path, paths: list[Path]
) -> tuple[list[Client], list[Problem], list[Problem], list[Built]]:
    """A few records read and checked and, when all are right, their pages built into ``staging``.

    Returns the clients, the records' problems, the attached files' problems and the pages.
    """
    settings = inputs.settings
    clients, problems = read_records(paths, today=inputs.today, relative_to=settings.root, located=False)
    if problems:
        return clients, problems, [], []  # the build stops: no page is needed
    unpublishable = attachment_errors(clients, settings.clients_dir, settings.root, inputs.today)
    if unpublishable:
        return clients, [], unpublishable, []
    jobs: list[Job] = [
        (c, client_sealing(c, inputs.secret, environ, _password_keys), client_logo(c, settings), staging)
        for c in clients
    ]
    return clients, [], [], _build_chunk(inputs, templates, jobs)


def _written(site_file: SiteFile, folder: Path) -> SiteFile:
    """The file written under ``folder`` at its site path: only where it is travels back, not its content."""
    if site_file.content is None:
        return site_file
    target = folder / site_file.path
    target.parent.mkdir(parents=True, exist_ok=True)
    content = site_file.content
    target.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return SiteFile(site_file.path, source=target)
