"""Nothing private where the generator publishes it; a warning for a site that shares its origin."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from mkdocs.exceptions import Abort

from client_portal.commands.cli import main

from .build import SECRET, build_site
from .conftest import CONFIG
from .example import copy_example, use_example_secrets


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def portal(tmp_path, monkeypatch) -> Path:
    """A copy of the example portal as the working directory, with its secrets set."""
    use_example_secrets(monkeypatch)
    monkeypatch.chdir(copy_example(tmp_path))
    return tmp_path


def configure(portal: Path, *lines: str, options: str = "") -> None:
    """Top-level settings of mkdocs.yml, and options of the plugin, added to the example's."""
    config = portal / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    text = "\n".join(lines) + "\n" + text if lines else text
    if options:
        text = text.replace("      clients_dir: clients\n", options, 1)
    config.write_text(text, encoding="utf-8")


PUBLISHED = [
    # (top-level settings, plugin options, the setting named, the folder it holds)
    ((), "      clients_dir: content/clients\n", "client-portal.clients_dir 'content/clients'", "docs_dir 'content'"),
    (
        ("site_dir: public",),
        "      clients_dir: public/records\n",
        "client-portal.clients_dir 'public/records'",
        "site_dir 'public'",
    ),
    (("site_dir: .cache",), "", "the cache folder '.cache/client-portal'", "site_dir '.cache'"),
]


@pytest.mark.parametrize(("top", "options", "what", "where"), PUBLISHED)
def test_a_private_folder_inside_a_published_one_is_refused_before_anything_is_written(
    portal, caplog, top, options, what, where
):
    configure(portal, *top, options=options)
    if "content/clients" in options:
        shutil.move(portal / "clients", portal / "content" / "clients")
    elif "public/records" in options:
        (portal / "public").mkdir()
        shutil.move(portal / "clients", portal / "public" / "records")
    site = portal / (top[0].split(": ")[1] if top else "built")  # the site_dir the configuration names
    before = sorted(p.relative_to(portal) for p in portal.rglob("*"))
    result = run("check")
    assert result.exit_code == 2
    assert f"error: mkdocs.yml: {what} is inside {where}" in result.output
    assert "would publish it as plain text" in result.output and "Traceback" not in result.output
    with pytest.raises(Abort):
        build_site(portal / "mkdocs.yml", site)
    assert f"client-portal: mkdocs.yml: {what} is inside {where}" in caplog.text
    assert sorted(p.relative_to(portal) for p in portal.rglob("*")) == before  # no secret file, no cache


@pytest.mark.parametrize("folder", ["content/letters", "content", "site/letters"])
def test_digest_drafts_inside_a_published_folder_are_refused(portal, folder):
    result = run("digest", "--since", "2026-01-01", "--out", folder, "--base-url", "https://portal.mei.example/")
    assert result.exit_code == 2
    publisher = "site_dir" if folder.startswith("site") else "docs_dir"
    assert f"error: --out {folder} is inside {publisher}" in result.stderr
    assert not (portal / folder).exists() or (folder == "content" and not list((portal / folder).rglob("*.eml")))


@pytest.mark.parametrize(
    ("site_url", "warned"),
    [
        ("https://mei.github.io/portal/", True),
        ("https://mei.github.io/", True),  # the account's own site: the same origin as its project sites
        ("https://portal.mei.example/", False),
        ("https://github.io.mei.example/", False),
    ],
)
def test_check_and_links_warn_about_an_origin_shared_with_other_github_pages_sites(empty_portal, site_url, warned):
    (empty_portal / "mkdocs.yml").write_text(f"site_url: {site_url}\n" + CONFIG, encoding="utf-8")
    check = run("check")
    assert check.exit_code == 0
    expected = "mkdocs.yml:1:1: warning: site_url " + site_url + " is on GitHub Pages"
    assert (expected in check.output) is warned
    assert check.output.splitlines()[-1] == f"0 records checked: 0 errors, {int(warned)} warning{'s' * (not warned)}"
    links = CliRunner().invoke(main, ["links"], env={"PORTAL_SECRET": SECRET})
    assert links.exit_code == 0
    assert ("shares the origin https://mei.github.io" in links.stderr) is warned
