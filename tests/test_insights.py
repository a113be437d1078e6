"""Insights: what a record means on a given day. Table-driven, fixed build date."""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from client_portal.records import insights
from client_portal.records.loader import load_client, parse_record
from client_portal.records.model import Record

from .conftest import ROOT, TODAY
from .test_render import PAUSED

BERLIN = ZoneInfo("Europe/Berlin")


def record(**fields) -> Record:
    return Record.model_validate({"name": "Test", "contacts": [{"name": "A"}], **fields}, context={"today": TODAY})


def deliverable(title="Item", status="in_progress", due="2026-11-30", delivered=None, **more):
    return {"title": title, "status": status, "due": due, "delivered": delivered, **more}


@pytest.fixture(scope="module")
def acme() -> Record:
    return load_client(ROOT / "clients" / "acme-bakery.yml", today=TODAY).record


@pytest.mark.parametrize(
    ("status", "due", "expected"),
    [
        ("in_progress", "2026-11-22", True),
        ("in_progress", "2026-11-23", False),  # due today is not late yet
        ("in_review", "2026-11-01", True),
        ("waiting_on_client", "2026-11-01", True),
        ("delivered", "2026-11-01", False),
        ("approved", "2026-11-01", False),
        ("cancelled", "2026-11-01", False),
        ("planned", None, False),
    ],
)
def test_is_overdue(status, due, expected):
    extra = {"delivered": "2026-11-01"} if status in ("delivered", "approved") else {}
    item = record(deliverables=[deliverable(status=status, due=due, **extra)]).deliverables[0]
    assert insights.is_overdue(item, TODAY) is expected


@pytest.mark.parametrize(
    ("due", "delivered", "expected"),
    [("2026-11-20", "2026-11-18", 2), ("2026-11-20", "2026-11-20", 0), ("2026-11-20", "2026-11-23", -3)],
)
def test_days_early(due, delivered, expected):
    item = record(deliverables=[deliverable(status="delivered", due=due, delivered=delivered)]).deliverables[0]
    assert insights.days_early(item) == expected


def test_days_early_is_none_for_open_work():
    assert insights.days_early(record(deliverables=[deliverable()]).deliverables[0]) is None


def test_track_record_of_the_sample_bakery(acme):
    assert insights.track_record(acme) == insights.TrackRecord(
        delivered=3, on_time=2, early=2, late=1, average_days_early=1.0
    )


def test_track_record_is_none_without_history():
    assert insights.track_record(record(deliverables=[deliverable()])) is None


def test_track_record_averages_late_as_negative():
    rec = record(
        deliverables=[
            deliverable("a", "delivered", "2026-11-10", "2026-11-08"),
            deliverable("b", "approved", "2026-11-10", "2026-11-15"),
        ]
    )
    assert insights.track_record(rec) == insights.TrackRecord(2, 1, 1, 1, -1.5)


def test_overdue_lists_late_work_and_requests_most_overdue_first(acme):
    found = [(o.kind, o.title, o.days_late) for o in insights.overdue(acme, TODAY)]
    assert found == [
        ("requests", "Confirm the delivery zones and the minimum order for delivery", 4),
        ("deliverables", "Online ordering page", 3),
    ]


def test_attention_of_the_sample_bakery(acme):
    # the work first, most urgent first; the unpaid invoice after it, though it is older; the
    # freelancer's own late "Online ordering page" is not the client's to do
    found = [(a.kind, a.title, a.days_left) for a in insights.attention(acme, TODAY)]
    assert found == [
        ("request", "Confirm the delivery zones and the minimum order for delivery", -4),
        ("request", "Send two or three old photos and a few lines for the About page", 2),
        ("review", "Christmas gift box labels", 4),  # its Approve button is something the client can do
        ("waiting", "About page copy", 7),
        ("invoice", "INV-2026-014", -8),
    ]


LATE_INVOICE = {"number": "I-1", "date": "2026-10-01", "due": "2026-11-01", "amount": 10, "currency": "EUR"}


