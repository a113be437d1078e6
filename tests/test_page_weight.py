"""A typical client page weighs what it shows: the page and everything it loads stay within 64 KiB, uncompressed.

Counted from the built files, as a static host serves them before compression: the page's
HTML, and each file its shell or its decrypted body asks the browser for (data: URLs are
part of the page). `python -m benchmarks.weight` measures the same in Chromium, with Lighthouse.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

import pytest
import yaml
from benchmarks.portals import synthetic_record

from client_portal.page.render import ASSETS_DIR
from client_portal.publishing import crypto
from client_portal.publishing.addresses import client_links
from client_portal.publishing.site_files import SCRIPT, STYLESHEETS, asset_files, stylesheet
from client_portal.records.loader import load_clients

from .build import SECRET, build_site
from .conftest import TODAY
from .pages import SETTINGS
from .test_build import PASSWORD, copy_portal, folder_of, payload_of

BUDGET = 64 * 1024  # issue 22: "at most 64 KB transferred before compression, everything it loads included"
LOADS = re.compile(r'<(?:script|img|link|source|iframe)\b[^>]*?\b(?:src|href)="([^"#]+)"')


def weight(site: Path, client) -> tuple[int, list[str]]:
    """Bytes of a link-mode page and every file it loads (opened with its first link), and those files."""
    folder = folder_of(client)
    html = (site / folder / "index.html").read_text(encoding="utf-8")
    key = crypto.Recipient.from_link(
        crypto.from_b64url(client_links(SETTINGS, SECRET.encode(), client)[0].path.split("#")[1])
    )
    body = crypto.open_page(payload_of(html), folder.split("/")[1], key)
    loaded = [u for u in LOADS.findall(html + body) if not u.startswith("data:")]
    files = [site / posixpath.normpath(posixpath.join(folder, url)) for url in loaded]
    return len(html.encode()) + sum(f.stat().st_size for f in files), loaded


@pytest.fixture(scope="module")
def sites(tmp_path_factory) -> dict[str, tuple[Path, list]]:
    """The example portal, and a portal of one synthetic 12-deliverable client, each built: {name: (site, clients)}."""
    work = tmp_path_factory.mktemp("weight")
    example = copy_portal(work / "example")
    synthetic = copy_portal(work / "synthetic")
    for record in (synthetic.parent / "clients").glob("*.yml"):
        record.unlink()
    text = yaml.safe_dump(synthetic_record(7), allow_unicode=True, sort_keys=False)
    (synthetic.parent / "clients" / "synthetic-7.yml").write_text(text, encoding="utf-8")
    built = {}
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PORTAL_SECRET", SECRET)
        env.setenv("LOTUS_TEA_PORTAL_PASSWORD", PASSWORD)
        env.delenv("CI", raising=False)
        for name, config in (("example", example), ("synthetic", synthetic)):
            build_site(config, config.parent / "site")
            built[name] = (config.parent / "site", load_clients(config.parent / "clients", today=TODAY))
    return built


@pytest.mark.parametrize(("portal", "client_id"), [("example", "acme-bakery"), ("synthetic", "synthetic-7")])
def test_a_typical_page_and_all_it_loads_stay_within_64_kib(sites, portal, client_id):
    site, clients = sites[portal]
    client = next(c for c in clients if c.id == client_id)
    assert client.record.access.mode == "link"
    size, loaded = weight(site, client)
    assert loaded == ["../../assets/client-portal/portal.js"]  # the stylesheet and logo are inline
    assert size <= BUDGET, f"{client_id}: {size:,} bytes"


def test_every_link_page_of_the_example_portal_stays_within_64_kib(sites):
    site, clients = sites["example"]
    weights = {c.id: weight(site, c)[0] for c in clients if c.record.access.mode == "link"}
    assert len(weights) >= 3 and max(weights.values()) <= BUDGET, weights


def test_the_stylesheet_and_script_are_minified_and_keep_the_licence():
    sources = [ASSETS_DIR / name for name in (*STYLESHEETS, SCRIPT)]
    written = stylesheet() + "".join(asset_files().values())
    assert len(written) < 0.75 * sum(len(f.read_text(encoding="utf-8")) for f in sources)
    assert "Copyright (c) 2016-2025 Martin Donath" in stylesheet()  # Material's licence notice stays
    assert "</style" not in stylesheet().lower()  # it could not be inlined
