"""End-to-end builds of the example portal: pages placed at opaque URLs, nothing leaking."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from mkdocs import utils as mkdocs_utils
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort

from client_portal.audit.audit import site_texts as site_files
from client_portal.publishing import crypto
from client_portal.publishing.addresses import client_links, replaced_folders
from client_portal.publishing.calendar_feed import feed_path, subscribes
from client_portal.publishing.crypto import url_token
from client_portal.publishing.portal import RECYCLED
from client_portal.publishing.site_folder import KEPT_ASIDE, keep_aside, take_back
from client_portal.records.loader import load_clients
from client_portal.settings import CACHE_DIR

from .build import SECRET, build_site
from .conftest import ROOT, TODAY
from .pages import SETTINGS

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def site(example_site) -> Path:
    """The example portal, built once for every test that only reads it."""
    return example_site


@pytest.fixture(scope="module")
def clients():
    return load_clients(ROOT / "clients", today=TODAY)


def folder_of(client) -> str:
    access = client.record.access
    return f"p/{url_token(SECRET.encode(), client.id, access.version, access.mode == 'unlisted')}/"


def private_strings(client) -> set[str]:
    """Text that identifies a client: their name, people, work and ideas."""
    record = client.record
    found = {record.name, client.id}
    found |= {c.name for c in record.contacts} | {c.email for c in record.contacts if c.email}
    found |= {d.title for d in record.deliverables} | {s.title for s in record.suggestions}
    found |= {s.title for s in record.schedule} | {r.title for r in record.requests}
    if record.greeting:
        found.add(record.greeting.strip().splitlines()[0][:40])
    return {text for text in found if len(text) >= 6}


def test_every_client_gets_a_page_at_its_token(site, clients):
    assert len(clients) == 6
    for client in clients:
        page = site / folder_of(client) / "index.html"
        assert page.is_file(), client.id
    replaced = {folder for c in clients for folder in replaced_folders("p", SECRET.encode(), c)}
    feeds = {feed_path("p", SECRET.encode(), c) for c in clients if subscribes(c.record)}  # opt-in, beside the pages
    expected = {folder_of(c) for c in clients} | replaced | feeds | {"p/index.html"}
    assert len(feeds) == 1
    assert {p.relative_to(site).as_posix() + ("/" if p.is_dir() else "") for p in (site / "p").iterdir()} == expected


def test_earlier_addresses_get_a_neutral_replaced_page(site, clients):
    for client in clients:
        old = replaced_folders("p", SECRET.encode(), client)
        # version 1 pages: the one other address is the same version with the other readability
        assert len(old) == 2 * client.record.access.version - 1
        for folder in old:
            assert [p.name for p in (site / folder).iterdir()] == ["index.html"]
            html = (site / folder / "index.html").read_text(encoding="utf-8")
            assert "data-cp-replaced" in html and "This link was replaced" in html and "Mei Chen" in html
            assert '<meta name="robots" content="noindex,nofollow,noarchive">' in html
            assert client.record.name not in html


def test_a_readable_page_has_addresses_of_its_own(clients):
    secret = SECRET.encode()
    for client in clients:
        readable = url_token(secret, client.id, 1, readable=True)
        assert readable != url_token(secret, client.id, 1)
        assert len(readable) == 26


def test_the_prefix_folder_has_a_neutral_index(site, clients):
    html = (site / "p" / "index.html").read_text(encoding="utf-8")
    assert "data-cp-prefix-index" in html and '<meta name="robots" content="noindex,nofollow,noarchive">' in html
    for client in clients:
        assert client.record.name not in html and folder_of(client).split("/")[1] not in html


def test_tokens_are_stable_and_change_with_the_access_version(clients):
    client = clients[0]
    assert url_token(SECRET.encode(), client.id, 1) == url_token(SECRET.encode(), client.id, 1)
    assert url_token(SECRET.encode(), client.id, 2) != url_token(SECRET.encode(), client.id, 1)
    assert url_token(b"another-secret-0123456789abcdef0123", client.id, 1) != url_token(SECRET.encode(), client.id, 1)
    assert len(url_token(SECRET.encode(), client.id, 1)) == 26


def test_no_client_text_outside_its_own_folder(site, clients):
    files = list(site_files(site))
    assert any(path == "sitemap.xml.gz" for path, _ in files)
    assert any(path == "search/search_index.json" for path, _ in files)
    for client in clients:
        folder = folder_of(client)
        token = folder.split("/")[1]
        # text shared by several records (the freelancer's own holiday) belongs to none of them
        shared = set().union(*(private_strings(other) for other in clients if other is not client))
        for path, text in files:
            if path.startswith(folder):
                continue
            for secret_text in (private_strings(client) - shared) | {token}:
                assert secret_text not in text, f"{client.id}: {secret_text!r} leaked into {path}"


def test_client_pages_are_not_in_navigation_search_or_sitemap(site):
    files = dict(site_files(site))
    for path in ("sitemap.xml", "sitemap.xml.gz", "search/search_index.json", "404.html", "index.html"):
        assert "/p/" not in files[path] and '"p/' not in files[path], path


def test_records_and_secret_are_never_published(site):
    names = [path for path, _ in site_files(site)]
    assert not any(name.endswith((".yml", ".yaml")) or "portal-secret" in name for name in names)
    assert not any(SECRET in text for _, text in site_files(site))


def test_client_pages_carry_noindex_and_no_referrer(site, clients):
    for client in clients:
        html = (site / folder_of(client) / "index.html").read_text(encoding="utf-8")
        assert '<meta name="robots" content="noindex,nofollow,noarchive">' in html
        assert '<meta name="referrer" content="no-referrer">' in html
        assert "fonts.googleapis.com" not in html


def payload_of(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="cp-payload">(.*?)</script>', html, re.S)
    assert match, "no encrypted payload"
    return json.loads(match.group(1))


def page_html(site: Path, client) -> str:
    return (site / folder_of(client) / "index.html").read_text(encoding="utf-8")


def test_link_pages_open_with_each_contacts_key_only(site, clients):
    acme = next(c for c in clients if c.id == "acme-bakery")
    html = page_html(site, acme)
    payload = payload_of(html)
    token = folder_of(acme).split("/")[1]
    links = client_links(SETTINGS, SECRET.encode(), acme)
    assert len(links) == len(acme.record.contacts) == 2
    for link in links:
        key = crypto.Recipient.from_link(crypto.from_b64url(link.path.split("#", 1)[1]))
        body = crypto.open_page(payload, token, key)
        assert "Acme Bakery" in body and 'data-accent="#9f5919" data-accent-dark="#df8636"' in body
        assert '<img class="cp-logo" src="data:image/svg+xml;base64,' in body
    with pytest.raises(KeyError):
        crypto.open_page(payload, token, crypto.Recipient.from_link(bytes(32)))
    first = crypto.Recipient.from_link(crypto.from_b64url(links[0].path.split("#", 1)[1]))
    with pytest.raises(InvalidTag):  # bound to its own folder: moved elsewhere it does not open
        crypto.open_page(payload, "another-token", first)


def test_password_page_opens_with_the_password(site, clients):
    lotus = next(c for c in clients if c.id == "lotus-tea")
    payload = payload_of(page_html(site, lotus))
    assert payload["kdf"]["iterations"] >= 600_000
    assert "莲语茶舍" in crypto.open_with_password(payload, folder_of(lotus).split("/")[1], PASSWORD)
    with pytest.raises(KeyError):
        crypto.open_with_password(payload, folder_of(lotus).split("/")[1], "not the password")


def test_encrypted_pages_are_padded_and_do_not_count_people(site, clients):
    for client in clients:
        if client.record.access.mode == "unlisted":
            continue
        payload = payload_of(page_html(site, client))
        size = len(crypto.from_b64url(payload["page"]["data"])) - 16  # the GCM tag
        assert size >= crypto.MIN_PAGE and crypto.page_bucket(size) == size, f"{client.id}: {size} is not a bucket"
        assert len(payload["keys"]) % 4 == 0  # decoys fill up the list
        assert len({len(k["id"]) for k in payload["keys"]}) == 1


def test_size_buckets():
    assert [crypto.padded_size(n) for n in (1, 16384, 16385, 40_000, 70_000)] == [16384, 16384, 32768, 65536, 131072]
    assert len(crypto.frame("<p>x</p>")) == crypto.MIN_PAGE


def test_encrypted_pages_hold_nothing_readable(site, clients):
    for client in clients:
        html = page_html(site, client)
        if client.record.access.mode == "unlisted":
            assert client.record.name in html
            continue
        assert any(f"<title>{t}</title>" in html for t in ("Private page", "私密页面", "صفحة خاصة"))
        for text in private_strings(client):
            assert text not in html, f"{client.id}: {text!r} readable in its encrypted page"


def test_page_language_follows_the_record(site, clients):
    by_id = {c.id: c for c in clients}
    assert '<html lang="en"' in page_html(site, by_id["acme-bakery"])
    assert '<html lang="zh-CN"' in page_html(site, by_id["lotus-tea"])
    assert '<html lang="ar" dir="rtl"' in page_html(site, by_id["jasmine-roastery"])  # the gate too, before it opens


def test_content_security_policy_allows_only_the_own_origin(site, clients):
    for client in clients:
        html = page_html(site, client)
        csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
        assert "default-src 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        loads = r'<(?:script|link|img|iframe|source|video|audio)\b[^>]*\b(?:src|href)="(?:https?:)?//'
        assert not re.search(loads, html), "a resource from another origin"


def test_robots_txt_disallows_the_prefix_without_tokens(site, clients):
    robots = (site / "robots.txt").read_text(encoding="utf-8")
    assert robots == "User-agent: *\nDisallow: /p/\n"


def test_build_does_not_write_the_local_index(site, clients):
    index = (site / "p" / "index.html").read_text(encoding="utf-8")
    assert not any(folder_of(client) in index for client in clients)


def test_a_build_never_lets_inline_scripts_run(site):
    pages = [p.read_text(encoding="utf-8") for p in (site / "p").rglob("*.html")]
    assert pages and all("script-src 'self';" in page and "unsafe-inline" not in page for page in pages)


def test_serve_writes_a_local_index_of_every_client(tmp_path, monkeypatch, clients):
    monkeypatch.setenv("PORTAL_SECRET", SECRET)
    monkeypatch.setenv("LOTUS_TEA_PORTAL_PASSWORD", PASSWORD)
    build_site(ROOT / "mkdocs.yml", tmp_path, serving=True)
    index = (tmp_path / "p" / "index.html").read_text(encoding="utf-8")
    for client in clients:
        assert f'href="/{folder_of(client)}' in index


def _serve_files(site: Path) -> dict[str, tuple[int, bytes]]:
    """Every file of a served site's client pages: its inode and bytes."""
    return {
        str(path.relative_to(site)): (path.stat().st_ino, path.read_bytes())
        for path in (site / "p").rglob("*")
        if path.is_file()
    }


