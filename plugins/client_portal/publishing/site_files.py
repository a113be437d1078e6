"""The portal's files besides the client pages: script, styles, neutral pages, robots.txt and _headers."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from datetime import date
from functools import cache
from html import escape

import rcssmin
import rjsmin

from client_portal.i18n import html_lang, page_locale
from client_portal.page.render import ASSETS_DIR, Assets, Renderer
from client_portal.publishing import crypto
from client_portal.publishing.addresses import replaced_folders
from client_portal.publishing.pages import PortalPage
from client_portal.records.model import Client
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


def neutral_pages(
    clients: list[Client],
    settings: PortalSettings,
    secret: bytes,
    renderer: Renderer,
    assets_for: Callable[[int], Assets],
    *,
    built: date | None = None,
    with_index: bool = True,
) -> dict[str, str]:
    """{path: HTML} of the pages that name no client: the prefix index (with the build's date) and replaced links."""
    locale = page_locale(settings.language)
    lang = html_lang(locale)

    # the index carries the secret's public fingerprint, so `client-portal build` and
    # `links --check` can tell whose pages a folder holds
    site = crypto.site_fingerprint(secret)

    def notice(kind: str, depth: int) -> str:
        day = built.isoformat() if built else ""
        return renderer.notice(kind, str(locale), lang, settings.freelancer, assets_for(depth), site, day)

    depth = settings.url_prefix.count("/") + 1
    index = notice("index", depth)
    pages = {f"{settings.url_prefix}/index.html": index} if with_index else {}
    replaced = notice("replaced", depth + 1)
    for client in clients:
        pages.update(
            (folder + "index.html", replaced) for folder in replaced_folders(settings.url_prefix, secret, client)
        )
    return pages


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


def serve_index(pages: list[PortalPage], site_path: str = "/") -> str:
    """A plain list of every client link, for `mkdocs serve` only: never part of a build.

    ``site_path`` is where the site is served (the path of ``site_url``, such as ``/portal/``).
    """
    root = "/" + site_path.strip("/") + "/" if site_path.strip("/") else "/"
    items = "\n".join(
        f"<li><strong>{escape(p.client.record.name)}</strong> <small>({escape(p.client.record.access.mode)})</small>"
        + "".join(f'<br><a href="{escape(root + link.path)}">{escape(link.contact)}</a>' for link in p.links)
        + (f"<br><small>{escape(p.notice)}</small>" if p.notice else "")
        + "</li>"
        for p in sorted(pages, key=lambda p: p.client.record.name.lower())
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="robots" content="noindex"><meta name="referrer" content="no-referrer">'
        "<title>Client pages (local preview)</title></head>"
        '<body style="font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem">'
        "<h1>Client pages</h1><p>Local preview only: this list is never published.</p>"
        f"<ul>{items}</ul></body></html>"
    )
