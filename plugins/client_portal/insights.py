"""What a record means on a given day: overdue items and the like. Pure functions, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .model import Deliverable, Record, Request

CLOSED_STATUSES = frozenset({"delivered", "approved", "cancelled"})


@dataclass(frozen=True)
class Overdue:
    """An open deliverable or request whose due date has passed."""

    kind: str  # "deliverables" or "requests": the record section it lives in
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


def overdue(record: Record, today: date) -> list[Overdue]:
    """Open deliverables and requests past their due date, most overdue first."""
    items: list[tuple[str, int, Deliverable | Request]] = [
        *(("deliverables", index, item) for index, item in enumerate(record.deliverables)),
        *(("requests", index, item) for index, item in enumerate(record.requests)),
    ]
    found = [
        Overdue(kind, index, item.title, item.due, (today - item.due).days)
        for kind, index, item in items
        if item.due is not None and is_overdue(item, today)
    ]
    return sorted(found, key=lambda o: (-o.days_late, o.kind, o.index))
