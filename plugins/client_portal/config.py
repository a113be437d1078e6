"""The ``client-portal`` plugin options in ``mkdocs.yml``, and reading them outside a build."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any, cast

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.exceptions import ConfigurationError
from mkdocs.utils.yaml import yaml_load
from pydantic import TypeAdapter, ValidationError

from .attachments import CACHE_DIR
from .model import LanguageTag, TimeZone
from .settings import Freelancer, Phrase, PortalSettings

PLUGIN_NAME = "client-portal"
URL_PREFIX = re.compile(r"^[a-z0-9][a-z0-9_-]*(?:/[a-z0-9][a-z0-9_-]*)*$")


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
    """Check the option values and resolve paths against the directory of ``mkdocs.yml``.

    ``docs_dir`` and ``site_dir`` (relative to that directory, or absolute) are what the
    generator publishes: ``clients_dir`` and the cache folder inside either are refused.
    """
    root = Path(config_file).resolve().parent if config_file else Path.cwd()
    prefix = config.url_prefix.strip("/")
    if not URL_PREFIX.match(prefix):
        raise ConfigurationError(f"url_prefix {config.url_prefix!r} must be lowercase letters, digits, '-' or '_'")
    for option, kind in (("language", LanguageTag), ("timezone", TimeZone)):
        try:
            TypeAdapter(kind).validate_python(config[option])
        except ValidationError as error:
            raise ConfigurationError(f"{option}: {error.errors()[0]['msg']}") from None
    today: date | None = None
    if isinstance(config.today, date):
        today = config.today
    elif isinstance(config.today, str):
        try:
            today = date.fromisoformat(config.today)
        except ValueError:
            raise ConfigurationError(f"today: {config.today!r} is not a date like 2026-11-23") from None
    published = {name: root / folder for name, folder in (("docs_dir", docs_dir), ("site_dir", site_dir)) if folder}
    _refuse_published(config_file, root, root / config.clients_dir, f"{PLUGIN_NAME}.clients_dir", published)
    _refuse_published(config_file, root, root / CACHE_DIR.parent, "the cache folder", published)
    f = config.freelancer
    if f.booking_url and not re.match(r"^https?://[^\s/]+", f.booking_url):
        raise ConfigurationError(f"freelancer.booking_url {f.booking_url!r} must be an http(s) link")
    return PortalSettings(
        root=root,
        clients_dir=root / config.clients_dir,
        url_prefix=prefix,
        secret_env=config.secret_env,
        language=config.language,
        timezone=config.timezone,
        today=today,
        site_url=site_url or "",
        docs_dir=published.get("docs_dir"),
        site_dir=published.get("site_dir"),
        freelancer=Freelancer(
            f.name, f.email, cast(Phrase, f.availability), cast(Phrase, f.response_time), f.booking_url
        ),
    )


def _refuse_published(
    config_file: str | Path | None, root: Path, folder: Path, what: str, published: dict[str, Path]
) -> None:
    """A clear error, before anything is written, when a private folder sits where the generator publishes."""
    target = folder.resolve()
    for name, public in published.items():
        if target.is_relative_to(public.resolve()):
            shown = target.relative_to(root).as_posix() if target.is_relative_to(root) else target.as_posix()
            where = public.resolve().relative_to(root).as_posix() if public.resolve().is_relative_to(root) else public
            raise ConfigurationError(
                f"{Path(config_file or 'mkdocs.yml').name}: {what} '{shown}' is inside {name} '{where}', so the "
                f"site would publish it as plain text; keep it outside docs_dir and site_dir"
            )


def _plugin_options(site_config: dict[str, Any]) -> dict[str, Any] | None:
    plugins = site_config.get("plugins") or []
    entries = (
        plugins.items()
        if isinstance(plugins, dict)
        else (next(iter(p.items())) if isinstance(p, dict) else (p, {}) for p in plugins)
    )
    for name, options in entries:
        if name == PLUGIN_NAME:
            return options or {}
    return None


def read_settings(config_file: Path) -> PortalSettings:
    """Read the plugin settings from ``mkdocs.yml`` without running a build."""
    if not config_file.is_file():
        raise ConfigurationError(f"{config_file}: no such file; run inside a portal or pass --config")
    with config_file.open("rb") as stream:
        site_config = yaml_load(stream)
    if not isinstance(site_config, dict):
        raise ConfigurationError(f"{config_file}: expected a mapping of settings")
    options = _plugin_options(site_config)
    if options is None:
        raise ConfigurationError(f"{config_file}: the '{PLUGIN_NAME}' plugin is not enabled under 'plugins'")
    config = PortalConfig(config_file_path=str(config_file))
    config.load_dict(options)
    errors, warnings = config.validate()
    if errors or warnings:  # an unknown option is a typo, not something to ignore
        found = [*errors, *warnings]
        raise ConfigurationError("; ".join(f"{PLUGIN_NAME}.{name}: {error}" for name, error in found))
    site_url = site_config.get("site_url")
    folders = {name: site_config.get(name, default) for name, default in (("docs_dir", "docs"), ("site_dir", "site"))}
    return settings_from_config(
        config,
        config_file,
        site_url if isinstance(site_url, str) else None,
        **{name: folder for name, folder in folders.items() if isinstance(folder, str)},
    )
