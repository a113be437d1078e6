"""The one list of the portal's files in the site: script, pages, neutral pages, robots.txt, _headers, local index."""

from __future__ import annotations

import dataclasses
import os
import posixpath
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import rcssmin
import rjsmin
from markupsafe import Markup

from client_portal.i18n import html_lang, page_locale, text_direction
from client_portal.page.render import ASSETS_DIR, Assets, Renderer, content_security_policy
from client_portal.publishing import crypto
from client_portal.publishing.pages import PageInputs, PortalPage, SiteFile
from client_portal.settings import PortalSettings

# How the audit recognises the two neutral pages allowed under the prefix.
REPLACED_MARKER = "data-cp-replaced"
PREFIX_INDEX_MARKER = "data-cp-prefix-index"
# The secret's public fingerprint in the prefix index: whose pages a folder holds.
SITE_MARK = re.compile(r'data-cp-site="([A-Za-z0-9_-]*)"')
BUILT_MARK = re.compile(r'data-cp-built="(\d{4}-\d{2}-\d{2})"')
PORTAL_ASSETS = "assets/client-portal"
# What every client page loads; it needs no theme. The stylesheets, in this order, are inlined.
# What shows before a page opens (its gate, the neutral pages) is styled in <head>; the page's
# own sections are styled inside its encrypted body, where deflate makes them a quarter as long.
STYLESHEETS = ("base.css", "shell.css")
PAGE_STYLESHEETS = ("portal.css",)
SCRIPT = "portal.js"


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


def prefix_index(
    settings: PortalSettings, secret: bytes, renderer: Renderer, assets_for: Callable[[int], Assets], built: date
) -> str:
    """The neutral page of the prefix folder itself, naming no client, with the build's date.

    (The other neutral pages, at each client's replaced addresses, come with that client's
    page: `pages.replaced_page`.)
    """
    locale = page_locale(settings.language)
    # the index carries the secret's public fingerprint, so `client-portal build` and
    # `links --check` can tell whose pages a folder holds
    site = crypto.site_fingerprint(secret)
    depth = settings.url_prefix.count("/") + 1
    return renderer.notice(
        "index", str(locale), html_lang(locale), settings.freelancer, assets_for(depth), site, built.isoformat()
    )


def robots_rules(existing: str, prefix: str) -> str:
    """robots.txt that keeps crawlers out of the client prefix without naming any page."""
    rule = f"Disallow: /{prefix}/"
    if rule in existing:
        return existing
    if existing.strip():
        return existing.rstrip("\n") + f"\n\nUser-agent: *\n{rule}\n"
    return f"User-agent: *\n{rule}\n"


def headers_rules(existing: str, prefix: str) -> str:
    """A `_headers` file for hosts that honour it, with the client prefix's rules after any the site has."""
    rules = _prefix_headers(prefix)
    if rules in existing:
        return existing
    if existing.strip():
        return existing.rstrip("\n") + "\n\n" + rules
    return rules


def _prefix_headers(prefix: str) -> str:
    """The same protections as the pages' own meta elements, as HTTP headers."""
    return (
        f"/{prefix}/*\n"
        "  X-Robots-Tag: noindex, nofollow, noarchive\n"
        "  Referrer-Policy: no-referrer\n"
        "  X-Content-Type-Options: nosniff\n"
        "  Cache-Control: no-cache\n"
        # frame-ancestors works only as a header; the pages' own <meta> policy covers the rest
        "  Content-Security-Policy: frame-ancestors 'none'; base-uri 'none'; form-action 'none'; object-src 'none'\n"
        "  X-Frame-Options: DENY\n"
    )


def local_index(
    pages: list[PortalPage], settings: PortalSettings, renderer: Renderer, *, site_path: str, live_reload: bool
) -> str:
    """Every client's links on one page, in the freelancer's language: for previewing only, never part of a build.

    ``site_path`` is where the site is served (the path of ``site_url``, such as ``/portal/``).
    """
    locale = page_locale(settings.language)
    root = "/" + site_path.strip("/") + "/" if site_path.strip("/") else "/"
    clients = [
        {
            "name": page.owner.name,
            "mode": page.owner.mode,
            "links": [(link.contact, root + link.path) for link in page.links],
            "notice": page.notice,
        }
        for page in sorted(pages, key=lambda page: page.owner.name.lower())
    ]
    assets = page_assets(settings.url_prefix.count("/") + 1)
    template = renderer.environment(str(locale)).get_template("client-portal/local-index.html")
    return template.render(
        lang=html_lang(locale),
        dir=text_direction(str(locale)),
        clients=clients,
        assets=assets,
        stylesheet=Markup(assets.stylesheet),  # noqa: S704 - the package's own stylesheet
        csp=Markup(content_security_policy([assets.stylesheet], live_reload=live_reload)),  # noqa: S704 - no user text
    )


