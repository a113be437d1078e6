"""Where each client page goes in the site, and what it contains."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from html import escape

from .crypto import url_token
from .model import Client
from .render import Assets, Renderer
from .settings import PortalSettings
from .view import page_context


@dataclass(frozen=True)
class PortalPage:
    """One built client page: its folder in the site and its finished HTML."""

    client: Client
    folder: str  # relative to the site root, ending in "/"
    html: str

    @property
    def path(self) -> str:
        return self.folder + "index.html"


def client_folder(settings: PortalSettings, secret: bytes, client: Client) -> str:
    """``<url_prefix>/<token>/``: stable across builds, new when ``access.version`` changes."""
    return f"{settings.url_prefix}/{url_token(secret, client.id, client.record.access.version)}/"


def portal_pages(
    clients: list[Client],
    settings: PortalSettings,
    secret: bytes,
    today: date,
    renderer: Renderer,
    assets_for: Callable[[int], Assets],
) -> list[PortalPage]:
    """Render every client's page."""
    pages = []
    for client in clients:
        folder = client_folder(settings, secret, client)
        context = page_context(client, settings, today)
        body = renderer.body(context)
        title = client.record.name
        html = renderer.page(context, body=body, title=title, assets=assets_for(folder.count("/")))
        pages.append(PortalPage(client, folder, html))
    return pages


def serve_index(pages: list[PortalPage]) -> str:
    """A plain list of every client page, for `mkdocs serve` only: never part of a build."""
    items = "\n".join(
        f'<li><a href="/{escape(p.folder)}">{escape(p.client.record.name)}</a> '
        f"<small>{escape(p.client.id)} · {escape(p.client.record.access.mode)}</small></li>"
        for p in sorted(pages, key=lambda p: p.client.record.name.lower())
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="robots" content="noindex"><title>Client pages (local preview)</title></head>'
        '<body style="font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem">'
        "<h1>Client pages</h1><p>Local preview only: this list is never published.</p>"
        f"<ul>{items}</ul></body></html>"
    )
