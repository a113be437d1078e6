"""Every link inside a built site leads somewhere: each internal href and src, and each #anchor.

Usage: python scripts/check_links.py SITE_DIR [SITE_URL]
Reads every HTML file of SITE_DIR; a link to another site is left alone, a link inside it
must name a file that exists (a folder through its index.html) and, with a fragment, an
element with that id or name. SITE_URL is where the site is published: links to it, and
links from the root of its host (/path/...), are inside the site. Prints each broken link
with the page it is on; exit 1 if any.
"""

from __future__ import annotations

import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

LINKING = {"href", "src"}


class Page(HTMLParser):
    """The links one page makes and the anchors it offers."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.anchors: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in LINKING and not (tag == "link" and ("rel", "preconnect") in attrs):
                self.links.append(value)
            if name == "id" or (tag == "a" and name == "name"):
                self.anchors.add(value)


def read(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def target(site: Path, page: Path, link: str, site_url: str = "/") -> tuple[Path, str] | None:
    """The file a link names inside the site, and its fragment; None for a link elsewhere."""
    published = urlsplit(site_url)
    parts = urlsplit(link)
    if parts.scheme and parts.netloc == published.netloc and published.netloc:
        parts = parts._replace(scheme="", netloc="")  # a full link to the site itself
    if parts.scheme or parts.netloc or link.startswith(("mailto:", "data:", "javascript:")):
        return None
    if not parts.path:
        return page, parts.fragment
    if parts.path.startswith("/"):
        root = published.path or "/"
        if not parts.path.startswith(root):
            return site.parent / "outside the site", parts.fragment
        base, relative = site, parts.path[len(root) :]
    else:
        base, relative = page.parent, parts.path
    path = (base / unquote(relative)).resolve()
    if path.is_dir() or parts.path.endswith("/"):
        path = path / "index.html"
    return path, parts.fragment


def broken_links(site: Path, site_url: str = "/") -> tuple[list[str], int]:
    """Each broken internal link, as "page: link (why)", and how many internal links were checked."""
    site = site.resolve()
    pages = {path: read(path) for path in sorted(site.rglob("*.html"))}
    found = []
    checked = 0
    for path, page in pages.items():
        shown = path.relative_to(site).as_posix()
        for link in page.links:
            aim = target(site, path, link, site_url)
            if aim is None:
                continue
            checked += 1
            file, fragment = aim
            if not file.is_relative_to(site):
                found.append(f"{shown}: {link} (outside the site)")
            elif not file.is_file():
                found.append(f"{shown}: {link} (no such file)")
            elif fragment and file.suffix == ".html":
                anchors = (pages.get(file) or read(file)).anchors
                if unquote(fragment) not in anchors:
                    found.append(f"{shown}: {link} (no anchor #{fragment})")
    return found, checked


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2) or not Path(argv[0]).is_dir():
        print(__doc__, file=sys.stderr)
        return 2
    site = Path(argv[0])
    found, checked = broken_links(site, argv[1] if len(argv) == 2 else "/")
    for line in found:
        print(line)
    pages = sum(1 for _ in site.rglob("*.html"))
    print(f"{pages} pages, {checked} internal links and anchors: {len(found)} broken")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
