"""The ``client-portal`` plugin options as MkDocs reads them: an adapter over the core's own settings.

The core's settings (and pydantic, which checks them) are imported only once they are
read, so the plugin can start its workers' server first (see `plugin.PortalPlugin.load_config`).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.exceptions import ConfigurationError

if TYPE_CHECKING:
    from client_portal.settings import PortalSettings


class FreelancerConfig(base.Config):
    """The ``freelancer`` block: shown on every client page."""

    name = c.Type(str, default="")
    email = c.Type(str, default="")
    # text, or one text per page language: {en: ..., zh-CN: ...}
    availability = c.Type((str, dict), default="")
    response_time = c.Type((str, dict), default="")
    # where clients book a call (http or https); adds "Book a call" to the contact card
    booking_url = c.Type(str, default="")


class PortalConfig(base.Config):
    """Options of the ``client-portal`` plugin (SPEC §3)."""

    clients_dir = c.Type(str, default="clients")
    url_prefix = c.Type(str, default="p")
    secret_env = c.Type(str, default="PORTAL_SECRET")
    language = c.Type(str, default="en")
    timezone = c.Type(str, default="UTC")
    today = c.Optional(c.Type((date, str)))
    freelancer = c.SubConfig(FreelancerConfig)
    # Also write a `_headers` file (Netlify, Cloudflare Pages) with noindex and no-referrer.
    headers_file = c.Type(bool, default=False)


def settings_from_config(
    config: PortalConfig,
    config_file: str | Path | None,
    site_url: str | None,
    *,
    docs_dir: str | Path | None = None,
    site_dir: str | Path | None = None,
) -> PortalSettings:
    """The options MkDocs read, checked by the core as every generator's are, paths resolved against ``mkdocs.yml``.

    ``docs_dir`` and ``site_dir`` (relative to that file's folder, or absolute) are what MkDocs
    publishes: ``clients_dir`` and the cache folder inside either are refused.
    """
    from client_portal.settings import FreelancerOptions, PortalOptions, SettingsError, settings_from_options

    root = config_root(config_file)
    options = {name: config[name] for name in PortalOptions.model_fields}
    options["freelancer"] = {name: config.freelancer[name] for name in FreelancerOptions.model_fields}
    try:
        return settings_from_options(
            options,
            root,
            site_url,
            docs_dir=root / docs_dir if docs_dir else None,
            site_dir=root / site_dir if site_dir else None,
            config_name=Path(config_file or "mkdocs.yml").name,
        )
    except SettingsError as error:
        raise ConfigurationError(str(error)) from None


def config_root(config_file: str | Path | None) -> Path:
    """The folder the options' paths are relative to: that of ``mkdocs.yml``."""
    return Path(config_file).resolve().parent if config_file else Path.cwd()
