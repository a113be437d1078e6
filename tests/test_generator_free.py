"""The core without MkDocs: `client-portal build` after any generator, or none, gives the plugin's pages."""

from __future__ import annotations

import json
import os
import pkgutil
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import client_portal
from client_portal.publishing import crypto
from client_portal.publishing.portal import RECYCLED
from client_portal.publishing.site_files import page_stylesheet, stylesheet
from client_portal.records.loader import load_clients
from client_portal.settings import CACHE_DIR

from .build import SECRET, build_site
from .conftest import ROOT, TODAY
from .test_build import PASSWORD, copy_portal, folder_of, mkdocs, payload_of

# The MkDocs adapter; everything else in the package is the core or the command line.
ADAPTER = "client_portal.mkdocs_plugin"
ENV = {"PORTAL_SECRET": SECRET, "LOTUS_TEA_PORTAL_PASSWORD": PASSWORD}


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real `client-portal` command, as a user would."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("CI", "PORTAL_SECRET")} | ENV | (env or {})
    return subprocess.run(
        [sys.executable, "-c", "from client_portal.commands.cli import main; main()", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_core_and_the_command_line_run_with_mkdocs_unimportable(tmp_path):
    copy_portal(tmp_path / "portal")
    modules = sorted(m.name for m in pkgutil.walk_packages(client_portal.__path__, "client_portal."))
    core = [name for name in modules if name != ADAPTER and not name.startswith(ADAPTER + ".")]
    assert "client_portal.publishing.pipeline" in core and "client_portal.commands.cli" in core
    assert len(core) > 30  # every folder's modules, not only the top level
    script = f"""
import importlib, sys
for blocked in ("mkdocs", "material", "properdocs"):
    sys.modules[blocked] = None  # `import mkdocs` now raises ImportError
for name in {core!r}:
    importlib.import_module(name)
assert not any(m.startswith(("mkdocs.", "material.")) for m in sys.modules), "a core module imported MkDocs"
from client_portal.commands.cli import main
sys.argv = ["client-portal", "build", "out"]
try:
    main()
except SystemExit as done:
    assert not done.code, done.code
sys.argv = ["client-portal", "audit", "out"]
main()
"""
    full_env = {k: v for k, v in os.environ.items() if k not in ("CI", "PORTAL_SECRET")} | ENV
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path / "portal", env=full_env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 client pages written to out" in result.stdout
    assert "audit: 0 findings" in result.stdout


def test_the_plugin_imports_mkdocs_and_so_is_not_core():
    # the guard above is only as good as its list of adapters
    source = (Path(client_portal.__file__).parent / "mkdocs_plugin" / "plugin.py").read_text(encoding="utf-8")
    assert "from mkdocs" in source


def public_only(config: Path) -> Path:
    """The same site's configuration without the client-portal plugin, as Zensical would read it."""
    text = config.read_text(encoding="utf-8")
    start = text.index("  - client-portal:")
    public = config.with_name("public.yml")
    public.write_text(text[:start], encoding="utf-8")
    return public


def files_under(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def public_files(both) -> dict[str, bytes]:
    return files_under(both[1].parent / "public-before")


@pytest.fixture(scope="module")
def both(tmp_path_factory, example_site) -> tuple[Path, Path]:
    """The example portal built by the plugin, and by MkDocs without it followed by `client-portal build`.

    The plugin's build is the one every test shares (same configuration, records and secrets).
    A copy of the public site as MkDocs left it is kept in ``public-before``.
    """
    portal = tmp_path_factory.mktemp("portal")
    config = copy_portal(portal / "portal")
    with pytest.MonkeyPatch.context() as env:
        for name, value in ENV.items():
            env.setenv(name, value)
        env.delenv("CI", raising=False)
        build_site(public_only(config), portal / "public-site")
    shutil.copytree(portal / "public-site", portal / "public-before")
    result = cli("build", str(portal / "public-site"), cwd=config.parent)
    assert result.returncode == 0, result.stderr
    return example_site, portal / "public-site"


def test_build_writes_the_same_files_as_the_plugin(both):
    by_plugin, by_command = (files_under(site) for site in both)
    ours = {p for p in by_plugin if p.startswith(("p/", "assets/client-portal/")) or p in ("robots.txt",)}
    assert ours == {p for p in by_command if p.startswith(("p/", "assets/client-portal/")) or p == "robots.txt"}
    for path in sorted(ours):
        if not path.endswith("index.html") or b'id="cp-payload"' not in by_plugin[path]:
            # readable pages, replaced-link pages, the prefix index, attached files, assets
            assert by_command[path] == by_plugin[path], path


def test_build_encrypts_the_same_pages_as_the_plugin(both):
    clients = load_clients(ROOT / "clients", today=TODAY)
    opened = 0
    for client in clients:
        if client.record.access.mode == "unlisted":
            continue
        token = folder_of(client).split("/")[1]
        html = [(site / folder_of(client) / "index.html").read_text(encoding="utf-8") for site in both]
        payloads = [payload_of(page) for page in html]
        assert payloads[0]["page"] != payloads[1]["page"]  # fresh nonces: equal only once decrypted
        if client.record.access.mode == "password":
            bodies = [crypto.open_with_password(p, token, PASSWORD) for p in payloads]
        else:
            key = crypto.contact_key(SECRET.encode(), client.id, client.record.access.version, *_first(client))
            bodies = [crypto.open_page(p, token, crypto.Recipient.from_link(key)) for p in payloads]
        assert bodies[0] == bodies[1], client.id
        shells = [re.sub(r'(id="cp-payload">).*?(</script>)', r"\1\2", page, flags=re.S) for page in html]
        assert shells[0] == shells[1], client.id
        opened += 1
    assert opened == 5


def _first(client) -> tuple[str, int]:
    contact = client.record.contacts[0]
    return contact.identity, contact.key_version


def test_build_leaves_the_generators_files_alone(both, public_files):
    after = files_under(both[1])
    theirs = {path for path in public_files if path != "robots.txt"}
    assert "index.html" in theirs and "sitemap.xml" in theirs
    assert {path: after[path] for path in theirs} == {path: public_files[path] for path in theirs}
    # robots.txt is extended (MkDocs writes none here, so it is new)
    assert after["robots.txt"] == b"User-agent: *\nDisallow: /p/\n"


@pytest.fixture
def portal(tmp_path) -> Path:
    """A copy of the example portal; its folder."""
    return copy_portal(tmp_path / "portal").parent


def test_build_refuses_a_folder_with_pages_of_another_secret(portal):
    assert cli("build", "out", cwd=portal).returncode == 0
    before = files_under(portal / "out")
    result = cli("build", "out", cwd=portal, env={"PORTAL_SECRET": "aN3xV8qL5rT1mK7wC4yP9hJ2dF6gB0sZ-eU_oI3tQ8v"})
    assert result.returncode == 1
    assert "out/p holds client pages built with another site secret" in result.stderr
    assert "Traceback" not in result.stderr
    assert files_under(portal / "out") == before


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "portfolio.html",
            "<h1>Portfolio</h1>",
            "out/p already holds p/portfolio.html, which client-portal did not build",
        ),
        ("index.html", "<section data-cp-prefix-index>", "out/p holds client pages of an earlier client-portal"),
    ],
)
def test_build_refuses_a_prefix_folder_it_cannot_tell_is_its_own(portal, name, text, message):
    (portal / "out" / "p").mkdir(parents=True)
    (portal / "out" / "p" / name).write_text(text, encoding="utf-8")
    result = cli("build", "out", cwd=portal)
    assert result.returncode == 1
    assert message in result.stderr
    assert sorted(p.name for p in (portal / "out" / "p").iterdir()) == [name]


