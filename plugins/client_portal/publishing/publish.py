"""Where each client page goes in the site, who can open it, and its finished HTML."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from html import escape
from pathlib import Path

from client_portal.decisions.line import PAGE, DecisionLine
from client_portal.i18n import html_lang, page_locale
from client_portal.page.logo import LogoError, logo_data_uri
from client_portal.page.render import Assets, Renderer, ShellError
from client_portal.page.view import DecisionLines, page_context
from client_portal.publishing import crypto
from client_portal.publishing.attachments import (
    AttachmentError,
    SealedFile,
    find_attachments,
    seal_attachments,
)
from client_portal.publishing.passwords import PasswordsError, portal_passwords, where_to_set
from client_portal.records.loader import shown_path
from client_portal.records.model import Client, Contact
from client_portal.settings import CACHE_DIR, PortalSettings

MIN_PASSWORD = 10
# How the audit recognises the two neutral pages allowed under the prefix.
REPLACED_MARKER = "data-cp-replaced"
PREFIX_INDEX_MARKER = "data-cp-prefix-index"
# The secret's public fingerprint in the prefix index: whose pages a folder holds.
SITE_MARK = re.compile(r'data-cp-site="([A-Za-z0-9_-]*)"')
BUILT_MARK = re.compile(r'data-cp-built="(\d{4}-\d{2}-\d{2})"')


class PublishError(Exception):
    """A page cannot be built safely (a password is missing in CI, say)."""


@dataclass(frozen=True)
class Link:
    """One person's way in: the page URL, with their key in the fragment in link mode."""

    contact: str
    path: str  # relative to the site root; the fragment holds the key in link mode

    def url(self, base_url: str) -> str:
        """The full link for a site published at ``base_url``."""
        return base_url.rstrip("/") + "/" + self.path


@dataclass(frozen=True)
class SiteFile:
    """One file a client's build puts in the site: its content, or a file on disk copied as it is."""

    path: str  # relative to the site root
    content: str | bytes | None = None
    source: Path | None = None


@dataclass(frozen=True)
class PortalPage:
    """One built client: its folder in the site, its links and the files published in that folder."""

    client: Client
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
Sealing = tuple[list[crypto.Recipient], dict[str, object] | None, str | None]


def client_folder(prefix: str, secret: bytes, client: Client) -> str:
    """``<url_prefix>/<token>/``: stable across builds, new when ``access.version`` or readability changes."""
    access = client.record.access
    return f"{prefix}/{crypto.url_token(secret, client.id, access.version, access.mode == 'unlisted')}/"


def replaced_folders(prefix: str, secret: bytes, client: Client) -> list[str]:
    """Every earlier address of a client's page: each older version, encrypted and readable.

    Each gets a neutral "this link was replaced" page, so an old link says what to do
    instead of showing the host's 404 page.
    """
    current = client_folder(prefix, secret, client)
    folders = (
        f"{prefix}/{crypto.url_token(secret, client.id, version, readable)}/"
        for version in range(1, client.record.access.version + 1)
        for readable in (False, True)
    )
    return [folder for folder in folders if folder != current]


def client_links(settings: PortalSettings, secret: bytes, client: Client) -> list[Link]:
    """One link per contact (key in the fragment in link mode; the bare page otherwise)."""
    folder = client_folder(settings.url_prefix, secret, client)
    record = client.record
    if record.access.mode != "link":
        names = [c.name for c in record.contacts] or [record.name]
        return [Link(name, folder) for name in names]
    return [Link(c.name, folder + "#" + crypto.b64url(_contact_key(secret, client, c))) for c in record.contacts]


def link_keys(secret: bytes, client: Client) -> list[str]:
    """The keys in a link-mode client's links, as the links carry them (for the audit to look for)."""
    if client.record.access.mode != "link":
        return []
    return [crypto.b64url(_contact_key(secret, client, contact)) for contact in client.record.contacts]


def _contact_key(secret: bytes, client: Client, contact: Contact) -> bytes:
    access = client.record.access
    return crypto.contact_key(secret, client.id, access.version, contact.identity, contact.key_version)


def _recipients(
    client: Client,
    secret: bytes,
    environ: Mapping[str, str],
    stretch: Callable[[str, bytes], bytes] = crypto.password_key,
) -> Sealing:
    """Who can open the page, the password KDF parameters, and a notice for the log."""
    record = client.record
    if record.access.mode == "link":
        return [crypto.Recipient.from_link(_contact_key(secret, client, c)) for c in record.contacts], None, None
    salt = crypto.password_salt(secret, client.id, record.access.version)
    try:
        listed = portal_passwords(environ)
    except PasswordsError as error:
        raise PublishError(f"{client.id}: {error}") from None
    recipients, missing = [], []
    for name, label in password_labels(secret, client):
        given = environ.get(name, "") or listed.get(name, "")
        if not given:
            missing.append(name)
        elif len(given) < MIN_PASSWORD:
            raise PublishError(
                f"{client.id}: the password in {name} is too short; use at least {MIN_PASSWORD} characters"
            )
        else:
            recipients.append(crypto.Recipient.from_password(stretch(given, salt), label))
    notice = None
    if missing and environ.get("CI"):
        unset = " and ".join(missing)
        verb = "is" if len(missing) == 1 else "are"
        raise PublishError(f"{client.id}: {unset} {verb} not set: {where_to_set(missing, environ)}")
    if missing:
        # Locally the page still builds; nobody can open it with the missing passwords.
        notice = (
            f"{client.id}: {', '.join(missing)} not set, so those passwords do not open the page; set them to preview"
        )
    return recipients, crypto.pbkdf2_parameters(salt), notice