@pytest.mark.parametrize(
    ("fields", "kinds", "late"),
    [
        # the freelancer's own late work is running late, never something the client owes
        ({"deliverables": [deliverable(status="in_progress", due="2026-11-20")]}, [], 1),
        ({"deliverables": [deliverable(status="planned", due="2026-11-20")]}, [], 1),
        ({"deliverables": [deliverable(status="in_progress", due="2026-11-30")]}, [], 0),
        # what waits on the client is theirs, late or not
        ({"deliverables": [deliverable(status="waiting_on_client", due="2026-11-20")]}, ["waiting"], 0),
        ({"deliverables": [deliverable(status="in_review", due="2026-11-20")]}, ["review"], 0),
        ({"deliverables": [deliverable(status="in_review", due="2026-11-30")]}, ["review"], 0),
        ({"deliverables": [deliverable(status="delivered", due="2026-11-20", delivered="2026-11-19")]}, [], 0),
        ({"requests": [{"title": "Photos", "due": "2026-11-20"}]}, ["request"], 0),
        ({"requests": [{"title": "Photos", "done": True}]}, [], 0),
        ({"invoices": [LATE_INVOICE]}, ["invoice"], 0),
        ({"invoices": [{**LATE_INVOICE, "status": "paid"}]}, [], 0),
        ({"invoices": [{**LATE_INVOICE, "due": "2026-11-30"}]}, [], 0),  # not yet due
        # ideas are offers to take up or leave, not tasks
        ({"suggestions": [{"title": "A newsletter"}]}, [], 0),
        # paused: nothing runs late, what waits on the client still does
        (
            {
                "stage": "paused",
                "deliverables": [deliverable(due="2026-11-20"), deliverable("Copy", status="waiting_on_client")],
            },
            ["waiting"],
            0,
        ),
        # closed: only money owed is left
        ({"stage": "past", "requests": [{"title": "Photos"}], "invoices": [LATE_INVOICE]}, ["invoice"], 0),
        (
            {
                "deliverables": [
                    deliverable("Site", due="2026-11-16"),
                    deliverable("Copy", "waiting_on_client", due="2026-11-25"),
                    deliverable("Logo", "in_review", due="2026-11-27"),
                ],
                "requests": [{"title": "Photos", "due": "2026-11-24"}],
                "invoices": [LATE_INVOICE],
            },
            ["request", "waiting", "review", "invoice"],
            1,
        ),
    ],
)
def test_attention_lists_only_what_the_client_has_to_do(fields, kinds, late):
    rec = record(**fields)
    assert [a.kind for a in insights.attention(rec, TODAY)] == kinds
    assert len(insights.running_late(rec, TODAY)) == late
    line = insights.headline(rec, TODAY, BERLIN)
    assert (line.needs_you, line.overdue) == (len(kinds), late)


def test_a_deliverable_the_client_decided_on_asks_nothing_more():
    rec = record(deliverables=[deliverable(status="in_review", id="logo"), deliverable(status="waiting_on_client")])
    assert [a.kind for a in insights.attention(rec, TODAY, {"deliverable/logo"})] == ["waiting"]
    assert insights.headline(rec, TODAY, BERLIN, {"deliverable/logo"}).needs_you == 1


def test_attention_leaves_out_done_requests_and_sorts_undated_last():
    rec = record(
        requests=[
            {"title": "undated"},
            {"title": "done", "due": "2026-11-20", "done": True},
            {"title": "soon", "due": "2026-11-24"},
        ]
    )
    assert [a.title for a in insights.attention(rec, TODAY)] == ["soon", "undated"]


def test_deliverable_groups_follow_page_order(acme):
    groups = [(name, [d.key for d in items]) for name, items in insights.deliverable_groups(acme)]
    assert [name for name, _ in groups] == [
        "in_progress", "in_review", "waiting_on_client", "planned", "delivered", "cancelled",
    ]  # fmt: skip
    delivered = dict(groups)["delivered"]
    assert delivered == ["brand-refresh", "sourdough-articles", "christmas-market-flyer"]  # newest delivered last


