"""What a build puts around the client pages, checked without building: addresses, links, neutral pages, rules."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from html import unescape
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from client_portal.audit.audit import PAYLOAD
from client_portal.decisions.line import PAGE, find_lines
from client_portal.page.fingerprints import item_fingerprint
from client_portal.page.render import Renderer
from client_portal.publishing import crypto
from client_portal.publishing.addresses import Link, client_folder, client_links, link_keys, replaced_folders
from client_portal.publishing.attachments import file_digests, find_attachments
from client_portal.publishing.errors import PublishError
from client_portal.publishing.pages import (
    PageInputs,
    PageOwner,
    PortalPage,
    SiteFile,
    client_logo,
    client_page,
    portal_pages,
    replaced_page,
)
from client_portal.publishing.sealing import PasswordKeys, Sealing, _recipients, password_labels, sealed_json, sealings
from client_portal.publishing.site_files import (
    PREFIX_INDEX_MARKER,
    REPLACED_MARKER,
    headers_rules,
    local_index,
    page_assets,
    prefix_index,
    robots_rules,
)
from client_portal.records.loader import load_clients
from client_portal.records.model import Client

from .conftest import ROOT, TODAY
from .pages import MATERIAL_TEMPLATES, SETTINGS
from .test_publish import client as lotus_like

# The secret the addresses and keys pinned below were published with (the test suite's secret then).
KEY = b"test-site-secret-0123456789abcdef-0123456789"
RENDERER = Renderer([MATERIAL_TEMPLATES])  # one per build, as the plugin has it
CLIENTS = {client.id: client for client in load_clients(ROOT / "clients", today=TODAY)}


def with_access(client: Client, **access: object) -> Client:
    """The client as if its record's ``access`` said so."""
    record = client.record.model_copy(update={"access": client.record.access.model_copy(update=access)})
    return dataclasses.replace(client, record=record)


# --- addresses -------------------------------------------------------------------------------------


def test_a_client_folder_is_the_prefix_and_a_token():
    folder = client_folder("clients/p", KEY, CLIENTS["acme-bakery"])
    assert folder == f"clients/p/{crypto.url_token(KEY, 'acme-bakery', 1)}/"
    assert re.fullmatch(r"clients/p/[a-z2-7]{26}/", folder)


def test_a_folder_changes_with_the_access_version_and_with_readability():
    acme = CLIENTS["acme-bakery"]
    folders = {
        client_folder("p", KEY, acme),
        client_folder("p", KEY, with_access(acme, version=2)),
        client_folder("p", KEY, with_access(acme, mode="unlisted")),
        client_folder("p", KEY, with_access(acme, mode="password", password_env="ACME_PASSWORD")),
    }
    assert len(folders) == 3  # link and password mode share the encrypted address
    assert (
        client_folder("p", KEY, with_access(acme, mode="unlisted")) == f"p/{crypto.url_token(KEY, acme.id, 1, True)}/"
    )


@pytest.mark.parametrize(("version", "mode"), [(1, "link"), (1, "unlisted"), (3, "link"), (3, "unlisted")])
def test_replaced_folders_are_every_earlier_address_and_never_the_current_one(version, mode):
    client = with_access(CLIENTS["acme-bakery"], version=version, mode=mode)
    every = {
        f"p/{crypto.url_token(KEY, client.id, v, readable)}/" for v in range(1, version + 1) for readable in (0, 1)
    }
    found = replaced_folders("p", KEY, client)
    assert len(found) == len(set(found)) == 2 * version - 1
    assert set(found) == every - {client_folder("p", KEY, client)}


# --- links -----------------------------------------------------------------------------------------


def test_a_link_mode_client_has_one_keyed_link_per_contact():
    acme = CLIENTS["acme-bakery"]
    links = client_links(SETTINGS, KEY, acme)
    folder = client_folder("p", KEY, acme)
    assert [link.contact for link in links] == ["Anna Weber", "Tomasz Nowak"]
    for link, contact in zip(links, acme.record.contacts, strict=True):
        key = crypto.contact_key(KEY, acme.id, 1, contact.identity, contact.key_version)
        assert link.path == f"{folder}#{crypto.b64url(key)}"
    assert link_keys(KEY, acme) == [link.path.split("#")[1] for link in links]


