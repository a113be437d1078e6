"""What changed in a record between two versions, as a client's update e-mail tells it. No I/O.

The e-mail's news (deliveries, new dates, new ideas, new updates, new things that need
the client) is the difference between the two records; what needs the client and what
comes next describe the record as it is now, so each e-mail stands on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from client_portal.records import insights
from client_portal.records.model import Deliverable, Invoice, Record, ScheduleKind, Stage, Suggestion, Update

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
class Changes:
    """What one client's update e-mail says."""

    delivered: list[Deliverable]
    moved: list[Move]
    new_ideas: list[Suggestion]
    new_updates: list[Update]  # newest first
    needs_you: list[insights.Attention]
    new_needs: list[insights.Attention]  # the part of needs_you that is new since the earlier record
    next: list[Upcoming]
    new_record: bool = False  # the record did not exist before: the whole project is news
    stage: tuple[Stage, Stage] | None = None  # (before, now) when the project paused, resumed or closed
    cancelled: list[Deliverable] = field(default_factory=list)  # newly cancelled
    paid: list[Invoice] = field(default_factory=list)  # invoices paid since

    @property
    def is_news(self) -> bool:
        """Whether anything happened worth an e-mail; what is merely still open is not news."""
        return bool(
            self.new_record
            or self.delivered
            or self.moved
            or self.new_ideas
            or self.new_updates
            or self.new_needs
            or self.stage
            or self.cancelled
            or self.paid
        )


def record_changes(before: Record | None, after: Record, today: date, *, zone: ZoneInfo = UTC) -> Changes:
    """The changes from ``before`` (None: a record that did not exist yet) to ``after`` on ``today``."""
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
    needs_you = insights.attention(after, today)
    seen_needs = {(a.kind, a.title) for a in insights.attention(before, today)} if before else set()
    earlier_invoices = {i.number: i.status for i in before.invoices} if before else {}
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
    )


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
