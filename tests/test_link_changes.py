"""`links --changed` and `digest --new-links`: who needs a new link, from the records' git history."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from textwrap import dedent

import pytest
from click.testing import CliRunner

from client_portal.commands.cli import main
from client_portal.publishing.crypto import site_fingerprint
from client_portal.records.access import link_changes
from client_portal.records.loader import load_client, parse_record
from client_portal.site_config import read_settings

from .build import SECRET
from .conftest import ROOT, TODAY
from .test_digest import git, write
from .test_send import authority, log_of  # noqa: F401  (authority: a fixture, found by its name)
from .test_send import smtp_server as send_server

smtp_server = send_server  # a fixture of test_send, found by this name

ACME_BEFORE = dedent(
    """\
    name: Acme Bakery
    contacts:
      - name: Anna Weber
        email: anna@acme.example
      - name: Olga Berg
        email: olga@acme.example
      - name: Pia Lund
        email: pia@acme.example
        expires: 2026-11-22
      - name: Karl Utz
        email: karl@acme.example
    deliverables:
      - title: Winter menu
        status: in_progress
        due: 2026-12-20
    """
)
ACME_AFTER = (
    ACME_BEFORE.replace("  - name: Olga Berg\n    email: olga@acme.example\n", "")
    .replace("email: karl@acme.example\n", "email: karl@acme.example\n    key_version: 2\n")
    .replace("deliverables:", "  - name: Nina Roth\n    email: nina@acme.example\ndeliverables:")
)
HARBOR = dedent(
    """\
    name: Harbor Books
    contacts:
      - name: Ben Okafor
        email: ben@harbor.example
    access:
      version: {version}
    """
)
QUIET = "name: Quiet Studio\ncontacts:\n  - name: Sam Quiet\n    email: sam@quiet.example\n"


@pytest.fixture
def portal(tmp_path, monkeypatch) -> Path:
    """Records committed Nov 10; Harbor's page moved Nov 20; Acme's contacts edited since, not yet committed."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("PORTAL_SECRET", SECRET)
    portal = tmp_path / "portal"
    (portal / "clients").mkdir(parents=True)
    (portal / "content").mkdir()
    shutil.copy(ROOT / "mkdocs.yml", portal / "mkdocs.yml")
    write(portal, "acme.yml", ACME_BEFORE)
    write(portal, "harbor.yml", HARBOR.format(version=1))
    write(portal, "quiet.yml", QUIET)
    git(portal, "init", "-q")
    git(portal, "add", ".")
    git(portal, "commit", "-q", "-m", "Records", when="2026-11-10T12:00:00+01:00")
    write(portal, "harbor.yml", HARBOR.format(version=2))
    git(portal, "commit", "-q", "-a", "-m", "Harbor: new address", when="2026-11-20T12:00:00+01:00")
    write(portal, "acme.yml", ACME_AFTER)
    monkeypatch.chdir(portal)
    return portal


def links(*args: str):
    return CliRunner().invoke(main, ["links", "--changed", *args], catch_exceptions=False)


def first_commit(portal: Path) -> str:
    return git(portal, "rev-list", "--max-parents=0", "HEAD")


def urls(portal: Path, name: str) -> dict[str, str]:
    from client_portal.publishing.addresses import client_links

    settings = read_settings(portal / "mkdocs.yml")
    client = load_client(portal / "clients" / name, today=TODAY)
    return {link.contact: link.url(settings.site_url) for link in client_links(settings, SECRET.encode(), client)}


EXPECTED = [
    ("acme", "Olga Berg", "revoked"),
    ("acme", "Pia Lund", "expired"),
    ("acme", "Karl Utz", "rotated"),
    ("acme", "Nina Roth", "new"),
    ("harbor", "Ben Okafor", "moved"),
]


def _rows(result) -> list[tuple[str, str, str]]:
    assert result.exit_code == 0, result.output
    return [(row["id"], row["contact"], row["change"]) for row in json.loads(result.stdout)]


def test_exactly_the_changed_contacts_with_their_new_links(portal):
    result = links("--since", first_commit(portal), "--json")
    assert sorted(_rows(result)) == sorted(EXPECTED)
    rows = {row["contact"]: row for row in json.loads(result.stdout)}
    acme, harbor = urls(portal, "acme.yml"), urls(portal, "harbor.yml")
    assert rows["Nina Roth"]["url"] == acme["Nina Roth"] and rows["Karl Utz"]["url"] == acme["Karl Utz"]
    assert rows["Ben Okafor"]["url"] == harbor["Ben Okafor"]
    assert rows["Olga Berg"]["url"] is None and rows["Pia Lund"]["url"] is None  # no link to send them
    assert rows["Pia Lund"]["detail"] == "expired on 2026-11-22"
    assert rows["Karl Utz"]["detail"] == "key_version 1 → 2"


def test_the_text_names_client_contact_change_and_link(portal):
    result = links("--since", first_commit(portal))
    assert result.exit_code == 0, result.output
    karl = urls(portal, "acme.yml")["Karl Utz"]
    assert "Acme Bakery (acme, link)\n" in result.stdout
    assert f"  Karl Utz: rotated (key_version 1 → 2): {karl}\n" in result.stdout
    assert "  Olga Berg: revoked (removed from contacts)\n" in result.stdout
    assert "Anna Weber" not in result.stdout and "Quiet" not in result.stdout