def test_build_again_replaces_its_own_pages(portal):
    assert cli("build", "out", cwd=portal).returncode == 0
    gone = next(c for c in load_clients(portal / "clients", today=TODAY) if c.id == "fjord-cycles")
    (portal / "clients" / "fjord-cycles.yml").unlink()
    result = cli("build", "out", cwd=portal)
    assert result.returncode == 0, result.stderr
    assert "5 client pages written to out" in result.stdout
    assert not (portal / "out" / folder_of(gone)).exists()  # a removed client's page is not left behind
    assert cli("audit", "out", cwd=portal).returncode == 0
    # the old pages were set aside in the cache and are removed by the time the command ends
    assert not list((portal / CACHE_DIR).glob("pages-*"))


def test_pages_written_over_the_last_builds_leave_nothing_of_them_behind(portal):
    """The pages set aside from the site are the next build's to write over: what it does not write again goes."""
    for _ in range(2):  # the second build sets the first one's pages aside
        assert cli("build", "out", cwd=portal).returncode == 0
    recycled = portal / CACHE_DIR / RECYCLED
    clients = {c.id: c for c in load_clients(portal / "clients", today=TODAY)}
    assert (recycled / folder_of(clients["fjord-cycles"]).removeprefix("p/") / "index.html").is_file()
    (portal / "clients" / "fjord-cycles.yml").unlink()
    acme = portal / "clients" / "acme-bakery.yml"
    acme.write_text(acme.read_text(encoding="utf-8").replace("  version: 1", "  version: 2", 1), encoding="utf-8")
    (recycled / "stray").mkdir()
    (recycled / "stray" / "index.html").write_text("a page no build writes", encoding="utf-8")
    (recycled / folder_of(clients["northwind-studio"]).removeprefix("p/") / "old.pdf").write_bytes(b"%PDF")
    result = cli("build", "out", cwd=portal)
    assert result.returncode == 0, result.stderr
    shutil.rmtree(recycled)  # now the last build's pages: a build from nothing, to compare with
    assert cli("build", "fresh", cwd=portal).returncode == 0
    assert files_under(portal / "out").keys() == files_under(portal / "fresh").keys()
    assert not (portal / "out" / folder_of(clients["fjord-cycles"])).exists()
    # the written-over page at Acme's old address is the neutral one that says the link was replaced
    assert "data-cp-replaced" in (portal / "out" / folder_of(clients["acme-bakery"]) / "index.html").read_text()
    assert cli("audit", "out", cwd=portal).returncode == 0
    assert not list((portal / CACHE_DIR).glob("pages-*"))


