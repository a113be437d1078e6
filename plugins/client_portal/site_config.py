"""The portal's settings read from ``mkdocs.yml`` or ``zensical.toml``, without running any generator.

Both files name the site's own folders too (where it is built, its theme overrides),
which ``client-portal build`` needs to place pages exactly as the MkDocs plugin does.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from client_portal.settings import PLUGIN_NAME, PortalSettings, SettingsError, settings_from_options

CONFIG_FILES = ("mkdocs.yml", "zensical.toml")


@dataclass(frozen=True)
class SiteConfig:
    """What the portal needs from the site's configuration: its settings and the site's folders."""

    settings: PortalSettings
    site_dir: Path
    docs_dir: Path
    custom_dir: Path | None  # the theme's overrides, where a user's own client-portal/ templates live

    def built_without_pages(self) -> bool:
        """Whether a generator built the site but nothing added the client pages (Zensical skips the plugin)."""
        pages = self.site_dir / self.settings.url_prefix
        return (self.site_dir / "index.html").is_file() and not any(pages.glob("*/index.html"))


class _SiteLoader(yaml.SafeLoader):
    """YAML as MkDocs reads ``mkdocs.yml``: ``!ENV`` filled in, other tags (Python names) left as nothing."""


def _env(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    # `!ENV NAME` or `!ENV [NAME, OTHER, default]`, as MkDocs' pyyaml_env_tag reads them
    if isinstance(node, yaml.ScalarNode):
        return os.environ.get(loader.construct_scalar(node))
    if isinstance(node, yaml.SequenceNode):
        items = loader.construct_sequence(node)
        names, default = (items, None) if len(items) == 1 else (items[:-1], items[-1])
        return next((os.environ[n] for n in names if isinstance(n, str) and n in os.environ), default)
    return None


def _ignored(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> None:
    return None


_SiteLoader.add_constructor("!ENV", _env)
_SiteLoader.add_multi_constructor("", _ignored)


def _yaml_config(path: Path) -> dict[str, Any]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_SiteLoader)  # noqa: S506 - a SafeLoader
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise SettingsError(f"{path}: not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: expected a mapping of settings")
    parent = data.pop("INHERIT", None)
    if isinstance(parent, str):  # MkDocs' INHERIT: this file's keys over the parent's
        return _merged(_yaml_config(path.parent / parent), data)
    return data


def _merged(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def _plugin_options(plugins: Any) -> dict[str, Any] | None:
    """The client-portal entry of a ``plugins`` list (``- client-portal: {...}``) or mapping."""
    if isinstance(plugins, Mapping):
        entries = list(plugins.items())
    elif isinstance(plugins, list):
        entries = [next(iter(p.items())) if isinstance(p, Mapping) and p else (p, {}) for p in plugins]
    else:
        entries = []
    for name, options in entries:
        if name == PLUGIN_NAME:
            if options is not None and not isinstance(options, Mapping):
                raise SettingsError(f"{PLUGIN_NAME}: expected a mapping of options")
            return dict(options or {})
    return None


def given_options(assignments: Iterable[str]) -> dict[str, Any]:
    """``key=value`` and ``freelancer.key=value`` from the command line as options; values read as YAML scalars."""
    options: dict[str, Any] = {}
    for assignment in assignments:
        key, equals, text = assignment.partition("=")
        if not equals or not key.strip():
            raise SettingsError(f"--set {assignment!r}: use OPTION=VALUE, such as clients_dir=clients")
        try:
            value = yaml.safe_load(text) if text.strip() else ""
        except yaml.YAMLError:
            value = text
        *parents, name = key.strip().split(".")
        target = options
        for parent in parents:
            target = target.setdefault(parent, {})
        target[name] = value if isinstance(value, (bool, date)) else ("" if value is None else str(value))
    return options


def config_document(config_file: Path) -> dict[str, Any]:
    """The site's settings as written: all of ``mkdocs.yml`` (with ``INHERIT``), or ``[project]`` of a TOML file."""
    if config_file.suffix == ".toml":
        try:
            document = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise SettingsError(f"{config_file}: not valid TOML: {error}") from None
        project = document.get("project", {})
    else:
        project = _yaml_config(config_file)
    if not isinstance(project, dict):
        raise SettingsError(f"{config_file}: expected a mapping of settings")
    return project


def plugin_options(project: Mapping[str, Any]) -> dict[str, Any] | None:
    """The client-portal options as written in a site's settings; None when the plugin is not named."""
    return _plugin_options(project.get("plugins"))


def read_site_config(
    config_file: Path | None, overrides: Mapping[str, Any] | None = None, *, root: Path | None = None
) -> SiteConfig:
    """The portal settings and site folders from ``mkdocs.yml`` or ``zensical.toml``, ``overrides`` on top.

    Without a configuration file (``config_file`` None: a site built by Hugo, Jekyll or nobody),
    the settings are the defaults and ``overrides``, relative to ``root``.
    """
    if config_file is None:
        folder = (root or Path.cwd()).resolve()
        options = dict(overrides or {})
        site_url = options.pop("site_url", None)
        settings = settings_from_options(options, folder, str(site_url) if site_url else None)
        return SiteConfig(settings, site_dir=folder / "site", docs_dir=folder / "docs", custom_dir=None)
    if not config_file.is_file():
        raise SettingsError(f"{config_file}: no such file; run inside a portal or pass --config")
    project = config_document(config_file)
    if config_file.suffix == ".toml":
        missing = (
            f"no [project.plugins.{PLUGIN_NAME}] table; add it "
            "(see https://mkdocs-client-portal.github.io/mkdocs-client-portal/reference/settings/)"
        )
    else:
        missing = f"the '{PLUGIN_NAME}' plugin is not enabled under 'plugins'"
    written = _plugin_options(project.get("plugins"))
    if written is None:
        raise SettingsError(f"{config_file}: {missing}")
    options = _merged(written, overrides or {})
    site_url = options.pop("site_url", project.get("site_url"))
    root = config_file.resolve().parent
    site_dir = root / str(project.get("site_dir") or "site")
    docs_dir = root / str(project.get("docs_dir") or "docs")
    try:
        settings = settings_from_options(
            options,
            root,
            site_url if isinstance(site_url, str) else None,
            docs_dir=docs_dir,
            site_dir=site_dir,
            config_name=config_file.name,
        )
    except SettingsError as error:  # say which file holds the wrong option
        message = str(error)
        raise SettingsError(message if message.startswith(config_file.name) else f"{config_file}: {message}") from None
    theme = project.get("theme")
    custom_dir = theme.get("custom_dir") if isinstance(theme, Mapping) else None
    return SiteConfig(
        settings,
        site_dir=site_dir,
        docs_dir=docs_dir,
        custom_dir=root / custom_dir if isinstance(custom_dir, str) else None,
    )


def read_settings(config_file: Path) -> PortalSettings:
    """The portal settings from ``mkdocs.yml`` or ``zensical.toml``, without running a build."""
    return read_site_config(config_file).settings
