"""What a record means on a given day. Pure functions of (record, today), no I/O.

Most of the product's judgement lives here: what is overdue, what needs the
client, how punctual the freelancer has been, what comes next.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal, get_args
from zoneinfo import ZoneInfo

from client_portal.hours.periods import HoursUse
from client_portal.records import money
from client_portal.records.model import Decision, Deliverable, Invoice, Record, Request, ScheduleItem, Suggestion

CLOSED_STATUSES = frozenset({"delivered", "approved", "cancelled"})
DONE_STATUSES = frozenset({"delivered", "approved"})
# Stages in which no deadline runs: nothing is late, overdue or due, on the page, in `check`,
# `status` and the digest alike. A closed (past) project also has no open work to show.
HELD_STAGES = frozenset({"paused", "past"})
# The order deliverables are shown in: work in motion first, finished work last.
GROUP_ORDER = ("in_progress", "in_review", "waiting_on_client", "planned", "delivered", "cancelled")

Section = Literal["deliverables", "requests"]


@dataclass(frozen=True)
class Overdue:
    """An open deliverable or request whose due date has passed."""

    kind: Section
    index: int
    title: str
    due: date
    days_late: int


def is_overdue(item: Deliverable | Request, today: date) -> bool:
    """Whether ``item`` is still open after its due date."""
    if item.due is None or item.due >= today:
        return False
    if isinstance(item, Request):
        return not item.done
    return item.status not in CLOSED_STATUSES


def is_late(record: Record, item: Deliverable | Request, today: date) -> bool:
    """Whether ``item`` counts as late: overdue, and the project neither paused nor closed."""
    return record.stage not in HELD_STAGES and is_overdue(item, today)


def overdue(record: Record, today: date) -> list[Overdue]:
    """Open deliverables and requests shown as late (none while paused), most overdue first."""
    items: list[tuple[Section, int, Deliverable | Request]] = [
        *(("deliverables", index, item) for index, item in enumerate(record.deliverables)),
        *(("requests", index, item) for index, item in enumerate(record.requests)),
    ]
    found = [
        Overdue(kind, index, item.title, item.due, (today - item.due).days)
        for kind, index, item in items
        if item.due is not None and is_late(record, item, today)
    ]
    return sorted(found, key=lambda o: (-o.days_late, o.kind, o.index))


def days_early(deliverable: Deliverable) -> int | None:
    """Days delivered before the due date (negative: late); None when not delivered or undated."""
    if deliverable.status not in DONE_STATUSES or deliverable.due is None or deliverable.delivered is None:
        return None
    return (deliverable.due - deliverable.delivered).days


@dataclass(frozen=True)
class TrackRecord:
    """Punctuality over every delivered item that had a due date."""

    delivered: int
    on_time: int  # on the day or early
    early: int
    late: int
    average_days_early: float  # late deliveries count as negative


def track_record(record: Record) -> TrackRecord | None:
    """The on-time record, or None when nothing dated has been delivered yet."""
    margins = [m for m in map(days_early, record.deliverables) if m is not None]
    if not margins:
        return None
    return TrackRecord(
        delivered=len(margins),
        on_time=sum(m >= 0 for m in margins),
        early=sum(m > 0 for m in margins),
        late=sum(m < 0 for m in margins),
        average_days_early=round(sum(margins) / len(margins), 1),
    )


AttentionKind = Literal["request", "waiting", "review", "invoice", "proposal"]


@dataclass(frozen=True)
class Attention:
    """Something the client has to do: answer, send, approve, pay."""

    kind: AttentionKind
    title: str
    due: date | None
    days_left: int | None  # negative when overdue
    notes: str | None
    invoice: Invoice | None = None  # kind "invoice": the open invoice past its due date


ProposalState = Literal["open", "expired", "decided"]


def proposal_state(record: Record, today: date, decided: Collection[str] = frozenset()) -> ProposalState | None:
    """Whether a prospect's proposal waits for an answer, has expired, or was decided; None when not a prospect.

    ``decided`` holds the items with a decision on their current version (see `decision_logs`).
    """
    if record.stage != "prospect":
        return None
    if "proposal" in decided:
        return "decided"
    valid_until = record.proposal.valid_until if record.proposal else None
    return "expired" if valid_until is not None and valid_until < today else "open"


def attention(record: Record, today: date, decided: Collection[str] = frozenset()) -> list[Attention]:
    """What the client has to do, most urgent first; then invoices to pay.

    Only the client's own tasks: open requests, work waiting on them, work in review that
    they have not decided on, an open invoice past its due date (at every stage but
    prospect, see `money`), and a prospect's answer to the proposal while the offer stands.
    The freelancer's own late work is not the client's task: see `running_late`. Ideas are
    offers the client may take up or leave, not tasks: they stay with the ideas. A paused
    project lists what is open, nothing late; a closed (past) one asks only for money owed.
    A prospect's deliverables are the proposed scope: none waits on the client. ``decided``
    holds the items the client has decided on as they are now: they ask nothing more.
    """
    found: list[Attention] = []
    if proposal_state(record, today, decided) == "open":
        until = record.proposal.valid_until if record.proposal else None
        found.append(Attention("proposal", record.name, until, _days_left(until, today), None))
    for request in record.requests if record.stage != "past" else []:
        if not request.done:
            found.append(Attention("request", request.title, request.due, _days_left(request.due, today), None))
    for deliverable in record.deliverables if record.stage not in ("past", "prospect") else []:
        if deliverable.status == "waiting_on_client":
            kind: AttentionKind = "waiting"
        elif deliverable.status == "in_review" and f"deliverable/{deliverable.key}" not in decided:
            kind = "review"
        else:
            continue
        days = _days_left(deliverable.due, today)
        found.append(Attention(kind, deliverable.title, deliverable.due, days, deliverable.notes))
    for invoice in money.past_due(record, today) if record.stage != "prospect" else []:
        found.append(Attention("invoice", invoice.number, invoice.due, _days_left(invoice.due, today), None, invoice))
    # A prospect's answer to the proposal first: it is what the page asks for. Then the work,
    # most urgent first; a payment reminder follows it, so the page never opens with money.
    return sorted(
        found,
        key=lambda a: (
            a.kind == "invoice",
            a.kind != "proposal",
            a.days_left is None,
            a.days_left if a.days_left is not None else 0,
        ),
    )


# The freelancer's own work: late when its due date passes. Work in review or waiting on the
# client is in the client's hands (see `attention`).
OWN_STATUSES = frozenset({"in_progress", "planned"})


def running_late(record: Record, today: date) -> list[Deliverable]:
    """The freelancer's own work past its due date (none while paused or closed), most late first."""
    late = [d for d in record.deliverables if is_running_late(record, d, today)]
    return sorted(late, key=lambda d: d.due or today)


