"""client-portal inbox: decision replies from mbox, Maildir and .eml folders verified and recorded once."""

from __future__ import annotations

import json
import mailbox
import re
from dataclasses import replace

import pytest
from click.testing import CliRunner

from client_portal.commands.cli import main
from client_portal.publishing import crypto
from client_portal.records.loader import parse_record

from .build import SECRET
from .inbox_mail import ACME, LINDEN, html_only, message, quoted, signed


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def portal(empty_portal, monkeypatch):
    monkeypatch.setenv("PORTAL_SECRET", SECRET)
    (empty_portal / "clients" / "acme.yml").write_text(ACME, encoding="utf-8")
    (empty_portal / "clients" / "linden.yml").write_text(LINDEN, encoding="utf-8")
    return empty_portal


def record(portal, client="acme"):
    return parse_record((portal / "clients" / f"{client}.yml").read_text(encoding="utf-8"), portal, today=None)[0]


def mbox(portal, *messages: bytes, name="replies.mbox"):
    box = mailbox.mbox(portal / name)
    for raw in messages:
        box.add(raw)
    box.close()
    return name


def approve(**changes):
    return signed(ACME, "acme", "deliverable/brand-refresh", "approve", "anna@acme.example", key_version=2, **changes)


def test_a_verified_approval_is_recorded_with_every_comment_kept(portal):
    source = mbox(portal, message(f"Approved.\n\n{approve()}\n"))
    result = run("inbox", source)
    assert result.exit_code == 0, result.output
    assert "recorded: acme: approve on deliverable/brand-refresh by Anna Weber, 2026-11-20 14:02 +0100" in result.output
    assert "\n1 recorded, 0 on an earlier version, 0 refused, 0 already recorded (1 message read" in result.output
    text = (portal / "clients" / "acme.yml").read_text(encoding="utf-8")
    before, after = ACME.splitlines(), text.splitlines()
    assert [line for line in before if line not in after] == ["    status: in_review   # waiting for Anna"]
    assert [line for line in after if line not in before] == [
        "    status: approved   # waiting for Anna",
        "    delivered: 2026-11-20",
        "decisions:",
        "  - item: deliverable/brand-refresh",
        "    decision: approve",
        "    by: Anna Weber",
        "    at: 2026-11-20T14:02:00+01:00",
        f"    seen: {approve().seen}",
        "    message_id: <reply-1@acme.example>",
    ]
    decided = record(portal).decisions
    assert [(d.item, d.decision, d.by, d.earlier_version) for d in decided] == [
        ("deliverable/brand-refresh", "approve", "Anna Weber", False)
    ]


def test_the_same_message_twice_and_in_two_sources_is_one_decision(portal):
    raw = message(f"{approve()}\n")
    first = run("inbox", mbox(portal, raw, raw))
    assert first.exit_code == 0, first.output
    assert "1 recorded, 0 on an earlier version, 0 refused, 1 already recorded" in first.output
    maildir = mailbox.Maildir(portal / "Mail")
    maildir.add(raw)
    (portal / "eml").mkdir()
    (portal / "eml" / "reply.eml").write_bytes(raw)
    for source in ("Mail", "eml"):
        again = run("inbox", source)
        assert again.exit_code == 0, again.output
        assert "0 recorded, 0 on an earlier version, 0 refused, 1 already recorded" in again.output
    assert len(record(portal).decisions) == 1


def test_the_same_line_in_two_messages_is_one_decision(portal):
    line = approve()
    source = mbox(portal, message(f"{line}\n"), message(f"Sent again: {line}\n", message_id="<reply-2@acme.example>"))
    result = run("inbox", source)
    assert "1 recorded, 0 on an earlier version, 0 refused, 1 already recorded" in result.output
    assert len(record(portal).decisions) == 1


