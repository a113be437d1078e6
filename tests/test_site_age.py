"""`status --site`: when the published site was last built, so a failed daily build does not go unnoticed."""

from __future__ import annotations

from click.testing import CliRunner

from client_portal.commands.cli import main

from .build import SECRET
from .test_loader import VALID


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def built_portal(empty_portal, monkeypatch):
    monkeypatch.setenv("PORTAL_SECRET", SECRET)
    (empty_portal / "clients" / "acme.yml").write_text(VALID, encoding="utf-8")
    assert run("build", "site").exit_code == 0
    return empty_portal


def test_the_prefix_index_says_when_it_was_built(empty_portal, monkeypatch):
    portal = built_portal(empty_portal, monkeypatch)
    assert 'data-cp-built="2026-11-23"' in (portal / "site" / "p" / "index.html").read_text(encoding="utf-8")


def test_status_says_when_the_site_was_built(empty_portal, monkeypatch):
    built_portal(empty_portal, monkeypatch)
    result = run("status", "--site", "site")
    assert result.exit_code == 0, result.output
    assert "site was built on 2026-11-23 (0 days ago)." in result.stderr


def test_status_says_when_the_daily_build_has_not_run_for_days(empty_portal, monkeypatch):
    portal = built_portal(empty_portal, monkeypatch)
    config = portal / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("2026-11-23", "2026-11-26"), encoding="utf-8")
    result = run("status", "--site", "site")
    assert result.exit_code == 1  # three days: the daily build failed twice
    assert (
        "warning: site was last built on 2026-11-23, 3 days ago: the daily build has not run since, so clients' "
        "pages say they may be out of date; look at the workflow's latest runs" in result.stderr
    )
    config.write_text(config.read_text(encoding="utf-8").replace("2026-11-26", "2026-11-25"), encoding="utf-8")
    assert run("status", "--site", "site").exit_code == 0  # two days: still within what the page allows


def test_status_of_a_site_built_before_the_mark_or_missing(empty_portal, monkeypatch):
    portal = built_portal(empty_portal, monkeypatch)
    index = portal / "site" / "p" / "index.html"
    index.write_text(index.read_text(encoding="utf-8").replace('data-cp-built="2026-11-23"', ""), encoding="utf-8")
    result = run("status", "--site", "site")
    assert result.exit_code == 0
    assert "does not say when it was built (an older version built it); build again" in result.stderr
    missing = run("status", "--site", "nowhere")
    assert missing.exit_code == 1 and "error: cannot read nowhere/p/index.html" in missing.stderr
