"""What changed in a record between two versions, as a client's update e-mail tells it. No I/O.

The e-mail's news (deliveries, new dates, new ideas, new updates, new things that need
the client) is the difference between the two records; what needs the client and what
comes next describe the record as it is now, so each e-mail stands on its own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Set
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from client_portal.hours.periods import HoursUse
from client_portal.records import insights, money
from client_portal.records.model import (
    Decision,
    Deliverable,
    Invoice,
    Record,
    ScheduleKind,
    Stage,
    Suggestion,
    Update,
)

UTC = ZoneInfo("UTC")
# An e-mail lists the next few dates; the page holds the full schedule.
NEXT_LIMIT = 5


@dataclass(frozen=True)
class Move:
    """A deliverable whose due date changed, with the notes that say why."""

    title: str
    old_due: date
    new_due: date
    notes: str | None


@dataclass(frozen=True)
class Upcoming:
    """A date ahead: a schedule entry, or an open deliverable's due date (kind "due")."""

    when: date | datetime
    title: str
    kind: ScheduleKind | str


@dataclass(frozen=True)
class HoursReached:
    """This period's hours reached `money.ALERT_SHARE` since the earlier record: the client hears it once."""

    start: date  # the period's first day (date.min for a project budget)
    use: money.BudgetUse


@dataclass(frozen=True)
class Changes:
    """What one client's update e-mail says."""

    delivered: list[Deliverable]
    moved: list[Move]
    new_ideas: list[Suggestion]
    new_updates: list[Update]  # newest first
    needs_you: list[insights.Attention]  # what the client has to do, as their page lists it
    new_needs: list[insights.Attention]  # the part of needs_you that is new since the earlier record
    next: list[Upcoming]
    new_record: bool = False  # the record did not exist before: the whole project is news
    stage: tuple[Stage, Stage] | None = None  # (before, now) when the project paused, resumed or closed
    cancelled: list[Deliverable] = field(default_factory=list)  # newly cancelled
    paid: list[Invoice] = field(default_factory=list)  # invoices paid since
    decided: list[Decision] = field(default_factory=list)  # the client's decisions recorded since, oldest first
    running_late: list[Deliverable] = field(default_factory=list)  # the freelancer's own late work, not news
    hours_reached: list[HoursReached] = field(default_factory=list)  # at most one: this period's

    @property
    def is_news(self) -> bool:
        """Whether anything happened worth an e-mail; what is merely still open is not news."""
        return bool(
            self.new_record
            or self.decided
            or self.delivered
            or self.moved
            or self.new_ideas
            or self.new_updates
            or self.new_needs
            or self.stage
            or self.cancelled
            or self.paid
            or self.hours_reached
        )


def _nothing_decided(record: Record) -> Collection[str]:
    return frozenset()


def record_changes(
    before: Record | None,
    after: Record,
    today: date,
    *,
    zone: ZoneInfo = UTC,
    decided: Callable[[Record], Collection[str]] = _nothing_decided,
    hours: tuple[HoursUse | None, HoursUse | None] = (None, None),
) -> Changes:
    """The changes from ``before`` (None: a record that did not exist yet) to ``after`` on ``today``.

    ``decided`` gives the items a record's client has decided on as they are now (see
    `insights.decided_items`): they ask nothing more, in the letter as on the page.
    ``hours`` are the imported hours of each record on ``today``, where the budget counts them.
    """
    earlier = {d.key: d for d in before.deliverables} if before else {}
    delivered = [
        d
        for d in after.deliverables
        if d.status in insights.DONE_STATUSES
        and (d.key not in earlier or earlier[d.key].status not in insights.DONE_STATUSES)
    ]
    delivered.sort(key=lambda d: d.delivered or date.min)
    moved = [
        Move(d.title, old.due, d.due, d.notes)
        for d in after.deliverables
        if (old := earlier.get(d.key)) is not None
        and old.due is not None
        and d.due is not None
        and old.due != d.due
        and d.status not in insights.CLOSED_STATUSES
    ]
    # Suggestions and updates have no ids: an edited one counts as new, which errs on telling.
    seen_ideas = {s.title for s in before.suggestions} if before else set()
    seen_updates = {(u.date, u.text) for u in before.updates} if before else set()
    needs_you = insights.attention(after, today, decided(after))
    seen_needs = {(a.kind, a.title) for a in insights.attention(before, today, decided(before))} if before else set()
    earlier_invoices = {i.number: i.status for i in before.invoices} if before else {}
    seen_decisions = {_decision_key(d) for d in before.decisions} if before else set()
    return Changes(
        delivered=delivered,
        moved=moved,
        new_ideas=[s for s in insights.sorted_suggestions(after) if s.title not in seen_ideas],
        new_updates=sorted(
            (u for u in after.updates if (u.date, u.text) not in seen_updates), key=lambda u: u.date, reverse=True
        ),
        needs_you=needs_you,
        new_needs=[a for a in needs_you if (a.kind, a.title) not in seen_needs],
        next=coming_up(after, today, zone),
        new_record=before is None,
        stage=(before.stage, after.stage) if before is not None and before.stage != after.stage else None,
        cancelled=[
            d
            for d in after.deliverables
            if d.status == "cancelled" and (old := earlier.get(d.key)) is not None and old.status != "cancelled"
        ],
        paid=[i for i in after.invoices if i.status == "paid" and earlier_invoices.get(i.number, "paid") != "paid"],
        decided=sorted(
            (d for d in after.decisions if _decision_key(d) not in seen_decisions), key=lambda d: d.at.timestamp()
        ),
        running_late=insights.running_late(after, today),
        hours_reached=_hours_reached(before, after, *hours),
    )