def test_links_among_the_pages_written_over_are_removed_never_followed(portal, tmp_path):
    for _ in range(2):
        assert cli("build", "out", cwd=portal).returncode == 0
    recycled = portal / CACHE_DIR / RECYCLED
    clients = {c.id: c for c in load_clients(portal / "clients", today=TODAY)}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "index.html").write_text("not the portal's", encoding="utf-8")
    (elsewhere / "notes.txt").write_text("not the portal's either", encoding="utf-8")
    acme = recycled / folder_of(clients["acme-bakery"]).removeprefix("p/")
    shutil.rmtree(acme)
    acme.symlink_to(elsewhere, target_is_directory=True)  # a page's folder, a link out of the cache
    page = recycled / folder_of(clients["lotus-tea"]).removeprefix("p/") / "index.html"
    page.unlink()
    page.symlink_to(elsewhere / "notes.txt")  # a page, a link to a file elsewhere
    result = cli("build", "out", cwd=portal)
    assert result.returncode == 0, result.stderr
    assert (elsewhere / "index.html").read_text(encoding="utf-8") == "not the portal's"
    assert (elsewhere / "notes.txt").read_text(encoding="utf-8") == "not the portal's either"
    assert not [path for path in (portal / "out").rglob("*") if path.is_symlink()]
    assert cli("audit", "out", cwd=portal).returncode == 0


def test_attached_files_are_stored_once_the_site_links_the_cache(portal):
    assert cli("build", "out", cwd=portal).returncode == 0
    assert mkdocs("build", cwd=portal, env=ENV).returncode == 0
    cached = {path.stat().st_ino for path in (portal / CACHE_DIR).rglob("*.bin")}
    for site in ("out", "site"):
        attached = list((portal / site / "p").rglob("*.bin"))
        assert len(attached) >= 3  # Acme's files, at least
        assert {path.stat().st_ino for path in attached} <= cached, site