@pytest.mark.parametrize("client_id", ["lotus-tea", "harbor-books"])  # password and unlisted
def test_a_page_opened_without_a_link_key_has_bare_links_and_no_keys(client_id):
    client = CLIENTS[client_id]
    links = client_links(SETTINGS, KEY, client)
    assert [link.contact for link in links] == [contact.name for contact in client.record.contacts]
    assert {link.path for link in links} == {client_folder("p", KEY, client)}
    assert link_keys(KEY, client) == []


def test_a_page_without_contacts_has_one_link_named_after_the_client():
    harbor = CLIENTS["harbor-books"]
    alone = dataclasses.replace(harbor, record=harbor.record.model_copy(update={"contacts": []}))
    assert client_links(SETTINGS, KEY, alone) == [Link("Harbor Books", client_folder("p", KEY, harbor))]


@pytest.mark.parametrize("base_url", ["https://mei.example/TeX", "https://mei.example/TeX/"])
def test_a_full_link_joins_the_site_address_with_one_slash(base_url):
    assert Link("Anna", "p/token/#key").url(base_url) == "https://mei.example/TeX/p/token/#key"


def test_a_built_page_knows_its_address_token_and_html(tmp_path):
    on_disk = tmp_path / "page.html"
    on_disk.write_text("<p>from the cache</p>", encoding="utf-8")
    acme = CLIENTS["acme-bakery"]
    held = PortalPage(PageOwner.of(acme), "p/abc/", [], (SiteFile("p/abc/index.html", "<p>held</p>"),))
    copied = PortalPage(PageOwner.of(acme), "a/p/xyz/", [], (SiteFile("a/p/xyz/index.html", source=on_disk),))
    assert (held.path, held.token, held.html) == ("p/abc/index.html", "abc", "<p>held</p>")
    assert (copied.path, copied.token, copied.html) == ("a/p/xyz/index.html", "xyz", "<p>from the cache</p>")


# --- who can open each page ------------------------------------------------------------------------


def test_sealings_cover_every_encrypted_page_and_no_readable_one():
    stretched: list[tuple[str, bytes]] = []

    def stretch(password: str, salt: bytes) -> bytes:
        stretched.append((password, salt))
        return bytes(32)

    found = sealings(list(CLIENTS.values()), KEY, {"LOTUS_TEA_PORTAL_PASSWORD": "a" * 12}, stretch)
    assert sorted(found) == ["acme-bakery", "fjord-cycles", "jasmine-roastery", "lotus-tea", "northwind-studio"]
    assert stretched == [("a" * 12, crypto.password_salt(KEY, "lotus-tea", 1))]
    recipients, kdf, notice = found["acme-bakery"]
    assert len(recipients) == 2 and kdf is None and notice is None
    recipients, kdf, notice = found["lotus-tea"]
    assert len(recipients) == 1 and kdf == crypto.pbkdf2_parameters(crypto.password_salt(KEY, "lotus-tea", 1))


def test_a_password_is_stretched_once_per_password_and_salt(monkeypatch):
    calls: list[tuple[str, bytes]] = []

    def password_key(password: str, salt: bytes) -> bytes:
        calls.append((password, salt))
        return f"{password}|{salt.hex()}".encode()

    monkeypatch.setattr(crypto, "password_key", password_key)
    keys = PasswordKeys()
    assert keys("secret-one", b"salt") == keys("secret-one", b"salt") == b"secret-one|73616c74"
    assert keys("secret-one", b"pepper") == b"secret-one|70657070" + b"6572"
    assert keys("secret-two", b"salt") == b"secret-two|73616c74"
    # the salt's length is part of the lookup, so moving a byte between salt and password is another entry
    assert keys("tsecret-one", b"sal") == b"tsecret-one|73616c"
    assert calls == [
        ("secret-one", b"salt"),
        ("secret-one", b"pepper"),
        ("secret-two", b"salt"),
        ("tsecret-one", b"sal"),
    ]
    assert not any(b"secret" in lookup for lookup in keys._stretched)  # never kept by the password itself


# --- the logo --------------------------------------------------------------------------------------


