"""One build of every client page, whatever generator built the rest of the site (or none).

The MkDocs plugin, ``client-portal build`` and ``client-portal serve`` all build through
`Portal.build`, and take the site's files from the list its result gives (`BuiltPortal.files`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from client_portal.publishing.errors import BuildError, PublishError
from client_portal.publishing.pages import PageInputs, PortalPage
from client_portal.publishing.pipeline import Outcome, Pipeline
from client_portal.publishing.site_files import BuiltPortal, page_assets
from client_portal.records.loader import read_clients, record_files
from client_portal.records.problems import Problem, RecordError
from client_portal.settings import CACHE_DIR, PortalSettings, build_date

# The private folders in the cache where a build writes its pages before they are placed: pages-<pid>-<random>
STAGING = "pages-"
# The last build's client pages, set aside from the site by the next (`site_folder.set_aside`): the
# build after writes its pages over them, so each page's folder is made once, not removed and made again.
RECYCLED = "recycled-pages"


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
        workers: int | None = None,
    ) -> None:
        self.settings = settings
        self.live_reload = live_reload  # `mkdocs serve`: pages let MkDocs' reload script run
        self.secret = secret
        # A user's own templates and icons come before the package's.
        self.search_path: tuple[Path, ...] = (custom_dir,) if custom_dir is not None else ()
        self.custom_dir = custom_dir
        self.pipeline = Pipeline(workers=workers, remember=remember)

    @property
    def depth(self) -> int:
        """How many folders below the site root a client page sits: ``<url_prefix>/<token>/index.html``."""
        return self.settings.url_prefix.count("/") + 2

    def build(self, environ: Mapping[str, str] = os.environ) -> BuiltPortal:
        """Read and check every record and attached file, and build every page into a private folder.

        Nothing is written into the site: the result's `BuiltPortal.files` lists what goes
        there. Raises `BuildError`, with every problem found, when a page cannot be built.
        """
        return self.start(environ).result()

    def start(self, environ: Mapping[str, str] = os.environ, *, later: int = 0) -> Building:
        """Read and check every record and attached file, and start building every page into a private folder.

        Raises `BuildError`, with every problem found, when a page cannot be built. With
        ``later``, the pages of that many records a worker at most (all checked) are still
        being built on the workers when this returns, while the caller does other work: the MkDocs
        plugin has them built while MkDocs writes its own pages. `Building.result` waits.
        """
        settings = self.settings
        try:
            today = build_date(settings.today)
        except ValueError as error:  # a malformed SOURCE_DATE_EPOCH
            raise BuildError(str(error)) from None
        if not settings.clients_dir.is_dir():
            _, problems = read_clients(settings.clients_dir, today=today, relative_to=settings.root)
            raise BuildError(f"invalid client records:\n{RecordError(problems)}")
        cache = settings.root / CACHE_DIR
        _sweep_staging(cache)
        written_over = False  # the pages of the build before, recycled into the staging folder
        if self.pipeline.remember:
            staging, folder = None, self.pipeline.store()
        else:
            cache.mkdir(parents=True, exist_ok=True)
            staging = folder = Path(tempfile.mkdtemp(prefix=f"{STAGING}{os.getpid()}-", dir=cache))
            written_over = _recycle(cache / RECYCLED, staging / settings.url_prefix)
        inputs = PageInputs(
            settings, self.secret, today, self.search_path, page_assets(self.depth), live_reload=self.live_reload
        )
        records = record_files(settings.clients_dir)
        try:
            outcome = self.pipeline.run(records, inputs, self.custom_dir, environ, folder, later=later)
        except PublishError as error:
            _discard(staging)
            raise BuildError(str(error)) from None
        except BaseException:
            _discard(staging)
            raise
        if outcome.records or outcome.files:
            _discard(staging)
            if outcome.records:
                raise BuildError(f"invalid client records:\n{RecordError(outcome.records)}")
            raise BuildError(_attachment_message(outcome.files))
        kept = self.pipeline.kept if self.pipeline.remember else None
        return Building(inputs, outcome, staging, written_over, kept)

    def close(self) -> None:
        """Stop the worker processes and remove what was kept for previewing."""
        self.pipeline.close()


@dataclass(frozen=True)
class Building:
    """A build whose records are all checked, and whose last pages may still be underway on the workers."""

    inputs: PageInputs
    outcome: Outcome
    staging: Path | None  # the private folder the pages are written into, when not kept for previewing
    written_over: bool  # whether it holds the pages of the build before, recycled
    kept: Callable[[str], Path] | None  # previewing: writes a neutral page once, to a kept file

    def result(self) -> BuiltPortal:
        """Every page, once built. Raises `BuildError` when one cannot be (its private folder then removed)."""
        # what the recycled folder held, listed while the workers may still write the last pages
        listed = _listed(self.staging) if self.staging is not None and self.written_over else None
        try:
            pages = self.outcome.pages()
        except PublishError as error:
            self.discard()  # the workers' other pages too
            raise BuildError(str(error)) from None
        except BaseException:
            self.discard()
            raise
        if self.staging is not None and listed is not None:  # a fresh folder holds only what this build wrote
            _prune(self.staging, listed, _site_paths(self.inputs.settings, pages))
        return BuiltPortal(self.inputs, pages, self.outcome.reused, self.staging, self.outcome.renderer, self.kept)

    def discard(self) -> None:
        """Give up the build: its pages not begun are not built, and its private folder is removed."""
        self.outcome.abandon()
        _discard(self.staging)


def _recycle(recycled: Path, folder: Path) -> bool:
    """The recycled pages, if any, become ``folder`` for this build to write over: one rename, by one build.

    Whether there were any.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        recycled.rename(folder)
    except OSError:  # none, or another build took them
        return False
    return True