class PasswordKeys:
    """PBKDF2 for each (password, salt) once per process: `mkdocs serve` rebuilds without paying it again.

    Keys are looked up by a hash of the password and salt, never by the password itself.
    """

    def __init__(self) -> None:
        self._stretched: dict[bytes, bytes] = {}

    def __call__(self, password: str, salt: bytes) -> bytes:
        """The PBKDF2 key of ``password`` with ``salt``, derived on the first call only."""
        lookup = hashlib.sha256(len(salt).to_bytes(2, "big") + salt + password.encode("utf-8")).digest()
        if lookup not in self._stretched:
            self._stretched[lookup] = crypto.password_key(password, salt)
        return self._stretched[lookup]


def client_sealing(
    client: Client, secret: bytes, environ: Mapping[str, str], stretch: Callable[[str, bytes], bytes]
) -> Sealing | None:
    """Who can open one client's page; None for a readable (unlisted) one."""
    return None if client.record.access.mode == "unlisted" else _recipients(client, secret, environ, stretch)


def sealings(
    clients: list[Client],
    secret: bytes,
    environ: Mapping[str, str] = os.environ,
    stretch: Callable[[str, bytes], bytes] = crypto.password_key,
) -> dict[str, Sealing]:
    """Who can open each encrypted page, by client id; password keys derived on every core."""
    # PBKDF2 costs ~0.1 s a password and releases the GIL, so threads run it on every core.
    sealed = [c for c in clients if c.record.access.mode != "unlisted"]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        found = pool.map(lambda c: _recipients(c, secret, environ, stretch), sealed)
        return dict(zip((c.id for c in sealed), found, strict=True))


def password_labels(secret: bytes, client: Client) -> list[tuple[str, str]]:
    """(variable name, label of its wrapped copy) for every password that opens a page.

    A personal password's label changes with that person's ``key_version``; the shared
    one's with anyone's, since nobody can tell who typed it.
    """
    record = client.record
    version = record.access.version
    labels = [
        (c.password_env, crypto.recipient_label(secret, client.id, version, "person", c.identity, c.key_version))
        for c in record.contacts
        if c.password_env
    ]
    if record.access.password_env:
        versions = [c.key_version for c in record.contacts]
        labels.append(
            (record.access.password_env, crypto.recipient_label(secret, client.id, version, "shared", *versions))
        )
    return labels


def client_page(
    client: Client, inputs: PageInputs, renderer: Renderer, sealing: Sealing | None, logo_src: str | None
) -> PortalPage:
    """One client's build: its page, rendered and (unless unlisted) encrypted, and its links.

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
    if sealing is None:
        html = renderer.page(context, body=body, assets=inputs.assets, live_reload=inputs.live_reload)
        return PortalPage(client, folder, links, (SiteFile(folder + "index.html", html),))
    recipients, kdf, notice = sealing
    decoys = crypto.decoys_key(inputs.secret, client.id, client.record.access.version)
    content = renderer.sealed_body(body, inputs.assets)
    shared = renderer.sealed_style(inputs.assets)  # the same on every page: deflated once
    payload = sealed_json(crypto.seal_page(content, token, recipients, kdf, decoys=decoys, shared=shared), mode)
    try:
        html = renderer.page(context, payload=payload, assets=inputs.assets, live_reload=inputs.live_reload)
    except ShellError as error:
        raise PublishError(f"{client.id}: {error}; nothing was published") from None
    # the encrypted files are copied from the cache folder, never held in memory
    # a file attached twice is one file in the site (MkDocs refuses two files at one address)
    sealed = {f.url: SiteFile(folder + f.url, source=f.sealed) for f in attached}
    files = (SiteFile(folder + "index.html", html), *sealed.values())
    return PortalPage(client, folder, links, files, notice)


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
    return [
        client_page(client, inputs, renderer, keys.get(client.id), client_logo(client, inputs.settings))
        for client in clients
    ]


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


def client_logo(client: Client, settings: PortalSettings) -> str | None:
    """The client's logo as a data: URI, or None; a logo that cannot be read stops the build."""
    brand = client.record.brand
    if brand is None or brand.logo is None:
        return None
    try:
        return logo_data_uri(brand.logo, settings.clients_dir)
    except LogoError as error:
        raise PublishError(f"{client.id}: brand.logo: {error}") from None


def sealed_json(payload: dict[str, object], mode: str) -> str:
    """The payload as JSON that is safe inside a <script type="application/json"> element."""
    text = json.dumps({**payload, "mode": mode}, separators=(",", ":"), sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


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
