"""Who can open a password page: personal and shared passwords, their labels, missing variables."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from client_portal.audit.audit import PAYLOAD
from client_portal.page.render import Assets, Renderer
from client_portal.page.view import page_context
from client_portal.publishing import crypto, pages, sealing
from client_portal.publishing.errors import PublishError
from client_portal.publishing.pages import PageInputs, PortalPage, client_page
from client_portal.publishing.sealing import Sealing, _recipients, password_labels
from client_portal.records.loader import load_client, load_clients, parse_record
from client_portal.records.model import Client

from .build import SECRET
from .conftest import ROOT, TODAY
from .pages import MATERIAL_TEMPLATES, SETTINGS

ASSETS = Assets("p{color:red}", "../../portal.js")

RECORD = """\
name: Lotus Tea
contacts:
  - name: Lin
    email: lin@lotus.example
    password_env: LIN_PASSWORD
    key_version: {lin}
  - name: Zhou
    email: zhou@lotus.example
    key_version: {zhou}
access:
  mode: password
  password_env: TEAM_PASSWORD
"""
ENV = {"LIN_PASSWORD": "lin-own-password", "TEAM_PASSWORD": "the-team-password"}


def client(lin: int = 1, zhou: int = 1) -> Client:
    record, _ = parse_record(RECORD.format(lin=lin, zhou=zhou), Path("lotus-tea.yml"), today=TODAY)
    return Client("lotus-tea", Path("lotus-tea.yml"), record)


def labels(**versions: int) -> dict[str, str]:
    return dict(password_labels(SECRET.encode(), client(**versions)))


def test_each_password_has_its_own_label():
    found = labels()
    assert sorted(found) == ["LIN_PASSWORD", "TEAM_PASSWORD"]
    assert len(set(found.values())) == 2


def test_a_persons_bump_changes_their_label_and_the_shared_one_only():
    before, lin_bumped, zhou_bumped = labels(), labels(lin=2), labels(zhou=2)
    assert lin_bumped["LIN_PASSWORD"] != before["LIN_PASSWORD"]
    assert zhou_bumped["LIN_PASSWORD"] == before["LIN_PASSWORD"]  # Zhou's bump leaves Lin's logins alone
    assert lin_bumped["TEAM_PASSWORD"] != before["TEAM_PASSWORD"] != zhou_bumped["TEAM_PASSWORD"]


def test_every_password_opens_the_sealed_page_with_one_stretch_each():
    recipients, kdf, notice = _recipients(client(), SECRET.encode(), ENV)
    assert notice is None and kdf is not None and kdf["iterations"] >= 600_000
    payload = crypto.seal_page(
        "<p>hello</p>", "token", recipients, kdf, decoys=crypto.decoys_key(SECRET.encode(), "c", 1)
    )
    for password in ENV.values():
        assert crypto.open_with_password(payload, "token", password) == "<p>hello</p>"
    with pytest.raises(KeyError):
        crypto.open_with_password(payload, "token", "zhou-guessed-this")


def test_a_missing_password_locally_leaves_it_out_and_says_so():
    recipients, _, notice = _recipients(client(), SECRET.encode(), {"TEAM_PASSWORD": ENV["TEAM_PASSWORD"]})
    assert len(recipients) == 1
    assert notice is not None and "LIN_PASSWORD" in notice and "lin-own-password" not in notice


def test_every_missing_password_is_named():
    _, _, notice = _recipients(client(), SECRET.encode(), {})
    assert notice is not None and notice.startswith("lotus-tea: LIN_PASSWORD, TEAM_PASSWORD not set,")
    with pytest.raises(PublishError, match="LIN_PASSWORD and TEAM_PASSWORD are not set: add the lines "):
        _recipients(client(), SECRET.encode(), {"CI": "true"})


def test_a_password_of_exactly_the_minimum_length_is_enough():
    ten = "x" * sealing.MIN_PASSWORD
    environ = {"LIN_PASSWORD": ten, "TEAM_PASSWORD": ten}
    recipients, _, notice = _recipients(client(), SECRET.encode(), environ, lambda password, salt: bytes(32))
    assert len(recipients) == 2 and notice is None


def test_a_missing_password_in_ci_fails_the_build():
    with pytest.raises(PublishError, match="LIN_PASSWORD is not set"):
        _recipients(client(), SECRET.encode(), {"CI": "true", "TEAM_PASSWORD": ENV["TEAM_PASSWORD"]})


def test_a_short_personal_password_is_refused_without_showing_it():
    with pytest.raises(PublishError, match="LIN_PASSWORD is too short") as error:
        _recipients(client(), SECRET.encode(), {**ENV, "LIN_PASSWORD": "tiny-pw"})
    assert "tiny-pw" not in str(error.value)


# --- Fail closed: readable only when the record says unlisted ----------------------------------


INPUTS = PageInputs(SETTINGS, SECRET.encode(), TODAY, (MATERIAL_TEMPLATES,), ASSETS)


def sample(client_id: str) -> Client:
    return load_client(ROOT / "clients" / f"{client_id}.yml", today=TODAY)


def sample_page(client_id: str, sealing: Sealing | None) -> PortalPage:
    return client_page(sample(client_id), INPUTS, Renderer([MATERIAL_TEMPLATES]), sealing, None)


def page_text(page: PortalPage) -> str:
    return str(page.files[0].content)


@pytest.mark.parametrize("client_id", ["acme-bakery", "lotus-tea"])  # link and password mode
def test_a_private_page_without_its_keys_stops_the_build_instead_of_publishing_it_readable(client_id):
    with pytest.raises(PublishError, match=f"^{client_id}: access mode .* given no keys .* nothing was published"):
        sample_page(client_id, None)


def test_a_readable_page_given_keys_is_a_bug_too():
    with pytest.raises(PublishError, match=r"^harbor-books: access mode unlisted but the page was given keys"):
        sample_page("harbor-books", ([], None, None))


def test_a_client_left_out_of_the_sealings_stops_the_whole_build(monkeypatch):
    everyone = pages.sealings

    def all_but_acme(*args: object) -> dict[str, Sealing]:
        return {key: value for key, value in everyone(*args).items() if key != "acme-bakery"}  # type: ignore[arg-type]

    monkeypatch.setattr(pages, "sealings", all_but_acme)
    clients = load_clients(ROOT / "clients", today=TODAY)
    with pytest.raises(PublishError, match=r"^acme-bakery: "):
        pages.portal_pages(clients, INPUTS, Renderer([MATERIAL_TEMPLATES]), {"LOTUS_TEA_PORTAL_PASSWORD": "x" * 20})


def test_the_page_is_sealed_or_readable_as_its_mode_says():
    sealed = page_text(sample_page("acme-bakery", _recipients(sample("acme-bakery"), SECRET.encode(), {})))
    readable = page_text(sample_page("harbor-books", None))
    assert "Acme Bakery" not in sealed and PAYLOAD in sealed
    assert "Harbor Books" in readable and PAYLOAD not in readable


# --- An encrypted page's shell: nothing of the record, whatever the templates ask ---------------

SHELL = {
    "lang",
    "dir",
    "mode",
    "freelancer",
    "payload",
    "assets",
    "stylesheet",
    "csp",
    "accent_css",
    "body",
    "live_reload",
}
LOTUS_ENV = {"LOTUS_TEA_PORTAL_PASSWORD": "green-tea-please"}


def overridden(folder: Path, name: str, template: str) -> Renderer:
    """A renderer whose theme ``custom_dir`` (``folder``) replaces ``client-portal/<name>``."""
    path = folder / "client-portal" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(template, encoding="utf-8")
    return Renderer([folder, MATERIAL_TEMPLATES])


@pytest.mark.parametrize(("client_id", "name"), [("acme-bakery", "Acme Bakery"), ("lotus-tea", "Lotus Tea")])
def test_an_encrypted_pages_shell_is_given_only_what_its_gate_shows(tmp_path, client_id, name):
    client = sample(client_id)
    every = SHELL | set(page_context(client, SETTINGS, TODAY, whatsnew_key=b"k" * 32))
    template = "".join(f"{{% if {n} is defined %}}[given:{n}]{{% endif %}}" for n in sorted(every))
    renderer = overridden(tmp_path, "page.html", template + "{{ payload }}")
    page = client_page(client, INPUTS, renderer, _recipients(client, SECRET.encode(), LOTUS_ENV), None)
    html = page_text(page)
    assert set(re.findall(r"\[given:(\w+)\]", html)) == SHELL
    assert '"keys":' in html and name not in html


def test_a_template_asking_an_encrypted_pages_shell_for_the_record_stops_the_build(tmp_path):
    client = sample("acme-bakery")
    renderer = overridden(tmp_path, "gate.html", "<p>{{ record.name }}</p>")
    with pytest.raises(PublishError, match=r"^acme-bakery: .*'record' is undefined.*body\.html") as error:
        client_page(client, INPUTS, renderer, _recipients(client, SECRET.encode(), {}), None)
    assert "Acme Bakery" not in str(error.value)


def test_a_readable_page_is_still_given_its_record(tmp_path):
    renderer = overridden(tmp_path, "page.html", "<p>{{ record.name }}</p>")
    assert "<p>Harbor Books</p>" in page_text(client_page(sample("harbor-books"), INPUTS, renderer, None, None))


# --- Keys ------------------------------------------------------------------------------------


def test_a_contacts_link_key_changes_with_their_key_version_only():
    key = crypto.contact_key(SECRET.encode(), "acme-bakery", 1, "jane@acme.example", 1)
    assert crypto.contact_key(SECRET.encode(), "acme-bakery", 1, "jane@acme.example", 1) == key  # stable
    assert crypto.contact_key(SECRET.encode(), "acme-bakery", 1, "jane@acme.example", 2) != key  # revoked by a bump
    assert crypto.contact_key(SECRET.encode(), "acme-bakery", 2, "jane@acme.example", 1) != key
    assert crypto.contact_key(SECRET.encode(), "acme-bakery", 1, "tomasz@acme.example", 1) != key


def test_decoys_look_like_real_copies_of_the_page_key():
    recipients, _, _ = _recipients(sample("acme-bakery"), SECRET.encode(), {})
    assert len(recipients) % crypto.KEYS_MULTIPLE  # so the list needs decoys
    keys = crypto.seal_page(
        "<p>hello</p>", "token", recipients, None, decoys=crypto.decoys_key(SECRET.encode(), "acme-bakery", 1)
    )["keys"]
    assert len(keys) % crypto.KEYS_MULTIPLE == 0 and len(keys) > len(recipients)
    shapes = {(len(entry["id"]), len(entry["iv"]), len(entry["data"])) for entry in keys}
    assert len(shapes) == 1, shapes  # same lengths: a decoy wraps as many bytes as a real page key
    assert {tuple(entry) for entry in keys} == {("id", "iv", "data")}
