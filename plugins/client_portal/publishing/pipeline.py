"""Records → checked clients and problems → sealed pages: one pipeline, in this process or on workers.

The same function reads, checks and builds a chunk of records wherever it runs; a
worker count is the only difference. Nothing travels to a worker but file names (or,
while previewing, a client read before), and only the records' problems, whose pages
were built and where their files were written come back (and, previewing, the clients).
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
import tempfile
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache, partial
from pathlib import Path

from client_portal import collector
from client_portal.hours.store import hours_bytes, hours_file
from client_portal.page.render import Renderer
from client_portal.publishing.attachments import attachment_errors
from client_portal.publishing.page_keys import build_fingerprint, page_key, still_there, templates_fingerprint
from client_portal.publishing.pages import PageInputs, PortalPage, SiteFile, client_logo, client_page, replaced_page
from client_portal.publishing.sealing import PasswordKeys, sealings
from client_portal.publishing.workers import PARALLEL_FROM, PRELOAD, Handout, Workers
from client_portal.records.loader import read_records, record_digest
from client_portal.records.model import Client
from client_portal.records.problems import Problem, RecordError
from client_portal.records.readings import Readings
from client_portal.settings import READINGS_CACHE, TEMPLATES_CACHE

# The store's folder for pages that name no client (see `Pipeline.kept`).
NEUTRAL = "neutral"
# Records per task sent to a worker at most: large enough that sending them costs little (the
# last tasks of a build are smaller, so that both cores stay busy to the end).
CHUNK = 16

# One record to build: its file, to be read and checked, or (previewing) a client read before.
Job = Path | Client
# A record file's size, modification time and inode.
FileStat = tuple[int, ...]


@dataclass(frozen=True)
class Run:
    """What every chunk of one build shares: the pages' inputs, and where their files are written."""

    inputs: PageInputs
    templates: str  # `templates_fingerprint`
    environ: dict[str, str]
    folder: Path  # a private folder: the build's staging folder, or the preview's store
    keyed: bool = False  # previewing: each page in a subfolder named for its key, to be reused
    readings: Readings | None = None  # what records were read as before: an unchanged one is not parsed again


@dataclass
class Chunk:
    """What one chunk of records gives: their problems, their built pages and, previewing, the clients read.

    The pages are built only when the chunk has no problem; ``keys`` are the pages' keys when keyed.
    The clients come back only when keyed (previewing), to be remembered for the next build: a
    build needs no record once its pages are built, and sending each back from a worker took
    both processes a tenth of a millisecond and the build process 34 KiB until the end.
    """

    clients: list[Client] = field(default_factory=list)  # previewing (keyed) only
    records: list[Problem] = field(default_factory=list)  # records that cannot be read
    files: list[Problem] = field(default_factory=list)  # attached files that cannot be published
    pages: list[PortalPage] = field(default_factory=list)
    keys: list[str | None] = field(default_factory=list)


def build_chunk(run: Run, jobs: list[Job]) -> Chunk:
    """Read and check a few records and, when all are right, build and seal their pages into ``run.folder``."""
    # Each page leaves cyclic garbage (Jinja's contexts and macros). Collected as it came, it
    # took 400 collections for 640 pages, each walking the young records and pages again, and
    # the full collections they set off every record and module of the process. Paused, the
    # collector runs once after the chunk, over the few megabytes it made.
    with collector.paused():
        return _built_chunk(run, jobs)


def check_chunk(run: Run, jobs: list[Job]) -> Chunk:
    """Read and check a few records as `build_chunk` does, and build nothing: the same problems, and no page."""
    with collector.paused():  # as `build_chunk`: one collection after the chunk, not one after each record
        return _checked(run, jobs)[1]