def test_a_clients_logo_is_inlined_and_no_logo_is_none():
    logo = client_logo(CLIENTS["acme-bakery"], SETTINGS)
    assert logo is not None and logo.startswith("data:image/svg+xml;base64,")
    expected = (ROOT / "clients" / "logos" / "acme-bakery.svg").read_bytes()
    assert base64.b64decode(logo.split(",", 1)[1]) == expected
    assert CLIENTS["harbor-books"].record.brand is None and client_logo(CLIENTS["harbor-books"], SETTINGS) is None
    assert CLIENTS["fjord-cycles"].record.brand is not None  # a colour but no logo
    assert client_logo(CLIENTS["fjord-cycles"], SETTINGS) is None


def test_a_logo_that_cannot_be_read_stops_the_build_naming_the_client():
    acme = CLIENTS["acme-bakery"]
    lost = acme.record.model_copy(update={"brand": acme.record.brand.model_copy(update={"logo": "logos/lost.svg"})})
    with pytest.raises(PublishError, match=r"^acme-bakery: brand\.logo: logos/lost\.svg not found"):
        client_logo(dataclasses.replace(acme, record=lost), SETTINGS)


# --- the neutral pages -----------------------------------------------------------------------------


def neutral(prefix: str = "p", language: str = "en") -> dict[str, str]:
    """{path: HTML} of the prefix index and every client's replaced addresses, as a build writes them."""
    settings = dataclasses.replace(SETTINGS, url_prefix=prefix, language=language)
    clients = [*CLIENTS.values(), with_access(CLIENTS["fjord-cycles"], version=2)]
    inputs = PageInputs(settings, KEY, TODAY, (MATERIAL_TEMPLATES,), page_assets(prefix.count("/") + 2))
    sealed = sealings(clients, KEY, {"LOTUS_TEA_PORTAL_PASSWORD": "a long enough password"}, lambda p, s: bytes(32))
    pages = {f"{prefix}/index.html": prefix_index(settings, KEY, RENDERER, page_assets, TODAY)}
    for client in clients:
        page = client_page(client, inputs, RENDERER, sealed.get(client.id), None)
        earlier = {f"{folder}index.html" for folder in replaced_folders(prefix, KEY, client)}
        pages.update((f.path, str(f.content)) for f in page.files if f.path in earlier)
        assert len(earlier & {f.path for f in page.files}) == len(earlier)  # every one of them
    return pages


def test_the_prefix_index_and_every_replaced_folder_get_a_neutral_page():
    pages = neutral()
    fjord = with_access(CLIENTS["fjord-cycles"], version=2)
    replaced = {f"{folder}index.html" for client in CLIENTS.values() for folder in replaced_folders("p", KEY, client)}
    replaced |= {f"{folder}index.html" for folder in replaced_folders("p", KEY, fjord)}
    assert set(pages) == {"p/index.html", *replaced}
    index = pages.pop("p/index.html")
    assert PREFIX_INDEX_MARKER in index and REPLACED_MARKER not in index
    assert f'data-cp-site="{crypto.site_fingerprint(KEY)}"' in index
    assert f'data-cp-built="{TODAY.isoformat()}"' in index
    assert "Private pages" in index and 'src="../assets/client-portal/portal.js"' in index
    assert len(set(pages.values())) == 1  # the same page at every replaced address of the build
    for html in pages.values():
        assert REPLACED_MARKER in html and PREFIX_INDEX_MARKER not in html and "data-cp-site" not in html
        assert "This link was replaced" in html and "ask Mei Chen for a new link" in html
        assert 'src="../../assets/client-portal/portal.js"' in html  # one folder deeper than the index
    for html in [index, *pages.values()]:
        assert not any(client.record.name in html for client in CLIENTS.values())


def test_neutral_pages_sit_as_deep_as_the_prefix_and_speak_the_sites_language():
    pages = neutral("clients/p", language="zh-CN")
    assert pages and all(path.startswith("clients/p/") for path in pages)
    html = pages[next(path for path in pages if path != "clients/p/index.html")]
    assert '<html lang="zh-CN"' in html and "This link was replaced" not in html
    assert 'src="../../../assets/client-portal/portal.js"' in html