def test_schedule_splits_at_today_in_the_clients_zone():
    rec = record(
        schedule=[
            {"date": "2026-11-22", "title": "yesterday"},
            {"date": "2026-11-23", "title": "today"},
            # 23:30 UTC on the 22nd is already the 23rd in Berlin
            {"date": "2026-11-22T23:30:00+00:00", "title": "late call"},
            {"date": "2026-12-01", "title": "later"},
        ]
    )
    upcoming, past = insights.split_schedule(rec, TODAY, BERLIN)
    assert [s.title for s in upcoming] == ["today", "late call", "later"]  # all-day items first
    assert [s.title for s in past] == ["yesterday"]


def test_timeline_places_marks_in_the_window():
    rec = record(
        deliverables=[deliverable(due="2026-12-07")],
        schedule=[
            {"date": "2026-11-23", "title": "kick-off", "kind": "meeting"},
            {"date": "2027-03-01", "title": "far"},
        ],
    )
    line = insights.timeline(rec, TODAY, BERLIN, weeks=6)
    assert line is not None
    assert [(m.title, m.kind, m.offset) for m in line.marks] == [("kick-off", "meeting", 0.0), ("Item", "due", 0.3333)]
    assert line.weeks[0] == (date(2026, 11, 23), 0.0)  # the 23rd is a Monday
    assert len(line.weeks) == 7


def marks_at(*places: tuple[float, str]) -> list[insights.Mark]:
    return [insights.Mark(date(2026, 11, 23), offset, kind, f"{kind}@{offset}") for offset, kind in places]


@pytest.mark.parametrize(
    ("places", "min_gap", "expected"),
    [
        ([], 0.1, []),
        ([(0.3, "meeting")], 0.1, [(0.3, 1, "meeting")]),
        # far enough apart: a marker each
        ([(0.0, "meeting"), (0.1, "due"), (0.5, "due")], 0.1, [(0.0, 1, "meeting"), (0.1, 1, "due"), (0.5, 1, "due")]),
        # closer than the gap: one marker at the first, with their count; kinds mixed
        ([(0.02, "meeting"), (0.05, "due"), (0.09, "due")], 0.1, [(0.02, 3, "mixed")]),
        ([(0.05, "due"), (0.02, "due")], 0.1, [(0.02, 2, "due")]),  # in any order
        # measured from a group's first mark: a run a few days apart does not become one group
        (
            [(0.0, "due"), (0.06, "due"), (0.12, "due"), (0.18, "due"), (0.24, "due")],
            0.1,
            [(0.0, 2, "due"), (0.12, 2, "due"), (0.24, 1, "due")],
        ),
        # the same day is one marker even with no gap asked for
        ([(0.4, "meeting"), (0.4, "milestone"), (0.41, "due")], 0.0, [(0.4, 2, "mixed"), (0.41, 1, "due")]),
    ],
)
def test_group_marks(places, min_gap, expected):
    groups = insights.group_marks(marks_at(*places), min_gap)
    assert [(g.offset, len(g.marks), g.kind) for g in groups] == expected
    assert all(b.offset - a.offset >= min_gap for a, b in itertools.pairwise(groups))
    assert [m for g in groups for m in g.marks] == sorted(marks_at(*places), key=lambda m: m.offset)  # each once


def test_timeline_groups_marks_close_in_time():
    rec = record(
        deliverables=[deliverable(title="a", due="2026-11-25"), deliverable(title="b", due="2026-12-21")],
        schedule=[{"date": "2026-11-24", "title": "call", "kind": "meeting"}],
    )
    line = insights.timeline(rec, TODAY, BERLIN, weeks=6, min_gap=0.1)
    assert line is not None
    assert [[m.title for m in g.marks] for g in line.groups] == [["call", "a"], ["b"]]


def test_timeline_is_none_when_nothing_is_coming():
    assert insights.timeline(record(), TODAY, BERLIN) is None


@pytest.mark.parametrize(
    ("fields", "state"),
    [
        ({}, "on_track"),
        ({"requests": [{"title": "photos", "due": "2026-11-30"}]}, "needs_you"),
        ({"deliverables": [deliverable(due="2026-11-20")]}, "behind"),
        ({"deliverables": [deliverable(status="waiting_on_client", due="2026-11-20")]}, "needs_you"),
        ({"stage": "prospect", "deliverables": [deliverable(due="2026-11-20")]}, "proposal"),
        ({"stage": "paused"}, "paused"),
        ({"stage": "past"}, "past"),
    ],
)
def test_headline_state(fields, state):
    assert insights.headline(record(**fields), TODAY, BERLIN).state == state


