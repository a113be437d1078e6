"""Who can open a password page: personal and shared passwords, their labels, missing variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from client_portal import crypto
from client_portal.loader import parse_record
from client_portal.model import Client
from client_portal.publish import PublishError, _recipients, password_labels

from .build import SECRET
from .conftest import TODAY

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


def test_a_missing_password_in_ci_fails_the_build():
    with pytest.raises(PublishError, match="LIN_PASSWORD is not set"):
        _recipients(client(), SECRET.encode(), {"CI": "true", "TEAM_PASSWORD": ENV["TEAM_PASSWORD"]})


def test_a_short_personal_password_is_refused_without_showing_it():
    with pytest.raises(PublishError, match="LIN_PASSWORD is too short") as error:
        _recipients(client(), SECRET.encode(), {**ENV, "LIN_PASSWORD": "tiny-pw"})
    assert "tiny-pw" not in str(error.value)