def test_a_page_built_alone_has_the_replaced_page_a_build_gives_it():
    client = CLIENTS["acme-bakery"]
    inputs = PageInputs(SETTINGS, KEY, TODAY, (MATERIAL_TEMPLATES,), page_assets(2))
    sealing = sealings([client], KEY, {}).get(client.id)
    alone = client_page(client, inputs, RENDERER, sealing, None)
    given = client_page(client, inputs, RENDERER, sealing, None, replaced=replaced_page(inputs, RENDERER))
    earlier = [f"{folder}index.html" for folder in replaced_folders("p", KEY, client)]
    assert earlier
    for path in earlier:
        (mine,) = [f.content for f in alone.files if f.path == path]
        (theirs,) = [f.content for f in given.files if f.path == path]
        assert mine == theirs and REPLACED_MARKER in str(mine)


# --- the sealed page's JSON ------------------------------------------------------------------------


def test_the_sealed_json_cannot_end_its_script_element():
    payload = {"v": "</script><!--&", "keys": [{"id": "a"}]}
    text = sealed_json(payload, "link")
    assert text == (
        '{"keys":[{"id":"a"}],"mode":"link","v":"\\u003c/script\\u003e\\u003c!--\\u0026"}'
    )  # compact, keys sorted, no <, > or & left
    assert json.loads(text) == {**payload, "mode": "link"}


BASE64URL = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@given(
    st.dictionaries(st.sampled_from(["format", "keys", "kdf", "ended", "z"]), JSON_VALUES, max_size=4),
    st.one_of(BASE64URL, st.text(), st.integers(), st.none()),
    st.dictionaries(st.sampled_from(["iv", "x"]), JSON_VALUES, max_size=2),
)
def test_the_sealed_json_is_the_payloads_json_whatever_its_page_holds(payload, data, page):
    payload = {**payload, "page": {**page, "data": data}}
    expected = json.dumps({**payload, "mode": "link"}, separators=(",", ":"), sort_keys=True)
    expected = expected.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    assert sealed_json(payload, "link") == expected


# --- robots.txt and _headers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("existing", "expected"),
    [
        ("", "User-agent: *\nDisallow: /p/\n"),
        ("\n \n", "User-agent: *\nDisallow: /p/\n"),
        (
            "User-agent: *\nDisallow: /drafts/\n\n\n",
            "User-agent: *\nDisallow: /drafts/\n\nUser-agent: *\nDisallow: /p/\n",
        ),
        ("User-agent: *\nDisallow: /drafts/", "User-agent: *\nDisallow: /drafts/\n\nUser-agent: *\nDisallow: /p/\n"),
        ("User-agent: *\nDisallow: /p/\n", "User-agent: *\nDisallow: /p/\n"),  # a second build adds nothing
        # the site's own lines stay as they are, to the last character
        ("User-agent: *\nDisallow: /TeX\n", "User-agent: *\nDisallow: /TeX\n\nUser-agent: *\nDisallow: /p/\n"),
        ("User-agent: *\nDisallow: /a \n", "User-agent: *\nDisallow: /a \n\nUser-agent: *\nDisallow: /p/\n"),
    ],
)
def test_robots_txt_keeps_crawlers_out_of_the_prefix_and_keeps_the_sites_rules(existing, expected):
    assert robots_rules(existing, "p") == expected


HEADERS = (
    "/p/*\n"
    "  X-Robots-Tag: noindex, nofollow, noarchive\n"
    "  Referrer-Policy: no-referrer\n"
    "  X-Content-Type-Options: nosniff\n"
    "  Cache-Control: no-cache\n"
    "  Content-Security-Policy: frame-ancestors 'none'; base-uri 'none'; form-action 'none'; object-src 'none'\n"
    "  X-Frame-Options: DENY\n"
)


@pytest.mark.parametrize(
    ("existing", "expected"),
    [
        ("", HEADERS),
        (" \n", HEADERS),
        ("/*\n  X-Frame-Options: SAMEORIGIN\n\n", "/*\n  X-Frame-Options: SAMEORIGIN\n\n" + HEADERS),
        ("/*\n  X-Frame-Options: SAMEORIGIN", "/*\n  X-Frame-Options: SAMEORIGIN\n\n" + HEADERS),
        ("/*\n  X-Frame-Options: SAMEORIGIN\n\n" + HEADERS, "/*\n  X-Frame-Options: SAMEORIGIN\n\n" + HEADERS),
        ("/*\n  X-Custom: X\n", "/*\n  X-Custom: X\n\n" + HEADERS),
        ("/*\n  X-Custom: a \n", "/*\n  X-Custom: a \n\n" + HEADERS),
    ],
)
def test_headers_protect_the_prefix_after_the_sites_own_rules(existing, expected):
    assert headers_rules(existing, "p") == expected


