"""What each revoking action does, proved in Chromium; keys that leave no trace after unlocking."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from playwright.sync_api import Browser, BrowserContext, Page, expect

from .conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PASSWORD,
    Site,
    Watched,
    copy_portal,
    kept_keys,
    same_origin_attack,
    serve_portal,
    web_storage,
)

pytestmark = pytest.mark.browser

LIN, ZHOU, SHARED = "lin-xiaowen-own-password", "zhou-jianguo-own-password", "the-whole-team-password"
PERSONAL = """\
contacts:
  - name: 林晓雯
    email: lin.xiaowen@lotus-tea.example
    key_version: 1
    password_env: LIN_PASSWORD
  - name: 周建国
    email: zhou.jianguo@lotus-tea.example
    key_version: 1
    password_env: ZHOU_PASSWORD

access:
  mode: password
  password_env: LOTUS_TEA_PORTAL_PASSWORD
  version: 1
"""


def set_contacts(portal: Path, block: str) -> None:
    """Replace the contacts and access blocks of the Lotus Tea sample."""
    record = portal / "clients" / "lotus-tea.yml"
    text = record.read_text(encoding="utf-8")
    start, end = text.index("contacts:"), text.index("brand:")
    record.write_text(text[:start] + block + "\n" + text[end:], encoding="utf-8")


@pytest.fixture
def personal(build_env, tmp_path, monkeypatch) -> Iterator[Site]:
    """Lotus Tea with a personal password for each person and a shared one, served."""
    monkeypatch.setenv("LIN_PASSWORD", LIN)
    monkeypatch.setenv("ZHOU_PASSWORD", ZHOU)
    monkeypatch.setenv("LOTUS_TEA_PORTAL_PASSWORD", SHARED)
    portal = copy_portal(tmp_path / "portal")
    set_contacts(portal, PERSONAL)
    served = serve_portal(portal, tmp_path / "site")
    yield served
    served.server.shutdown()


def rebuild(site: Site, change: tuple[str, str]) -> None:
    """Edit the Lotus Tea record and rebuild into the same folder, as a push would."""
    record = site.portal / "clients" / "lotus-tea.yml"
    text = record.read_text(encoding="utf-8")
    assert change[0] in text
    record.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    serve_portal(site.portal, site.folder).server.shutdown()


def bump(variable: str) -> tuple[str, str]:
    """The edit that bumps the ``key_version`` of the person whose password is in ``variable``."""
    return (f"key_version: 1\n    password_env: {variable}", f"key_version: 2\n    password_env: {variable}")


def log_in(browser: Browser, url: str, password: str, *, remember: bool = False) -> Watched:
    """A fresh browser profile that types ``password``; the page is open or the gate says why not."""
    watched = Watched(browser.new_context().new_page())
    page = watched.page
    page.goto(url)
    page.fill("#cp-password", password)
    if remember:
        page.check("#cp-remember")
    page.click("#cp-password-form button")
    return watched


def is_open(watched: Watched) -> bool:
    page = watched.page
    expect(page.locator("#cp-content:visible, #cp-gate:visible[data-state=wrong-password]").first).to_be_visible()
    return page.locator("#cp-content").is_visible()


def returns(watched: Watched, url: str) -> bool:
    """A new tab of the same browser profile: is the page open without typing anything?"""
    page = watched.page.context.new_page()
    page.goto(url)
    expect(page.locator("#cp-content:visible, #cp-password:visible").first).to_be_visible()
    return page.locator("#cp-content").is_visible()


def test_every_personal_password_and_the_shared_one_open_the_page(personal, browser):
    url = personal.url(personal.links("lotus-tea")[0])
    for password in (LIN, ZHOU, SHARED):
        watched = log_in(browser, url, password)
        assert is_open(watched), password
        expect(watched.page.locator("h1.cp-title")).to_have_text("莲语茶舍")
        assert watched.errors == []
    assert not is_open(log_in(browser, url, "somebody-elses-password"))


def test_removing_a_person_revokes_only_their_password(personal, browser):
    url = personal.url(personal.links("lotus-tea")[0])
    rebuild(personal, ("    password_env: ZHOU_PASSWORD\n", ""))  # 周建国 keeps no personal password
    assert not is_open(log_in(browser, url, ZHOU))
    assert is_open(log_in(browser, url, LIN))
    assert is_open(log_in(browser, url, SHARED))


def test_removing_a_contact_revokes_their_password_and_remembered_logins_only(personal, browser):
    url = personal.url(personal.links("lotus-tea")[0])
    zhou = log_in(browser, url, ZHOU, remember=True)
    lin = log_in(browser, url, LIN, remember=True)
    assert is_open(zhou) and is_open(lin)
    zhou_entry = PERSONAL[PERSONAL.index("  - name: 周建国") : PERSONAL.index("\naccess:")]
    rebuild(personal, (zhou_entry, ""))
    assert not returns(zhou, url)  # his remembered login ends
    assert not is_open(log_in(browser, url, ZHOU))  # and his password opens nothing
    assert returns(lin, url)  # the others' remembered logins and passwords keep working
    assert is_open(log_in(browser, url, LIN)) and is_open(log_in(browser, url, SHARED))


def test_removing_the_only_password_of_a_person_is_refused_by_check(personal):
    from client_portal.records.loader import load_client
    from client_portal.records.problems import RecordError

    record = personal.portal / "clients" / "lotus-tea.yml"
    text = record.read_text(encoding="utf-8")
    record.write_text(
        text.replace("  password_env: LOTUS_TEA_PORTAL_PASSWORD\n", "").replace(
            "    password_env: ZHOU_PASSWORD\n", ""
        ),
        encoding="utf-8",
    )
    with pytest.raises(RecordError) as refused:
        load_client(record, today=None)
    [problem] = refused.value.problems
    assert problem.line == text[: text.index("  - name: 周建国")].count("\n") + 1  # at the person's line
    assert "周建国 has no password_env" in problem.message
    assert "remove them from contacts" in problem.message


def test_changing_the_shared_password_revokes_it_and_keeps_personal_ones(personal, browser, monkeypatch):
    url = personal.url(personal.links("lotus-tea")[0])
    monkeypatch.setenv("LOTUS_TEA_PORTAL_PASSWORD", "a-brand-new-team-password")
    serve_portal(personal.portal, personal.folder).server.shutdown()
    assert not is_open(log_in(browser, url, SHARED))
    assert is_open(log_in(browser, url, "a-brand-new-team-password"))
    assert is_open(log_in(browser, url, LIN))


def test_a_key_version_bump_ends_that_persons_remembered_logins_only(personal, browser):
    url = personal.url(personal.links("lotus-tea")[0])
    lin = log_in(browser, url, LIN, remember=True)
    zhou = log_in(browser, url, ZHOU, remember=True)
    assert is_open(lin) and is_open(zhou)
    assert returns(lin, url) and returns(zhou, url)
    rebuild(personal, bump("LIN_PASSWORD"))
    assert not returns(lin, url)  # asked for the password again
    assert kept_keys(lin.page) == []  # and the stale key is gone
    assert returns(zhou, url)
    assert is_open(log_in(browser, url, LIN))  # the password itself still works


def test_a_shared_password_login_ends_with_anyones_key_version_bump(personal, browser):
    url = personal.url(personal.links("lotus-tea")[0])
    team = log_in(browser, url, SHARED, remember=True)
    assert is_open(team) and returns(team, url)
    rebuild(personal, bump("ZHOU_PASSWORD"))
    assert not returns(team, url)


def test_forget_this_device_asks_for_the_password_again(personal, browser):
    url = personal.url(personal.links("lotus-tea")[0])
    watched = log_in(browser, url, LIN, remember=True)
    assert is_open(watched)
    page = watched.page.context.new_page()
    page.goto(url)
    forget = page.locator("#cp-forget")
    expect(forget).to_be_visible()
    expect(forget).to_have_text("忘记此设备")
    forget.click()
    expect(page.locator("#cp-password")).to_be_visible()
    assert page.locator("#cp-content").inner_html() == ""
    assert kept_keys(page) == []
    assert not returns(watched, url)


def test_a_password_not_remembered_is_asked_again_after_a_reload_and_in_another_tab(personal, browser):
    url = personal.url(personal.links("lotus-tea")[0])
    watched = log_in(browser, url, ZHOU)
    assert is_open(watched)
    expect(watched.page.locator("#cp-forget")).to_be_visible()
    expect(watched.page.locator("[data-device=tab]")).to_have_text(
        "此页面不会在此设备上保存任何密钥：重新加载或关闭此标签页后，将再次要求您输入密码。"
    )
    assert "client-portal" not in web_storage(watched.page)  # the key lives in the page's memory only
    watched.page.reload()
    expect(watched.page.locator("#cp-password")).to_be_visible()
    assert watched.page.locator("#cp-content").inner_html() == ""
    assert kept_keys(watched.page) == []
    assert not returns(watched, url)  # another tab asks too


def test_after_unlocking_the_key_leaves_the_address_bar_and_a_reload_asks_for_the_link(site, context):
    link = site.links("acme-bakery")[0]
    key = link.path.split("#", 1)[1]
    watched = Watched(context.new_page())
    page = watched.page
    page.goto(site.url(link))
    expect(page.locator("h1.cp-title")).to_have_text("Acme Bakery")
    expect(page.locator("[data-device=tab]")).to_contain_text("open your link again")
    assert page.evaluate("location.hash") == ""
    assert "#" not in page.url and key not in page.url
    assert key not in web_storage(page) and kept_keys(page) == []  # the key lives in the page's memory only
    page.reload()  # so a reload has nothing to open the page with, and says so
    gate = page.locator("#cp-gate")
    expect(gate).to_have_attribute("data-state", "forgotten")
    expect(gate).to_contain_text("Open the link you were sent")
    assert page.locator("#cp-content").inner_html() == ""
    assert watched.errors == [] and watched.csp_violations() == []
    page.go_back()  # the entry was replaced: no history entry holds the key
    assert page.url == "about:blank"
    # a new tab opened without the key calls the link incomplete
    other = context.new_page()
    other.goto(site.url(link).split("#")[0])
    expect(other.locator("#cp-gate")).to_have_attribute("data-state", "missing")
    assert kept_keys(other) == []
    assert key not in web_storage(other)


def test_old_addresses_show_the_replaced_page(build_env, browser, tmp_path):
    portal = copy_portal(tmp_path / "portal")
    first = serve_portal(portal, tmp_path / "v1")
    old = first.links("acme-bakery")[0]
    record = portal / "clients" / "acme-bakery.yml"
    text = record.read_text(encoding="utf-8")
    record.write_text(text.replace("  version: 1", "  version: 2", 1), encoding="utf-8")
    second = serve_portal(portal, tmp_path / "v2")
    context = browser.new_context()
    try:
        watched = Watched(context.new_page())
        watched.page.goto(second.url(old))
        section = watched.page.locator("[data-cp-replaced]")
        expect(section).to_contain_text("This link was replaced")
        expect(section).to_contain_text("Mei Chen")
        assert "Acme" not in watched.page.content()
        assert watched.errors == [] and watched.csp_violations() == []
        new = Watched(context.new_page())
        new.page.goto(second.url(second.links("acme-bakery")[0]))
        expect(new.page.locator("h1.cp-title")).to_have_text("Acme Bakery")
    finally:
        context.close()
        first.server.shutdown()
        second.server.shutdown()


def test_a_page_that_becomes_readable_moves_and_old_links_read_nothing(build_env, browser, tmp_path):
    portal = copy_portal(tmp_path / "portal")
    encrypted = serve_portal(portal, tmp_path / "encrypted")
    old = encrypted.links("acme-bakery")[0]
    record = portal / "clients" / "acme-bakery.yml"
    text = record.read_text(encoding="utf-8")
    assert "mode: link" in text
    text = re.sub(r"^ +expires: .*\n", "", text, flags=re.MULTILINE)  # an unlisted page cannot end for one person
    record.write_text(text.replace("mode: link", "mode: unlisted", 1), encoding="utf-8")
    readable = serve_portal(portal, tmp_path / "readable")
    new = readable.links("acme-bakery")[0]
    assert new.path.split("/")[1] != old.path.split("/")[1]
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(readable.url(old))
        expect(page.locator("[data-cp-replaced]")).to_be_visible()
        assert "Acme" not in page.content()
        page.goto(readable.url(new))
        expect(page.locator("h1.cp-title")).to_have_text("Acme Bakery")
    finally:
        context.close()
        encrypted.server.shutdown()
        readable.server.shutdown()


def old_fingerprints(site: Site, client_id: str) -> set[str]:
    """What earlier versions kept for a page: unsalted SHA-256 ids that a dictionary finds at once."""
    record = site.clients()[client_id].record
    keys = [("deliverable", d.key) for d in record.deliverables] + [("budget", "budget")]
    return {hashlib.sha256("\x1f".join((client_id, *k)).encode()).hexdigest()[:12] for k in keys}


def test_closed_tabs_leave_no_usable_key_or_readable_fingerprint(site, browser):
    link = site.links("acme-bakery")[0]
    password_page = site.url(site.links("lotus-tea")[0])
    context = browser.new_context()  # one profile: its tabs share IndexedDB and localStorage
    try:
        link_tab = context.new_page()
        link_tab.goto(site.url(link))
        expect(link_tab.locator("h1.cp-title")).to_have_text("Acme Bakery")
        password_tab = context.new_page()
        password_tab.goto(password_page)
        password_tab.fill("#cp-password", PASSWORD)
        password_tab.click("#cp-password-form button")
        expect(password_tab.locator("h1.cp-title")).to_have_text("莲语茶舍")
        for tab in (link_tab, password_tab):  # an open tab keeps its key in memory only
            assert kept_keys(tab) == [] and "client-portal" not in web_storage(tab)
        link_tab.close()
        password_tab.close()

        home = context.new_page()  # the public home page of the same origin
        home.goto(site.base)
        found = same_origin_attack(home)
        assert found["keys"] == 0 and found["opened"] == []
        stored = "\n".join(found["stored"])  # the what's-new state of both pages, nothing else
        assert stored.count("cp-") == 2 and "client-portal" not in stored
        tokens = [site.links(c)[0].path.split("/")[1] for c in ("acme-bakery", "lotus-tea")]
        key = link.path.split("#", 1)[1]
        for secret in (key, *tokens, "acme", "lotus", *old_fingerprints(site, "acme-bakery")):
            assert secret not in stored.lower()

        # the same script does open a page whose key a person chose to remember
        remembered = context.new_page()
        remembered.goto(password_page)
        remembered.fill("#cp-password", PASSWORD)
        remembered.check("#cp-remember")
        remembered.click("#cp-password-form button")
        expect(remembered.locator("h1.cp-title")).to_have_text("莲语茶舍")
        remembered.close()
        found = same_origin_attack(home)
        assert found["keys"] == 1 and found["opened"] == [tokens[1]]
    finally:
        context.close()


PLANT_OLD_STATE_JS = """() => new Promise((resolve) => {
  localStorage.setItem("client-portal:seen:sometoken", '{"items":{"abc":"def"}}');
  sessionStorage.setItem("client-portal:tab:sometoken", '{"id":"x","key":"AAAA"}');
  const opening = indexedDB.open("client-portal", 1);
  opening.onupgradeneeded = () => opening.result.createObjectStore("keys");
  opening.onsuccess = async () => {
    const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["unwrapKey"]);
    const tx = opening.result.transaction("keys", "readwrite");
    tx.objectStore("keys").put({ id: "x", key: key, remember: false }, "sometoken");
    tx.oncomplete = () => { opening.result.close(); resolve(); };
  };
})"""


def test_what_earlier_versions_left_is_removed_on_load(site, browser):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(site.base)
        page.evaluate(PLANT_OLD_STATE_JS)
        assert len(kept_keys(page)) == 1
        page.goto(site.url(site.links("acme-bakery")[0]))
        expect(page.locator("h1.cp-title")).to_have_text("Acme Bakery")
        assert kept_keys(page) == []
        assert "client-portal:" not in web_storage(page)
    finally:
        context.close()


def unlock(site: Site, page: Page, mode: str) -> None:
    """Open a page of ``site`` in ``page`` the way ``mode`` says."""
    if mode == "link":
        page.goto(site.url(site.links("acme-bakery")[0]))
        return
    page.goto(site.url(site.links("lotus-tea")[0]))
    page.fill("#cp-password", {"shared": SHARED, "personal": LIN, "remembered": ZHOU}[mode])
    if mode == "remembered":
        page.check("#cp-remember")
    page.click("#cp-password-form button")


@pytest.mark.parametrize("mode", ["link", "shared", "personal", "remembered"])
def test_forget_this_device_in_every_mode(personal, browser, mode):
    context = browser.new_context()
    try:
        page = context.new_page()
        unlock(personal, page, mode)
        expect(page.locator("#cp-content .cp-page")).to_be_visible()
        if mode == "remembered":
            page.reload()
            expect(page.locator("#cp-content .cp-page")).to_be_visible()
        assert same_origin_attack(page)["stored"] != []  # the what's-new state, and a remembered key
        page.click("#cp-forget")
        expect(page.locator("#cp-gate")).to_have_attribute("data-state", "forgotten" if mode == "link" else "password")
        assert page.locator("#cp-content").inner_html() == ""
        expect(page.locator("#cp-device")).to_be_hidden()
        assert page.title() == "私密页面" if mode != "link" else page.title() == "Private page"
        assert same_origin_attack(page)["stored"] == []  # no key, no what's-new state, anywhere
        page.reload()
        expect(page.locator("#cp-gate")).to_have_attribute("data-state", "forgotten" if mode == "link" else "password")
    finally:
        context.close()


ZHOU_ENTRY = """\
  - name: 周建国
    email: zhou.jianguo@lotus-tea.example
    key_version: 1
    password_env: ZHOU_PASSWORD
