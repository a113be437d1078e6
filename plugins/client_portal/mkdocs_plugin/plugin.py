"""The MkDocs adapter: reads the settings, hands the build to the core, writes its pages once MkDocs wrote its own.

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
from mkdocs.structure.files import Files

from client_portal import collector
from client_portal.mkdocs_plugin.config import PortalConfig, config_root, settings_from_config
from client_portal.publishing.errors import BuildError
from client_portal.publishing.secret import SecretError, site_secret
from client_portal.publishing.workers import PARALLEL_FROM, start_server

if TYPE_CHECKING:
    from mkdocs.config.base import ConfigErrors, ConfigWarnings

    from client_portal.publishing.portal import Building, Portal

log = get_plugin_logger(__name__)

# The records a worker still builds pages of when MkDocs goes on (all of them checked): MkDocs writes
# its own pages in the meantime, a quarter of a second for a Material site, one worker's 64 pages
# (with 48, the worker waited a tenth of a second for the build's end).
LATER = 64


class PortalPlugin(BasePlugin[PortalConfig]):
    """Turns ``clients/<id>.yml`` records into private client pages."""

    def __init__(self) -> None:
        self.serving = False
        self.dirty = False
        # Kept across `mkdocs serve` rebuilds (MkDocs keeps a plugin that has on_startup):
        # unchanged records and pages are reused, and password keys derived once.
        self.portal: Portal | None = None
        self.building: Building | None = None  # from on_pre_build to on_post_build
        self.existing: dict[str, str] = {}  # the generator's own robots.txt and _headers
        self.removal: threading.Thread | None = None  # the last build's pages, set aside and being removed
        self.served: set[str] = set()  # serving: every site path the last rebuilds wrote, for `take_back`

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

    def _removed(self) -> None:
        """Wait until the last build's pages, set aside, are removed."""
        if self.removal is not None:
            self.removal.join()
            self.removal = None

    def on_build_error(self, *, error: Exception) -> None:
        self._given_up()

    def _given_up(self) -> None:
        """Give up the pages still being built (the build failed): none is written into the site."""
        if self.building is not None:
            self.building.discard()
            self.building = None

    def on_shutdown(self) -> None:
        self._removed()  # a build that failed waits for them too
        self._given_up()
        if self.portal is not None:
            self.portal.close()

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        # The core is imported here, with the collector paused: 0.16 s where it took 0.17 to 0.21 s.
        with collector.paused():
            self._configured(config)
        return config

    def _configured(self, config: MkDocsConfig) -> None:
        """Read the settings and the site secret; a new `Portal` when they (or the templates) changed."""
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
                self._given_up()
                self.portal.close()
            from client_portal.publishing.portal import Portal  # after the workers' server started

            self.portal = Portal(settings, secret.value, custom_dir, remember=self.serving, live_reload=self.serving)

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        # Records are checked and pages built before MkDocs cleans or writes the site, and
        # records read again on every build so `mkdocs serve` picks up edits.
        from client_portal.publishing.site_folder import keep_aside, refuse_links_to_private, set_aside
        from client_portal.settings import CACHE_DIR

        assert self.portal is not None
        self._given_up()  # the build before stopped between here and on_post_build
        try:
            # MkDocs copies what a link in docs_dir points to, as an uploader does
            refuse_links_to_private(Path(config.docs_dir), self.portal.settings)
            # every record checked before MkDocs empties the site; the last pages built while it writes its own
            self.building = self.portal.start(later=LATER)
        except BuildError as error:
            raise PluginError(f"client-portal: {error}") from None
        prefix = self.portal.settings.url_prefix
        if not (self.dirty or self.serving):  # MkDocs empties the site folder next: the last pages go at once
            self.removal = set_aside(Path(config.site_dir) / prefix, self.portal.settings.root / CACHE_DIR)
        elif not self.dirty and self.served:  # serving, MkDocs empties the site folder next: the last pages wait
            keep_aside(Path(config.site_dir), prefix)  # aside (this plugin knows which files it wrote there)

    # Late, so files from other plugins are already there and a clash with ours is caught.
    @event_priority(-50)
    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files:
        from client_portal.publishing.site_files import EXTENDED

        assert self.portal is not None and self.building is not None
        prefix = self.portal.settings.url_prefix
        public = sorted(f.src_uri for f in files if f.dest_uri.startswith(prefix + "/"))
        if public:
            self._given_up()
            raise PluginError(
                f"client-portal: {', '.join(public)} would be published under '{prefix}/', the folder of client "
                "pages; move it or change url_prefix"
            )
        # The generator's own robots.txt and _headers, which ours extend: read now, as MkDocs has them.
        self.existing = {path: found.content_string for path in EXTENDED if (found := files.get_file_from_path(path))}
        return files

    # Last, once MkDocs and every other plugin wrote the site: no other plugin sees a client's file.
    @event_priority(-100)
    def on_post_build(self, *, config: MkDocsConfig) -> None:
        from client_portal.publishing.site_folder import take_back, write_files

        assert self.portal is not None and self.building is not None
        building, self.building = self.building, None
        try:
            built = building.result()
        except BuildError as error:
            raise PluginError(f"client-portal: {error}") from None
        site_dir = Path(config.site_dir)
        # The pages move into the site from their private folder; none is one of MkDocs' files, so
        # nothing of theirs is copied, and the prefix index, robots.txt and _headers are written over.
        built = built.placed(site_dir)
        # While serving, the prefix index lists the local links instead.
        served = urlsplit(config.site_url or "/").path if self.serving else None
        files = list(built.files(lambda path: self.existing.get(path, ""), local_index_at=served))
        if self.serving:
            written = {site_file.path for site_file in files}
            if not self.dirty:
                take_back(site_dir, self.portal.settings.url_prefix, self.served - written)
            self.served |= written  # until every file is written, the last rebuild's may still be there
        write_files(site_dir, files)
        if self.serving:
            self.served = written
        for page in built.pages:
            if page.notice:
                log.info(page.notice)
        log.info("%d client pages built, %d of them unchanged", len(built.pages), built.reused)
        self._removed()

    def on_serve(self, server: Any, /, *, config: MkDocsConfig, builder: Any) -> Any:
        assert self.portal is not None
        server.watch(str(self.portal.settings.clients_dir))
        # MkDocs serves the site under the path of site_url (and has set site_url to its own address)
        served = urlsplit(config.site_url or "/").path.strip("/")
        where = f"/{served}/" if served else "/"
        base = f"http://{config.dev_addr.host}:{config.dev_addr.port}{where}{self.portal.settings.url_prefix}/"
        log.info("Client pages (local preview only): %s", base)
        return server


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