def is_running_late(record: Record, deliverable: Deliverable, today: date) -> bool:
    """Whether ``deliverable`` is the freelancer's own work, running late."""
    return deliverable.status in OWN_STATUSES and is_late(record, deliverable, today)


@dataclass(frozen=True)
class DecisionLog:
    """The client's decisions on one item: the latest, the earlier ones, and whether the item changed since."""

    item: str
    latest: Decision
    earlier: list[Decision]  # newest first
    changed: bool  # the item is no longer what the client saw when making the latest decision


def decision_logs(record: Record, current: Mapping[str, str | None]) -> dict[str, DecisionLog]:
    """Each decided item's log, keyed by item (``proposal``, ``deliverable/<id>``, ``idea/<id>``).

    ``current`` maps an item to its fingerprint as the page shows it now; a decision whose
    ``seen`` differs (or one recorded as made on an earlier version) no longer stands for it.
    """
    by_item: dict[str, list[Decision]] = {}
    for decision in record.decisions:
        by_item.setdefault(decision.item, []).append(decision)
    logs = {}
    for item, decisions in by_item.items():
        # the record's order breaks ties: a later line was recorded later
        ordered = [d for _, d in sorted(enumerate(decisions), key=lambda p: (_instant(p[1].at), p[0]), reverse=True)]
        latest = ordered[0]
        changed = latest.earlier_version or current.get(item) != latest.seen
        logs[item] = DecisionLog(item, latest, ordered[1:], changed)
    return logs