def test_build_never_deletes_a_page_it_did_not_write_under_the_prefix(portal):
    assert cli("build", "out", cwd=portal).returncode == 0
    # a generator's page beside the client pages, and a copy of the prefix index (with this secret's mark)
    # beside a generator's page in another site folder
    (portal / "out" / "p" / "portfolio.html").write_text("<h1>Portfolio</h1>", encoding="utf-8")
    (portal / "copied" / "p" / "work").mkdir(parents=True)
    shutil.copy(portal / "out" / "p" / "index.html", portal / "copied" / "p" / "index.html")
    (portal / "copied" / "p" / "work" / "index.html").write_text("<h1>Work</h1>", encoding="utf-8")
    for site, page in (("out", "p/portfolio.html"), ("copied", "p/work/index.html")):
        before = files_under(portal / site)
        result = cli("build", site, cwd=portal)
        assert result.returncode == 1
        assert f"{site}/p holds {page}, which no client-portal build is known to have written there" in result.stderr
        assert "nothing was deleted" in result.stderr and "Traceback" not in result.stderr
        assert files_under(portal / site) == before


def test_build_extends_robots_and_headers_files_the_generator_wrote(portal):
    config = portal / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("      url_prefix: p\n", "      url_prefix: p\n      headers_file: true\n"))
    (portal / "out").mkdir()
    (portal / "out" / "robots.txt").write_text("User-agent: *\nDisallow: /drafts/\n", encoding="utf-8")
    (portal / "out" / "_headers").write_text("/*\n  X-Frame-Options: SAMEORIGIN\n", encoding="utf-8")
    for _ in range(2):  # a second run adds nothing twice
        assert cli("build", "out", cwd=portal).returncode == 0
    robots = (portal / "out" / "robots.txt").read_text(encoding="utf-8")
    assert robots == "User-agent: *\nDisallow: /drafts/\n\nUser-agent: *\nDisallow: /p/\n"
    headers = (portal / "out" / "_headers").read_text(encoding="utf-8")
    assert headers.startswith("/*\n  X-Frame-Options: SAMEORIGIN\n\n/p/*\n  X-Robots-Tag: noindex")
    assert headers.count("/p/*") == 1


def test_build_reads_its_settings_from_zensical_toml(portal):
    (portal / "mkdocs.yml").unlink()
    (portal / "zensical.toml").write_text(
        '[project]\nsite_name = "Studio"\nsite_url = "https://portal.mei.example/"\n\n'
        '[project.plugins.client-portal]\ntoday = "2026-11-23"\ntimezone = "Europe/Berlin"\n\n'
        '[project.plugins.client-portal.freelancer]\nname = "Mei Chen"\nemail = "mei@example.com"\n',
        encoding="utf-8",
    )
    result = cli("build", cwd=portal)
    assert result.returncode == 0, result.stderr
    assert "6 client pages written to site" in result.stdout
    assert cli("audit", "site", cwd=portal).returncode == 0
    links = json.loads(cli("links", "--json", cwd=portal).stdout)
    assert all(row["links"][0]["url"].startswith("https://portal.mei.example/p/") for row in links)


def test_a_mistake_in_zensical_toml_names_the_option(portal):
    (portal / "zensical.toml").write_text('[project.plugins.client-portal]\nclient_dir = "x"\n', encoding="utf-8")
    result = cli("build", "--config", "zensical.toml", cwd=portal)
    assert result.returncode == 2
    assert "client-portal.client_dir: unknown option; did you mean 'clients_dir'?" in result.stderr