def test_a_reply_quoted_and_rewrapped_or_html_only_still_verifies(portal):
    menu = signed(ACME, "acme", "deliverable/menu", "changes", "ben@acme.example")
    assert any(" " not in piece and len(piece) < 43 for piece in quoted(approve()).split("> ")[3:])  # tokens split
    source = mbox(
        portal,
        message(quoted(approve())),
        message(html_only(menu), html=True, message_id="<html@acme.example>", sender="ben@acme.example"),
    )
    result = run("inbox", source)
    assert result.exit_code == 0, result.output
    assert "2 recorded" in result.output
    now = record(portal)
    assert [d.status for d in now.deliverables] == ["approved", "in_progress"]
    assert [d.by for d in now.decisions] == ["Anna Weber", "Ben Kraus"]


def test_an_idea_taken_up_and_a_proposal_accepted(portal):
    idea = signed(ACME, "acme", "idea/start-a-newsletter", "accept", "ben@acme.example")
    proposal = signed(LINDEN, "linden", "proposal", "accept", "sarah@linden.example")
    result = run(
        "inbox",
        mbox(
            portal,
            message(f"{idea}"),
            message(f"{proposal}", message_id="<p@linden.example>", sender="Sarah Hart <sarah@linden.example>"),
        ),
    )
    assert result.exit_code == 0, result.output
    assert record(portal).suggestions[0].status == "accepted"
    linden = record(portal, "linden")
    assert linden.stage == "prospect"  # the freelancer activates it
    assert [(d.item, d.decision, d.by) for d in linden.decisions] == [("proposal", "accept", "Sarah Hart")]
    waiting = run("status", "--json")
    rows = [row for row in json.loads(waiting.output) if row["urgency"] == "proposal_accepted"]
    assert rows == [
        {
            "client": "linden",
            "name": "Linden & Hart Solicitors",
            "urgency": "proposal_accepted",
            "kind": "proposal",
            "title": "Proposal",
            "due": None,
            "days_left": None,
            "by": "Sarah Hart",
            "at": "2026-11-20T14:02:00+01:00",
        }
    ]
    activated = run("activate", "linden")
    assert activated.exit_code == 0, activated.output
    assert record(portal, "linden").stage == "active"
    assert record(portal, "linden").decisions  # the history stays
    text = (portal / "clients" / "linden.yml").read_text(encoding="utf-8")
    assert "stage: active   # a proposal\n" in text
    assert "proposal_accepted" not in run("status", "--json").output


def test_activate_refuses_without_an_accept_unless_forced(portal):
    refused = run("activate", "linden")
    assert refused.exit_code == 1
    assert "no accept decision on the proposal" in refused.output
    assert record(portal, "linden").stage == "prospect"
    assert run("activate", "acme").exit_code == 1  # not a prospect
    assert run("activate", "nobody").exit_code == 2
    assert run("activate", "linden", "--force").exit_code == 0
    assert record(portal, "linden").stage == "active"


def test_changes_requested_wait_for_the_freelancer_in_status(portal):
    changes = signed(ACME, "acme", "deliverable/menu", "changes", "ben@acme.example")
    assert run("inbox", mbox(portal, message(f"{changes}", sender="ben@acme.example"))).exit_code == 0
    shown = run("status")
    assert re.search(
        r"changes requested\s+Acme Bakery: Spring menu \[deliverable\]  by Ben Kraus, 2026-11-20 14:02", shown.output
    )


def test_a_decision_on_an_earlier_version_is_recorded_as_such_and_not_applied(portal):
    line = approve()
    changed = ACME.replace("Two logo directions.", "Three logo directions.")
    (portal / "clients" / "acme.yml").write_text(changed, encoding="utf-8")
    result = run("inbox", mbox(portal, message(f"{line}")))
    assert result.exit_code == 0, result.output
    assert "earlier version: acme: approve on deliverable/brand-refresh by Anna Weber" in result.output
    assert "0 recorded, 1 on an earlier version" in result.output
    now = record(portal)
    assert now.deliverables[0].status == "in_review"
    assert [d.earlier_version for d in now.decisions] == [True]
    assert "earlier_version" in run("status", "--json").output


def _forged():
    line = approve()
    return replace(line, mac=("B" if line.mac[0] != "B" else "C") + line.mac[1:])


def _altered():
    return replace(approve(), item="deliverable/menu")


