"""links, audit, status and secret: the commands around a built portal."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from client_portal.commands.cli import main

from .build import SECRET, build_site
from .conftest import ROOT

PASSWORD = "correct horse battery staple"


@pytest.fixture
def portal(tmp_path, monkeypatch) -> Path:
    """A copy of the example portal as the working directory, with its secrets set."""
    for name in ("mkdocs.yml", "content", "clients"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PORTAL_SECRET", SECRET)
    monkeypatch.setenv("LOTUS_TEA_PORTAL_PASSWORD", PASSWORD)
    monkeypatch.delenv("CI", raising=False)
    return tmp_path


@pytest.fixture
def built_copy(example_site, tmp_path_factory) -> Path:
    """A copy of the example portal as built with the secrets of ``portal``, for a test to plant leaks in."""
    return Path(shutil.copytree(example_site, tmp_path_factory.mktemp("built") / "site"))


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_links_json_lists_one_link_per_contact(portal):
    result = run("links", "--json", "--base-url", "https://mei.example/portal/")
    assert result.exit_code == 0, result.output
    rows = {row["id"]: row for row in json.loads(result.output)}
    acme = rows["acme-bakery"]
    assert acme["name"] == "Acme Bakery" and acme["mode"] == "link"
    assert re.fullmatch(r"p/[a-z2-7]{26}/", acme["path"])
    assert [link["contact"] for link in acme["links"]] == ["Anna Weber", "Tomasz Nowak"]
    for link in acme["links"]:
        assert re.fullmatch(r"https://mei\.example/portal/p/[a-z2-7]{26}/#[A-Za-z0-9_-]{43}", link["url"])
    assert rows["lotus-tea"]["links"][0]["url"].endswith(rows["lotus-tea"]["path"])  # password: no key in the link
    assert rows["harbor-books"]["mode"] == "unlisted"


def test_links_match_the_built_site(portal, example_site):
    site = example_site  # built from the same configuration, records and secret as this copy
    rows = json.loads(run("links", "--json").output)
    for row in rows:
        assert (site / row["path"] / "index.html").is_file()


def test_links_are_stable_and_use_site_url(portal):
    first, second = run("links").output, run("links").output
    assert first == second
    assert "https://portal.mei.example/p/" in first


def test_audit_passes_on_a_clean_build_and_fails_on_a_planted_name(portal, built_copy):
    site = built_copy
    clean = run("audit", str(site))
    assert clean.exit_code == 0, clean.output
    assert re.search(r"audit: 0 findings in \d+ files, 6 clients", clean.output)
    index = site / "index.html"
    index.write_text(
        index.read_text(encoding="utf-8").replace("</body>", "<p>Proud to work with Acme Bakery</p></body>")
    )
    planted = run("audit", str(site))
    assert planted.exit_code == 1
    assert f"{site.as_posix()}/index.html: text of client 'acme-bakery' appears outside its folder: 'Acme Bakery'" in (
        planted.output
    )


def test_audit_finds_leaks_in_compressed_files_and_readable_encrypted_pages(portal, built_copy):
    import gzip

    site = built_copy
    sitemap = site / "sitemap.xml.gz"
    sitemap.write_bytes(
        gzip.compress(gzip.decompress(sitemap.read_bytes()).replace(b"</urlset>", "莲语茶舍</urlset>".encode()))
    )
    links = {row["id"]: row for row in json.loads(run("links", "--json").output)}
    acme_page = site / links["acme-bakery"]["path"] / "index.html"
    acme_page.write_text(acme_page.read_text(encoding="utf-8").replace("</main>", "<p>Tomasz Nowak</p></main>"))
    (site / "acme-bakery.yml").write_text("name: Acme Bakery\n")
    result = run("audit", str(site))
    assert result.exit_code == 1
    assert "sitemap.xml.gz: text of client 'lotus-tea' appears outside its folder: '莲语茶舍'" in result.output
    assert "readable text of 'acme-bakery' in its encrypted page: 'Tomasz Nowak'" in result.output
    assert "acme-bakery.yml: a YAML file is published" in result.output


def test_audit_finds_a_published_secret_and_a_missing_page(portal, built_copy):
    site = built_copy
    (site / "debug.txt").write_text(f"secret={SECRET} password={PASSWORD}")
    links = {row["id"]: row for row in json.loads(run("links", "--json").output)}
    shutil.rmtree(site / links["fjord-cycles"]["path"])
    result = run("audit", str(site))
    assert result.exit_code == 1
    assert "debug.txt: the site secret appears in this file" in result.output
    assert "debug.txt: the password in LOTUS_TEA_PORTAL_PASSWORD appears in this file" in result.output
    assert "no page was built for client 'fjord-cycles'" in result.output
    assert SECRET not in result.output and PASSWORD not in result.output


def test_audit_fails_when_no_client_page_was_built(portal, tmp_path_factory):
    site = tmp_path_factory.mktemp("site")
    (site / "index.html").write_text("<p>a site built without the plugin</p>")
    result = run("audit", str(site))
    assert result.exit_code == 1
    assert "no client page was built" in result.output


def test_audit_of_a_missing_directory_is_a_usage_error(portal):
    result = run("audit", "nowhere")
    assert result.exit_code == 2
    assert "build the site first" in result.output


def test_status_sorts_by_urgency(portal):
    result = run("status")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("overdue") and "Confirm the delivery zones" in lines[0] and "(4d late)" in lines[0]
    kinds = [line.split("  ")[0].strip() for line in lines[:-1]]
    order = [
        "overdue",
        "unpaid",
        "due soon",
        "waiting on client",
        "open request",
        "budget",
        "awaiting answer",
        "on hold",
    ]
    assert kinds == sorted(kinds, key=order.index)
    # a paused project's open work is listed in a group of its own, never as late or due
    assert [line for line in lines if "Fjord Cycles" in line] == [
        "on hold            Fjord Cycles: Webshop design [deliverable]"
    ]
    # money is listed whatever the stage: an unpaid invoice past due, a budget 80% used
    assert (
        "unpaid             Acme Bakery: invoice INV-2026-014, €1,250.00 [invoice]  due 2026-11-15 (8d late)" in lines
    )
    assert "budget             Harbor Books: 85% used: 8.5 of 10 days for the project [budget]" in lines
    assert lines[-1] == "25 items across 6 clients, as of 2026-11-23"
    assert "\x1b[" not in result.output  # plain when piped


def test_status_json(portal):
    items = json.loads(run("status", "--json").output)
    assert items[0] == {
        "client": "acme-bakery",
        "name": "Acme Bakery",
        "urgency": "overdue",
        "kind": "request",
        "title": "Confirm the delivery zones and the minimum order for delivery",
        "due": "2026-11-19",
        "days_left": -4,
        "by": None,  # who decided: for what a client's decision asks of you
        "at": None,
    }
    assert {item["urgency"] for item in items} == {
        "overdue", "invoice_past_due", "due_soon", "waiting_on_client", "open_request", "budget",
        "awaiting_answer", "paused",
    }  # fmt: skip


def test_status_is_coloured_on_a_terminal(portal):
    result = CliRunner().invoke(main, ["status"], color=True)
    assert "\x1b[31m\x1b[1moverdue" in result.output


def test_secret_prints_a_fresh_random_secret_and_keeps_it_for_links(portal, monkeypatch):
    monkeypatch.delenv("PORTAL_SECRET")
    result = CliRunner().invoke(main, ["secret"])
    assert result.exit_code == 0, result.output
    printed = result.stdout.strip()  # only the value on stdout: `client-portal secret | gh secret set PORTAL_SECRET`
    assert len(printed) >= 40 and re.fullmatch(r"[A-Za-z0-9_-]+", printed)
    assert "gh secret set PORTAL_SECRET" in result.stderr
    kept = portal / ".portal-secret"
    assert printed in kept.read_text() and kept.stat().st_mode & 0o077 == 0
    # the links are made with the kept value: the same links as with PORTAL_SECRET set to it in CI
    local = json.loads(run("links", "--json").output)
    monkeypatch.setenv("PORTAL_SECRET", printed)
    assert json.loads(run("links", "--json").output) == local


def test_secret_never_replaces_a_kept_secret_unless_asked(portal):
    first = run("secret").stdout.strip()
    again = CliRunner().invoke(main, ["secret"])
    assert again.exit_code == 1
    assert "already keeps the site secret" in again.stderr and "--replace" in again.stderr
    assert first not in again.output  # never shown again by accident
    assert first in (portal / ".portal-secret").read_text()
    replaced = CliRunner().invoke(main, ["secret", "--replace"])
    assert replaced.exit_code == 0
    assert replaced.stdout.strip() != first and replaced.stdout.strip() in (portal / ".portal-secret").read_text()


def test_secret_outside_a_portal_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["secret"])
    assert result.exit_code == 2 and "mkdocs.yml" in result.stderr
    assert not (tmp_path / ".portal-secret").exists()


def test_secret_replaces_the_one_a_local_build_generated(portal, tmp_path_factory, monkeypatch):
    monkeypatch.delenv("PORTAL_SECRET")
    build_site(portal / "mkdocs.yml", tmp_path_factory.mktemp("site"))
    generated = (portal / ".portal-secret").read_text()
    result = CliRunner().invoke(main, ["secret"])
    assert result.exit_code == 0
    assert result.stdout.strip() in (portal / ".portal-secret").read_text() != generated


@pytest.mark.parametrize("command", [("links",), ("links", "--json"), ("digest",)])
def test_links_refuse_a_secret_a_local_build_generated(portal, tmp_path_factory, monkeypatch, command):
    monkeypatch.delenv("PORTAL_SECRET")
    build_site(portal / "mkdocs.yml", tmp_path_factory.mktemp("site"))  # writes .portal-secret, as `mkdocs serve` does
    result = CliRunner().invoke(main, list(command))
    assert result.exit_code == 1
    assert "generated by a local build" in result.stderr and "client-portal secret" in result.stderr
    assert "https://" not in result.stdout and "#" not in result.stdout


@pytest.mark.parametrize("command", ["links", "digest"])
def test_links_without_any_secret_say_what_to_do_and_make_none(portal, monkeypatch, command):
    monkeypatch.delenv("PORTAL_SECRET")
    result = CliRunner().invoke(main, [command])
    assert result.exit_code == 1
    assert "no secret is kept in .portal-secret" in result.stderr and "client-portal secret" in result.stderr
    assert not (portal / ".portal-secret").exists()  # links never make a secret of their own


@pytest.mark.parametrize("command", ["links", "digest"])
def test_links_refuse_the_placeholder_site_url(portal, command):
    config = portal / "mkdocs.yml"
    config.write_text(config.read_text().replace("https://portal.mei.example/", "https://example.github.io/portal/"))
    result = CliRunner().invoke(main, [command])
    assert result.exit_code == 1
    assert "placeholder https://example.github.io/portal/" in result.stderr and "site_url" in result.stderr
    assert "example.github.io/portal/p/" not in result.stdout
    chosen = CliRunner().invoke(main, ["links", "--base-url", "https://mei.example/portal/"])
    assert chosen.exit_code == 0 and "https://mei.example/portal/p/" in chosen.stdout


def test_links_check_confirms_a_site_built_with_the_same_secret(portal, example_site, monkeypatch):
    site = example_site
    confirmed = CliRunner().invoke(main, ["links", "--check", str(site)])
    assert confirmed.exit_code == 0, confirmed.output
    assert "was built with this secret" in confirmed.stderr and "https://portal.mei.example/p/" in confirmed.stdout
    # the fingerprint in the index is public and says nothing about the secret
    index = (site / "p" / "index.html").read_text()
    assert SECRET not in index and re.search(r'data-cp-site="[A-Za-z0-9_-]{12}"', index)
    monkeypatch.setenv("PORTAL_SECRET", SECRET.replace("0", "1"))
    other = CliRunner().invoke(main, ["links", "--check", str(site)])
    assert other.exit_code == 1
    assert "built with another site secret" in other.stderr and "https://" not in other.stdout
    missing = CliRunner().invoke(main, ["links", "--check", str(portal)])
    assert missing.exit_code == 1 and "cannot read" in missing.stderr


def test_links_in_ci_without_secret_is_a_clear_error(portal, monkeypatch):
    monkeypatch.delenv("PORTAL_SECRET")
    monkeypatch.setenv("CI", "true")
    result = run("links")
    assert result.exit_code == 2
    assert "PORTAL_SECRET is not set" in result.output


@pytest.mark.parametrize(
    ("base", "warned"),
    [("http://mei.example/", True), ("https://mei.example/", False), ("http://127.0.0.1:8000/", False)],
)
def test_links_warn_about_a_plain_http_base_url(portal, base, warned):
    result = CliRunner().invoke(main, ["links", "--base-url", base])
    assert result.exit_code == 0
    assert ("plain http" in result.stderr) is warned
    assert f"{base}p/" in result.stdout