def test_pages_carry_their_own_stylesheets_and_icons(both):
    by_command = both[1]
    for page in (by_command / "p").rglob("index.html"):
        html = page.read_text(encoding="utf-8")
        # the package's own, inline: the gate's in <head>; a readable page's sections there too, an
        # encrypted one's inside its sealed body
        readable = not any(mark in html for mark in ('id="cp-payload"', "data-cp-prefix-index", "data-cp-replaced"))
        head = stylesheet() + (page_stylesheet() if readable else "")
        assert "<style>" + head + "</style>" in html, page
        assert "<link" not in html.replace('<link rel="icon" href="data:,">', ""), page
        up = "../" * len(page.parent.relative_to(by_command).parts)
        assert re.findall(r'<script src="([^"]+)"', html) == [up + "assets/client-portal/portal.js"], page
        assert "assets/stylesheets/" not in html  # nothing borrowed from a theme
    package = Path(client_portal.__file__).parent
    assert "Apache" in (package / "page" / "icons" / "LICENSE").read_text(encoding="utf-8")
    assert "Martin Donath" in (package / "page" / "assets" / "LICENSE-material").read_text(encoding="utf-8")


def test_a_readable_page_and_all_it_loads_weigh_under_64_kib_as_hosts_serve_it(both):
    import gzip

    site = both[1]
    harbor = next(c for c in load_clients(ROOT / "clients", today=TODAY) if c.id == "harbor-books")
    files = [site / folder_of(harbor) / "index.html", *(site / "assets" / "client-portal").iterdir()]
    assert sum(len(gzip.compress(f.read_bytes())) for f in files) < 64 * 1024


@pytest.mark.parametrize("folder", [".", "clients/.."])
def test_build_refuses_a_folder_that_would_publish_the_records(portal, folder):
    result = cli("build", folder, cwd=portal)
    assert result.returncode == 1
    assert "holds clients, which must never be published" in result.stderr
    assert not (portal / "p").exists() and not (portal / "robots.txt").exists()


def test_build_without_any_configuration_takes_its_settings_from_the_command_line(portal):
    (portal / "mkdocs.yml").unlink()
    result = cli(
        "build",
        "public",
        "--set",
        "today=2026-11-23",
        "--set",
        "freelancer.name=Mei Chen",
        "--set",
        "site_url=https://portal.mei.example/",
        "--set",
        "headers_file=true",
        cwd=portal,
    )
    assert result.returncode == 0, result.stderr
    assert "no mkdocs.yml or zensical.toml here" in result.stderr
    assert "6 client pages written to public" in result.stdout
    assert (portal / "public" / "_headers").is_file()
    harbor = next(c for c in load_clients(portal / "clients", today=TODAY) if c.id == "harbor-books")
    assert "Mei Chen" in (portal / "public" / folder_of(harbor) / "index.html").read_text(encoding="utf-8")
    wrong = cli("build", "public", "--set", "clients_dri=x", cwd=portal)
    assert (
        wrong.returncode == 2
        and "client-portal.clients_dri: unknown option; did you mean 'clients_dir'?" in wrong.stderr
    )


def test_build_uses_the_template_overrides_of_a_relative_custom_dir(portal):
    config = portal / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("  name: material\n", "  name: material\n  custom_dir: !relative $config_dir/overrides\n"),
        encoding="utf-8",
    )
    partial = portal / "overrides" / "client-portal" / "partials" / "contact.html"
    partial.parent.mkdir(parents=True)
    partial.write_text('<section id="contact"><p>Call me: {{ freelancer.name }}</p></section>', encoding="utf-8")
    result = cli("build", "out", cwd=portal)
    assert result.returncode == 0, result.stderr
    harbor = next(c for c in load_clients(portal / "clients", today=TODAY) if c.id == "harbor-books")
    assert "<p>Call me: Mei Chen</p>" in (portal / "out" / folder_of(harbor) / "index.html").read_text(encoding="utf-8")


def test_build_refuses_a_yaml_tag_it_cannot_read_as_mkdocs_does(portal):
    config = portal / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("  name: material\n", "  name: material\n  custom_dir: !theme overrides\n"))
    line = text[: text.index("  name: material\n")].count("\n") + 2
    result = cli("build", "out", cwd=portal)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: mkdocs.yml:{line}:15: unknown YAML tag !theme; ")
    assert "Traceback" not in result.stderr and not (portal / "out").exists()
