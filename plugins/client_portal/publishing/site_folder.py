"""Writing the portal into a built site folder: claiming the prefix, the files written, refusals, pages kept aside.

`build_into` is the whole flow of ``client-portal build`` for a site folder that a
generator (or nobody) has already written.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import uuid
from collections.abc import Collection, Iterable, Mapping
from functools import partial
from pathlib import Path

from client_portal.publishing import crypto
from client_portal.publishing.errors import BuildError
from client_portal.publishing.pages import PortalPage, SiteFile
from client_portal.publishing.portal import RECYCLED, STAGING, Portal
from client_portal.publishing.secret import SECRET_FILE
from client_portal.publishing.site_files import PREFIX_INDEX_MARKER, SITE_MARK
from client_portal.settings import CACHE_DIR, PortalSettings


def claim_prefix(
    site_dir: Path, prefix: str, secret: bytes, written: Collection[str] = (), *, cache: Path | None = None
) -> threading.Thread | None:
    """Empty the prefix folder of a site for new client pages, or refuse when it is not ours to empty.

    With a ``cache`` folder, the old pages are `set_aside` there: the thread removing them is returned.

    Ours: its index carries this secret's fingerprint (an earlier `client-portal build`
    or plugin build) and every other file in it is one an earlier build wrote there
    (``written``, from the cache). Not ours: pages built with another secret, or the
    generator's own public pages, which would be published among the client pages, and
    which are never deleted (a copied index carries the fingerprint too).
    """
    folder = site_dir / prefix
    if not folder.is_dir() or not any(folder.iterdir()):
        return None
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
    removal = set_aside(folder, cache) if cache is not None else None
    if folder.is_dir():  # it could not move
        shutil.rmtree(folder)
    return removal


def set_aside(folder: Path, cache: Path) -> threading.Thread | None:
    """``folder`` (a site's client pages of the last build) moved into ``cache`` at once, and kept or removed there.

    Emptying it file by file costs a second for ten thousand pages before the new ones can
    be placed; a rename costs nothing. The folder is kept as the recycled pages the next
    build writes over (`portal.RECYCLED`), or, when there are some already, removed in the
    background as a staging folder, which the next build sweeps if this process is killed
    first. Returns the thread that removes it (to be joined), or None when there is none.
    A folder that cannot move (not a folder, the cache on another file system) stays.
    """
    if folder.is_symlink() or not folder.is_dir():
        return None
    cache.mkdir(parents=True, exist_ok=True)
    if not (cache / RECYCLED).exists():
        try:  # kept for the next build to write its pages over
            folder.rename(cache / RECYCLED)
            return None
        except OSError:
            pass
    aside = cache / f"{STAGING}{os.getpid()}-{uuid.uuid4().hex}"
    try:
        folder.rename(aside)
    except OSError:
        return None
    removal = threading.Thread(target=shutil.rmtree, args=(aside, True), name="client-portal-set-aside")
    removal.start()
    return removal


# While `mkdocs serve` rebuilds, the last rebuild's client pages wait here in the site folder: MkDocs
# empties the folder of everything but hidden entries before each rebuild (its `clean_directory`).
KEPT_ASIDE = ".client-portal-pages"


def keep_aside(site_dir: Path, prefix: str) -> None:
    """While serving: the folder of client pages moved out of MkDocs' way before it empties the site folder.

    Emptied, 1,000 clients' page folders took MkDocs a fifth of a second to remove and the
    rebuild as long to make again, most of a preview's rebuild; `take_back` puts them back.
    A folder left aside by a rebuild that failed stays aside, unless the site has new pages.
    """
    folder, aside = site_dir / prefix, site_dir / KEPT_ASIDE
    if not folder.is_dir() or folder.is_symlink():
        return
    if aside.exists() or aside.is_symlink():
        shutil.rmtree(aside, ignore_errors=True)
    folder.rename(aside)


def take_back(site_dir: Path, prefix: str, stale: Iterable[str]) -> None:
    """The folder `keep_aside` moved, back where it was, without ``stale``: the files of the last rebuild
    that this one does not write (a client removed, a file no longer attached). Written pages are linked again."""
    folder, aside = site_dir / prefix, site_dir / KEPT_ASIDE
    if not aside.is_dir() or aside.is_symlink():
        return
    if folder.exists() or folder.is_symlink():  # the site has a folder of that name now: the pages go
        shutil.rmtree(aside, ignore_errors=True)
        return
    folder.parent.mkdir(parents=True, exist_ok=True)
    aside.rename(folder)
    emptied: set[Path] = set()
    for path in stale:
        if path.startswith(prefix + "/"):
            target = site_dir / path
            target.unlink(missing_ok=True)
            emptied.add(target.parent)
    for parent in sorted(emptied, key=lambda path: len(path.parts), reverse=True):  # the deepest first
        while parent != folder and parent.is_relative_to(folder):
            try:
                parent.rmdir()
            except OSError:  # not empty: another file of the page is still there
                break
            parent = parent.parent


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


def build_into(
    site_dir: Path,
    settings: PortalSettings,
    secret: bytes,
    custom_dir: Path | None = None,
    environ: Mapping[str, str] = os.environ,
) -> list[PortalPage]:
    """Write the portal's files (`BuiltPortal.files`) into a site a generator (or nobody) has already written."""
    refuse_publishing_records(site_dir, settings)
    listing = _written_list(site_dir, settings)
    portal = Portal(settings, secret, custom_dir)
    try:
        built = portal.build(environ)  # every record checked before the site is touched
    finally:
        portal.close()
    removal = None
    try:
        cache = settings.root / CACHE_DIR
        removal = claim_prefix(site_dir, settings.url_prefix, secret, _written_before(listing), cache=cache)
        built = built.placed(site_dir)
    finally:
        built.discard()
    write_files(site_dir, built.files(partial(_extended, site_dir)))
    _remember_written(listing, site_dir, settings.url_prefix)
    if removal is not None:
        removal.join()
    return built.pages


def write_files(site_dir: Path, files: Iterable[SiteFile]) -> None:
    """Write each of the portal's files into ``site_dir``, where its pages were placed already.

    A file with content is written; one with a source elsewhere is linked in (attached
    files, sealed in the cache, and a preview's kept pages); a placed page is left as it is.
    """
    root = os.path.join(site_dir, "")
    for site_file in files:
        source = site_file.source
        if site_file.content is None and (source is None or str(source) == root + site_file.path):
            continue  # placed (compared as text: a path made for each of 2,000 pages costs a hundredth of a second)
        target = site_dir / site_file.path
        if site_file.content is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            content = site_file.content
            target.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        elif source is not None and source != target:
            linked(source, target)


def linked(source: Path, target: Path) -> Path:
    """``source`` at ``target`` as a hard link (a copy where the file system has none): ``target``.

    A preview places every page again after each edit; a link costs no copy of the page. An
    attached file, sealed in the cache, is linked into the site too: stored once, not twice.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        if target.exists():
            if target.samefile(source):
                return target
            target.unlink()
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
    return target


def _extended(site_dir: Path, path: str) -> str:
    """A file the generator may have written (robots.txt, _headers), to be extended, never replaced."""
    existing = site_dir / path
    return existing.read_text(encoding="utf-8") if existing.is_file() else ""