def _instant(moment: datetime) -> datetime:
    """``moment`` comparable with any other: a time without an offset is taken as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def decided_items(logs: Mapping[str, DecisionLog]) -> frozenset[str]:
    """The items whose latest decision was made on them as they are now."""
    return frozenset(item for item, log in logs.items() if not log.changed)


def _days_left(due: date | None, today: date) -> int | None:
    return None if due is None else (due - today).days


def deliverable_groups(record: Record) -> list[tuple[str, list[Deliverable]]]:
    """Deliverables grouped by state in page order; empty groups left out.

    Open work is sorted by due date; delivered work by delivery date, newest last. A closed
    (past) project shows what was delivered (and what was cancelled), no open work.
    """
    groups: dict[str, list[Deliverable]] = {name: [] for name in GROUP_ORDER}
    for deliverable in record.deliverables:
        if record.stage == "past" and deliverable.status not in CLOSED_STATUSES:
            continue
        group = "delivered" if deliverable.status in DONE_STATUSES else deliverable.status
        groups[group].append(deliverable)
    groups["delivered"].sort(key=lambda d: d.delivered or date.min)
    for name in ("in_progress", "in_review", "waiting_on_client", "planned"):
        groups[name].sort(key=lambda d: (d.due is None, d.due or date.min))
    return [(name, items) for name, items in groups.items() if items]


def local_date(when: date | datetime, zone: ZoneInfo) -> date:
    """The calendar day of ``when`` in ``zone`` (dates are taken as they are)."""
    if isinstance(when, datetime):
        return when.astimezone(zone).date() if when.tzinfo else when.date()
    return when


def split_schedule(record: Record, today: date, zone: ZoneInfo) -> tuple[list[ScheduleItem], list[ScheduleItem]]:
    """(upcoming soonest first, past most recent first); today's items count as upcoming."""
    ordered = sorted([(_sort_key(item.date, zone), item) for item in record.schedule], key=lambda pair: pair[0])
    upcoming = [item for (day, *_), item in ordered if day >= today]
    past = [item for (day, *_), item in reversed(ordered) if day < today]
    return upcoming, past


def _sort_key(when: date | datetime, zone: ZoneInfo) -> tuple[date, int, int]:
    """The day in ``zone``, then the hour and minute there (midnight for a day or a time without a zone)."""
    if isinstance(when, datetime) and when.tzinfo:
        moment = when.astimezone(zone)  # once: a page sorts its schedule twice
        return moment.date(), moment.hour, moment.minute
    return local_date(when, zone), 0, 0


@dataclass(frozen=True)
class Mark:
    """One dated thing on the timeline."""

    day: date
    offset: float  # 0..1 across the window
    kind: str  # a schedule kind, or "due" for a deliverable's due date
    title: str


@dataclass(frozen=True)
class MarkGroup:
    """Marks too close in time to tell apart on the strip, shown as one marker with a count."""

    offset: float  # where the group's first mark sits
    marks: tuple[Mark, ...]

    @property
    def kind(self) -> str:
        """The marks' kind when they share one, else "mixed"."""
        kinds = {mark.kind for mark in self.marks}
        return kinds.pop() if len(kinds) == 1 else "mixed"


@dataclass(frozen=True)
class Timeline:
    """The next weeks at a glance: marks placed across a window starting today."""

    start: date
    end: date
    weeks: list[tuple[date, float]]  # each Monday in the window and its offset
    marks: list[Mark]
    groups: list[MarkGroup]


def group_marks(marks: Sequence[Mark], min_gap: float) -> list[MarkGroup]:
    """Marks in order of offset; one on or less than ``min_gap`` after a group's first mark joins it.

    Measuring from the group's first mark, not from its last, keeps a run of marks a few
    days apart from becoming one group across the whole strip, and keeps groups at least
    ``min_gap`` apart.
    """
    groups: list[MarkGroup] = []
    for mark in sorted(marks, key=lambda m: (m.offset, m.day, m.title)):
        if groups and (mark.offset == groups[-1].offset or mark.offset - groups[-1].offset < min_gap):
            groups[-1] = MarkGroup(groups[-1].offset, (*groups[-1].marks, mark))
        else:
            groups.append(MarkGroup(mark.offset, (mark,)))
    return groups


