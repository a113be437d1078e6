"""One client's page: its context rendered, sealed unless unlisted, with its attached files and links."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from client_portal.decisions.line import PAGE, DecisionLine
from client_portal.i18n import html_lang, page_locale
from client_portal.page.logo import LogoError, logo_data_uri
from client_portal.page.render import Assets, Renderer, ShellError
from client_portal.page.view import DecisionLines, page_context
from client_portal.publishing import crypto
from client_portal.publishing.addresses import Link, client_folder, client_links, replaced_folders
from client_portal.publishing.attachments import AttachmentError, SealedFile, find_attachments, seal_attachments
from client_portal.publishing.calendar_feed import feed_file
from client_portal.publishing.ended_links import kept_and_ended
from client_portal.publishing.errors import PublishError
from client_portal.publishing.sealing import Sealing, sealed_json, sealings
from client_portal.records.loader import shown_path
from client_portal.records.model import Client
from client_portal.settings import CACHE_DIR, PortalSettings


@dataclass(frozen=True)
class SiteFile:
    """One file a client's build puts in the site: its content, or a file on disk copied as it is."""

    path: str  # relative to the site root
    content: str | bytes | None = None
    source: Path | None = None


@dataclass(frozen=True)
class PageOwner:
    """Whose page a `PortalPage` is: all a build needs of a client once its page is built.

    A page leaves its record behind: a worker sends back only this, and a build of 10,000
    clients does not keep 10,000 records in memory until the end.
    """

    id: str
    source: Path  # the record file
    name: str  # as the local index lists it
    mode: str  # ``access.mode``

    @classmethod
    def of(cls, client: Client) -> PageOwner:
        record = client.record
        return cls(client.id, client.source, record.name, record.access.mode)


@dataclass(frozen=True)
class PortalPage:
    """One built client: its folder in the site, its links and the files published in that folder."""

    owner: PageOwner
    folder: str  # relative to the site root, ending in "/"
    links: list[Link]
    files: tuple[SiteFile, ...]  # the page itself first
    notice: str | None = None  # said once in the build log (never a secret)
    attachments: tuple[SealedFile, ...] = ()  # encrypted files published in the page's folder

    @property
    def path(self) -> str:
        return self.folder + "index.html"

    @property
    def html(self) -> str:
        page = self.files[0]
        if page.content is None:
            assert page.source is not None
            return page.source.read_text(encoding="utf-8")
        return str(page.content)

    @property
    def token(self) -> str:
        return self.folder.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class PageInputs:
    """What every client page of one build shares: settings, secret, date, templates and asset URLs."""

    settings: PortalSettings
    secret: bytes
    today: date
    search_path: tuple[Path, ...]  # the theme's template folders, before the package's own
    assets: Assets  # every client folder sits at the same depth
    live_reload: bool = False  # `mkdocs serve`: the page lets MkDocs' reload script run


# Who can open a sealed page, the password KDF parameters, and a notice for the log.