"""


def test_removing_a_persons_password_keeps_remembered_shared_logins(personal, browser):
    url = personal.url(personal.links("lotus-tea")[0])
    team = log_in(browser, url, SHARED, remember=True)
    assert is_open(team) and returns(team, url)
    rebuild(personal, ("    password_env: ZHOU_PASSWORD\n", ""))
    assert returns(team, url)


def test_removing_a_contact_ends_remembered_shared_logins_only(personal, browser):
    url = personal.url(personal.links("lotus-tea")[0])
    team = log_in(browser, url, SHARED, remember=True)
    lin = log_in(browser, url, LIN, remember=True)
    assert is_open(team) and is_open(lin)
    rebuild(personal, (ZHOU_ENTRY, ""))
    assert not returns(team, url)  # nobody can tell who typed the shared password
    assert returns(lin, url)  # the others' remembered personal logins keep working
    assert is_open(log_in(browser, url, SHARED))  # and the shared password, typed again


def test_adding_a_contact_ends_remembered_shared_logins(personal, browser):
    url = personal.url(personal.links("lotus-tea")[0])
    team = log_in(browser, url, SHARED, remember=True)
    assert is_open(team) and returns(team, url)
    newcomer = "  - name: 王芳\n    email: wang.fang@lotus-tea.example\n    key_version: 1\n"
    rebuild(personal, (ZHOU_ENTRY, ZHOU_ENTRY + newcomer))
    assert not returns(team, url)
    assert is_open(log_in(browser, url, SHARED))


def test_an_open_tab_leaves_its_key_to_no_page_of_the_origin(site, browser):
    """What the README says: a key not remembered is in no storage, not even the tab's own sessionStorage."""
    link = site.links("acme-bakery")[0]
    key = link.path.split("#", 1)[1]
    context = browser.new_context()
    try:
        tab = context.new_page()
        tab.goto(site.url(link))
        expect(tab.locator("h1.cp-title")).to_have_text("Acme Bakery")
        tab.goto(site.base)  # the same tab, on a public page of the origin
        found = same_origin_attack(tab)
        assert found["keys"] == 0 and all(key not in entry for entry in found["stored"])
    finally:
        context.close()