def timeline(record: Record, today: date, zone: ZoneInfo, weeks: int = 6, min_gap: float = 0.0) -> Timeline | None:
    """Schedule items and open due dates in the next ``weeks`` weeks; None when there are none.

    Marks closer than ``min_gap`` (a share of the window) are grouped; see `group_marks`.
    A paused project shows no due dates (none runs); a closed one has nothing ahead.
    """
    if record.stage == "past":
        return None
    end = today + timedelta(weeks=weeks)
    span = (end - today).days

    def offset(day: date) -> float:
        return round((day - today).days / span, 4)

    marks = [
        Mark(day, offset(day), item.kind, item.title)
        for item in record.schedule
        if today <= (day := local_date(item.date, zone)) <= end
    ]
    marks += [
        Mark(d.due, offset(d.due), "due", d.title)
        for d in record.deliverables
        if d.due is not None
        and d.status not in CLOSED_STATUSES
        and record.stage not in HELD_STAGES
        and today <= d.due <= end
    ]
    if not marks:
        return None
    first_monday = today + timedelta(days=(7 - today.weekday()) % 7)
    mondays = [first_monday + timedelta(weeks=n) for n in range(weeks + 1)]
    return Timeline(
        start=today,
        end=end,
        weeks=[(monday, offset(monday)) for monday in mondays if monday <= end],
        marks=sorted(marks, key=lambda m: (m.day, m.title)),
        groups=group_marks(marks, min_gap),
    )


State = Literal["on_track", "needs_you", "behind", "proposal", "paused", "past"]


@dataclass(frozen=True)
class Headline:
    """The five-second summary at the top of the page."""

    state: State
    in_progress: int
    needs_you: int  # exactly the items of `attention`
    overdue: int  # the freelancer's own work running late (`running_late`)
    next_title: str | None
    next_date: date | datetime | None


def headline(record: Record, today: date, zone: ZoneInfo, decided: Collection[str] = frozenset()) -> Headline:
    """Is the work on track, how much is moving, what needs the client, what is next."""
    late = running_late(record, today)
    needs = attention(record, today, decided)
    in_motion = sum(d.status in ("in_progress", "in_review") for d in record.deliverables)
    upcoming, _ = split_schedule(record, today, zone)
    if record.stage == "past":  # closed: nothing in motion, nothing next
        in_motion, upcoming = 0, []
    dues = sorted(
        (
            d
            for d in record.deliverables
            if d.due and d.due >= today and d.status not in CLOSED_STATUSES and record.stage not in HELD_STAGES
        ),
        key=lambda d: d.due or today,
    )
    candidates: list[tuple[date, str, date | datetime]] = []
    if upcoming:
        candidates.append((local_date(upcoming[0].date, zone), upcoming[0].title, upcoming[0].date))
    if dues and dues[0].due is not None:
        candidates.append((dues[0].due, dues[0].title, dues[0].due))
    next_item = min(candidates, key=lambda c: c[0]) if candidates else None
    state: State
    if record.stage == "prospect":
        state = "proposal"
    elif record.stage in ("paused", "past"):
        state = record.stage
    elif late:
        state = "behind"
    elif needs:
        state = "needs_you"
    else:
        state = "on_track"
    return Headline(
        state=state,
        in_progress=in_motion,
        needs_you=len(needs),
        overdue=len(late),
        next_title=next_item[1] if next_item else None,
        next_date=next_item[2] if next_item else None,
    )


def open_suggestions(record: Record) -> list[Suggestion]:
    """Suggestions still awaiting the client's answer, highest impact first."""
    rank = {"high": 0, "medium": 1, "low": 2}
    return sorted((s for s in record.suggestions if s.status == "proposed"), key=lambda s: rank[s.impact])


def sorted_suggestions(record: Record) -> list[Suggestion]:
    """Open ideas first (highest impact first), then decided ones, newest first."""
    decided = sorted(
        (s for s in record.suggestions if s.status != "proposed"), key=lambda s: s.date or date.min, reverse=True
    )
    return open_suggestions(record) + decided


def sorted_updates(record: Record) -> list[tuple[date, str]]:
    """The update log, newest first."""
    return sorted(((u.date, u.text) for u in record.updates), key=lambda u: u[0], reverse=True)


Urgency = Literal[
    "overdue",
    "invoice_past_due",
    "changes_requested",
    "proposal_accepted",
    "earlier_version",
    "due_soon",
    "waiting_on_client",
    "open_request",
    "budget",
    "awaiting_answer",
    "paused",
]
URGENCY_ORDER: tuple[Urgency, ...] = get_args(Urgency)


@dataclass(frozen=True)
class StatusItem:
    """One line of the freelancer's own overview."""

    urgency: Urgency
    kind: Literal["deliverable", "request", "suggestion", "invoice", "budget", "proposal"]
    title: str
    due: date | None
    days_left: int | None
    by: str | None = None  # who decided, for what a client's decision asks of the freelancer
    at: datetime | None = None


