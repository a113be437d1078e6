"""The MkDocs adapter: reads the settings, hands the build to the core, places its pages among MkDocs' files.

The core (settings, templates, records, encryption) is imported once the settings are
read, after the worker processes of a large portal have begun their own import of it:
both imports then take their third of a second at the same time, on two cores. The
workers' server starts as soon as MkDocs hands the plugin its options, before MkDocs
reads the rest of its configuration.
"""

from __future__ import annotations

import atexit
import functools
import gc
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import ConfigurationError, PluginError
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files

from client_portal.mkdocs_plugin.config import PortalConfig, config_root, settings_from_config
from client_portal.publishing.errors import BuildError
from client_portal.publishing.secret import SecretError, site_secret
from client_portal.publishing.workers import PARALLEL_FROM, start_server

if TYPE_CHECKING:
    from mkdocs.config.base import ConfigErrors, ConfigWarnings

    from client_portal.publishing.portal import Portal
    from client_portal.publishing.site_files import BuiltPortal

log = get_plugin_logger(__name__)


class PortalPlugin(BasePlugin[PortalConfig]):
    """Turns ``clients/<id>.yml`` records into private client pages."""

    def __init__(self) -> None:
        self.serving = False
        self.dirty = False
        # Kept across `mkdocs serve` rebuilds (MkDocs keeps a plugin that has on_startup):
        # unchanged records and pages are reused, and password keys derived once.
        self.portal: Portal | None = None
        self.built: BuiltPortal | None = None  # from on_pre_build to on_files
        self.removal: threading.Thread | None = None  # the last build's pages, set aside and being removed

    def load_config(
        self, options: dict[str, Any], config_file_path: str | None = None
    ) -> tuple[ConfigErrors, ConfigWarnings]:
        errors, warnings = super().load_config(options, config_file_path)
        # The earliest moment the records' folder is known: the server's import of the core
        # overlaps MkDocs reading its other plugins and this process importing the same.
        if not errors and _workers_wanted(config_root(config_file_path) / self.config.clients_dir):
            start_server()
        return errors, warnings

    def on_startup(self, *, command: Literal["build", "gh-deploy", "serve"], dirty: bool) -> None:
        self.serving = command == "serve"
        self.dirty = dirty
        _frozen_at_exit()

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        self._removed()

    def _removed(self) -> None:
        """Wait until the last build's pages, set aside, are removed."""
        if self.removal is not None:
            self.removal.join()
            self.removal = None

    def on_shutdown(self) -> None:
        self._removed()  # a build that failed waits for them too
        if self.built is not None:
            self.built.discard()
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
            from client_portal.publishing.portal import Portal  # after the workers' server started

            self.portal = Portal(settings, secret.value, custom_dir, remember=self.serving, live_reload=self.serving)
        return config

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        # Records are checked and pages built before MkDocs cleans or writes the site, and
        # records read again on every build so `mkdocs serve` picks up edits.
        from client_portal.publishing.site_folder import refuse_links_to_private, set_aside
        from client_portal.settings import CACHE_DIR

        assert self.portal is not None
        if self.built is not None:  # the build before stopped between here and on_files
            self.built.discard()
            self.built = None
        try:
            # MkDocs copies what a link in docs_dir points to, as an uploader does
            refuse_links_to_private(Path(config.docs_dir), self.portal.settings)
            self.built = self.portal.build()
        except BuildError as error:
            raise PluginError(f"client-portal: {error}") from None
        if not (self.dirty or self.serving):  # MkDocs empties the site folder next: the last pages go at once
            folder = Path(config.site_dir) / self.portal.settings.url_prefix
            self.removal = set_aside(folder, self.portal.settings.root / CACHE_DIR)

    # Late, so files from other plugins are already there and a clash with ours is caught.
    @event_priority(-50)
    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files:
        from client_portal.publishing.site_files import EXTENDED
        from client_portal.publishing.site_folder import linked

        assert self.portal is not None and self.built is not None
        prefix = self.portal.settings.url_prefix
        public = sorted(f.src_uri for f in files if f.dest_uri.startswith(prefix + "/"))
        if public:
            self.built.discard()
            raise PluginError(
                f"client-portal: {', '.join(public)} would be published under '{prefix}/', the folder of client "
                "pages; move it or change url_prefix"
            )
        # MkDocs leaves a file a plugin wrote in place: the pages move there from their private folder
        built, self.built = self.built.placed(Path(config.site_dir)), None

        def existing(path: str) -> str:
            found = files.get_file_from_path(path)
            return found.content_string if found is not None else ""

        # While serving, the prefix index lists the local links instead.
        served = urlsplit(config.site_url or "/").path if self.serving else None
        for site_file in built.files(existing, local_index_at=served):
            if site_file.path in EXTENDED and (theirs := files.get_file_from_path(site_file.path)) is not None:
                files.remove(theirs)  # extended in ours
            if site_file.content is not None:
                files.append(File.generated(config, site_file.path, content=site_file.content))
                continue
            source = site_file.source
            assert source is not None
            # A hard link, not a copy: MkDocs empties the site on every rebuild while serving, and an
            # attached file is not stored a second time (nor a third, in the pages the next build writes over).
            if self.serving or not source.is_relative_to(config.site_dir):
                source = linked(source, Path(config.site_dir) / site_file.path)
            files.append(_Placed.generated(config, site_file.path, abs_src_path=str(source)))
        for page in built.pages:
            if page.notice:
                log.info(page.notice)
        log.info("%d client pages built, %d of them unchanged", len(built.pages), built.reused)
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


class _Placed(File):
    """A file of ours, already where MkDocs would copy it in the site (MkDocs lets a plugin write there).

    MkDocs would make its folder, see whether it is one, and find the file the same: three
    looks at the disk a file, for the 2,000 of 1,000 clients.
    """

    def copy_file(self, dirty: bool = False) -> None:
        if self.abs_src_path != self.abs_dest_path:
            super().copy_file(dirty)


def _workers_wanted(clients_dir: Path) -> bool:
    """Whether the build will share its pages with worker processes: several cores, and enough records."""
    if (os.cpu_count() or 1) < 2:
        return False
    try:
        return sum(1 for _ in clients_dir.glob("*.yml")) >= PARALLEL_FROM
    except OSError:
        return False


@functools.cache
def _frozen_at_exit() -> None:
    """Have the collector skip every object of the process as it exits.

    Python looks for garbage over every object again and again while it shuts down, which
    cost a twentieth of a 1,000-client build; at exit all of it is freed anyway.
    """
    atexit.register(gc.freeze)