def _unknown_client():
    return replace(approve(), client="globex")


def _unknown_item():
    return signed(ACME, "acme", "deliverable/ghost", "approve", "anna@acme.example", key_version=2, seen="G" * 43)


def _revoked():
    return signed(ACME, "acme", "deliverable/brand-refresh", "approve", "anna@acme.example", key_version=1)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (_forged, "the MAC does not verify"),
        (_altered, "the MAC does not verify"),
        (_unknown_client, "no client globex in clients"),
        (_unknown_item, "clients/acme.yml has no deliverable/ghost"),
        (_revoked, "revoked: Anna Weber's link was replaced (key_version 2)"),
    ],
)
def test_bad_lines_are_refused_and_nothing_is_written(portal, make, reason):
    result = run("inbox", mbox(portal, message(f"{make()}")))
    assert result.exit_code == 1
    assert (
        "refused: replies.mbox message 1 (Message-ID <reply-1@acme.example>, From Anna Weber <anna@acme.example>)"
        in result.output
    )
    assert reason in result.output
    assert "0 recorded, 0 on an earlier version, 1 refused" in result.output
    assert (portal / "clients" / "acme.yml").read_text(encoding="utf-8") == ACME
    assert "Traceback" not in result.output


def test_a_record_that_does_not_load_refuses_its_decisions(portal):
    broken = ACME.replace("stage: active", "stage: someday")
    (portal / "clients" / "acme.yml").write_text(broken, encoding="utf-8")
    result = run("inbox", mbox(portal, message(f"{approve()}")))
    assert result.exit_code == 1
    assert "the record clients/acme.yml does not load (clients/acme.yml:3:8: error: stage" in result.output
    assert (portal / "clients" / "acme.yml").read_text(encoding="utf-8") == broken


def test_dry_run_prints_the_diff_and_writes_nothing(portal):
    result = run("inbox", mbox(portal, message(f"{approve()}")), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "--- a/clients/acme.yml\n+++ b/clients/acme.yml\n" in result.output
    assert "-    status: in_review   # waiting for Anna\n+    status: approved   # waiting for Anna\n" in result.output
    assert "+    decision: approve\n" in result.output
    assert "without a decision line); dry run: nothing written\n" in result.output
    assert (portal / "clients" / "acme.yml").read_text(encoding="utf-8") == ACME


def test_mark_read_flags_maildir_messages_only_when_asked(portal):
    maildir = mailbox.Maildir(portal / "Mail")
    maildir.add(message(f"{approve()}"))
    maildir.add(message("Just a question.", message_id="<q@acme.example>"))
    assert run("inbox", "Mail").exit_code == 0
    assert sorted(p.parent.name for p in (portal / "Mail").glob("*/*")) == ["new", "new"]
    assert run("inbox", "Mail", "--mark-read").exit_code == 0  # already recorded: still marked
    flagged = sorted((p.parent.name, p.name.endswith(":2,S")) for p in (portal / "Mail").glob("*/*"))
    assert flagged == [("cur", True), ("new", False)]


def test_a_source_that_is_not_there_is_a_usage_error(portal, monkeypatch):
    assert run("inbox", "nowhere.mbox").exit_code == 2
    monkeypatch.delenv("PORTAL_IMAP_PASSWORD", raising=False)
    missing = run("inbox", "imaps://jo@mail.example/INBOX")
    assert missing.exit_code == 2
    assert "set PORTAL_IMAP_PASSWORD" in missing.output
    monkeypatch.setenv("PORTAL_IMAP_PASSWORD", "pw")
    plain = run("inbox", "imap://jo@mail.example/INBOX")
    assert plain.exit_code == 2
    assert "imap:// would send the password unencrypted" in plain.output


def test_the_line_is_signed_with_the_link_key(portal):
    """The tests' lines are made as the page makes them: `b` is the public id of Anna's link key."""
    link = crypto.contact_key(SECRET.encode(), "acme", 1, "anna@acme.example", 2)
    assert approve().by == crypto.key_id(link)
    assert approve().verifies(crypto.decision_key_for_link(link))
