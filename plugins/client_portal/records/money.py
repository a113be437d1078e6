"""Budget and invoices: what is used and left, what is owed and paid. Pure functions of (record, today).

An open invoice past its due date is money the client owes, not the freelancer running
late: a paused project still lists it (calmly), where it shows nothing else as late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Literal

from babel import Locale
from babel.dates import format_skeleton
from babel.lists import format_list
from babel.numbers import format_currency, format_decimal, format_percent
from babel.units import format_unit

from client_portal.hours.periods import HOUR, HoursUse
from client_portal.records.model import Budget, BudgetPeriod, BudgetUnit, Invoice, Rate, Record

# At this share of the budget used, the freelancer's status overview mentions it.
ALERT_SHARE = Decimal("0.8")
# Quantities as people write them: "7.5 hours", "20 hours", "12.25 hours".
QUANTITY_FORMAT = "#,##0.##"
_UNITS = {"hours": "duration-hour", "days": "duration-day"}


@dataclass(frozen=True)
class BudgetUse:
    """How much of the budget is used and left (this period's, where the budget counts imported hours)."""

    budget: Budget
    used: Decimal  # hand-typed, plus this period's imported hours
    included: Decimal  # the budget's, plus hours rolled over into this period
    hours: HoursUse | None = None

    @property
    def left(self) -> Decimal:
        """What is left; negative when over budget."""
        return self.included - self.used

    @property
    def over(self) -> Decimal:
        """How far over the budget the work has gone; 0 when within it."""
        return max(-self.left, Decimal(0))

    @property
    def share(self) -> Decimal:
        """The part of the budget used: 0.625 for 12.5 of 20; above 1 when over."""
        return self.used / self.included


def budget_use(record: Record, hours: HoursUse | None = None) -> BudgetUse | None:
    """What is used and left of the record's budget (``hours``: its imported hours); None when it has none."""
    if record.budget is None:
        return None
    if hours is None:
        return BudgetUse(record.budget, record.budget.used, record.budget.included)
    current = hours.current
    return BudgetUse(record.budget, Decimal(current.used) / HOUR, Decimal(current.included) / HOUR, hours)


def budget_alert(record: Record, hours: HoursUse | None = None) -> BudgetUse | None:
    """The budget when `ALERT_SHARE` or more of it is used, else None."""
    use = budget_use(record, hours)
    return use if use is not None and use.share >= ALERT_SHARE else None


def is_past_due(invoice: Invoice, today: date) -> bool:
    """Whether ``invoice`` is still open after its due date."""
    return invoice.status == "open" and invoice.due is not None and invoice.due < today


def past_due(record: Record, today: date) -> list[Invoice]:
    """Open invoices past their due date, the longest overdue first (also on a paused project)."""
    found = [invoice for invoice in record.invoices if is_past_due(invoice, today)]
    return sorted(found, key=lambda invoice: (invoice.due or today, invoice.number))


def sorted_invoices(record: Record) -> list[Invoice]:
    """Invoices as the page lists them: newest first."""
    return sorted(record.invoices, key=lambda invoice: (invoice.date, invoice.number), reverse=True)


@dataclass(frozen=True)
class Totals:
    """What is open and what is paid in one currency; void invoices count for neither."""

    currency: str
    open: Decimal
    paid: Decimal


def invoice_totals(record: Record) -> list[Totals]:
    """Open and paid sums per currency, in the order the currencies first appear."""
    sums: dict[str, dict[str, Decimal]] = {}
    for invoice in record.invoices:
        totals = sums.setdefault(invoice.currency, {"open": Decimal(0), "paid": Decimal(0)})
        if invoice.status != "void":
            totals[invoice.status] += invoice.amount
    return [Totals(currency, found["open"], found["paid"]) for currency, found in sums.items()]


# Babel parses the currency's pattern on every call; a build shows the same amounts on many pages.
@lru_cache(maxsize=4096)
def _amount(value: Decimal, currency: str, locale: Locale) -> str:
    return format_currency(value, currency, locale=locale)


@dataclass(frozen=True)
class MoneyFormat:
    """Amounts and quantities in one locale, such as "€1,250.00", "¥1,250.00", "7.5 hours", "7.5小时"."""

    locale: Locale

    def amount(self, value: Decimal, currency: str) -> str:
        """Money with its currency sign and the currency's own decimals."""
        return _amount(value, currency, self.locale)

    def number(self, value: Decimal) -> str:
        """A bare number, such as "7.5" or "1,250"."""
        return format_decimal(value, format=QUANTITY_FORMAT, locale=self.locale)

    def percent(self, share: Decimal) -> str:
        """A share as a whole percentage, such as "85%"; 0.625 is "63%", as people round."""
        return format_percent(share.quantize(Decimal("0.01"), ROUND_HALF_UP), locale=self.locale)

    def quantity(self, value: Decimal, unit: BudgetUnit, currency: str | None = None) -> str:
        """A budget quantity with its unit: "1 hour", "7.5 hours", "3 days", "€750.00"."""
        if unit == "money":
            assert currency is not None  # the model requires it for money
            return self.amount(value, currency)
        unit_name = _UNITS[unit]
        # Plural rules read the digits as written: YAML's 1.0 would be "1 hours".
        value = value.to_integral_value() if value == value.to_integral_value() else value.normalize()
        text = format_unit(value, unit_name, format=QUANTITY_FORMAT, locale=self.locale)
        # Babel 2.x does not follow CLDR's alias from long to short unit names in some
        # locales (zh, ja) and then prints the unit id itself ("7.5 duration-hour").
        if unit_name in text:
            text = format_unit(value, unit_name, length="short", format=QUANTITY_FORMAT, locale=self.locale)
        return text

    def duration(self, seconds: int) -> str:
        """Hours and minutes to the nearest minute, such as "13 hr 15 min" ("13小时15分钟")."""
        minutes = (seconds + 30) // 60
        hours, minutes = divmod(minutes, 60)
        parts = [(hours, "duration-hour")] if hours or not minutes else []
        parts += [(minutes, "duration-minute")] if minutes else []
        units = [format_unit(value, unit, length="short", locale=self.locale) for value, unit in parts]
        text = format_list(units, style="unit-narrow", locale=self.locale)
        # Babel 2.x reads Arabic's two-unit pattern wrongly and repeats the last part ("A و B و B")
        return " ".join(units) if len(units) == 2 and text.count(units[1]) > 1 else text

    def period_name(self, start: date, period: BudgetPeriod) -> str:
        """A month or quarter by name, such as "November 2026" or "Q4 2026"."""
        skeleton = "yMMMM" if period == "month" else "yQQQ"
        return format_skeleton(skeleton, start, locale=self.locale)

    def bare(self, value: Decimal, budget: Budget) -> str:
        """A budget figure without a unit ("20"), but money keeps its sign ("€2,000.00")."""
        if budget.unit == "money":
            return self.quantity(value, "money", budget.currency)
        return self.number(value)


PriceForm = Literal["project", "month", "quarter", "estimate", "rate"]


@dataclass(frozen=True)
class Price:
    """What a proposal costs, in the form the record gives it."""

    form: PriceForm  # project, month, quarter: a fixed price from the budget
    currency: str
    amount: Decimal  # the fixed price, the range's low end, or rate × estimate
    high: Decimal | None = None  # estimate: the range's high end
    rate: Rate | None = None


def proposal_price(record: Record) -> Price | None:
    """A prospect's price: a budget in money, or the proposal's estimate or rate; None when it has none."""
    proposal, budget = record.proposal, record.budget
    if proposal is not None and proposal.currency is not None:
        if proposal.estimate is not None:
            return Price("estimate", proposal.currency, proposal.estimate.low, proposal.estimate.high)
        if proposal.rate is not None:
            total = proposal.rate.amount * proposal.rate.estimated
            return Price("rate", proposal.currency, total, rate=proposal.rate)
    if budget is not None and budget.unit == "money" and budget.currency is not None:
        return Price(budget.period, budget.currency, budget.included)
    return None


ENGLISH = MoneyFormat(Locale("en"))
_PERIOD_EN = {"month": "this month", "quarter": "this quarter", "project": "for the project"}


def budget_summary(use: BudgetUse) -> str:
    """The budget in the freelancer's own overview, such as "85% used: 17 of 20 hours this month"."""
    budget = use.budget
    if use.hours is not None:
        used = ENGLISH.duration(use.hours.current.used)
        included = ENGLISH.duration(use.hours.current.included)
    else:
        used = ENGLISH.bare(use.used, budget)
        included = ENGLISH.quantity(use.included, budget.unit, budget.currency)
    over = "over budget: " if use.share > 1 else "all used: " if use.share == 1 else ""
    return f"{over}{ENGLISH.percent(use.share)} used: {used} of {included} {_PERIOD_EN[budget.period]}"


def invoice_summary(invoice: Invoice) -> str:
    """An invoice in the freelancer's own overview, such as "invoice INV-2026-014, €1,250.00"."""
    return f"invoice {invoice.number}, {ENGLISH.amount(invoice.amount, invoice.currency)}"


def page_context(record: Record, locale: Locale, hours: HoursUse | None = None) -> dict[str, object]:
    """What the budget and invoice partials of a client page read."""
    return {
        "money": MoneyFormat(locale),
        "budget": budget_use(record, hours),
        "invoices": sorted_invoices(record),
        "invoice_totals": invoice_totals(record),
        "is_past_due": is_past_due,
    }