def test_the_rules_name_the_prefix_and_no_page():
    assert robots_rules("", "clients/p") == "User-agent: *\nDisallow: /clients/p/\n"
    assert headers_rules("", "clients/p").startswith("/clients/p/*\n  X-Robots-Tag")


# --- the local preview's list of links -------------------------------------------------------------


def preview_page(client: Client, links: list[Link], notice: str | None = None) -> PortalPage:
    return PortalPage(PageOwner.of(client), "p/t/", links, (SiteFile("p/t/index.html", ""),), notice)


def local(pages: list[PortalPage], site_path: str = "/", settings=SETTINGS, **options: bool) -> str:
    return local_index(pages, settings, RENDERER, site_path=site_path, live_reload=options.get("live_reload", False))


def test_the_preview_lists_every_link_by_client_name():
    named = dataclasses.replace(
        CLIENTS["acme-bakery"], record=CLIENTS["acme-bakery"].record.model_copy(update={"name": "zed & <Co>"})
    )
    pages = [
        preview_page(named, [Link("Anna <A>", "p/t/#k1"), Link("Tom", "p/t/#k2")], notice="LIN_PASSWORD not set"),
        preview_page(CLIENTS["harbor-books"], [Link("Ruth", "p/u/")]),
    ]
    html = local(pages, "/portal/")
    items = re.findall(r"<li>(.*?)</li>", html, re.S)
    assert [re.sub(r"\s+", " ", item).strip() for item in items] == [
        '<strong>Harbor Books</strong> <small><code>unlisted</code></small><br><a href="/portal/p/u/">Ruth</a>',
        "<strong>zed &amp; &lt;Co&gt;</strong> <small><code>link</code></small>"
        '<br><a href="/portal/p/t/#k1">Anna &lt;A&gt;</a><br><a href="/portal/p/t/#k2">Tom</a>'
        "<br><small>LIN_PASSWORD not set</small>",
    ]
    assert html.startswith("<!doctype html>")
    assert (
        "<title>Client pages (local preview)</title>" in html and '<h1 class="cp-gate__title">Client pages</h1>' in html
    )
    assert "<p>Local preview only: this list is never published.</p>" in html
    # what every page under the prefix carries: never indexed, no referrer, only its own script and styles
    assert '<meta name="robots" content="noindex,nofollow,noarchive">' in html
    assert '<meta name="referrer" content="no-referrer">' in html
    assert "script-src 'self';" in html and "<script" not in html


def test_the_preview_says_when_there_are_no_clients_yet():
    assert "No client records yet: add one to the clients folder." in local([])
    assert "<ul>" not in local([])


def test_the_preview_speaks_the_freelancers_language():
    html = local(
        [preview_page(CLIENTS["harbor-books"], [Link("Ruth", "p/u/")])],
        settings=dataclasses.replace(SETTINGS, language="de"),
    )
    assert '<html lang="de" dir="ltr"' in html
    assert "Client pages" not in html  # every text translated
    arabic = local([], settings=dataclasses.replace(SETTINGS, language="ar"))
    assert '<html lang="ar" dir="rtl"' in arabic and "Client pages" not in arabic


def test_the_preview_under_mkdocs_serve_lets_its_reload_script_run():
    assert "script-src 'self' 'unsafe-inline'" in local([], live_reload=True)


@pytest.mark.parametrize(
    ("site_path", "root"), [("/", "/"), ("", "/"), ("X", "/X/"), ("/TeX/", "/TeX/"), ("/a/b/", "/a/b/")]
)
def test_the_preview_links_start_where_the_site_is_served(site_path, root):
    html = local([preview_page(CLIENTS["harbor-books"], [Link("Ruth", "p/u/")])], site_path)
    assert f'<a href="{root}p/u/">Ruth</a>' in html


def test_the_preview_sorts_names_without_regard_to_case():
    def named(name: str) -> PortalPage:
        client = CLIENTS["harbor-books"]
        return preview_page(dataclasses.replace(client, record=client.record.model_copy(update={"name": name})), [])

    html = local([named("beta"), named("Alpha"), named("Gamma")])
    assert re.findall(r"<strong>(\w+)</strong>", html) == ["Alpha", "beta", "Gamma"]