def client_page(
    client: Client,
    inputs: PageInputs,
    renderer: Renderer,
    sealing: Sealing | None,
    logo_src: str | None,
    *,
    replaced: str | None = None,
) -> PortalPage:
    """One client's build: its page, rendered and (unless unlisted) encrypted, and its links.

    Its files are the page, its attached files and calendar feed, and the neutral page
    at each of its earlier addresses (``replaced``: `replaced_page`, the same for every
    client of a build, rendered here when not given).
    A pure function of its arguments, so pages can be built in any process and in any order.
    Whether the page is readable comes from ``access.mode`` alone; a page that should be
    sealed and has no sealing (or the reverse) is a bug upstream, and stops the build
    rather than publishing a private page in clear at its encrypted address.
    """
    settings = inputs.settings
    mode = client.record.access.mode
    readable = mode == "unlisted"
    if readable != (sealing is None):
        raise PublishError(
            f"{client.id}: access mode {mode} but the page was {'given keys' if readable else 'given no keys'}"
            " to seal it with; nothing was published (this is a bug, please report it)"
        )
    folder = client_folder(settings.url_prefix, inputs.secret, client)
    links = client_links(settings, inputs.secret, client)
    token = folder.rstrip("/").rsplit("/", 1)[-1]
    # A readable (unlisted) page publishes no files: anyone with its address could fetch them.
    attached = [] if readable else _attachments(client, settings, inputs.secret, token)
    seen_key = crypto.whatsnew_key(inputs.secret, client.id, client.record.access.version)
    lines = decision_lines(inputs.secret, client)
    context = page_context(
        client, settings, inputs.today, whatsnew_key=seen_key, logo_src=logo_src, files=attached, decision_lines=lines
    )
    body = renderer.body(context)
    feed = feed_file(client, inputs.secret, settings, inputs.today)  # opt-in, in the open, beside the page's folder
    feeds: tuple[SiteFile, ...] = (SiteFile(*feed),) if feed is not None else ()
    neutral = replaced_page(inputs, renderer) if replaced is None else replaced
    feeds += tuple(
        SiteFile(earlier + "index.html", neutral)
        for earlier in replaced_folders(settings.url_prefix, inputs.secret, client)
    )
    if sealing is None:
        html = renderer.page(context, body=body, assets=inputs.assets, live_reload=inputs.live_reload)
        return PortalPage(PageOwner.of(client), folder, links, (SiteFile(folder + "index.html", html), *feeds))
    recipients, kdf, notice = sealing
    decoys = crypto.decoys_key(inputs.secret, client.id, client.record.access.version)
    recipients, ended = kept_and_ended(client.record, recipients, inputs.today, decoys)  # ended: no copy at all
    # a page nobody can open any more carries nothing worth opening
    content = renderer.sealed_body(body, inputs.assets) if recipients else ""
    shared = renderer.sealed_style(inputs.assets) if recipients else ""  # the same on every page: deflated once
    opened_by = crypto.seal_page(content, token, recipients, kdf, decoys=decoys, shared=shared)
    payload = sealed_json({**opened_by, "ended": ended}, mode)  # never empty: decoys pad it
    try:
        html = renderer.page(context, payload=payload, assets=inputs.assets, live_reload=inputs.live_reload)
    except ShellError as error:
        raise PublishError(f"{client.id}: {error}; nothing was published") from None
    # the encrypted files are copied from the cache folder, never held in memory
    # a file attached twice is one file in the site (MkDocs refuses two files at one address)
    sealed = {f.url: SiteFile(folder + f.url, source=f.sealed) for f in attached}
    files = (SiteFile(folder + "index.html", html), *sealed.values(), *feeds)
    return PortalPage(PageOwner.of(client), folder, links, files, notice)


def replaced_page(inputs: PageInputs, renderer: Renderer) -> str:
    """What each earlier address of a client's page shows: "this link was replaced". It names no client."""
    settings = inputs.settings
    locale = page_locale(settings.language)
    return renderer.notice("replaced", str(locale), html_lang(locale), settings.freelancer, inputs.assets)


def decision_lines(secret: bytes, client: Client) -> DecisionLines:
    """The decision lines of a client's page: signed here for a readable page, which holds no key to sign with.

    An encrypted page's lines leave the build without ``b`` and ``m``: its script signs them
    with the key that opened it, so a line says which contact's link or password decided.
    """
    if client.record.access.mode != "unlisted":
        return lambda item, decision, seen: str(DecisionLine(client.id, item, decision, seen, ""))
    key = crypto.decision_key_for_page(secret, client.id, client.record.access.version)
    return lambda item, decision, seen: str(DecisionLine(client.id, item, decision, seen, PAGE).with_mac(key))


def _attachments(client: Client, settings: PortalSettings, secret: bytes, token: str) -> list[SealedFile]:
    try:
        found = find_attachments(client, settings.clients_dir, shown_path(client.source, settings.root))
    except AttachmentError as error:
        raise PublishError(f"attached files cannot be published:\n{error}") from None
    return seal_attachments(found, secret, client, token, settings.root / CACHE_DIR)


def portal_pages(
    clients: list[Client],
    inputs: PageInputs,
    renderer: Renderer,
    environ: Mapping[str, str] = os.environ,
) -> list[PortalPage]:
    """Render and, unless unlisted, encrypt every client's page, one after the other."""
    keys = sealings(clients, inputs.secret, environ)
    replaced = replaced_page(inputs, renderer)
    return [
        client_page(
            client, inputs, renderer, keys.get(client.id), client_logo(client, inputs.settings), replaced=replaced
        )
        for client in clients
    ]


def client_logo(client: Client, settings: PortalSettings) -> str | None:
    """The client's logo as a data: URI, or None; a logo that cannot be read stops the build."""
    brand = client.record.brand
    if brand is None or brand.logo is None:
        return None
    try:
        return logo_data_uri(brand.logo, settings.clients_dir)
    except LogoError as error:
        raise PublishError(f"{client.id}: brand.logo: {error}") from None
