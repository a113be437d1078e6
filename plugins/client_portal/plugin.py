"""The MkDocs adapter: reads the settings, loads the records, places the client pages."""

from __future__ import annotations

import posixpath
from datetime import date
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import ConfigurationError, PluginError
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files

from .attachments import attachment_problems
from .builder import PARALLEL_FROM, PageBuilder
from .config import PortalConfig, settings_from_config
from .loader import load_client, load_clients, record_files, shown_path
from .model import Client
from .problems import RecordError
from .publish import (
    PageInputs,
    PortalPage,
    PublishError,
    headers_file,
    neutral_pages,
    robots_rules,
    serve_index,
)
from .render import ASSETS_DIR, Assets, Renderer
from .secret import SecretError, SiteSecret, site_secret
from .settings import PortalSettings, build_date

log = get_plugin_logger(__name__)

PORTAL_ASSETS = "assets/client-portal"


class PortalPlugin(BasePlugin[PortalConfig]):
    """Turns ``clients/<id>.yml`` records into private client pages."""

    def __init__(self) -> None:
        self.serving = False
        self.settings: PortalSettings | None = None
        self.secret: SiteSecret | None = None
        self.clients: list[Client] = []
        self.today: date | None = None
        self.pages: list[PortalPage] = []
        # Kept across `mkdocs serve` rebuilds (MkDocs keeps a plugin that has on_startup):
        # unchanged records and pages are reused, and password keys derived once.
        self.builder = PageBuilder()
        self.known: dict[str, Client] = {}

    def on_startup(self, *, command: Literal["build", "gh-deploy", "serve"], dirty: bool) -> None:
        self.serving = command == "serve"
        self.builder.remember = self.serving

    def on_shutdown(self) -> None:
        self.builder.close()

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        try:
            self.settings = settings_from_config(self.config, config.config_file_path, config.site_url)
            self.secret = site_secret(self.settings.root, self.settings.secret_env)
        except (ConfigurationError, SecretError) as error:
            raise PluginError(f"client-portal: {error}") from None
        if self.secret.generated:
            # info, not a warning: a fresh clone must build under `strict: true`
            log.info(
                "No %s set: generated a local site secret in %s (git-ignored). Set %s in CI so links stay the same.",
                self.settings.secret_env,
                self.secret.source,
                self.settings.secret_env,
            )
        return config

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        # Records are validated before MkDocs cleans or writes the site, and re-read on
        # every build so `mkdocs serve` picks up edits.
        assert self.settings is not None
        if self.settings.clients_dir.is_dir() and len(record_files(self.settings.clients_dir)) >= PARALLEL_FROM:
            self.builder.start()  # the workers get ready while the records are read
        try:
            self.today = build_date(self.settings.today)
            self.clients = load_clients(
                self.settings.clients_dir,
                today=self.today,
                relative_to=self.settings.root,
                known=self.known,
                located=False,
            )
        except RecordError as error:
            raise PluginError(f"client-portal: invalid client records:\n{error}") from None
        except ValueError as error:  # a malformed SOURCE_DATE_EPOCH
            raise PluginError(f"client-portal: {error}") from None
        current = {id(client) for client in self.clients}
        self.known = {key: client for key, client in self.known.items() if id(client) in current}
        _check_attachments(self.clients, self.settings, self.today)

    # Late, so files from other plugins are already there and a clash with ours is caught.
    @event_priority(-50)
    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files:
        assert self.settings is not None and self.secret is not None and self.today is not None
        prefix = self.settings.url_prefix + "/"
        public = sorted(f.src_uri for f in files if f.dest_uri.startswith(prefix))
        if public:
            raise PluginError(
                f"client-portal: {', '.join(public)} would be published under '{prefix}', the folder of client "
                "pages; move it or change url_prefix"
            )
        for name in ("portal.css", "portal.js"):
            content = (ASSETS_DIR / name).read_text(encoding="utf-8")
            files.append(File.generated(config, f"{PORTAL_ASSETS}/{name}", content=content))
        search_path = tuple(Path(d) for d in config.theme.dirs)
        renderer = Renderer(search_path)
        stylesheets = _theme_stylesheets(files)
        depth = self.settings.url_prefix.count("/") + 2  # <url_prefix>/<token>/index.html
        inputs = PageInputs(
            self.settings,
            self.secret.value,
            self.today,
            search_path,
            _assets(stylesheets, depth),
            live_reload=self.serving,
        )
        custom_dir = Path(config.theme.custom_dir) if config.theme.custom_dir else None
        try:
            self.pages = self.builder.build(self.clients, inputs, custom_dir, site_dir=Path(config.site_dir))
        except PublishError as error:
            raise PluginError(f"client-portal: {error}") from None
        for page in self.pages:
            for site_file in page.files:
                if site_file.content is not None:
                    files.append(File.generated(config, site_file.path, content=site_file.content))
                else:
                    files.append(File.generated(config, site_file.path, abs_src_path=str(site_file.source)))
            if page.notice:
                log.info(page.notice)
        # While serving, the prefix index lists the local links instead (see below).
        neutral = neutral_pages(
            self.clients,
            self.settings,
            self.secret.value,
            renderer,
            lambda d: _assets(stylesheets, d),
            with_index=not self.serving,
        )
        for path, html in neutral.items():
            if self.serving:  # unchanged, they are not written again by `mkdocs serve --dirty`
                files.append(File.generated(config, path, abs_src_path=str(self.builder.kept(html))))
            else:
                files.append(File.generated(config, path, content=html))
        _add_robots_rule(files, config, self.settings.url_prefix)
        if self.config.headers_file:
            files.append(File.generated(config, "_headers", content=headers_file(self.settings.url_prefix)))
        if self.serving:
            index = serve_index(self.pages, urlsplit(config.site_url or "/").path)
            files.append(File.generated(config, f"{self.settings.url_prefix}/index.html", content=index))
        log.info("%d client pages built, %d of them unchanged", len(self.pages), self.builder.reused)
        return files

    def on_serve(self, server: Any, /, *, config: MkDocsConfig, builder: Any) -> Any:
        assert self.settings is not None
        server.watch(str(self.settings.clients_dir))
        # MkDocs serves the site under the path of site_url (and has set site_url to its own address)
        served = urlsplit(config.site_url or "/").path.strip("/")
        where = f"/{served}/" if served else "/"
        base = f"http://{config.dev_addr.host}:{config.dev_addr.port}{where}{self.settings.url_prefix}/"
        log.info("Client pages (local preview only): %s", base)
        return server