# --- what a build published before: links sent and logins remembered keep working ---------------


def test_addresses_link_keys_and_password_labels_are_those_every_earlier_build_published():
    # a client's link, a device that remembered a password, and the page's salt all depend on
    # these values: a change here breaks every link already sent (see also tests/test_crypto.py)
    assert [link.path for link in client_links(SETTINGS, KEY, CLIENTS["acme-bakery"])] == [
        "p/fmc3byejw76uafsaoi4e7yocve/#1ypzd_M7jY0Vav8fgaCEi2tHTgH2WTwc4cCbnwkmT4k",
        "p/fmc3byejw76uafsaoi4e7yocve/#ykGDu-GQ4fB1bA3DX7JQa8rfeyEvcuTh6g_rCdYRF-Q",
    ]
    assert client_folder("p", KEY, CLIENTS["lotus-tea"]) == "p/hagrflrvniuhtuw4eekpcrdzaa/"
    assert password_labels(KEY, lotus_like()) == [("LIN_PASSWORD", "hUmRL76q84Z7"), ("TEAM_PASSWORD", "ZSAypeisJ5Rq")]
    _, kdf, _ = _recipients(CLIENTS["lotus-tea"], KEY, {}, lambda password, salt: bytes(32))
    assert kdf is not None and kdf["salt"] == "7E6LFGGkK_Da1GIN0J-woQ"


# --- one client's page -----------------------------------------------------------------------------

LOGO = "data:image/png;base64,bG9nbw=="
PAYLOAD_JSON = re.compile(re.escape(PAYLOAD) + r"(.*?)</script>", re.DOTALL)


def build_page(client: Client, tmp_path: Path, sealing: Sealing | None, *, live_reload: bool = False) -> PortalPage:
    settings = dataclasses.replace(SETTINGS, url_prefix="clients/p", root=tmp_path)  # the cache of encrypted files
    inputs = PageInputs(settings, KEY, TODAY, (MATERIAL_TEMPLATES,), page_assets(3), live_reload=live_reload)
    return client_page(client, inputs, RENDERER, sealing, LOGO)


def payload_of(page: PortalPage) -> dict[str, Any]:
    found = PAYLOAD_JSON.search(page.html)
    assert found is not None
    return cast(dict[str, Any], json.loads(found[1]))


def link_sealing(client: Client, notice: str | None = None) -> Sealing:
    recipients, kdf, _ = sealings([client], KEY, {})[client.id]
    return recipients, kdf, notice


def test_a_sealed_page_opens_with_every_link_and_offers_its_files_encrypted(tmp_path):
    acme = CLIENTS["acme-bakery"]
    page = build_page(acme, tmp_path, link_sealing(acme, notice="said once in the log"))
    folder = client_folder("clients/p", KEY, acme)
    assert (page.owner, page.folder, page.notice) == (PageOwner.of(acme), folder, "said once in the log")
    assert page.links == client_links(dataclasses.replace(SETTINGS, url_prefix="clients/p"), KEY, acme)
    assert page.files[0].path == f"{folder}index.html" and "Acme Bakery" not in page.html
    payload = payload_of(page)
    assert payload["mode"] == "link" and "kdf" not in payload
    attached = find_attachments(acme, ROOT / "clients")
    names = {folder + crypto.file_name(KEY, acme.id, 1, attachment.sha256) for attachment in attached}
    inside = [file for file in page.files[1:] if file.path.startswith(folder)]
    assert {file.path for file in inside} == names and len(names) == 3
    assert all(file.source is not None and file.source.is_file() for file in inside)
    earlier = {f"{other}index.html" for other in replaced_folders("clients/p", KEY, acme)}
    assert {file.path for file in page.files[1:]} - names == earlier  # the neutral page at each earlier address
    for link in page.links:
        key = crypto.from_b64url(link.path.split("#")[1])
        body = crypto.open_page(payload, page.token, crypto.Recipient.from_link(key))
        assert "Acme Bakery" in body and f'src="{LOGO}"' in body
        assert all(name.removeprefix(folder) in body for name in names)  # the page offers each file


