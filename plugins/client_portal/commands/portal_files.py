"""The files of a portal repository that `init` writes and `migrate` swaps, by host and generator."""

from __future__ import annotations

from importlib.resources import files

from client_portal import __version__
from client_portal.commands.portal_checks import PACKAGE, requirement_line

INIT_FILES = {
    "content/index.md": "index.md",
    "content/stylesheets/site.css": "site.css",
    ".gitignore": "gitignore",
    "README.md": "README.md",
}
HOST_FILES = {
    "github": (".github/workflows/publish.yml", "github-workflow.yml"),
    "gitlab": (".gitlab-ci.yml", "gitlab-ci.yml"),
}
# What proposes a pull request when a new release ships: Dependabot on GitHub, Renovate on GitLab.
UPDATE_FILES = {
    "github": (".github/dependabot.yml", "dependabot.yml"),
    "gitlab": ("renovate.json", "renovate.json"),
}
# What differs with the generator that builds the public site: its configuration,
# requirements and workflows (Zensical builds the site, then `client-portal build` adds the pages).
GENERATOR_FILES = {
    "mkdocs": {"mkdocs.yml": "mkdocs.yml", "requirements.txt": "requirements.txt"},
    "zensical": {"zensical.toml": "zensical.toml", "requirements.txt": "requirements-zensical.txt"},
}
CONFIG_OF = {"mkdocs": "mkdocs.yml", "zensical": "zensical.toml"}
# A Zensical workflow is the MkDocs one with other build steps, so the rest (the guard that
# refuses to publish from a public repository above all) is written once.
ZENSICAL_STEPS = {
    "github": (
        "      - run: mkdocs build --strict\n",
        "      - run: zensical build --clean\n"
        "      - run: client-portal build site   # the client pages Zensical does not build\n",
    ),
    "gitlab": (
        "    - mkdocs build --strict --site-dir public\n    - client-portal audit public\n",
        "    - zensical build --clean\n    - client-portal build site\n    - client-portal audit site\n"
        "    - mv site public\n",
    ),
}
PREVIEW = {"mkdocs": "mkdocs serve", "zensical": "zensical build && client-portal serve"}


def scaffold_text(source: str) -> str:
    """One file of the scaffold as shipped, its placeholders not yet filled in."""
    text = files("client_portal.commands").joinpath("scaffold", source).read_text(encoding="utf-8")
    # exactly the version `init` runs with; a development build names its commit
    return text.replace(f"{PACKAGE}==<VERSION>", requirement_line()).replace("<VERSION>", __version__)


def build_steps(host: str, generator: str) -> str:
    """The workflow's lines that build the site with ``generator``."""
    mkdocs_steps, zensical_steps = ZENSICAL_STEPS[host]
    return zensical_steps if generator == "zensical" else mkdocs_steps


def workflow_text(host: str, generator: str) -> str:
    """The workflow `init` writes for ``host``, building with ``generator``."""
    text = scaffold_text(HOST_FILES[host][1])
    assert build_steps(host, "mkdocs") in text, f"{HOST_FILES[host][1]} lost its build steps"
    return text.replace(build_steps(host, "mkdocs"), build_steps(host, generator))
