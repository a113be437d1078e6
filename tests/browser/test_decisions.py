"""Decision replies in a real browser: the lines the page signs with WebCrypto verify in Python, per contact."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from client_portal.decisions.line import PAGE, DecisionLine, find_lines
from client_portal.decisions.signers import DecisionKeys, Signer
from client_portal.page.fingerprints import item_fingerprint
from client_portal.publishing import crypto

from ..build import SECRET
from .conftest import PASSWORD, Site, Watched, copy_portal, serve_portal

pytestmark = pytest.mark.browser

KEY = SECRET.encode()
UNSIGNED = "b%3D%20m%3D%5D"  # an href still ending in the build's unsigned line
PERSONAL = "tea for two, every morning"


def signed_lines(page: Page) -> list[DecisionLine]:
    """The decision line of every decision control, once the page has signed them all."""
    controls = page.locator("a[data-cp-decide]")
    expect(controls.first).to_be_attached()
    page.wait_for_function(
        "u => [...document.querySelectorAll('a[data-cp-decide]')].every(a => !a.getAttribute('href').endsWith(u))",
        arg=UNSIGNED,
    )
    lines = []
    for href in controls.evaluate_all("all => all.map(a => a.getAttribute('href'))"):
        body = parse_qs(urlsplit(unescape(href)).query)["body"][0]
        assert body.endswith("]") and body.rsplit("\r\n", 1)[1].startswith("[cp1 ")  # the line alone, last
        (line,) = find_lines(body)
        lines.append(line)
    return lines


def check_fingerprints(site: Site, client_id: str, lines: list[DecisionLine]) -> None:
    record = site.clients()[client_id].record
    assert {line.decision for line in lines} == {"approve", "changes", "accept", "decline"}
    for line in lines:
        assert line.client == client_id and line.seen == item_fingerprint(record, line.item)


def tampered(line: DecisionLine) -> list[DecisionLine]:
    other = {"approve": "changes", "changes": "approve", "accept": "decline", "decline": "accept"}[line.decision]
    return [
        dataclasses.replace(line, decision=other),
        dataclasses.replace(line, seen="A" * 43),
        dataclasses.replace(line, mac=("A" if line.mac[0] != "A" else "B") + line.mac[1:]),
    ]


def open_with_password(page: Page, url: str, password: str, *, remember: bool = False) -> None:
    page.goto(url)
    page.fill("#cp-password", password)
    if remember:
        page.check("#cp-remember")
    page.click("#cp-password-form button")
    expect(page.locator("#cp-content")).to_be_visible()


def test_each_contacts_link_signs_their_decisions_as_python_verifies_them(site, context):
    acme = site.clients()["acme-bakery"]
    for link, contact in zip(site.links("acme-bakery"), acme.record.contacts, strict=True):
        watched = Watched(context.new_page())
        watched.page.goto(site.url(link))
        lines = signed_lines(watched.page)
        check_fingerprints(site, "acme-bakery", lines)
        raw = crypto.from_b64url(link.path.split("#")[1])
        key = crypto.decision_key_for_link(raw)
        for line in lines:
            assert line.by == crypto.key_id(raw)
            assert line.verifies(key)
            assert not any(bad.verifies(key) for bad in tampered(line))
            found = DecisionKeys(KEY, {}).verify(acme, line)
            assert isinstance(found, Signer) and found.contact == contact
        assert watched.errors == [] and watched.csp_violations() == []
        watched.page.close()


def shared_key(site: Site, client_id: str, password: str) -> tuple[str, bytes]:
    client = site.clients()[client_id]
    version = client.record.access.version
    label = crypto.recipient_label(KEY, client_id, version, "shared", *(c.key_version for c in client.record.contacts))
    stretched = crypto.password_key(password, crypto.password_salt(KEY, client_id, version))
    return label, crypto.decision_key_for_password(stretched, label)


def test_a_password_page_signs_with_the_password_and_a_remembered_device_still_does(site, context):
    label, key = shared_key(site, "lotus-tea", PASSWORD)
    url = site.url(site.links("lotus-tea")[0])
    first = Watched(context.new_page())
    open_with_password(first.page, url, PASSWORD, remember=True)
    lines = signed_lines(first.page)
    check_fingerprints(site, "lotus-tea", lines)
    assert all(line.by == label and line.verifies(key) for line in lines)
    assert not any(bad.verifies(key) for line in lines for bad in tampered(line))
    lotus = site.clients()["lotus-tea"]
    environ = {"LOTUS_TEA_PORTAL_PASSWORD": PASSWORD}
    found = DecisionKeys(KEY, environ).verify(lotus, lines[0])
    assert isinstance(found, Signer) and (found.signed_with, found.contact) == ("shared password", None)
    # what the device keeps to sign with: a key scripts can use to sign, never read
    kept = first.page.evaluate(DECIDE_KEYS_JS)
    assert kept == [{"type": "secret", "extractable": False, "algorithm": "HMAC", "usages": ["sign"]}]
    assert "decide" not in first.page.evaluate("JSON.stringify([localStorage, sessionStorage])")

    again = Watched(context.new_page())  # no password asked: the remembered key opens and signs
    again.page.goto(url)
    expect(again.page.locator("#cp-content")).to_be_visible()
    assert signed_lines(again.page) == lines
    again.page.click("#cp-forget")
    expect(again.page.locator("#cp-password")).to_be_visible()
    assert again.page.evaluate(DECIDE_KEYS_JS) == []  # forgotten with the device
    assert first.errors == again.errors == []


DECIDE_KEYS_JS = """() => new Promise((resolve, reject) => {
  const opening = indexedDB.open("client-portal", 1);
  opening.onupgradeneeded = () => opening.result.createObjectStore("keys");
  opening.onerror = () => reject(opening.error);
  opening.onsuccess = () => {
    const all = opening.result.transaction("keys", "readonly").objectStore("keys").getAll();
    all.onsuccess = () => {
      opening.result.close();
      resolve(all.result.filter(e => e.decide).map(e => ({
        type: e.decide.type, extractable: e.decide.extractable,
        algorithm: e.decide.algorithm.name, usages: e.decide.usages,
      })));
    };
  };
})"""


def test_an_unlisted_page_carries_lines_the_build_signed_with_the_pages_key(site, watched):
    watched.page.goto(site.url(site.links("harbor-books")[0]))
    lines = signed_lines(watched.page)
    check_fingerprints(site, "harbor-books", lines)
    key = crypto.decision_key_for_page(KEY, "harbor-books", 1)
    assert all(line.by == PAGE and line.verifies(key) for line in lines)
    assert not any(bad.verifies(key) for line in lines for bad in tampered(line))


@pytest.fixture(scope="module")
def personal_site(build_env, tmp_path_factory, monkeypatch_module) -> Iterator[Site]:
    """The example portal with Lotus Tea's first contact given a password of her own."""
    portal = copy_portal(tmp_path_factory.mktemp("personal") / "portal")
    record = portal / "clients" / "lotus-tea.yml"
    text = record.read_text(encoding="utf-8")
    first_contact = text.index("key_version: 1")
    end = text.index("\n", first_contact)
    indent = text[text.rindex("\n", 0, first_contact) + 1 : first_contact]
    record.write_text(f"{text[:end]}\n{indent}password_env: LOTUS_OWN_PASSWORD{text[end:]}", encoding="utf-8")
    monkeypatch_module.setenv("LOTUS_OWN_PASSWORD", PERSONAL)
    served = serve_portal(portal, tmp_path_factory.mktemp("personal-site"))
    yield served
    served.server.shutdown()


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_a_personal_password_signs_as_its_contact(personal_site, watched):
    lotus = personal_site.clients()["lotus-tea"]
    contact = lotus.record.contacts[0]
    assert contact.password_env == "LOTUS_OWN_PASSWORD"
    open_with_password(watched.page, personal_site.url(personal_site.links("lotus-tea")[0]), PERSONAL)
    lines = signed_lines(watched.page)
    label = crypto.recipient_label(KEY, "lotus-tea", 1, "person", contact.identity, contact.key_version)
    environ = {"LOTUS_OWN_PASSWORD": PERSONAL, "LOTUS_TEA_PORTAL_PASSWORD": PASSWORD}
    for line in lines:
        assert line.by == label
        found = DecisionKeys(KEY, environ).verify(lotus, line)
        assert isinstance(found, Signer) and (found.signed_with, found.contact) == ("password", contact)
    assert watched.errors == []
