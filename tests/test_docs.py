"""The documentation site: its reference written from the code, built strictly, every link leading somewhere."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import click
import pytest

from client_portal.commands.cli import main as cli
from client_portal.records.model import json_schema
from client_portal.settings import FreelancerOptions, PortalOptions

from .conftest import ROOT

DOCS_URL = "https://mkdocs-client-portal.github.io/mkdocs-client-portal/"
ZENSICAL = Path(sys.executable).parent / "zensical"


def script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


reference = script("docs_reference")
check_links = script("check_links")


def last_cell(row: str) -> str:
    return row.strip().strip("|").split("|")[-1].strip()


def section(page: str, heading: str) -> str:
    return page.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def test_the_record_reference_has_every_field_with_a_description():
    page = reference.records_page()
    schema = json_schema()
    parts = {"Record": schema, **schema["$defs"]}
    for name, part in parts.items():
        rows = section(page, reference.readable(name))
        for field in part["properties"]:
            [row] = [line for line in rows.splitlines() if line.startswith(f"| `{field}` |")]
            assert last_cell(row), f"{name}.{field} has no description"
        for required in part.get("required", []):
            assert f"| `{required}` | " in rows and "| yes |" in rows


def test_the_record_reference_says_allowed_values_and_defaults():
    rows = section(reference.records_page(), "Deliverable").splitlines()
    status = next(row for row in rows if row.startswith("| `status` |"))
    assert "`in_review`" in status and "`waiting_on_client`" in status and "| `planned` |" in status
    assert "<code>^#(?:[0-9a-fA-F]{3}&#124;[0-9a-fA-F]{6})$</code>" in section(reference.records_page(), "Brand")


def test_the_commands_reference_has_every_command_and_option():
    page = reference.commands_page()
    context = click.Context(cli, info_name="client-portal")
    commands = []
    for name in cli.list_commands(context):
        command = cli.get_command(context, name)
        assert command is not None
        if isinstance(command, click.Group):  # `hours import`: each command of a group has its own section
            inner = click.Context(command, info_name=name, parent=context)
            commands += [(f"{name} {sub}", command.get_command(inner, sub)) for sub in command.list_commands(inner)]
        else:
            commands.append((name, command))
    assert "hours import" in dict(commands)
    for name, command in commands:
        assert command is not None
        text = section(page, name)
        assert (command.help or "").strip() in text
        for option in command.params:
            for written in option.opts:
                if written.startswith("-"):
                    assert f"`{written}" in text or f", {written}" in text, f"{name} {written}"


def test_the_settings_reference_has_every_setting_with_a_description():
    page = reference.settings_page()
    names = [n for n in PortalOptions.model_fields if n != "freelancer"]
    names += [f"freelancer.{n}" for n in FreelancerOptions.model_fields]
    for name in names:
        [row] = [line for line in page.splitlines() if line.startswith(f"| `{name}` |")]
        assert last_cell(row), f"{name} has no description"


def nav_pages(nav: list) -> set[str]:
    found = set()
    for entry in nav:
        for value in entry.values() if isinstance(entry, dict) else [entry]:
            found |= nav_pages(value) if isinstance(value, list) else {value}
    return found


def test_every_page_is_in_the_navigation_and_every_entry_is_a_page(tmp_path):
    reference.prepare(tmp_path / "docs")
    config = tomllib.loads((tmp_path / "docs" / "zensical.toml").read_text(encoding="utf-8"))["project"]
    source = tmp_path / "docs" / config["docs_dir"]
    pages = {p.relative_to(source).as_posix() for p in source.rglob("*.md")}
    assert nav_pages(config["nav"]) == pages
    assert {"reference/records.md", "reference/commands.md", "reference/settings.md"} <= pages
    assert not (ROOT / "docs" / "src" / "reference").exists(), "the reference is written at build time, not kept"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The documentation site, built as `make docs` builds it."""
    out = tmp_path_factory.mktemp("docs") / "docs"
    reference.prepare(out)
    result = subprocess.run(
        [str(ZENSICAL), "build", "--strict", "--config-file", str(out / "zensical.toml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No issues found" in result.stdout + result.stderr
    return out / "site"


def test_the_docs_build_strictly_and_every_link_leads_somewhere(built):
    found, checked = check_links.broken_links(built, DOCS_URL)
    assert found == []
    assert checked > 500
    for page in ("tutorial", "how-to/passwords", "reference/records", "explanation/security"):
        assert (built / page / "index.html").is_file()


def test_the_link_checker_finds_a_missing_page_a_missing_anchor_and_a_way_out(tmp_path):
    site = tmp_path / "site"
    (site / "guide").mkdir(parents=True)
    (site / "index.html").write_text(
        '<a href="guide/">ok</a><a href="guide/#part">ok</a><a href="https://example.com/x">elsewhere</a>'
        '<a href="guide/#nowhere">anchor</a><a href="missing/">page</a><img src="../../etc/passwd">'
        '<a href="/docs/guide/">rooted</a><a href="/other/">rooted elsewhere</a>'
        '<link rel="canonical" href="https://docs.example/docs/missing.html">',
        encoding="utf-8",
    )
    (site / "guide" / "index.html").write_text('<h2 id="part">Part</h2><a href="#top">top</a>', encoding="utf-8")
    found, checked = check_links.broken_links(site, "https://docs.example/docs/")
    assert found == [
        "guide/index.html: #top (no anchor #top)",
        "index.html: guide/#nowhere (no anchor #nowhere)",
        "index.html: missing/ (no such file)",
        "index.html: ../../etc/passwd (outside the site)",
        "index.html: /other/ (outside the site)",
        "index.html: https://docs.example/docs/missing.html (no such file)",
    ]
    assert checked == 9


def test_the_link_checker_exits_1_on_a_broken_link(tmp_path):
    (tmp_path / "index.html").write_text('<a href="gone.html">x</a>', encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_links.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1 and "index.html: gone.html (no such file)" in result.stdout


def test_the_readme_is_what_a_visitor_needs_first_and_points_to_the_docs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) < 200
    for needed in (
        DOCS_URL,
        "pip install mkdocs-client-portal",
        "pipx install mkdocs-client-portal",
        "uv tool install mkdocs-client-portal",
        "make serve",
        "make test",
        "## Which generator?",
        "screenshots/phone.png",
    ):
        assert needed in readme, needed
    for link in re.findall(re.escape(DOCS_URL) + r"([^)>\s]*)", readme):
        page = link.split("#")[0].rstrip("/")
        if page:
            assert (ROOT / "docs" / "src" / f"{page}.md").is_file(), link


@pytest.mark.parametrize(
    ("page", "moved"),
    [
        ("how-to/revoke.md", "| bump `access.version` | every link, password login and remembered login"),
        ("how-to/records.md", "clients/acme-bakery.yml:73:13: error: deliverables[4].status"),
        ("how-to/languages.md", "`de-AT`, then `de`, then any other `de-…`, then `en`, then the first."),
        ("how-to/letters.md", "Clients with nothing new get nothing."),
        ("explanation/security.md", "It catches accidents, not disguises"),
        ("explanation/performance.md", "| 10,000 | 19.2 s, 245 MiB | 68.4 s, 274 MiB | — | 0.28 | — |"),
        ("development.md", "only the two adapters know MkDocs"),
        ("how-to/publish.md", "`peaceiris/actions-gh-pages`"),
        ("how-to/other-generators.md", "`client-portal build` adds them to any built site"),
        ("how-to/configure.md", "`<theme.custom_dir>/client-portal/` to change it."),
    ],
)
def test_what_left_the_readme_is_in_the_docs(page, moved):
    text = (ROOT / "docs" / "src" / page).read_text(encoding="utf-8")
    assert moved in text
    assert moved not in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_docs_site_is_where_the_package_says_its_documentation_is():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["urls"]["Documentation"] == DOCS_URL
    config = tomllib.loads((ROOT / "docs" / "zensical.toml").read_text(encoding="utf-8"))["project"]
    assert config["site_url"] == DOCS_URL
    assert DOCS_URL in (ROOT / "Makefile").read_text(encoding="utf-8")