def test_headline_of_the_sample_bakery(acme):
    line = insights.headline(acme, TODAY, BERLIN)
    assert (line.state, line.in_progress, line.needs_you, line.overdue) == ("behind", 2, 5, 1)
    assert (line.next_title, line.next_date) == ("Christmas gift box labels", date(2026, 11, 27))


def test_suggestions_put_open_high_impact_first(acme):
    first = insights.sorted_suggestions(acme)[0]
    assert (first.status, first.impact) == ("proposed", "medium")
    rec = record(
        suggestions=[
            {"title": "low", "impact": "low"},
            {"title": "old", "status": "done", "date": "2026-10-01"},
            {"title": "high", "impact": "high"},
            {"title": "new", "status": "declined", "date": "2026-11-01"},
        ]
    )
    assert [s.title for s in insights.sorted_suggestions(rec)] == ["high", "low", "new", "old"]


def test_updates_newest_first():
    rec = record(updates=[{"date": "2026-11-01", "text": "a"}, {"date": "2026-11-20", "text": "b"}])
    assert insights.sorted_updates(rec) == [(date(2026, 11, 20), "b"), (date(2026, 11, 1), "a")]


def test_every_sample_record_loads(root: Path):
    assert len(list((root / "clients").glob("*.yml"))) >= 5
    for path in (root / "clients").glob("*.yml"):
        assert load_client(path, today=TODAY).record.name


def test_a_paused_project_has_nothing_overdue_and_lists_its_open_work_on_hold():
    record, _ = parse_record(PAUSED, Path("p.yml"), today=TODAY)
    assert insights.overdue(record, TODAY) == []
    assert [(a.kind, a.title) for a in insights.attention(record, TODAY)] == [
        ("waiting", "Sign-off on colours"),
        ("request", "Send the logo files"),
    ]
    items = insights.status_items(record, TODAY)
    assert {(i.urgency, i.title, i.days_left) for i in items} == {
        ("paused", "Shop redesign", None),
        ("paused", "Sign-off on colours", None),
        ("paused", "Send the logo files", None),
    }


HELD = """\
name: Held Co
stage: {stage}
contacts: [{{name: A}}]
requests: [{{title: Send the logo files, due: 2026-11-10}}]
deliverables:
  - {{title: Shop redesign, status: in_progress, due: 2026-11-01}}
  - {{title: Sign-off on colours, status: in_review, due: 2026-11-05}}
  - {{title: Brochure, status: planned, due: 2026-11-30}}
invoices: [{{number: INV-1, date: 2026-10-01, due: 2026-10-15, amount: 100, currency: EUR}}]
"""


@pytest.mark.parametrize(
    ("stage", "attention", "status"),
    [
        (
            "active",
            ["review", "request", "invoice"],  # most overdue first, money last; the late redesign is not theirs
            {"overdue", "invoice_past_due", "due_soon"},
        ),
        ("paused", ["review", "request", "invoice"], {"paused", "invoice_past_due"}),
        ("past", ["invoice"], {"invoice_past_due"}),  # closed: only money owed is left
    ],
)
def test_paused_and_past_read_the_same_everywhere(stage, attention, status):
    record, _ = parse_record(HELD.format(stage=stage), Path("h.yml"), today=TODAY)
    late = insights.overdue(record, TODAY)
    assert bool(late) is (stage == "active")  # `check` warns from this list
    assert [a.kind for a in insights.attention(record, TODAY)] == attention
    assert {i.urgency for i in insights.status_items(record, TODAY)} >= status
    line = insights.headline(record, TODAY, BERLIN)
    assert (line.overdue > 0) is (stage == "active")
    if stage != "active":
        assert line.next_title is None  # no due date runs
    groups = [name for name, _ in insights.deliverable_groups(record)]
    assert groups == ([] if stage == "past" else ["in_progress", "in_review", "planned"])
    ahead = insights.timeline(record, TODAY, BERLIN)
    dues = [mark.title for mark in ahead.marks] if ahead else []
    assert dues == (["Brochure"] if stage == "active" else [])  # no due date runs while held
