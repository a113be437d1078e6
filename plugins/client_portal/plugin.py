"""The MkDocs adapter: reads the settings, loads the records, places the client pages."""

from __future__ import annotations

from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import ConfigurationError, PluginError
from mkdocs.plugins import BasePlugin, get_plugin_logger
from mkdocs.structure.files import Files

from .config import PortalConfig, settings_from_config
from .loader import load_clients
from .model import Client
from .problems import RecordError
from .settings import PortalSettings, build_date

log = get_plugin_logger(__name__)


class PortalPlugin(BasePlugin[PortalConfig]):
    """Turns ``clients/<id>.yml`` records into private client pages."""

    def __init__(self) -> None:
        self.settings: PortalSettings | None = None
        self.clients: list[Client] = []

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        try:
            self.settings = settings_from_config(self.config, config.config_file_path)
        except ConfigurationError as error:
            raise PluginError(f"client-portal: {error}") from None
        return config

    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files:
        # Records are re-read on every build so `mkdocs serve` picks up edits.
        assert self.settings is not None
        today = build_date(self.settings.today)
        try:
            self.clients = load_clients(self.settings.clients_dir, today=today, relative_to=self.settings.root)
        except RecordError as error:
            raise PluginError(f"client-portal: invalid client records:\n{error}") from None
        log.info("%d client records loaded", len(self.clients))
        return files

    def on_serve(self, server: Any, /, *, config: MkDocsConfig, builder: Any) -> Any:
        assert self.settings is not None
        server.watch(str(self.settings.clients_dir))
        return server
