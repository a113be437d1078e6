"""Writing a record back: only the edited nodes change, atomically, and never into a record that does not load."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from client_portal.records.model import Decision
from client_portal.records.writer import RecordText, RecordWriteError, write_atomically

TODAY = date(2026, 11, 23)

# Every style a freelancer might write: comments everywhere, blank lines, odd indentation,
# 'single', "double" and plain quoting, block scalars, a flow mapping, CRLF-free text.
STYLED = """\
# yaml-language-server: $schema=../client-record.schema.json
# Acme's record: keep this comment

name: 'Acme  Bakery'      # single-quoted, two spaces
stage:   "prospect"       # double-quoted, extra spaces
language: en

contacts:
    -   name: "Anna Weber"
        email: anna@acme.example   # her own link

greeting: |
  Welcome!

    Indented line kept.

deliverables:
  - title: Brand refresh
    status: 'in_review'    # waiting for Anna
    due: 2026-11-30
    notes: >
      Two logo
      directions.

  - {title: Spring menu, status: in_progress, due: 2026-12-01}

suggestions:
  - id: newsletter
    title: "Start a newsletter"
    body: |
      Monthly.

# budget comes later
updates: []
"""

DECISION = Decision(
    item="deliverable/brand-refresh",
    decision="approve",
    by="Anna Weber",
    at=datetime(2026, 11, 20, 14, 2, tzinfo=timezone(timedelta(hours=1))),
    seen="A" * 43,
    message_id="<reply-1@acme.example>",
)


def edited(text: str = STYLED) -> RecordText:
    return RecordText(Path("clients/acme.yml"), text, today=TODAY)


def test_edits_change_only_their_own_nodes_byte_for_byte():
    record = edited()
    record.append_decision(DECISION)
    record.set_delivered_if_missing("brand-refresh", date(2026, 11, 20))
    record.set_deliverable_status("brand-refresh", "approved")
    record.set_deliverable_status("spring-menu", "in_review")
    record.set_suggestion_status("newsletter", "accepted")
    record.set_stage("active")
    record.validate()
    expected = (
        STYLED.replace('stage:   "prospect"', 'stage:   "active"')
        .replace("status: 'in_review'    # waiting", "status: 'approved'    # waiting")
        .replace("    due: 2026-11-30\n", "    due: 2026-11-30\n    delivered: 2026-11-20\n")
        .replace("status: in_progress, due: 2026-12-01}", "status: in_review, due: 2026-12-01}")
        .replace('    title: "Start a newsletter"\n', '    title: "Start a newsletter"\n    status: accepted\n')
        + "decisions:\n"
        "    -   item: deliverable/brand-refresh\n"
        "        decision: approve\n"
        "        by: Anna Weber\n"
        "        at: 2026-11-20T14:02:00+01:00\n"
        f"        seen: {'A' * 43}\n"
        "        message_id: <reply-1@acme.example>\n"
    )
    assert record.text == expected
    assert record.record.stage == "active"
    assert record.record.decisions == [DECISION]
    assert record.record.suggestions[0].status == "accepted"


def test_a_decision_goes_after_the_last_one_before_the_comments_below():
    text = (
        "name: Acme\n"
        "decisions:\n"
        "- item: proposal   # first\n"
        "  decision: accept\n"
        "  by: Anna\n"
        "  at: 2026-11-01T10:00:00+00:00\n"
        f"  seen: {'B' * 43}\n"
        "\n"
        "# the end of the file\n"
        "updates: []\n"
    )
    record = edited(text.replace("name: Acme\n", "name: Acme\nstage: prospect\naccess: {mode: unlisted}\n"))
    record.append_decision(
        Decision(item="proposal", decision="decline", by="O'Brien: Tom", at=DECISION.at, seen="C" * 43)
    )
    record.validate()
    assert record.text == text.replace(
        "name: Acme\n", "name: Acme\nstage: prospect\naccess: {mode: unlisted}\n"
    ).replace(
        f"  seen: {'B' * 43}\n",
        f"  seen: {'B' * 43}\n"
        "- item: proposal\n"
        "  decision: decline\n"
        '  by: "O\'Brien: Tom"\n'
        "  at: 2026-11-20T14:02:00+01:00\n"
        f"  seen: {'C' * 43}\n",
    )
    assert [d.by for d in record.record.decisions] == ["Anna", "O'Brien: Tom"]


@pytest.mark.parametrize(
    ("written", "becomes"),
    [
        (
            "decisions: []  # none yet\n",
            "decisions: [{item: proposal, decision: accept, by: Anna, at: {at}, seen: {seen}}]  # none yet\n",
        ),
        (
            "decisions:     # none yet\n#  - item: proposal\n",
            "decisions:     # none yet\n  - item: proposal\n    decision: accept\n    by: Anna\n"
            "    at: {at}\n    seen: {seen}\n#  - item: proposal\n",
        ),
        (
            "decisions: null\n",
            "decisions:\n  - item: proposal\n    decision: accept\n    by: Anna\n    at: {at}\n    seen: {seen}\n",
        ),
    ],
)
def test_an_empty_decisions_key_gets_the_first_decision_in_its_own_style(written, becomes):
    head = "name: Acme\nstage: prospect\naccess: {mode: unlisted}\n"
    record = edited(head + written)
    record.append_decision(Decision(item="proposal", decision="accept", by="Anna", at=DECISION.at, seen="D" * 43))
    record.validate()
    assert record.text == head + becomes.replace("{at}", "2026-11-20T14:02:00+01:00").replace("{seen}", "D" * 43)


def test_crlf_records_stay_crlf():
    text = "name: Acme\r\naccess: {mode: unlisted}\r\nstage: prospect  # new\r\n"
    record = edited(text)
    record.set_stage("active")
    record.append_decision(Decision(item="proposal", decision="accept", by="Anna", at=DECISION.at, seen="D" * 43))
    assert record.text.startswith(
        "name: Acme\r\naccess: {mode: unlisted}\r\nstage: active  # new\r\ndecisions:\r\n  - item: proposal\r\n"
    )
    assert "\n" not in record.text.replace("\r\n", "")
    record.validate()


def test_write_is_atomic_and_keeps_the_file_mode(tmp_path, monkeypatch):
    path = tmp_path / "acme.yml"
    path.write_text(STYLED, encoding="utf-8")
    path.chmod(0o640)
    record = RecordText.read(path, today=TODAY)
    record.set_stage("active")

    def broken(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        record.write()
    assert path.read_text(encoding="utf-8") == STYLED
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme.yml"]  # no temporary file left
    monkeypatch.undo()
    record.write()
    assert path.read_text(encoding="utf-8") == STYLED.replace('"prospect"', '"active"')
    assert path.stat().st_mode & 0o777 == 0o640


def test_a_failure_while_writing_the_temporary_file_leaves_the_old_one(tmp_path, monkeypatch):
    path = tmp_path / "acme.yml"
    path.write_bytes(b"name: Acme\n")
    monkeypatch.setattr(os, "fsync", lambda _fd: (_ for _ in ()).throw(OSError("I/O error")))
    with pytest.raises(OSError):
        write_atomically(path, b"name: Other\n")
    assert path.read_bytes() == b"name: Acme\n"
    assert [p.name for p in tmp_path.iterdir()] == ["acme.yml"]


def test_a_record_that_does_not_load_is_refused(tmp_path):
    path = tmp_path / "acme.yml"
    path.write_text("name: Acme\naccess: {mode: unlisted}\nstage: someday\n", encoding="utf-8")
    with pytest.raises(RecordWriteError, match=r"acme.yml does not load as it is: .*stage"):
        RecordText.read(path, today=TODAY)


def test_an_edit_that_would_not_load_writes_nothing(tmp_path):
    path = tmp_path / "acme.yml"
    path.write_text(STYLED, encoding="utf-8")
    record = RecordText.read(path, today=TODAY)
    record.set_deliverable_status("brand-refresh", "approved")  # approved needs a delivered date
    with pytest.raises(RecordWriteError, match="delivered"):
        record.write()
    assert path.read_text(encoding="utf-8") == STYLED


def test_a_record_changed_meanwhile_is_not_overwritten(tmp_path):
    path = tmp_path / "acme.yml"
    path.write_text(STYLED, encoding="utf-8")
    record = RecordText.read(path, today=TODAY)
    record.set_stage("active")
    path.write_text(STYLED + "# edited by hand\n", encoding="utf-8")
    with pytest.raises(RecordWriteError, match="changed while"):
        record.write()
    assert path.read_text(encoding="utf-8").endswith("# edited by hand\n")


def test_an_item_is_found_by_the_slug_of_its_title():
    record = edited()
    with pytest.raises(RecordWriteError, match="no item 'nope'"):
        record.set_deliverable_status("nope", "in_progress")
    record.set_deliverable_status("spring-menu", "in_review")
    assert record.validate().deliverables[1].status == "in_review"