def status_items(record: Record, today: date, horizon: int = 7, hours: HoursUse | None = None) -> list[StatusItem]:
    """What needs the freelancer's eye for one client, most urgent first.

    A paused client's open work is listed as on hold: nothing of it is late or due. Money
    is another matter: unpaid invoices past due and a budget 80% used show for every stage.
    """
    if record.stage in HELD_STAGES:
        held = paused_items(record) if record.stage == "paused" else []
        return money_items(record, today, hours) + decision_waits(record) + held
    found = money_items(record, today, hours) + decision_waits(record)
    for deliverable in record.deliverables:
        if deliverable.status in CLOSED_STATUSES:
            continue
        days = _days_left(deliverable.due, today)
        if deliverable.status == "waiting_on_client":
            urgency: Urgency | None = "waiting_on_client"
        elif days is not None and days < 0:
            urgency = "overdue"
        elif days is not None and days <= horizon:
            urgency = "due_soon"
        else:
            urgency = None
        if urgency:
            found.append(StatusItem(urgency, "deliverable", deliverable.title, deliverable.due, days))
    for request in record.requests:
        if request.done:
            continue
        days = _days_left(request.due, today)
        urgency = "overdue" if days is not None and days < 0 else "open_request"
        found.append(StatusItem(urgency, "request", request.title, request.due, days))
    found += [StatusItem("awaiting_answer", "suggestion", s.title, None, None) for s in open_suggestions(record)]
    return sorted(found, key=urgency_key)


def latest_decisions(record: Record) -> dict[str, Decision]:
    """The latest decision on each item (by its date; of two at the same time, the one recorded last)."""
    latest: dict[str, Decision] = {}
    for decision in record.decisions:
        if decision.item not in latest or decision.at >= latest[decision.item].at:
            latest[decision.item] = decision
    return latest


def decision_waits(record: Record) -> list[StatusItem]:
    """What the client's decisions ask of the freelancer.

    Changes requested on a deliverable not yet back in review, a proposal accepted but not
    yet activated, and a decision made on an earlier version of its item (to look at).
    """
    titles = {f"deliverable/{d.key}": d.title for d in record.deliverables}
    titles |= {f"idea/{s.key}": s.title for s in record.suggestions}
    statuses = {f"deliverable/{d.key}": d.status for d in record.deliverables}
    found = []
    for item, decision in latest_decisions(record).items():
        kind: Literal["deliverable", "suggestion", "proposal"] = (
            "proposal" if item == "proposal" else "deliverable" if item.startswith("deliverable/") else "suggestion"
        )
        title = "Proposal" if item == "proposal" else titles.get(item)
        if title is None or (item == "proposal" and record.stage != "prospect"):
            continue  # the item is gone, or the proposal is an active project now
        urgency: Urgency | None = None
        if decision.earlier_version:
            urgency = "earlier_version"
        elif decision.decision == "changes" and statuses.get(item) not in ("in_review", *CLOSED_STATUSES):
            urgency = "changes_requested"
        elif item == "proposal" and decision.decision == "accept":
            urgency = "proposal_accepted"
        if urgency:
            found.append(StatusItem(urgency, kind, title, None, None, decision.by, decision.at))
    return found


def money_items(record: Record, today: date, hours: HoursUse | None = None) -> list[StatusItem]:
    """Open invoices past their due date, and the budget when most of it is used (``hours``: imported)."""
    found = [
        StatusItem("invoice_past_due", "invoice", money.invoice_summary(i), i.due, _days_left(i.due, today))
        for i in money.past_due(record, today)
    ]
    if use := money.budget_alert(record, hours):
        found.append(StatusItem("budget", "budget", money.budget_summary(use), None, None))
    return found


def paused_items(record: Record) -> list[StatusItem]:
    """The open deliverables and requests of a paused project, with no days counted."""
    found = [
        StatusItem("paused", "deliverable", d.title, d.due, None)
        for d in record.deliverables
        if d.status not in CLOSED_STATUSES
    ]
    found += [StatusItem("paused", "request", r.title, r.due, None) for r in record.requests if not r.done]
    return found


def urgency_key(item: StatusItem) -> tuple[int, int]:
    """Sort key: by urgency, then by days left (soonest or most overdue first)."""
    return URGENCY_ORDER.index(item.urgency), item.days_left if item.days_left is not None else 10_000