def test_a_removed_records_contacts_are_revoked_all_but_one_whose_access_had_ended(portal):
    quiet = QUIET + "  - name: Ida Quiet\n    email: ida@quiet.example\n    expires: 2026-11-01\n"
    write(portal, "quiet.yml", quiet)
    git(portal, "commit", "-q", "-a", "-m", "Quiet: Ida", when="2026-11-21T12:00:00+01:00")
    (portal / "clients" / "quiet.yml").unlink()
    result = links("--since", "HEAD", "--json")
    assert ("quiet", "Sam Quiet", "revoked") in _rows(result)
    assert "Ida Quiet" not in result.stdout  # her link had ended before
    rows = {row["contact"]: row for row in json.loads(result.stdout)}
    assert rows["Sam Quiet"]["url"] is None and rows["Sam Quiet"]["detail"] == "the client's record was removed"
    assert (
        "Quiet Studio (quiet, link)\n  Sam Quiet: revoked (the client's record was removed)"
        in links("--since", "HEAD").stdout
    )


def test_since_a_later_revision_leaves_out_what_changed_before_it(portal):
    # HEAD already moved Harbor's page: only Acme's uncommitted edits remain
    assert sorted(_rows(links("--since", "HEAD", "--json"))) == sorted(r for r in EXPECTED if r[0] == "acme")
    git(portal, "commit", "-q", "-a", "-m", "Acme: contacts", when="2026-11-22T12:00:00+01:00")
    result = links("--since", "HEAD")
    assert result.exit_code == 0 and result.stdout == ""
    assert "No contact's link changed since" in result.stderr


def test_by_default_the_state_before_the_published_sites_last_build(portal):
    site = portal / "site" / "p"
    site.mkdir(parents=True)
    mark = f'<html data-cp-prefix-index data-cp-site="{site_fingerprint(SECRET.encode())}" data-cp-built="{{}}">'
    (site / "index.html").write_text(mark.format("2026-11-15"), encoding="utf-8")
    assert sorted(_rows(links("--site", "site", "--json"))) == sorted(EXPECTED)
    # built on Nov 21: Harbor's move (Nov 20) was in the build before
    (site / "index.html").write_text(mark.format("2026-11-21"), encoding="utf-8")
    assert sorted(_rows(links("--site", "site", "--json"))) == sorted(r for r in EXPECTED if r[0] == "acme")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--since", "no-such-tag"], 2, "error: no commit 'no-such-tag' in this repository"),
        (["--since", "--all"], 2, "error: no commit '--all'"),
        (["--site", "nowhere"], 1, "error: cannot read nowhere/p/index.html"),
    ],
)
def test_a_bad_revision_or_site_is_a_clean_error(portal, args, code, message):
    result = links(*args)
    assert result.exit_code == code and message in result.stderr, result.output
    assert "Traceback" not in result.output


def test_since_without_changed_is_a_usage_error(portal):
    result = CliRunner().invoke(main, ["links", "--since", "HEAD"], catch_exceptions=False)
    assert result.exit_code == 2 and "give them with --changed" in result.stderr


def test_outside_git_is_a_clean_error(portal):
    shutil.rmtree(portal / ".git")
    result = links("--since", "HEAD")
    assert result.exit_code == 2 and "is not in a git repository" in result.stderr, result.output


def test_a_contact_whose_access_ended_before_is_no_news_and_one_opened_again_is():
    before, _ = parse_record(ACME_BEFORE, Path("acme.yml"), today=None)
    after, _ = parse_record(ACME_BEFORE.replace("expires: 2026-11-22", "expires: 2026-12-31"), Path("a"), today=None)
    # Pia's access had ended by the earlier day: extending it gives her a way in again
    assert [(c.contact.name, c.kind) for c in link_changes(before, after, TODAY, TODAY)] == [("Pia Lund", "new")]
    assert link_changes(before, before, TODAY, TODAY) == []  # ended then, ended now: nothing to say


# ---- the new-link letters ----


def test_digest_drafts_the_new_link_letter_to_exactly_those_contacts(portal, tmp_path):
    out = tmp_path / "drafts"
    result = CliRunner().invoke(
        main, ["digest", "--new-links", "--since", first_commit(portal), "--out", str(out)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    drafts = {path.name: path.read_text(encoding="utf-8") for path in out.glob("*.eml")}
    recipients = sorted(next(line for line in text.splitlines() if line.startswith("To: ")) for text in drafts.values())
    assert recipients == [
        "To: Ben Okafor <ben@harbor.example>",
        "To: Karl Utz <karl@acme.example>",
        "To: Nina Roth <nina@acme.example>",
    ]
    karl = next(text for text in drafts.values() if "karl@acme.example" in text)
    assert "Subject: Your new link: Acme Bakery" in karl
    assert urls(portal, "acme.yml")["Karl Utz"].split("#")[1][:20] in karl.replace("=\n", "")


def test_digest_sends_the_new_links_once(portal, smtp_server):
    url, mailbox = smtp_server("smtps")
    args = ["digest", "--new-links", "--since", first_commit(portal), "--send", "--yes"]
    result = CliRunner().invoke(main, args, env={"PORTAL_SMTP_URL": url}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert sorted(mailbox.recipients) == ["ben@harbor.example", "karl@acme.example", "nina@acme.example"]
    assert all(entry["news"][0].startswith("new-link ") for entry in log_of(portal))
    again = CliRunner().invoke(main, args, env={"PORTAL_SMTP_URL": url}, catch_exceptions=False)
    assert again.exit_code == 0, again.output
    assert len(mailbox.received) == 3  # each link is sent once


def test_update_letters_leave_out_a_contact_whose_access_ended(portal):
    write(portal, "acme.yml", ACME_BEFORE.replace("status: in_progress", "status: in_review"))
    result = CliRunner().invoke(main, ["digest", "--since", first_commit(portal)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "To: Anna Weber" in result.stdout and "pia@acme.example" not in result.stdout