def _checked(run: Run, jobs: list[Job]) -> tuple[list[Client], Chunk]:
    """The clients of ``jobs``, read, and a chunk with their problems (and, previewing, the clients)."""
    inputs = run.inputs
    settings = inputs.settings
    paths = [job for job in jobs if isinstance(job, Path)]
    found, records = read_records(
        paths, today=inputs.today, relative_to=settings.root, located=False, readings=run.readings
    )
    if records:  # the build stops: no page is needed
        return [], Chunk([job for job in jobs if isinstance(job, Client)] + found if run.keyed else [], records)
    clients = _in_order(jobs, found)
    kept = clients if run.keyed else []
    return clients, Chunk(kept, files=attachment_errors(clients, settings.clients_dir, settings.root, inputs.today))


def _built_chunk(run: Run, jobs: list[Job]) -> Chunk:
    clients, chunk = _checked(run, jobs)
    if chunk.records or chunk.files:
        return chunk
    inputs = run.inputs
    settings = inputs.settings
    renderer = _renderer(inputs, run.templates)
    sealed = sealings(clients, inputs.secret, run.environ, _password_keys)
    build = build_fingerprint(inputs, run.templates) if run.keyed else ""
    replaced = replaced_page(inputs, renderer)
    for client in clients:
        logo = client_logo(client, settings)
        key = page_key(client, inputs, build, logo, run.environ) if run.keyed else None
        page = client_page(client, inputs, renderer, sealed.get(client.id), logo, replaced=replaced)
        folder = run.folder / (key or uuid.uuid4().hex) if run.keyed else run.folder
        files = tuple(_written(site_file, folder) for site_file in page.files)
        chunk.pages.append(PortalPage(page.owner, page.folder, page.links, files, page.notice))
        chunk.keys.append(key)
    return chunk


def _in_order(jobs: list[Job], found: list[Client]) -> list[Client]:
    """The clients of ``jobs`` in their order: those read before as they were, the others as just read."""
    read = iter(found)
    return [job if isinstance(job, Client) else next(read) for job in jobs]


# Compiled templates and derived password keys, kept by each process between chunks and builds.
_renderers: dict[tuple[tuple[Path, ...], str], Renderer] = {}
_password_keys = PasswordKeys()


def _renderer(inputs: PageInputs, templates: str) -> Renderer:
    """The build's templates, compiled once in this process (and loaded from the cache folder when they were before)."""
    search_path = inputs.search_path
    if (search_path, templates) not in _renderers:
        _renderers.clear()  # templates changed: compile them afresh
        compiled_in = inputs.settings.root / TEMPLATES_CACHE
        _renderers[search_path, templates] = Renderer(list(search_path), compiled_in=compiled_in)
    return _renderers[search_path, templates]


def _written(site_file: SiteFile, folder: Path) -> SiteFile:
    """The file written under ``folder`` at its site path: only where it is travels back, not its content."""
    if site_file.content is None:
        return site_file  # an attached file, sealed in the cache folder
    target = folder / site_file.path
    content = site_file.content
    _folder_at(target.parent)
    _write_over(target, content.encode("utf-8") if isinstance(content, str) else content)
    return SiteFile(site_file.path, source=target)


# ``folder`` may hold the last build's pages, written over (`portal.RECYCLED`): a link there, to a
# folder or a file, is removed, never followed out of it.