def wrapping_keys(payload: dict[str, Any], password: str) -> list[str]:
    """What a password makes of each copy of the page key, as portal.js derives it (base64url)."""
    kdf = payload["kdf"]
    salt = base64.urlsafe_b64decode(kdf["salt"] + "=" * (-len(kdf["salt"]) % 4))
    stretched = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, kdf["iterations"])
    found = []
    for entry in payload["keys"]:
        info = f"client-portal/1/wrap/{entry['id']}".encode()
        raw = HKDF(hashes.SHA256(), 32, salt=b"", info=info).derive(stretched)
        found.append(base64.urlsafe_b64encode(raw).rstrip(b"=").decode())
    return found


def launch(browser: Browser, profile: Path) -> BrowserContext:
    """Chromium with a profile on disk that restores its last session, as a person's browser may."""
    return browser.browser_type.launch_persistent_context(
        profile, executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--restore-last-session"]
    )


def test_quitting_with_a_password_page_open_leaves_nothing_that_reopens_it(site, browser, tmp_path):
    """Chromium writes sessionStorage to disk for session restore: no key may be there."""
    profile = tmp_path / "profile"
    url = site.url(site.links("lotus-tea")[0])
    context = launch(browser, profile)
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(url)
    payload = json.loads(page.locator("#cp-payload").text_content() or "")
    page.fill("#cp-password", PASSWORD)
    page.click("#cp-password-form button")
    expect(page.locator("h1.cp-title")).to_have_text("莲语茶舍")
    keys = wrapping_keys(payload, PASSWORD)
    stored = web_storage(page)
    assert all(key not in stored for key in keys) and "client-portal" not in stored
    context.close()  # the browser quits with the tab open

    written = [
        path.relative_to(profile)
        for path in profile.rglob("*")
        if path.is_file()
        for key in keys
        if key.encode() in (data := path.read_bytes()) or key.encode("utf-16-le") in data
    ]
    assert written == []

    context = launch(browser, profile)  # and comes back with its last session
    try:
        restored = [tab for tab in context.pages if tab.url.startswith(site.base)]
        assert [tab.url for tab in restored] == [url]  # the tab was restored ...
        expect(restored[0].locator("#cp-password")).to_be_visible()  # ... and asks again
        assert restored[0].locator("#cp-content").inner_html() == ""
    finally:
        context.close()


def test_quitting_with_a_link_page_open_leaves_nothing_that_reopens_it(site, browser, tmp_path):
    profile = tmp_path / "profile"
    link = site.url(site.links("acme-bakery")[0])
    context = launch(browser, profile)
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(link)
    expect(page.locator("h1.cp-title")).to_have_text("Acme Bakery")
    assert "client-portal" not in web_storage(page)
    context.close()

    context = launch(browser, profile)
    try:
        restored = [tab for tab in context.pages if tab.url.startswith(site.base)]
        assert [tab.url for tab in restored] == [link.split("#")[0]]  # restored without its key ...
        gate = restored[0].locator("#cp-gate")
        expect(gate).to_have_attribute("data-state", "forgotten")  # ... so it asks for the link again
        expect(gate).to_contain_text("Open the link you were sent")
        assert restored[0].locator("#cp-content").inner_html() == ""
    finally:
        context.close()