def test_a_password_page_carries_how_the_browser_stretches_the_password(tmp_path):
    lotus = CLIENTS["lotus-tea"]
    sealing = _recipients(lotus, KEY, {"LOTUS_TEA_PORTAL_PASSWORD": "x" * 12}, lambda password, salt: b"\x07" * 32)
    page = build_page(lotus, tmp_path, sealing)
    payload = payload_of(page)
    assert payload["mode"] == "password" and payload["kdf"] == sealing[1]
    (recipient,) = sealing[0]
    assert "莲语茶舍" in crypto.open_page(payload, page.token, recipient)


def test_a_readable_page_is_one_file_however_many_files_its_record_attaches(tmp_path):
    acme = with_access(CLIENTS["acme-bakery"], mode="unlisted")
    page = build_page(acme, tmp_path, None)
    folder = client_folder("clients/p", KEY, acme)
    assert [file.path for file in page.files if file.path.startswith(folder)] == [folder + "index.html"]
    earlier = {f"{other}index.html" for other in replaced_folders("clients/p", KEY, acme)}
    assert {file.path for file in page.files[1:]} == earlier and all(
        REPLACED_MARKER in str(f.content) for f in page.files[1:]
    )
    assert "Acme Bakery" in page.html and f'src="{LOGO}"' in page.html and PAYLOAD not in page.html
    assert page.links == client_links(dataclasses.replace(SETTINGS, url_prefix="clients/p"), KEY, acme)
    assert (page.owner, page.folder, page.notice) == (PageOwner.of(acme), client_folder("clients/p", KEY, acme), None)
    assert not any(path.suffix == ".bin" for path in tmp_path.rglob("*"))  # nothing was even encrypted


def seen_name(html: str) -> str:
    found = re.search(r'data-cp-seen="([0-9a-f]+)"', html)
    assert found is not None
    return found[1]


def test_each_page_and_access_version_keeps_its_what_is_new_state_apart(tmp_path):
    harbor = CLIENTS["harbor-books"]
    names = {
        seen_name(build_page(client, tmp_path, None).html)
        for client in (harbor, with_access(harbor, version=2), with_access(CLIENTS["acme-bakery"], mode="unlisted"))
    }
    assert len(names) == 3


def decoys(page: PortalPage, sealing: Sealing) -> set[str]:
    return {entry["id"] for entry in payload_of(page)["keys"]} - {recipient.id for recipient in sealing[0]}


def test_decoys_stay_from_build_to_build_and_differ_between_pages(tmp_path):
    # if decoys changed with each build, comparing two builds would tell them from real copies
    fjord, northwind = CLIENTS["fjord-cycles"], CLIENTS["northwind-studio"]
    bumped = with_access(fjord, version=2)
    found = [
        decoys(build_page(c, tmp_path, link_sealing(c)), link_sealing(c)) for c in (fjord, fjord, northwind, bumped)
    ]
    assert len(found[0]) == crypto.KEYS_MULTIPLE - 1
    assert found[0] == found[1]
    assert not found[0] & found[2] and not found[0] & found[3]


def test_the_local_preview_lets_mkdocs_reload_script_run_and_a_build_does_not(tmp_path):
    harbor = CLIENTS["harbor-books"]
    acme = CLIENTS["acme-bakery"]
    for page in (build_page(harbor, tmp_path, None), build_page(acme, tmp_path, link_sealing(acme))):
        assert "script-src 'self';" in page.html
        assert "data-cp-preview" not in page.html  # a published link page drops its key from the address bar
    for page in (
        build_page(harbor, tmp_path, None, live_reload=True),
        build_page(acme, tmp_path, link_sealing(acme), live_reload=True),
    ):
        assert "script-src 'self' 'unsafe-inline'" in page.html
    # the preview keeps the key in the address bar, so the reload after an edit opens the page
    assert 'id="cp-payload" data-cp-preview>' in page.html


def test_an_attached_file_that_cannot_be_published_stops_the_build_at_its_line():
    acme = CLIENTS["acme-bakery"]
    first, *rest = acme.record.deliverables
    lost = first.model_copy(update={"files": ["files/acme-bakery/lost.pdf"]})
    broken = dataclasses.replace(acme, record=acme.record.model_copy(update={"deliverables": [lost, *rest]}))
    # the record's path as `check` shows it, relative to the portal (nothing is encrypted, so nothing is cached)
    with pytest.raises(PublishError, match=r"^attached files cannot be published:\nclients/acme-bakery\.yml:43:9: "):
        build_page(broken, ROOT, link_sealing(acme))