# Files the generator may have written, which the portal extends rather than replaces.
EXTENDED = ("robots.txt", "_headers")


@dataclass(frozen=True)
class BuiltPortal:
    """One build's pages, waiting in a private folder: what the portal's part of the site is made of."""

    inputs: PageInputs
    pages: list[PortalPage]
    reused: int  # pages taken over unchanged from the build before (previewing)
    staging: Path | None  # the private folder the pages wait in, when not kept for previewing
    renderer: Renderer  # the build's templates, compiled
    kept: Callable[[str], Path] | None = None  # previewing: writes a neutral page once, to a kept file

    def files(
        self, existing: Callable[[str], str] = lambda path: "", *, local_index_at: str | None = None
    ) -> Iterator[SiteFile]:
        """Every file of the portal's part of the site, once: where it goes, and its content or the file holding it.

        The script every page loads, each client's page, attached files and replaced
        addresses, the prefix index, and robots.txt and _headers as
        ``existing`` (the generator's own text of each, "" for none) extended with the
        portal's rules. Previewing (``local_index_at``: the path the site is served at),
        the prefix index is the local index of every client's links instead.
        """
        settings = self.inputs.settings
        prefix = settings.url_prefix
        yield from (SiteFile(path, content) for path, content in asset_files().items())
        for page in self.pages:
            yield from page.files
        renderer = self.renderer
        if local_index_at is None:
            index = prefix_index(settings, self.inputs.secret, renderer, page_assets, self.inputs.today)
        else:
            live_reload = self.inputs.live_reload
            index = local_index(self.pages, settings, renderer, site_path=local_index_at, live_reload=live_reload)
        path = f"{prefix}/index.html"
        if self.kept is None:
            yield SiteFile(path, index)
        else:  # kept, an unchanged page is not written again by `mkdocs serve --dirty`
            yield SiteFile(path, source=self.kept(index))
        yield SiteFile("robots.txt", robots_rules(existing("robots.txt"), prefix))
        if settings.headers_file:
            yield SiteFile("_headers", headers_rules(existing("_headers"), prefix))

    def placed(self, site_dir: Path) -> BuiltPortal:
        """The pages moved from the private folder to where they belong in ``site_dir``.

        Into a site with no folder of client pages yet (a generator emptied it), the
        private folder's moves whole: one rename for every page. Otherwise each page's
        folder moves on its own.
        """
        if self.staging is None:
            return self
        prefix = self.inputs.settings.url_prefix
        whole = self.staging / prefix
        target = site_dir / prefix
        moved = None
        if whole.is_dir() and not target.exists() and not target.is_symlink():
            target.parent.mkdir(parents=True, exist_ok=True)
            whole.rename(target)
            moved = prefix + "/"
        pages = [_moved(page, self.staging, site_dir, moved) for page in self.pages]
        self.discard()
        return dataclasses.replace(self, pages=pages, staging=None)

    def discard(self) -> None:
        """Remove the private folder of pages that were not placed (a failed or an abandoned build)."""
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)


def _moved(page: PortalPage, staging: Path, site_dir: Path, moved: str | None = None) -> PortalPage:
    """A page built into ``staging``, moved to where it belongs in ``site_dir``.

    ``moved`` is the site folder that already moved whole, with every file in it: those
    are only given their new place, with no look at the disk. Otherwise the page's folder
    moves whole when the site has none of that name yet: one rename, where moving each
    file and removing the emptied folder costs the disk a write per folder.
    """
    if moved is None or not page.folder.startswith(moved):
        folder, target = staging / page.folder, site_dir / page.folder
        if folder.is_dir() and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            folder.rename(target)
    staged = str(staging) + os.sep
    files = []
    for site_file in page.files:
        source = site_file.source
        if source is None or not str(source).startswith(staged):
            files.append(site_file)  # attached files stay in the cache folder, copied from there
            continue
        target = site_dir / site_file.path
        if not (moved and site_file.path.startswith(moved)) and source.exists():  # its folder could not move whole
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(source, target)  # a rename on one file system
        files.append(SiteFile(site_file.path, source=target))
    return dataclasses.replace(page, files=tuple(files))