def test_a_serve_rebuild_keeps_the_pages_aside_from_mkdocs_and_writes_what_a_first_build_writes(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_SECRET", SECRET)
    monkeypatch.setenv("LOTUS_TEA_PORTAL_PASSWORD", PASSWORD)
    portal = copy_portal(tmp_path / "portal").parent
    site = tmp_path / "site"
    session = load_config(str(portal / "mkdocs.yml"), site_dir=str(site))
    session.plugins.on_startup(command="serve", dirty=False)  # one plugin for the session, as `mkdocs serve` keeps

    def rebuild(site_dir: Path = site) -> None:
        build(load_config(str(portal / "mkdocs.yml"), site_dir=str(site_dir)))

    emptied_with_pages = []
    clean_directory = mkdocs_utils.clean_directory

    def cleaned(folder: str) -> None:
        if Path(folder) == site:
            emptied_with_pages.append((site / "p").exists())
        clean_directory(folder)

    monkeypatch.setattr(mkdocs_utils, "clean_directory", cleaned)
    rebuild()
    first = _serve_files(site)
    removed = url_token(SECRET.encode(), "fjord-cycles", 1)
    (portal / "clients" / "fjord-cycles.yml").unlink()
    acme = portal / "clients" / "acme-bakery.yml"
    edited = re.sub(r"(\n *)status: in_review", r"\1status: approved\1delivered: 2026-11-20", acme.read_text("utf-8"))
    acme.write_text(edited, encoding="utf-8")
    rebuild()
    again = _serve_files(site)
    rebuild(tmp_path / "fresh")  # a new session's first build, into an empty folder
    assert sorted(again) == sorted(_serve_files(tmp_path / "fresh"))
    assert not [path for path in again if removed in path] and [path for path in first if removed in path]
    assert emptied_with_pages == [False, False]  # MkDocs emptied the site folder each time, without the pages
    assert [path for path in again if path in first and first[path][1] != again[path][1]]  # Acme's page changed
    assert len([path for path in again if path in first and first[path] == again[path]]) > 10  # the others kept
    assert not (site / KEPT_ASIDE).exists() and (site / "index.html").is_file()  # MkDocs' own pages written again
    right = acme.read_text(encoding="utf-8")
    acme.write_text(right.replace("status: approved", "status: finished", 1), encoding="utf-8")
    with pytest.raises(Abort):
        rebuild()  # a wrong record: the build stops, its pages wait aside
    acme.write_text(right, encoding="utf-8")
    rebuild()
    assert sorted(_serve_files(site)) == sorted(again) and not (site / KEPT_ASIDE).exists()
    session.plugins.on_shutdown()


def test_pages_kept_aside_come_back_without_what_the_rebuild_left_out(tmp_path):
    site = tmp_path / "site"
    for path in ("p/a/index.html", "p/a/x.bin", "p/b/index.html", "p/c/d/index.html"):
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        (site / path).write_text(path, encoding="utf-8")
    keep_aside(site, "p")
    assert not (site / "p").exists() and (site / KEPT_ASIDE / "a" / "x.bin").is_file()
    take_back(site, "p", ["p/a/x.bin", "p/b/index.html", "p/c/d/index.html", "robots.txt", "p/gone/index.html"])
    assert sorted(str(path.relative_to(site)) for path in site.rglob("*")) == ["p", "p/a", "p/a/index.html"]
    keep_aside(site, "p")
    (site / "p").mkdir()  # a folder of that name written meanwhile: the kept pages go, it stays
    take_back(site, "p", [])
    assert not (site / KEPT_ASIDE).exists() and list((site / "p").iterdir()) == []
    (site / "p").rmdir()
    (site / "elsewhere").mkdir()
    (site / "p").symlink_to(site / "elsewhere")
    keep_aside(site, "p")  # a link is not a folder of pages: left where it is
    assert (site / "p").is_symlink() and not (site / KEPT_ASIDE).exists()


def copy_portal(tmp_path: Path) -> Path:
    tmp_path.mkdir(parents=True)
    for name in ("mkdocs.yml", "content", "clients"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    return tmp_path / "mkdocs.yml"


def mkdocs(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the real `mkdocs` command, as a user would."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("CI", "PORTAL_SECRET")} | env
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", *args], cwd=cwd, env=full_env, capture_output=True, text=True, check=False
    )


def test_invalid_record_fails_the_build_before_anything_is_written(tmp_path):
    copy_portal(tmp_path / "portal")
    record = tmp_path / "portal" / "clients" / "acme-bakery.yml"
    text = record.read_text(encoding="utf-8")
    line = text[: text.index("status: in_review")].count("\n") + 1
    record.write_text(text.replace("status: in_review", "status: reviewing"), encoding="utf-8")
    site_dir = tmp_path / "site"
    site_dir.mkdir()
    (site_dir / "keep.txt").write_text("previous build")
    result = mkdocs("build", "-d", str(site_dir), cwd=tmp_path / "portal", env={"PORTAL_SECRET": SECRET})
    assert result.returncode == 1
    assert (
        f"clients/acme-bakery.yml:{line}:13: error: deliverables[4].status: 'reviewing' is not allowed" in result.stderr
    )
    assert "Traceback" not in result.stderr
    assert (site_dir / "keep.txt").exists()  # the previous site was not cleaned away


def test_each_build_replaces_the_pages_of_the_last_and_leaves_nothing_of_them(tmp_path):
    config = copy_portal(tmp_path / "portal")
    env = {"PORTAL_SECRET": SECRET, "LOTUS_TEA_PORTAL_PASSWORD": PASSWORD}
    site, recycled = config.parent / "site", config.parent / CACHE_DIR / RECYCLED
    for _ in range(2):  # the second build sets the first one's pages aside, for the third to write over
        assert mkdocs("build", cwd=config.parent, env=env).returncode == 0
    clients = {c.id: c for c in load_clients(config.parent / "clients", today=TODAY)}
    (config.parent / "clients" / "fjord-cycles.yml").unlink()
    (site / "p" / "stray.html").write_text("from an earlier build", encoding="utf-8")
    (recycled / "stray").mkdir()
    (recycled / "stray" / "index.html").write_text("a page no build writes", encoding="utf-8")
    result = mkdocs("build", cwd=config.parent, env=env)
    assert result.returncode == 0, result.stderr
    assert not (site / folder_of(clients.pop("fjord-cycles"))).exists()
    assert not (site / "p" / "stray.html").exists() and not (site / "p" / "stray").exists()
    assert all((site / folder_of(client) / "index.html").is_file() for client in clients.values())
    assert not list((config.parent / CACHE_DIR).glob("pages-*"))  # nothing left waiting
    shutil.rmtree(recycled)  # a build from nothing, to compare with
    assert mkdocs("build", "-d", str(tmp_path / "fresh"), cwd=config.parent, env=env).returncode == 0
    under = {name: {p.relative_to(name).as_posix() for p in name.rglob("*")} for name in (site, tmp_path / "fresh")}
    assert under[site] == under[tmp_path / "fresh"]


@pytest.fixture
def portal_config(tmp_path, monkeypatch) -> Path:
    """A copy of the example portal with its secrets set; the path of its mkdocs.yml."""
    monkeypatch.setenv("PORTAL_SECRET", SECRET)
    monkeypatch.setenv("LOTUS_TEA_PORTAL_PASSWORD", PASSWORD)
    monkeypatch.delenv("CI", raising=False)
    return copy_portal(tmp_path / "portal")


def test_templates_can_be_overridden_from_custom_dir(tmp_path, portal_config):
    config = portal_config
    text = config.read_text(encoding="utf-8").replace(
        "  name: material\n", "  name: material\n  custom_dir: overrides\n"
    )
    config.write_text(text + "\n", encoding="utf-8")
    partial = tmp_path / "portal" / "overrides" / "client-portal" / "partials" / "contact.html"
    partial.parent.mkdir(parents=True)
    partial.write_text('<section id="contact"><p>Call me: {{ freelancer.name }}</p></section>', encoding="utf-8")
    build_site(config, tmp_path / "site")
    harbor = next(c for c in load_clients(ROOT / "clients", today=TODAY) if c.id == "harbor-books")
    html = (tmp_path / "site" / folder_of(harbor) / "index.html").read_text(encoding="utf-8")
    assert "<p>Call me: Mei Chen</p>" in html


def test_headers_file_is_written_when_asked(tmp_path, portal_config):
    config = portal_config
    text = config.read_text(encoding="utf-8").replace(
        "      url_prefix: p\n", "      url_prefix: p\n      headers_file: true\n"
    )
    config.write_text(text, encoding="utf-8")
    build_site(config, tmp_path / "site")
    headers = (tmp_path / "site" / "_headers").read_text(encoding="utf-8")
    assert (
        headers.startswith("/p/*\n")
        and "X-Robots-Tag: noindex" in headers
        and "Referrer-Policy: no-referrer" in headers
        and "Content-Security-Policy: frame-ancestors 'none'" in headers
        and "X-Frame-Options: DENY" in headers
    )


def test_existing_robots_txt_is_kept(tmp_path, portal_config):
    config = portal_config
    (tmp_path / "portal" / "content" / "robots.txt").write_text("User-agent: *\nDisallow: /drafts/\n")
    build_site(config, tmp_path / "site")
    robots = (tmp_path / "site" / "robots.txt").read_text(encoding="utf-8")
    assert robots == "User-agent: *\nDisallow: /drafts/\n\nUser-agent: *\nDisallow: /p/\n"


def test_missing_logo_fails_the_build_clearly(tmp_path):
    copy_portal(tmp_path / "portal")
    (tmp_path / "portal" / "clients" / "logos" / "acme-bakery.svg").unlink()
    result = mkdocs("build", "-d", str(tmp_path / "site"), cwd=tmp_path / "portal", env={"PORTAL_SECRET": SECRET})
    assert result.returncode == 1
    assert "acme-bakery: brand.logo: logos/acme-bakery.svg not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_build_in_ci_without_secret_fails_clearly(tmp_path):
    copy_portal(tmp_path / "portal")
    result = mkdocs("build", "-d", str(tmp_path / "site"), cwd=tmp_path / "portal", env={"CI": "true"})
    assert result.returncode == 1
    assert "PORTAL_SECRET is not set" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "portal" / ".portal-secret").exists()


def test_local_build_without_secret_generates_a_git_ignored_one(tmp_path, monkeypatch):
    monkeypatch.delenv("PORTAL_SECRET", raising=False)
    monkeypatch.delenv("CI", raising=False)
    config = copy_portal(tmp_path / "portal")
    build_site(config, tmp_path / "site")
    secret_file = tmp_path / "portal" / ".portal-secret"
    first = secret_file.read_text()
    build_site(config, tmp_path / "site2")
    assert secret_file.read_text() == first  # reused, so links stay the same
    assert sorted(p.name for p in (tmp_path / "site" / "p").iterdir()) == sorted(
        p.name for p in (tmp_path / "site2" / "p").iterdir()
    )
    assert ".portal-secret" in (ROOT / ".gitignore").read_text()


def test_public_page_under_the_client_prefix_is_refused(tmp_path):
    copy_portal(tmp_path / "portal")
    (tmp_path / "portal" / "content" / "p").mkdir()
    (tmp_path / "portal" / "content" / "p" / "index.md").write_text("# Portfolio\n")
    result = mkdocs("build", "-d", str(tmp_path / "site"), cwd=tmp_path / "portal", env={"PORTAL_SECRET": SECRET})
    assert result.returncode == 1
    assert "p/index.md would be published under 'p/'" in result.stderr
