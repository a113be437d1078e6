"""Who signed a decision line: each way a page is opened, revoked and replaced copies, unknown ids."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest

from client_portal.decisions.line import PAGE, DecisionLine
from client_portal.decisions.signers import DecisionKeys, Refusal, Signer
from client_portal.publishing import crypto
from client_portal.records.loader import parse_record
from client_portal.records.model import Client

from .build import SECRET
from .conftest import TODAY

KEY = SECRET.encode()
SEEN = "A" * 43
RECORD = """\
name: Lotus Tea
contacts:
  - name: Lin Mei
    email: lin@lotus.example
    key_version: {lin}
    {lin_password}
  - name: Zhou Wei
    email: zhou@lotus.example
    key_version: {zhou}
access:
  mode: {mode}
  version: {version}
  {shared}
"""
ENV = {"LIN_PASSWORD": "lin-own-password", "TEAM_PASSWORD": "the-team-password"}


def client(mode: str = "link", *, lin: int = 1, zhou: int = 1, version: int = 1) -> Client:
    password = mode == "password"
    text = RECORD.format(
        mode=mode,
        lin=lin,
        zhou=zhou,
        version=version,
        lin_password="password_env: LIN_PASSWORD" if password else "",
        shared="password_env: TEAM_PASSWORD" if password else "",
    )
    record, _ = parse_record(text, Path("lotus-tea.yml"), today=TODAY)
    return Client("lotus-tea", Path("lotus-tea.yml"), record)


def fast_stretch(password: str, salt: bytes) -> bytes:
    """Stands in for PBKDF2's 600,000 rounds: as much a function of the password and salt."""
    return hashlib.sha256(salt + password.encode()).digest()


def keys(environ: dict[str, str] | None = None, stretch=fast_stretch) -> DecisionKeys:
    return DecisionKeys(KEY, ENV if environ is None else environ, stretch)


def line(by: str, key: bytes, item: str = "deliverable/labels", decision: str = "approve") -> DecisionLine:
    return DecisionLine("lotus-tea", item, decision, SEEN, by).with_mac(key)


def link_key(contact: int = 0, *, key_version: int = 1, version: int = 1) -> bytes:
    identity = ["lin@lotus.example", "zhou@lotus.example"][contact]
    return crypto.contact_key(KEY, "lotus-tea", version, identity, key_version)


def signed_by_link(contact: int = 0, *, key_version: int = 1, version: int = 1) -> DecisionLine:
    raw = link_key(contact, key_version=key_version, version=version)
    return line(crypto.key_id(raw), crypto.decision_key_for_link(raw))


def password_label(*who: str | int, version: int = 1) -> str:
    return crypto.recipient_label(KEY, "lotus-tea", version, *who)


def signed_with_password(password: str, label: str, version: int = 1) -> DecisionLine:
    stretched = fast_stretch(password, crypto.password_salt(KEY, "lotus-tea", version))
    return line(label, crypto.decision_key_for_password(stretched, label))


def refused(found: Signer | Refusal) -> str:
    assert isinstance(found, Refusal), found
    return found.reason


def test_a_link_line_is_signed_by_the_contact_whose_link_opened_the_page():
    for index, name in enumerate(["Lin Mei", "Zhou Wei"]):
        found = keys().verify(client(), signed_by_link(index))
        assert isinstance(found, Signer) and found.signed_with == "link"
        assert found.contact is not None and found.contact.name == name
        assert found.key == crypto.decision_key_for_link(link_key(index))


def test_a_personal_password_line_is_signed_by_its_contact():
    label = password_label("person", "lin@lotus.example", 1)
    found = keys().verify(client("password"), signed_with_password(ENV["LIN_PASSWORD"], label))
    assert isinstance(found, Signer) and found.signed_with == "password"
    assert found.contact is not None and found.contact.name == "Lin Mei"


def test_a_shared_password_line_names_no_contact_so_the_sender_decides():
    label = password_label("shared", 1, 1)
    found = keys().verify(client("password"), signed_with_password(ENV["TEAM_PASSWORD"], label))
    assert isinstance(found, Signer) and (found.signed_with, found.contact) == ("shared password", None)


def test_a_password_line_made_with_another_password_does_not_verify():
    label = password_label("shared", 1, 1)
    reason = refused(keys().verify(client("password"), signed_with_password("a guessed password", label)))
    assert reason.startswith("the decision line does not verify")


