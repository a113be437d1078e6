"""Hours per budget period: imported entries and a budget, on a day, give what is used and left. No I/O.

An entry counts in the period of the day it started, in the client's time zone, as the
tools' own reports count it. Only billable entries count; each is rounded up first when
the record says so. Unused hours roll over to the next period when the record says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from client_portal.hours.entries import TimeEntry, rounded
from client_portal.records.model import Budget, BudgetPeriod, Client

HOUR = 3600
# The page shows this many periods before the current one; rollover counts them all.
SHOWN_PAST = 12


@dataclass(frozen=True)
class PeriodHours:
    """One month, quarter or the whole project: the hours it included and the hours used."""

    start: date
    end: date  # the first day after it
    included: int  # seconds: the budget's, plus what rolled over into it
    rolled_in: int  # seconds that rolled over from the period before
    tracked: int  # seconds of imported, billable entries
    typed: int  # seconds of the hand-typed `budget.used` (the current period only)

    @property
    def used(self) -> int:
        return self.tracked + self.typed

    @property
    def left(self) -> int:
        """Seconds left; negative when over."""
        return self.included - self.used


@dataclass(frozen=True)
class HoursUse:
    """The current period's hours, and the periods before it that have entries, oldest first."""

    period: BudgetPeriod
    current: PeriodHours
    past: tuple[PeriodHours, ...]

    @property
    def recent(self) -> tuple[PeriodHours, ...]:
        """The past periods a page shows, oldest first."""
        return self.past[-SHOWN_PAST:]


def period_start(day: date, period: BudgetPeriod) -> date:
    """The first day of the month or quarter holding ``day``."""
    if period == "month":
        return day.replace(day=1)
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def next_start(start: date, period: BudgetPeriod) -> date:
    """The first day of the period after the one starting on ``start``."""
    months = start.month - 1 + (1 if period == "month" else 3)
    return date(start.year + months // 12, months % 12 + 1, 1)


def billable_seconds(entries: Iterable[TimeEntry], rounding: int | None) -> int:
    """The billable time of ``entries``, each rounded as the record says."""
    return sum(rounded(entry.seconds, rounding) for entry in entries if entry.billable)


def hours_use(budget: Budget, entries: Iterable[TimeEntry], today: date, zone: ZoneInfo) -> HoursUse | None:
    """The hours of ``budget`` on ``today``; None unless the budget counts imported hours."""
    if budget.hours is None or budget.unit != "hours":
        return None
    settings = budget.hours
    included = int(budget.included * HOUR)
    typed = int((budget.used * HOUR).to_integral_value())
    if budget.period == "project":
        tracked = billable_seconds(entries, settings.rounding)
        whole = PeriodHours(date.min, date.max, included, 0, tracked, typed)
        return HoursUse("project", whole, ())
    current = period_start(today, budget.period)
    by_period: dict[date, list[TimeEntry]] = {}
    for entry in entries:
        by_period.setdefault(period_start(entry.day(zone), budget.period), []).append(entry)
    start = min([current, *by_period])
    periods: list[PeriodHours] = []
    rolled = 0
    while start <= current:
        tracked = billable_seconds(by_period.get(start, ()), settings.rounding)
        hours = PeriodHours(
            start,
            next_start(start, budget.period),
            included + rolled,
            rolled,
            tracked,
            typed if start == current else 0,
        )
        periods.append(hours)
        rolled = max(hours.left, 0) if settings.rollover else 0
        start = hours.end
    return HoursUse(budget.period, periods[-1], tuple(periods[:-1]))


def later_entries(entries: Iterable[TimeEntry], budget: Budget, today: date, zone: ZoneInfo) -> list[TimeEntry]:
    """Entries in a period after today's, which no page shows yet (a clock or zone set wrong)."""
    if budget.period == "project":
        return []
    after = next_start(period_start(today, budget.period), budget.period)
    return [entry for entry in entries if entry.day(zone) >= after]


def client_hours(client: Client, today: date, default_zone: str) -> HoursUse | None:
    """The hours of the client's budget on ``today``, in the record's zone (else ``default_zone``)."""
    budget = client.record.budget
    if budget is None:
        return None
    return hours_use(budget, client.hours, today, ZoneInfo(client.record.timezone or default_zone))
