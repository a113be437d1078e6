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


@dataclass(frozen=True)
class TaggedValue:
    """A Python object MkDocs makes from a tag (``!!python/name:...``); client-portal never imports it."""

    tag: str
    text: str
    where: str  # file:line:column, for a message when a setting client-portal reads holds one


@dataclass(frozen=True)
class RelativePath:
    """``!relative``: a folder MkDocs fills in (``$config_dir``, ``$docs_dir``, or the page's), and a path below it."""

    base: str  # "$config_dir", "$docs_dir", or "" for the folder of the Markdown page being rendered
    below: str
    where: str


PYTHON_TAG = "tag:yaml.org,2002:python/"


class _SiteLoader(yaml.SafeLoader):
    """YAML as MkDocs reads ``mkdocs.yml``: ``!ENV`` filled in, ``!relative`` and Python objects kept aside."""

    def __init__(self, text: str, path: Path) -> None:
        super().__init__(text)
        self.path = path

    def where(self, node: yaml.Node) -> str:
        return f"{self.path}:{node.start_mark.line + 1}:{node.start_mark.column + 1}"


def _env(loader: _SiteLoader, node: yaml.Node) -> Any:
    # `!ENV NAME` or `!ENV [NAME, OTHER, default]`, exactly as MkDocs' pyyaml-env-tag reads them:
    # a variable's value and the default are typed as YAML types them ("true" is a boolean)
    default = None
    if isinstance(node, yaml.ScalarNode):
        names = [loader.construct_scalar(node)]
    elif isinstance(node, yaml.SequenceNode):
        children = node.value
        if len(children) > 1:
            default = loader.construct_object(children[-1])
            children = children[:-1]
        names = [loader.construct_scalar(child) for child in children]
    else:
        raise SettingsError(
            f"{loader.where(node)}: !ENV takes a variable's name (!ENV SITE_URL) "
            "or a list of names and a default (!ENV [SITE_URL, https://example.com/])"
        )
    for name in names:
        if name in os.environ:
            value = os.environ[name]
            tag = loader.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
            return loader.construct_object(yaml.ScalarNode(tag, value))
    return default


def _relative(loader: _SiteLoader, node: yaml.Node) -> RelativePath:
    # MkDocs 1.6 refuses the same values when it reads mkdocs.yml (mkdocs/utils/yaml.py)
    if not isinstance(node, yaml.ScalarNode):
        raise SettingsError(f"{loader.where(node)}: !relative takes no value, or $config_dir/... or $docs_dir/...")
    value = str(loader.construct_scalar(node) or "")
    base, _, below = value.partition("/")
    if base in ("$config_dir", "$docs_dir"):
        return RelativePath(base, below, loader.where(node))
    if base.startswith("$"):
        raise SettingsError(
            f"{loader.where(node)}: unknown prefix {base!r} in !relative {value!r}; "
            "use $config_dir (the folder of this file) or $docs_dir"
        )
    if value:
        raise SettingsError(
            f"{loader.where(node)}: !relative takes no value (alone it means the folder of the page being "
            f"rendered); for a folder beside this file write !relative $config_dir/{value} or just {value}"
        )
    return RelativePath("", "", loader.where(node))


def _python_object(loader: _SiteLoader, suffix: str, node: yaml.Node) -> TaggedValue:
    text = node.value if isinstance(node, yaml.ScalarNode) else ""
    return TaggedValue(f"!!python/{suffix}", str(text), loader.where(node))


def _unknown_tag(loader: _SiteLoader, tag: str, node: yaml.Node) -> None:
    shown = tag.replace("tag:yaml.org,2002:", "!!")
    raise SettingsError(
        f"{loader.where(node)}: unknown YAML tag {shown}; mkdocs.yml may use !ENV, !relative and "
        "Python tags (!!python/name:...) as MkDocs reads them: remove the tag or write the value itself"
    )


_SiteLoader.add_constructor("!ENV", _env)
_SiteLoader.add_constructor("!relative", _relative)
# Python's plain values (!!python/str, /int, /tuple...) as MkDocs' loader makes them; objects kept aside
for _tag, _constructor in yaml.constructor.FullConstructor.yaml_constructors.items():
    if _tag and _tag.startswith(PYTHON_TAG):
        _SiteLoader.add_constructor(_tag, _constructor)
_SiteLoader.add_multi_constructor(PYTHON_TAG, _python_object)
_SiteLoader.add_multi_constructor("", _unknown_tag)


def _yaml_config(path: Path) -> dict[str, Any]:
    try:
        loader = _SiteLoader(path.read_text(encoding="utf-8"), path)
        try:
            data = loader.get_single_data()
        finally:
            loader.dispose()
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise SettingsError(f"{path}: not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: expected a mapping of settings")
    parent = _written(data.pop("INHERIT", None), "INHERIT")
    if isinstance(parent, str):  # MkDocs' INHERIT: this file's keys over the parent's
        return _merged(_yaml_config(path.parent / parent), data)
    return data


def _written(value: Any, key: str) -> Any:
    """``value`` of a setting client-portal reads, refused when only MkDocs could make something of a tag in it."""
    if isinstance(value, RelativePath):
        raise SettingsError(
            f"{value.where}: {key}: MkDocs reads !relative only in theme.custom_dir and markdown_extensions; "
            "write the path itself (relative to the configuration file)"
        )
    if isinstance(value, TaggedValue):
        raise SettingsError(
            f"{value.where}: {key}: {value.tag}{value.text and ' ' + value.text} makes a Python object, "
            "which client-portal does not run; write the value itself"
        )
    if isinstance(value, Mapping):
        # An option left empty (or an unset !ENV without a default) takes its default, as in MkDocs
        return {name: _written(item, f"{key}.{name}") for name, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_written(item, key) for item in value]
    return value


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
    options = _merged(_written(written, PLUGIN_NAME), overrides or {})
    site_url = options.pop("site_url", _written(project.get("site_url"), "site_url"))
    root = config_file.resolve().parent
    site_dir = root / str(_written(project.get("site_dir"), "site_dir") or "site")
    docs_dir = root / str(_written(project.get("docs_dir"), "docs_dir") or "docs")
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
    return SiteConfig(
        settings,
        site_dir=site_dir,
        docs_dir=docs_dir,
        custom_dir=_custom_dir(theme.get("custom_dir") if isinstance(theme, Mapping) else None, root, docs_dir),
    )


def _custom_dir(written: Any, root: Path, docs_dir: Path) -> Path | None:
    """``theme.custom_dir`` as MkDocs 1.6 resolves it: relative to the configuration file, or by ``!relative``."""
    if isinstance(written, RelativePath):
        # Alone, !relative is the folder of the page being rendered; MkDocs reads the theme
        # while it stands in an empty page at the top of docs_dir, so that is the folder it gives.
        return (root if written.base == "$config_dir" else docs_dir) / written.below
    written = _written(written, "theme.custom_dir")
    return root / written if isinstance(written, str) else None


def read_settings(config_file: Path) -> PortalSettings:
    """The portal settings from ``mkdocs.yml`` or ``zensical.toml``, without running a build."""
    return read_site_config(config_file).settings
