"""The site secret: strong enough to withstand guesses, kept in a file only its owner can read."""

from __future__ import annotations

import base64
import os
import secrets
import stat
from pathlib import Path

import pytest

from client_portal.publishing.secret import (
    MIN_BITS,
    SECRET_FILE,
    SecretError,
    keep_secret,
    new_secret,
    secret_bits,
    site_secret,
)

from .build import SECRET
from .test_build import PASSWORD, copy_portal, mkdocs
from .test_generator_free import cli

WEAK = "a" * 32


@pytest.mark.parametrize(
    "value",
    [
        WEAK,
        "correct horse battery staple and more words",  # words from a dictionary
        "CorrectHorseBatteryStapleAndMore",
        "test-site-secret-0123456789abcdef-0123456789",
        "0123456789" * 4,  # a sequence
        "q7Zk9PmX2wLr" * 3,  # a repeat
        "0123456789abcdef" * 2,
    ],
)
def test_a_secret_without_enough_randomness_is_weak(value):
    assert secret_bits(value) < MIN_BITS


@pytest.mark.parametrize(
    "make",
    [
        new_secret,  # `client-portal secret`
        lambda: base64.b64encode(secrets.token_bytes(32)).decode(),  # openssl rand -base64 32
        lambda: secrets.token_hex(32),  # openssl rand -hex 32
    ],
)
def test_random_secrets_are_strong(make):
    assert min(secret_bits(make()) for _ in range(2000)) >= MIN_BITS
    assert secret_bits(SECRET) >= MIN_BITS  # the test suite's own


def test_a_weak_secret_is_refused_in_ci_and_warned_about_locally(tmp_path):
    with pytest.raises(SecretError) as refused:
        site_secret(tmp_path, "MY_SECRET", {"MY_SECRET": WEAK, "CI": "true"})
    message = str(refused.value)
    assert "MY_SECRET is too weak" in message and "`client-portal secret`" in message and WEAK not in message
    local = site_secret(tmp_path, "MY_SECRET", {"MY_SECRET": WEAK})
    assert local.weakness is not None and "MY_SECRET is too weak" in local.weakness
    assert site_secret(tmp_path, "MY_SECRET", {"MY_SECRET": new_secret(), "CI": "true"}).weakness is None


def test_a_weak_kept_secret_is_warned_about(tmp_path):
    keep_secret(tmp_path / SECRET_FILE, WEAK)
    found = site_secret(tmp_path, "PORTAL_SECRET", {})
    assert found.weakness is not None and "client-portal secret --replace" in found.weakness


CI_ENV = {"CI": "true", "LOTUS_TEA_PORTAL_PASSWORD": PASSWORD}


def test_the_plugin_build_in_ci_refuses_a_weak_secret(tmp_path):
    copy_portal(tmp_path / "portal")
    site = tmp_path / "site"
    result = mkdocs("build", "-d", str(site), cwd=tmp_path / "portal", env=CI_ENV | {"PORTAL_SECRET": WEAK})
    assert result.returncode == 1
    assert "the site secret in PORTAL_SECRET is too weak" in result.stderr
    assert "run `client-portal secret` and store what it prints as the PORTAL_SECRET secret in CI" in result.stderr
    assert WEAK not in result.stderr and "Traceback" not in result.stderr
    assert not site.exists()
    # a generated secret is accepted
    strong = mkdocs("build", "-d", str(site), cwd=tmp_path / "portal", env=CI_ENV | {"PORTAL_SECRET": new_secret()})
    assert strong.returncode == 0, strong.stderr
    assert "too weak" not in strong.stderr


def test_the_plugin_warns_about_a_weak_secret_locally(tmp_path):
    copy_portal(tmp_path / "portal")
    env = {"PORTAL_SECRET": WEAK, "LOTUS_TEA_PORTAL_PASSWORD": PASSWORD}
    result = mkdocs("build", "-d", str(tmp_path / "site"), cwd=tmp_path / "portal", env=env)
    # the example builds with `strict: true`, so the warning stops it there too
    assert "WARNING" in result.stderr and "the site secret in PORTAL_SECRET is too weak" in result.stderr
    assert WEAK not in result.stderr


def test_client_portal_build_in_ci_refuses_a_weak_secret(tmp_path):
    portal = copy_portal(tmp_path / "portal").parent
    result = cli("build", "out", cwd=portal, env=CI_ENV | {"PORTAL_SECRET": WEAK})
    assert result.returncode == 2
    assert "error: the site secret in PORTAL_SECRET is too weak" in result.stderr
    assert "run `client-portal secret` and store what it prints as the PORTAL_SECRET secret in CI" in result.stderr
    assert WEAK not in result.stderr and "Traceback" not in result.stderr
    assert not (portal / "out").exists()
    local = cli("build", "out", cwd=portal, env={"PORTAL_SECRET": WEAK})
    assert local.returncode == 0, local.stderr
    assert "warning: the site secret in PORTAL_SECRET is too weak" in local.stderr and WEAK not in local.stderr
    strong = cli("build", "out2", cwd=portal, env=CI_ENV | {"PORTAL_SECRET": new_secret()})
    assert strong.returncode == 0, strong.stderr
    assert "too weak" not in strong.stderr


def test_the_secret_file_is_never_written_through_a_symbolic_link(tmp_path):
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("someone else's file\n")
    (tmp_path / SECRET_FILE).symlink_to(elsewhere)
    with pytest.raises(SecretError, match="is a symbolic link"):
        keep_secret(tmp_path / SECRET_FILE, new_secret())
    assert elsewhere.read_text() == "someone else's file\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [SECRET_FILE, "elsewhere.txt"]


def test_client_portal_secret_refuses_a_symbolic_link(tmp_path):
    portal = copy_portal(tmp_path / "portal").parent
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("")
    (portal / SECRET_FILE).symlink_to(elsewhere)
    result = cli("secret", cwd=portal)
    assert result.returncode == 1 and "is a symbolic link" in result.stderr and "Traceback" not in result.stderr
    assert elsewhere.read_text() == "" and not result.stdout


@pytest.mark.parametrize("umask", [0, 0o022])
def test_the_secret_file_is_private_from_the_moment_it_exists(tmp_path, monkeypatch, umask):
    path = tmp_path / SECRET_FILE
    path.write_text("# an older secret\n")
    path.chmod(0o644)
    seen: list[int] = []  # the file's mode whenever the code changes it: it never had another
    chmod = Path.chmod

    def spy(self: Path, mode: int, **options: bool) -> None:
        seen.append(stat.S_IMODE(self.stat().st_mode))
        chmod(self, mode, **options)

    monkeypatch.setattr(Path, "chmod", spy)
    old = os.umask(umask)
    try:
        keep_secret(path, new_secret())
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert seen == []
    assert sorted(p.name for p in tmp_path.iterdir()) == [SECRET_FILE]  # no partial file left