def _folder_at(path: Path) -> None:
    """A folder at ``path``: the one there, or a new one where there was none, or a link or a file."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        path.mkdir(parents=True, exist_ok=True)
        return
    if not stat.S_ISDIR(mode):
        path.unlink()
        path.mkdir()


_WRITE_OVER = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _write_over(path: Path, data: bytes) -> None:
    """``data`` as the whole content of the file at ``path``, written over the blocks of the one there.

    Opening the last build's page to truncate it would free its blocks, only for the new
    page to take as many again: on a disk that discards what is freed, that costs more than
    the writing. A file with other names (a hard link) is replaced instead, never changed.
    """
    try:
        handle = os.open(path, _WRITE_OVER, 0o666)
    except OSError as error:
        if error.errno != errno.ELOOP:
            raise
        path.unlink()  # a link in the file's place
        handle = os.open(path, _WRITE_OVER, 0o666)
    if os.fstat(handle).st_nlink > 1:
        os.close(handle)
        path.unlink()
        handle = os.open(path, _WRITE_OVER | os.O_EXCL, 0o666)
    try:  # on the descriptor itself: a buffered file object around it took a quarter more a file
        view = memoryview(data)
        while view:
            view = view[os.write(handle, view) :]
        os.ftruncate(handle, len(data))  # the rest of a longer page before
    finally:
        os.close(handle)


@dataclass(frozen=True)
class Outcome:
    """One build's problems that stop it, or the pages it builds; previewing, also its clients, in their files' order.

    Every record is read and checked once there is an outcome; the last pages may still be
    underway on the workers (`Pipeline.run`'s ``later``) until `pages` is called.
    """

    clients: list[Client]  # previewing (remembering) only: a build keeps no record once its pages are built
    records: list[Problem]
    files: list[Problem]
    renderer: Renderer  # the build's templates, compiled in this process
    reused: int = 0  # pages taken over unchanged from the build before
    finish: Callable[[], list[PortalPage]] = list  # waits for the pages still underway: every page
    abandon: Callable[[], None] = lambda: None  # gives up those not begun, waiting for those being built

    def pages(self) -> list[PortalPage]:
        """Every page, in the order of the record files (none when a record has a problem)."""
        return self.finish()


def _stat(path: Path) -> FileStat | None:
    """The record file's size, time and inode, and its hours file's (zeros without one)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    try:
        hours = hours_file(path).stat()
        kept = (hours.st_size, hours.st_mtime_ns, hours.st_ino)
    except FileNotFoundError:
        kept = (0, 0, 0)
    except OSError:
        return None
    return (stat.st_size, stat.st_mtime_ns, stat.st_ino, *kept)


class Pipeline:
    """Builds the pages of one build after another; while previewing, reuses what did not change."""

    def __init__(self, *, workers: int | None = None, remember: bool = False) -> None:
        self.workers = Workers(os.cpu_count() or 1 if workers is None else workers, preload=[PRELOAD])
        self.remember = remember
        self._read: dict[Path, Client] = {}  # remembering: the clients of the build before, by record file
        self._pages: dict[str, PortalPage] = {}  # remembering: their pages, by page key
        self._today: date | None = None  # remembering: the date of the build before
        self._stats: dict[Path, FileStat] = {}  # remembering: each record file as it was read
        self._store: Path | None = None
        self._listed: set[Path] = set()  # remembering: the neutral pages kept since the last build

    def run(
        self,
        paths: list[Path],
        inputs: PageInputs,
        custom_dir: Path | None,
        environ: Mapping[str, str],
        folder: Path,
        *,
        later: int = 0,
    ) -> Outcome:
        """Every record in ``paths`` read and checked, and its page built into ``folder`` when all are right.

        Remembering, a record whose file did not change is not read again, and its page is
        not built again when its key (`page_keys`) is the same either. With ``later``, the
        pages of that many records a worker at most are still being built when the outcome
        comes (their records checked here as well): `Outcome.pages` waits for them.
        """
        templates = templates_fingerprint(inputs.search_path, custom_dir)
        readings = Readings(inputs.settings.root / READINGS_CACHE)
        run = Run(inputs, templates, dict(environ), folder, keyed=self.remember, readings=readings)
        build = build_fingerprint(inputs, templates)
        reused: dict[Path, tuple[PortalPage, str]] = {}
        remembered: dict[Path, Client] = {}  # the clients of the reused pages
        jobs: list[Job] = []
        # only a preview, which remembers them, looks at the files: two looks at the disk a record
        stats = {path: _stat(path) for path in paths} if self.remember else {}
        for path in paths:
            known = self._known(path, stats.get(path), inputs)
            if known is None:
                jobs.append(path)
                continue
            key = page_key(known, inputs, build, client_logo(known, inputs.settings), environ)
            page = self._pages.get(key or "")
            if key is not None and page is not None and still_there(page):
                reused[path] = (page, key)
                remembered[path] = known
            else:
                jobs.append(known)
        handout: Handout[Job, Chunk] | None = None
        if len(jobs) >= PARALLEL_FROM:
            # a preview remembers the clients its chunks send back: it waits for every one
            building, checking = partial(build_chunk, run), partial(check_chunk, run)
            later = 0 if self.remember else later
            handout = self.workers.hand_out(building, jobs, largest=CHUNK, check=checking, later=later)
            verdicts = handout.verdicts()
        else:
            verdicts = [build_chunk(run, jobs[start : start + CHUNK]) for start in range(0, len(jobs), CHUNK)]
        renderer = _renderer(inputs, templates)
        records = [problem for chunk in verdicts for problem in chunk.records]
        files = [problem for chunk in verdicts for problem in chunk.files]
        clients = {client.source: client for chunk in verdicts for client in chunk.clients} | remembered  # previewing
        ordered = [clients[path] for path in paths if path in clients]
        if records or files:
            if handout is not None:
                handout.cancel()
            return Outcome(ordered, records, files, renderer)

        def finish() -> list[PortalPage]:
            readings.prune(path.stem for path in paths)  # while the workers may still build the last pages
            done = handout.results() if handout is not None else verdicts
            built = {
                page.owner.source: (page, key)
                for chunk in done
                for page, key in zip(chunk.pages, chunk.keys, strict=True)
            }
            every = reused | built
            pages = [every[path] for path in paths]
            if self.remember:
                self._remember(inputs.today, ordered, [page for page, _ in pages], [key for _, key in pages], stats)
            return [page for page, _ in pages]

        finished = cache(finish)
        if handout is None or not handout.running:  # every page is built: a preview remembers them now
            finished()
        abandon = handout.cancel if handout is not None else lambda: None
        return Outcome(ordered, [], [], renderer, len(reused), finished, abandon)

    def _known(self, path: Path, stat: FileStat | None, inputs: PageInputs) -> Client | None:
        """The client read from ``path`` by the build before, when the file and the build date are the same.

        A file whose size, time and inode are as they were is not read again, as `make` would see it.
        """
        client = self._read.get(path)
        if client is None or self._today != inputs.today:
            return None
        if stat is not None and self._stats.get(path) == stat:
            return client
        try:
            digest = record_digest(path.read_bytes(), hours_bytes(path, path))
        except (OSError, RecordError):
            return None
        return client if digest == client.digest else None

    def _remember(
        self,
        today: date,
        clients: list[Client],
        pages: list[PortalPage],
        keys: list[str | None],
        stats: dict[Path, FileStat | None],
    ) -> None:
        self._today = today
        self._read = {client.source: client for client in clients}
        # taken before the files were read: a file edited since is read again next time
        self._stats = {path: stat for path in self._read if (stat := stats.get(path)) is not None}
        self._pages = {key: page for page, key in zip(pages, keys, strict=True) if key is not None}
        if self._store is not None:  # an edited record's earlier page is not needed again
            for stale in set(os.listdir(self._store)) - set(self._pages) - {NEUTRAL}:
                shutil.rmtree(self._store / stale, ignore_errors=True)
            # nor a neutral page (the local index, say) that the build before no longer listed
            for stale_page in set((self._store / NEUTRAL).glob("*.html")) - self._listed:
                stale_page.unlink(missing_ok=True)
        self._listed = set()

    def store(self) -> Path:
        """A private folder that keeps built pages between preview rebuilds (removed on close)."""
        if self._store is None:
            self._store = Path(tempfile.mkdtemp(prefix="client-portal-"))
        return self._store

    def kept(self, html: str) -> Path:
        """A page that names no client, written once to the store, so an unchanged one is not copied again."""
        target = self.store() / NEUTRAL / (hashlib.sha256(html.encode("utf-8")).hexdigest() + ".html")
        self._listed.add(target)
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(html, encoding="utf-8")
        return target

    def close(self) -> None:
        """Stop the worker processes, and remove the pages kept for previewing."""
        self.workers.close()
        if self._store is not None:
            shutil.rmtree(self._store, ignore_errors=True)
            self._store = None