def _site_paths(settings: PortalSettings, pages: list[PortalPage]) -> set[str]:
    """Every file of the site a build writes into its staging folder or has its front end write there.

    The pages (each client's with its attached files and the neutral page at each of its
    replaced addresses), and the prefix index, which every front end writes over what a
    recycled folder holds.
    """
    paths = {site_file.path for page in pages for site_file in page.files}
    paths.add(f"{settings.url_prefix}/index.html")
    return paths


def _listed(staging: Path) -> list[tuple[str, bool, bool]]:
    """Every entry under ``staging`` as its site path, whether it is a folder and whether a link: a folder after
    what it holds."""
    found: list[tuple[str, bool, bool]] = []

    def walk(folder: str, under: str) -> None:
        with os.scandir(folder) as entries:
            for entry in entries:
                path = under + entry.name
                if entry.is_dir(follow_symlinks=False):
                    walk(entry.path, path + "/")
                    found.append((path, True, False))
                else:
                    found.append((path, False, entry.is_symlink()))

    walk(str(staging), "")
    return found


def _prune(staging: Path, listed: list[tuple[str, bool, bool]], kept: set[str]) -> None:
    """Remove from ``staging`` every file an earlier build left that this one does not write (a recycled folder's).

    A client removed, an address replaced, a file no longer attached: none of the last
    build's pages may stay published unless this build wrote it again. ``listed`` is what
    the folder held (`_listed`) before this build's last pages were written, and ``kept``
    the site paths this build writes; a link is never kept.
    """
    holding: set[str] = set()  # the folders of kept files
    for path in kept:
        parent = path.rpartition("/")[0]
        while parent and parent not in holding:
            holding.add(parent)
            parent = parent.rpartition("/")[0]
    root = str(staging)
    for path, folder, link in listed:
        where = os.path.join(root, path)
        if folder:
            if path not in holding:  # nothing in it is kept: what it held is removed already
                shutil.rmtree(where, ignore_errors=True)
        elif path not in kept or (link and os.path.islink(where)):
            # gone already, or a folder of this build's now (in place of a file)
            with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                os.unlink(where)


def _discard(staging: Path | None) -> None:
    if staging is not None:
        shutil.rmtree(staging, ignore_errors=True)


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
