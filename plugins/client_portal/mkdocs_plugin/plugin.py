"""The MkDocs adapter: reads the settings, hands the build to the core, places its pages among MkDocs' files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import ConfigurationError, PluginError
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files

from client_portal.mkdocs_plugin.config import PortalConfig, settings_from_config
from client_portal.publishing.errors import BuildError
from client_portal.publishing.portal import Portal
from client_portal.publishing.secret import SecretError, site_secret
from client_portal.publishing.site_files import asset_files, headers_rules, robots_rules, serve_index
from client_portal.publishing.site_folder import refuse_links_to_private

log = get_plugin_logger(__name__)


class PortalPlugin(BasePlugin[PortalConfig]):
    """Turns ``clients/<id>.yml`` records into private client pages."""

    def __init__(self) -> None:
        self.serving = False
        # Kept across `mkdocs serve` rebuilds (MkDocs keeps a plugin that has on_startup):
        # unchanged records and pages are reused, and password keys derived once.
        self.portal: Portal | None = None

    def on_startup(self, *, command: Literal["build", "gh-deploy", "serve"], dirty: bool) -> None:
        self.serving = command == "serve"

    def on_shutdown(self) -> None:
        if self.portal is not None:
            self.portal.close()

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        try:
            settings = settings_from_config(
                self.config,
                config.config_file_path,
                config.site_url,
                docs_dir=config.docs_dir,
                site_dir=config.site_dir,
            )
            secret = site_secret(settings.root, settings.secret_env)
        except (ConfigurationError, SecretError) as error:
            raise PluginError(f"client-portal: {error}") from None
        if secret.generated:
            # info, not a warning: a fresh clone must build under `strict: true`
            log.info(
                "No %s set: generated a local site secret in %s (git-ignored). Set %s in CI so links stay the same.",
                settings.secret_env,
                secret.source,
                settings.secret_env,
            )
        if secret.weakness:
            log.warning("%s (in CI the build stops here).", secret.weakness)
        custom_dir = Path(config.theme.custom_dir) if config.theme.custom_dir else None
        kept = (settings, secret.value, custom_dir)
        if self.portal is None or (self.portal.settings, self.portal.secret, self.portal.custom_dir) != kept:
            if self.portal is not None:
                self.portal.close()
            self.portal = Portal(settings, secret.value, custom_dir, remember=self.serving, live_reload=self.serving)
        return config

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        # Records are validated before MkDocs cleans or writes the site, and re-read on
        # every build so `mkdocs serve` picks up edits.
        assert self.portal is not None
        try:
            # MkDocs copies what a link in docs_dir points to, as an uploader does
            refuse_links_to_private(Path(config.docs_dir), self.portal.settings)
            self.portal.read()
        except BuildError as error:
            raise PluginError(f"client-portal: {error}") from None

    # Late, so files from other plugins are already there and a clash with ours is caught.
    @event_priority(-50)
    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files:
        assert self.portal is not None
        prefix = self.portal.settings.url_prefix
        public = sorted(f.src_uri for f in files if f.dest_uri.startswith(prefix + "/"))
        if public:
            raise PluginError(
                f"client-portal: {', '.join(public)} would be published under '{prefix}/', the folder of client "
                "pages; move it or change url_prefix"
            )
        for path, content in asset_files().items():
            files.append(File.generated(config, path, content=content))
        try:
            pages = self.portal.pages(Path(config.site_dir))
        except BuildError as error:
            raise PluginError(f"client-portal: {error}") from None
        for page in pages:
            for site_file in page.files:
                if site_file.content is not None:
                    files.append(File.generated(config, site_file.path, content=site_file.content))
                else:
                    files.append(File.generated(config, site_file.path, abs_src_path=str(site_file.source)))
            if page.notice:
                log.info(page.notice)
        # While serving, the prefix index lists the local links instead (see below).
        for path, html in self.portal.neutral(with_index=not self.serving).items():
            if self.serving:  # unchanged, they are not written again by `mkdocs serve --dirty`
                files.append(File.generated(config, path, abs_src_path=str(self.portal.builder.kept(html))))
            else:
                files.append(File.generated(config, path, content=html))
        _extend(files, config, "robots.txt", lambda text: robots_rules(text, prefix))
        if self.portal.settings.headers_file:
            _extend(files, config, "_headers", lambda text: headers_rules(text, prefix))
        if self.serving:
            index = serve_index(pages, urlsplit(config.site_url or "/").path)
            files.append(File.generated(config, f"{prefix}/index.html", content=index))
        log.info("%d client pages built, %d of them unchanged", len(pages), self.portal.builder.reused)
        return files

    def on_serve(self, server: Any, /, *, config: MkDocsConfig, builder: Any) -> Any:
        assert self.portal is not None
        server.watch(str(self.portal.settings.clients_dir))
        # MkDocs serves the site under the path of site_url (and has set site_url to its own address)
        served = urlsplit(config.site_url or "/").path.strip("/")
        where = f"/{served}/" if served else "/"
        base = f"http://{config.dev_addr.host}:{config.dev_addr.port}{where}{self.portal.settings.url_prefix}/"
        log.info("Client pages (local preview only): %s", base)
        return server


def _extend(files: Files, config: MkDocsConfig, path: str, extended: Callable[[str], str]) -> None:
    """A file the site may already have (robots.txt, _headers), extended with ours, never replaced."""
    existing = files.get_file_from_path(path)
    text = ""
    if existing is not None:
        text = existing.content_string
        files.remove(existing)
    files.append(File.generated(config, path, content=extended(text)))