def test_each_password_is_stretched_once_per_run(monkeypatch):
    calls = []

    def counted(password: str, salt: bytes, iterations: int = crypto.PBKDF2_ITERATIONS) -> bytes:
        calls.append(password)
        return fast_stretch(password, salt)

    monkeypatch.setattr(crypto, "password_key", counted)
    label = password_label("shared", 1, 1)
    run = DecisionKeys(KEY, ENV)  # PBKDF2 as the build runs it, once per password and salt
    for _ in range(3):
        assert isinstance(run.verify(client("password"), signed_with_password(ENV["TEAM_PASSWORD"], label)), Signer)
    assert calls == [ENV["TEAM_PASSWORD"]]
    DecisionKeys(KEY, ENV).signer(client("password"), signed_with_password(ENV["TEAM_PASSWORD"], label))
    assert len(calls) == 2  # a new run stretches again: nothing is kept beyond it


def test_a_password_that_is_not_set_is_said_by_its_name():
    label = password_label("person", "lin@lotus.example", 1)
    reason = refused(keys({}).signer(client("password"), signed_with_password("anything", label)))
    assert reason == "LIN_PASSWORD is not set, so a line signed with its password cannot be verified"


def test_passwords_may_come_from_the_one_portal_passwords_secret():
    label = password_label("shared", 1, 1)
    environ = {"PORTAL_PASSWORDS": "LIN_PASSWORD=lin-own-password\nTEAM_PASSWORD=the-team-password"}
    found = keys(environ).verify(client("password"), signed_with_password(ENV["TEAM_PASSWORD"], label))
    assert isinstance(found, Signer)


def test_an_unlisted_pages_line_is_signed_by_the_page():
    found = keys().verify(client("unlisted"), line(PAGE, crypto.decision_key_for_page(KEY, "lotus-tea", 1)))
    assert isinstance(found, Signer) and (found.signed_with, found.contact) == ("page", None)


def test_an_unlisted_line_from_an_earlier_address_says_the_page_moved():
    old = line(PAGE, crypto.decision_key_for_page(KEY, "lotus-tea", 1))
    assert refused(keys().verify(client("unlisted", version=2), old)).startswith("the page moved")


def test_a_line_from_a_page_that_was_unlisted_and_is_now_encrypted_is_refused():
    old = line(PAGE, crypto.decision_key_for_page(KEY, "lotus-tea", 1))
    assert "unlisted page, which is now in link mode" in refused(keys().verify(client("link"), old))


def test_a_contact_whose_key_version_was_bumped_is_revoked_by_name():
    old = signed_by_link(1, key_version=1)
    assert refused(keys().verify(client(zhou=2), old)) == "revoked: Zhou Wei's link was replaced (key_version 2)"
    assert isinstance(keys().verify(client(zhou=2), signed_by_link(0)), Signer)  # Lin keeps her link


def test_a_bumped_personal_password_is_revoked_by_name():
    old = signed_with_password(ENV["LIN_PASSWORD"], password_label("person", "lin@lotus.example", 1))
    reason = refused(keys().verify(client("password", lin=2), old))
    assert reason == "revoked: Lin Mei's password was replaced (key_version 2)"


def test_the_shared_passwords_copy_before_a_bump_is_revoked():
    old = signed_with_password(ENV["TEAM_PASSWORD"], password_label("shared", 1, 1))
    assert refused(keys().verify(client("password", zhou=3), old)).startswith("revoked: the shared password")


def test_a_link_to_an_earlier_address_says_the_page_moved():
    old = signed_by_link(0, version=1)
    assert refused(keys().verify(client(version=2), old)).startswith("the page moved: Lin Mei's link")


def test_a_password_copy_of_an_earlier_address_says_the_page_moved():
    old = signed_with_password(ENV["TEAM_PASSWORD"], password_label("shared", 1, 1, version=1), version=1)
    assert refused(keys().verify(client("password", version=2), old)).startswith("the page moved")


@pytest.mark.parametrize("mode", ["link", "password"])
def test_an_id_no_copy_ever_had_is_unknown(mode):
    stranger = line("AAAAAAAAAAAA", b"k" * 32)
    assert refused(keys().verify(client(mode), stranger)).startswith("unknown key id AAAAAAAAAAAA")


def test_an_unlisted_page_knows_no_key_ids():
    assert refused(keys().verify(client("unlisted"), signed_by_link(0))).startswith("unknown key id")


def test_an_altered_line_does_not_verify():
    signed = signed_by_link(0)
    for altered in (
        dataclasses.replace(signed, decision="changes"),
        dataclasses.replace(signed, seen="B" * 43),
        dataclasses.replace(signed, item="deliverable/other"),
    ):
        assert isinstance(keys().signer(client(), altered), Signer)  # the id is still Lin's
        assert refused(keys().verify(client(), altered)).startswith("the decision line does not verify")


def test_a_line_for_another_client_is_refused():
    other = dataclasses.replace(signed_by_link(0), client="acme-bakery")
    assert refused(keys().verify(client(), other)) == "the line is for client 'acme-bakery', not 'lotus-tea'"