def _check_attachments(clients: list[Client], settings: PortalSettings, today: date) -> None:
    """Refuse to build when an attached file cannot be published, naming its line like `check` does."""
    problems = []
    for client in clients:
        shown = shown_path(client.source, settings.root)
        if any(p.severity == "error" for p in attachment_problems(client, settings.clients_dir, shown)):
            # records are kept without their locations: read this one again to say where
            located = load_client(client.source, today=today, shown_as=shown)
            problems += [p for p in attachment_problems(located, settings.clients_dir, shown) if p.severity == "error"]
    if problems:
        raise PluginError(
            "client-portal: attached files cannot be published:\n" + "\n".join(str(p) for p in sorted(problems))
        )


def _theme_stylesheets(files: Files) -> tuple[str, str]:
    """Material's main and palette stylesheets (their names carry a content hash); "" when absent."""

    def first(prefix: str) -> str:
        found = sorted(f.src_uri for f in files if f.src_uri.startswith(prefix) and f.src_uri.endswith(".min.css"))
        return found[0] if found else ""

    return first("assets/stylesheets/main."), first("assets/stylesheets/palette.")


def _assets(stylesheets: tuple[str, str], depth: int) -> Assets:
    """Asset URLs relative to a page ``depth`` folders below the site root."""
    up = "../" * depth
    main_css, palette_css = stylesheets
    return Assets(
        main_css=up + main_css if main_css else "",
        palette_css=up + palette_css if palette_css else "",
        portal_css=up + posixpath.join(PORTAL_ASSETS, "portal.css"),
        portal_js=up + posixpath.join(PORTAL_ASSETS, "portal.js"),
    )


def _add_robots_rule(files: Files, config: MkDocsConfig, prefix: str) -> None:
    """Disallow the client prefix in robots.txt, keeping any robots.txt the site already has."""
    existing = files.get_file_from_path("robots.txt")
    text = ""
    if existing is not None:
        text = existing.content_string
        files.remove(existing)
    files.append(File.generated(config, "robots.txt", content=robots_rules(text, prefix)))