def _hours_reached(
    before: Record | None, after: Record, earlier: HoursUse | None, now: HoursUse | None
) -> list[HoursReached]:
    """This period's imported hours, when they reached the alert share since ``before``."""
    use = money.budget_alert(after, now) if now is not None else None
    if now is None or use is None:
        return []
    then = money.budget_alert(before, earlier) if before is not None else None
    return [] if then is not None else [HoursReached(now.current.start, use)]


def _decision_key(decision: Decision) -> tuple[str, ...]:
    """The same reply is recorded once, by its Message-ID; one without is known by what it says."""
    if decision.message_id:
        return (decision.message_id,)
    return (decision.item, decision.decision, decision.at.isoformat())


# Each kind of news the changes list, where it is kept, and what names one piece of it.
_NEWS: tuple[tuple[str, str, Callable[[Any], object]], ...] = (
    ("delivered", "delivered", lambda d: [d.key, d.delivered]),
    ("moved", "moved", lambda m: [m.title, m.old_due, m.new_due]),
    ("idea", "new_ideas", lambda s: s.title),
    ("update", "new_updates", lambda u: [u.date, u.text]),
    ("needs", "new_needs", lambda a: [a.kind, a.title]),
    ("cancelled", "cancelled", lambda d: d.key),
    ("paid", "paid", lambda i: i.number),
    ("decision", "decided", lambda d: list(_decision_key(d))),
    ("hours", "hours_reached", lambda h: h.start),
)


def news(changes: Changes) -> list[str]:
    """A name for each piece of news the changes tell, the same from run to run (see `without`).

    Names come from what changed (an item's key, its dates, its text), never from the day
    the digest runs, so a sent log can tell which news a contact already has.
    """
    names = [_name("new", None)] if changes.new_record else []
    if changes.stage is not None:
        names.append(_name("stage", list(changes.stage)))
    for kind, attribute, identity in _NEWS:
        names += [_name(kind, identity(item)) for item in getattr(changes, attribute)]
    return names


def without(changes: Changes, told: Set[str]) -> Changes:
    """The changes less the news named in ``told``: what a contact has not been told yet."""
    kept = {
        attribute: [item for item in getattr(changes, attribute) if _name(kind, identity(item)) not in told]
        for kind, attribute, identity in _NEWS
    }
    return replace(
        changes,
        new_record=changes.new_record and _name("new", None) not in told,
        stage=changes.stage if changes.stage and _name("stage", list(changes.stage)) not in told else None,
        **kept,
    )


def _name(kind: str, identity: object) -> str:
    canonical = json.dumps([kind, identity], ensure_ascii=False, separators=(",", ":"), default=str)
    return f"{kind}:{hashlib.sha256(canonical.encode('utf-8')).hexdigest()[:16]}"


def coming_up(record: Record, today: date, zone: ZoneInfo, limit: int = NEXT_LIMIT) -> list[Upcoming]:
    """The next schedule entries and open due dates from ``today`` on, soonest first."""
    if record.stage == "past":  # closed: nothing comes next
        return []
    upcoming, _ = insights.split_schedule(record, today, zone)
    found = [Upcoming(item.date, item.title, item.kind) for item in upcoming]
    if record.stage not in insights.HELD_STAGES:
        found += [
            Upcoming(d.due, d.title, "due")
            for d in record.deliverables
            if d.due is not None and d.due >= today and d.status not in insights.CLOSED_STATUSES
        ]
    found.sort(key=lambda u: (insights.local_date(u.when, zone), u.title))
    return found[:limit]