def test_every_client_gets_its_page_sealed_as_its_record_says(tmp_path):
    settings = dataclasses.replace(SETTINGS, root=tmp_path)
    inputs = PageInputs(settings, KEY, TODAY, (MATERIAL_TEMPLATES,), page_assets(2))
    clients = [CLIENTS["acme-bakery"], CLIENTS["harbor-books"], CLIENTS["lotus-tea"]]
    password = "only-in-the-given-environment"
    pages = portal_pages(clients, inputs, RENDERER, {"LOTUS_TEA_PORTAL_PASSWORD": password})
    acme, harbor, lotus = pages
    assert [page.owner.id for page in pages] == ["acme-bakery", "harbor-books", "lotus-tea"]
    assert PAYLOAD not in harbor.html and PAYLOAD in acme.html
    key = crypto.from_b64url(acme.links[0].path.split("#")[1])
    assert client_logo(CLIENTS["acme-bakery"], settings) in crypto.open_page(
        payload_of(acme), acme.token, crypto.Recipient.from_link(key)
    )
    assert lotus.notice is None  # the password came from the environment given, not the process's
    assert "莲语茶舍" in crypto.open_with_password(payload_of(lotus), lotus.token, password)


# --- decision lines -------------------------------------------------------------------------------

DECISION_CONTROL = re.compile(r'<a class="md-button[^"]*cp-decide" href="(mailto:[^"]+)"([^>]*)>')


def decision_controls(html: str) -> list[tuple[dict[str, str], str]]:
    """(data-cp-* attributes, the reply's body) of every decision control in ``html``."""
    found = []
    for href, attributes in DECISION_CONTROL.findall(html):
        query = parse_qs(urlsplit(unescape(href)).query)
        found.append((dict(re.findall(r'data-cp-(\w+)="([^"]*)"', attributes)), query["body"][0]))
    return found


def test_a_readable_pages_decision_lines_come_signed_by_the_build(tmp_path):
    harbor = CLIENTS["harbor-books"]
    controls = decision_controls(build_page(harbor, tmp_path, None).html)
    assert {data["decision"] for data, _ in controls} == {"approve", "changes", "accept", "decline"}
    page_key = crypto.decision_key_for_page(KEY, "harbor-books", 1)
    for data, body in controls:
        (line,) = find_lines(body)
        assert (line.client, line.item, line.decision, line.seen, line.by) == (
            "harbor-books",
            data["decide"],
            data["decision"],
            item_fingerprint(harbor.record, data["decide"]),
            PAGE,
        )
        assert line.verifies(page_key)
        assert not dataclasses.replace(line, decision="decline" if line.decision == "accept" else "accept").verifies(
            page_key
        )
        assert not line.verifies(crypto.decision_key_for_page(KEY, "harbor-books", 2))  # another address's key


def test_a_sealed_pages_decision_lines_cover_the_attached_files_and_wait_for_the_browser_to_sign(tmp_path):
    acme = CLIENTS["acme-bakery"]
    reviewed = [
        d.model_copy(update={"files": ["files/acme-bakery/christmas-market-flyer-a5.pdf"]})
        if d.key == "gift-box-labels"
        else d
        for d in acme.record.deliverables
    ]
    acme = dataclasses.replace(acme, record=acme.record.model_copy(update={"deliverables": reviewed}))
    page = build_page(acme, tmp_path, link_sealing(acme))
    link_key = crypto.from_b64url(page.links[0].path.split("#")[1])
    body = crypto.open_page(payload_of(page), page.token, crypto.Recipient.from_link(link_key))
    data, text = next((d, t) for d, t in decision_controls(body) if d["decide"] == "deliverable/gift-box-labels")
    digests = file_digests(find_attachments(acme, ROOT / "clients"))
    assert data["seen"] == item_fingerprint(acme.record, "deliverable/gift-box-labels", digests)
    assert data["seen"] != item_fingerprint(acme.record, "deliverable/gift-box-labels")  # the file's SHA-256 counts
    assert text.endswith(f"[cp1 c=acme-bakery i=deliverable/gift-box-labels d=approve s={data['seen']} b= m=]")
    assert find_lines(text) == []  # not a line the inbox takes until the browser signs it
