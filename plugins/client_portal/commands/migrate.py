"""Move a portal between MkDocs and Zensical: the other's configuration, build steps and requirements.

Nothing existing is overwritten: the new configuration is a new file, and the workflow and
requirements are edited only where they still hold what `init` wrote; anything else is
left as it is and said in the next steps.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w
import yaml

from client_portal.commands.portal_files import CONFIG_OF, GENERATOR_FILES, HOST_FILES, build_steps, scaffold_text
from client_portal.settings import PLUGIN_NAME, SettingsError
from client_portal.site_config import RelativePath, TaggedValue, config_document, plugin_options, read_site_config

# The site's settings both generators read the same way; the rest is said in the next steps.
SHARED_SETTINGS = (
    "site_name",
    "site_url",
    "site_description",
    "site_author",
    "copyright",
    "repo_url",
    "repo_name",
    "edit_uri",
    "docs_dir",
    "site_dir",
    "use_directory_urls",
    "extra_css",
    "extra_javascript",
    "extra",
    "nav",
)
BUILD = {"mkdocs": "mkdocs build", "zensical": "zensical build"}


class MigrationError(Exception):
    """The portal cannot be moved as it is; nothing was written."""


@dataclass
class Migration:
    """What a move wrote, what it edited, and what is left for the freelancer to do."""

    written: list[str] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)


def migrate(root: Path, target: str) -> Migration:
    """Move the portal in ``root`` to ``target`` (``mkdocs`` or ``zensical``)."""
    source = "mkdocs" if target == "zensical" else "zensical"
    source_file, target_file = root / CONFIG_OF[source], root / CONFIG_OF[target]
    if target_file.exists():
        raise MigrationError(f"{target_file} already exists; not overwriting it")
    if not source_file.is_file():
        raise MigrationError(f"{source_file} not found: there is no {source} portal here to move")
    try:
        source_site = read_site_config(source_file)
        project = config_document(source_file)
    except SettingsError as error:
        raise MigrationError(f"{error}; fix it first (client-portal check)") from None
    before = source_site.settings
    theme = project.get("theme")
    if isinstance(theme, dict) and isinstance(theme.get("custom_dir"), RelativePath) and source_site.custom_dir:
        theme["custom_dir"] = Path(os.path.relpath(source_site.custom_dir, root.resolve())).as_posix()
    done = Migration()
    left_out = [key for key in project if key not in (*SHARED_SETTINGS, "theme", "plugins", "markdown_extensions")]
    text = _zensical_toml(project) if target == "zensical" else _mkdocs_yml(project)
    target_file.write_text(text, encoding="utf-8")
    try:
        after = read_site_config(target_file).settings
        problem = "" if dataclasses.replace(after, config_name=before.config_name) == before else "they differ"
    except SettingsError as error:
        problem = str(error)
    if problem:
        target_file.unlink()  # written a moment ago by this very call
        raise MigrationError(
            f"{target_file.name} would not give the portal the settings of {source_file.name} "
            f"({problem}); nothing was written (please report this)"
        )
    done.written.append(target_file.name)
    others = _other_plugins(project.get("plugins"))
    if left_out or others:
        what = ", ".join([*left_out, *(f"the {name} plugin" for name in others)])
        done.next_steps.append(
            f"not carried over from {source_file.name}: {what}; add to {target_file.name} what {target} supports"
        )
    for tagged in _tagged([project.get(key) for key in (*SHARED_SETTINGS, "theme", "markdown_extensions")]):
        shown = (
            tagged.tag
            if isinstance(tagged, TaggedValue)
            else "!relative " + "/".join(part for part in (tagged.base, tagged.below) if part)
        )
        done.next_steps.append(
            f"{tagged.where}: {shown} is not carried over ({target_file.name} has no YAML tags); "
            f"write its value in {target_file.name} as {target} documents it"
        )
    if source_file.suffix == ".yml" and "!ENV" in source_file.read_text(encoding="utf-8", errors="replace"):
        done.next_steps.append(f"{source_file.name} reads settings with !ENV; {target_file.name} holds their values")
    _swap_requirements(root, source, target, done)
    for host, (path, _) in HOST_FILES.items():
        workflow = root / path
        if workflow.is_file():
            _swap_steps(workflow, path, host, source, target, done)
    done.next_steps.append(
        f"run `{BUILD[target]}` and look at the site; then delete {source_file.name} "
        f"(while both files are here, client-portal reads mkdocs.yml)"
    )
    done.next_steps.append("pip install -r requirements.txt, then commit and push")
    return done


def _swap_steps(workflow: Path, path: str, host: str, source: str, target: str, done: Migration) -> None:
    text = workflow.read_text(encoding="utf-8")
    old, new = build_steps(host, source), build_steps(host, target)
    if new in text:
        return
    if old in text:
        workflow.write_text(text.replace(old, new), encoding="utf-8")
        done.edited.append(path)
        return
    done.next_steps.append(f"in {path}, build with {target}: replace the build steps with\n{new.rstrip()}")


def _requirement_name(line: str) -> str | None:
    found = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
    return re.sub(r"[-_.]+", "-", found.group(1)).lower() if found else None


def _swap_requirements(root: Path, source: str, target: str, done: Migration) -> None:
    """Add the target generator's requirements and drop the source's own, keeping every other line."""
    path = root / "requirements.txt"
    if not path.is_file():
        done.next_steps.append(f"install {target}: see requirements.txt of a fresh `client-portal init`")
        return
    wanted = scaffold_text(GENERATOR_FILES[target]["requirements.txt"]).splitlines()
    theirs = scaffold_text(GENERATOR_FILES[source]["requirements.txt"]).splitlines()
    keep_names = {_requirement_name(line) for line in wanted}
    drop = {_requirement_name(line) for line in theirs} - keep_names
    lines = path.read_text(encoding="utf-8").splitlines()
    have = {_requirement_name(line) for line in lines}
    kept = [line for line in lines if _requirement_name(line) not in drop]
    added = [line for line in wanted if _requirement_name(line) not in have]
    if kept != lines or added:
        path.write_text("\n".join([*kept, *added]) + "\n", encoding="utf-8")
        done.edited.append("requirements.txt")


def _other_plugins(plugins: Any) -> list[str]:
    """The plugins besides client-portal and search, which the other generator may not have."""
    names = list(plugins) if isinstance(plugins, Mapping) else []
    if isinstance(plugins, list):
        names = [next(iter(p)) if isinstance(p, Mapping) and p else str(p) for p in plugins]
    return [name for name in names if name not in (PLUGIN_NAME, "search")]


def _mkdocs_yml(project: Mapping[str, Any]) -> str:
    """``mkdocs.yml`` from the ``[project]`` settings of ``zensical.toml``."""
    site = {key: project[key] for key in SHARED_SETTINGS if key in project}
    theme = project.get("theme")
    site["theme"] = {"name": "material", **(theme if isinstance(theme, Mapping) else {})}
    extensions = project.get("markdown_extensions")
    if isinstance(extensions, Mapping):
        site["markdown_extensions"] = [{name: options} if options else name for name, options in extensions.items()]
    site["plugins"] = ["search", {PLUGIN_NAME: plugin_options(project) or {}}]
    header = "# The site's configuration, read by MkDocs (`mkdocs build`, with the client pages).\n"
    return header + yaml.safe_dump(site, sort_keys=False, allow_unicode=True)


def _zensical_toml(project: Mapping[str, Any]) -> str:
    """``zensical.toml`` from ``mkdocs.yml``: the shared settings, the theme, and the plugin's options."""
    site: dict[str, Any] = {key: project[key] for key in SHARED_SETTINGS if key in project}
    theme = project.get("theme")
    if isinstance(theme, Mapping):
        site["theme"] = {key: value for key, value in theme.items() if key != "name"}
    extensions = project.get("markdown_extensions")
    if isinstance(extensions, list):
        site["markdown_extensions"] = {
            (next(iter(e)) if isinstance(e, Mapping) else str(e)): (next(iter(e.values())) or {})
            if isinstance(e, Mapping)
            else {}
            for e in extensions
        }
    site["plugins"] = {PLUGIN_NAME: plugin_options(project) or {}}
    lines = [
        "# The site's configuration, read by Zensical (`zensical build`) and by client-portal",
        "# (`client-portal build site`, which adds the client pages Zensical does not build).",
    ]
    return "\n".join(lines) + "\n\n" + tomli_w.dumps({"project": _without_nulls(site)})


def _without_nulls(value: Any) -> Any:
    """``value`` without None or tagged values anywhere: TOML has neither (the tags are said in the next steps)."""
    if isinstance(value, Mapping):
        return {key: _without_nulls(item) for key, item in value.items() if not _absent(item)}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value if not _absent(item)]
    return value


def _absent(value: Any) -> bool:
    return value is None or isinstance(value, (TaggedValue, RelativePath))


def _tagged(value: Any) -> list[TaggedValue | RelativePath]:
    """The values in ``value`` that a YAML tag left for MkDocs to make (Python objects, ``!relative``)."""
    if isinstance(value, (TaggedValue, RelativePath)):
        return [value]
    items = value.values() if isinstance(value, Mapping) else value if isinstance(value, list) else []
    return [tagged for item in items for tagged in _tagged(item)]
