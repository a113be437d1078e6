"""Time-tracker exports as each tool writes them, made from the columns each tool documents."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

TOGGL = [
    "User",
    "Email",
    "Client",
    "Project",
    "Task",
    "Description",
    "Billable",
    "Start date",
    "Start time",
    "End date",
    "End time",
    "Duration",
    "Tags",
    "Amount ()",
]
CLOCKIFY = [
    "Project",
    "Client",
    "Description",
    "Task",
    "User",
    "Group",
    "Email",
    "Tags",
    "Billable",
    "Start Date",
    "Start Time",
    "End Date",
    "End Time",
    "Duration (h)",
    "Duration (decimal)",
    "Billable Rate (USD)",
    "Billable Amount (USD)",
]
HARVEST = [
    "Date",
    "Client",
    "Project",
    "Project Code",
    "Task",
    "Notes",
    "Hours",
    "Hours Rounded",
    "Billable?",
    "Invoiced?",
    "First Name",
    "Last Name",
    "Roles",
    "Employee?",
    "Billable Rate",
    "Billable Amount",
    "Cost Rate",
    "Cost Amount",
    "Currency",
    "External Reference URL",
]


@dataclass(frozen=True)
class Worked:
    """A stretch of work as the freelancer's wall clock showed its start, and how long it really took."""

    start: datetime  # naive: the tracker's local time
    minutes: int
    project: str = "Website"
    billable: bool = True
    client: str = "Acme Bakery"
    notes: str = "Ordering page"


# Europe/Berlin. The clocks go back at 03:00 on 25 October 2026: the first entry runs 01:30 to 03:30
# on the wall clock, three real hours. The second starts on 31 October and ends in November; the
# third starts ten minutes into November (still 31 October in UTC).
MONTH_AND_DST = [
    Worked(datetime(2026, 10, 25, 1, 30), 180, notes="Menu import overnight"),
    Worked(datetime(2026, 10, 31, 23, 15), 111, notes="Payment switch"),
    Worked(datetime(2026, 11, 1, 0, 10), 48, notes="Checking orders"),
    Worked(datetime(2026, 11, 3, 9, 0), 132, project="Print", notes="Flyer"),
    Worked(datetime(2026, 11, 10, 14, 0), 87, notes="Pick-up slots"),
    Worked(datetime(2026, 11, 11, 9, 0), 60, project="Admin", billable=False, notes="Invoices"),
]
# By hand: October 3:00 + 1:51 = 4 h 51 min; November 0:48 + 2:12 + 1:27 = 4 h 27 min (the hour
# of admin is not billable).
OCTOBER_MINUTES = 180 + 111
NOVEMBER_MINUTES = 48 + 132 + 87


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}:00"


def _rows(header: list[str], rows: list[dict[str, str]], delimiter: str = ",") -> str:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, header, delimiter=delimiter, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def toggl(work: list[Worked]) -> str:
    """A Toggl Track detailed report: ISO dates, 24-hour times, hh:mm:ss durations."""
    rows = []
    for w in work:
        end = w.start + timedelta(minutes=w.minutes)
        if w.start.date() == datetime(2026, 10, 25).date() and w.start.hour < 3 <= end.hour:
            end -= timedelta(hours=1)  # the wall clock went back an hour
        rows.append(
            {
                "User": "Mei Chen",
                "Email": "mei@example.com",
                "Client": w.client,
                "Project": w.project,
                "Task": "",
                "Description": w.notes,
                "Billable": "Yes" if w.billable else "No",
                "Start date": w.start.strftime("%Y-%m-%d"),
                "Start time": w.start.strftime("%H:%M:%S"),
                "End date": end.strftime("%Y-%m-%d"),
                "End time": end.strftime("%H:%M:%S"),
                "Duration": _clock(w.minutes),
                "Tags": "retainer",
                "Amount ()": f"{w.minutes * 75 / 60:.2f}" if w.billable else "0.00",
            }
        )
    return _rows(TOGGL, rows)


def clockify(work: list[Worked], *, us: bool = True) -> str:
    """A Clockify detailed report: US settings (MM/DD/YYYY, 12-hour), or European (DD.MM.YYYY, 24-hour, ';', ',')."""
    rows = []
    for w in work:
        end = w.start + timedelta(minutes=w.minutes)
        hours = Decimal(w.minutes) / 60
        if us:
            day, clock, decimal = "%m/%d/%Y", "%I:%M:%S %p", f"{hours:.2f}"
        else:
            day, clock, decimal = "%d.%m.%Y", "%H:%M:%S", f"{hours:.2f}".replace(".", ",")
        rows.append(
            {
                "Project": w.project,
                "Client": w.client,
                "Description": w.notes,
                "Task": "",
                "User": "Mei Chen",
                "Group": "",
                "Email": "mei@example.com",
                "Tags": "",
                "Billable": "Yes" if w.billable else "No",
                "Start Date": w.start.strftime(day),
                "Start Time": w.start.strftime(clock),
                "End Date": end.strftime(day),
                "End Time": end.strftime(clock),
                "Duration (h)": _clock(w.minutes),
                "Duration (decimal)": decimal,
                "Billable Rate (USD)": "75.00" if us else "75,00",
                "Billable Amount (USD)": f"{hours * 75:,.2f}" if us else f"{hours * 75:.2f}".replace(".", ","),
            }
        )
    return _rows(CLOCKIFY, rows, "," if us else ";")


def harvest(work: list[Worked]) -> str:
    """A Harvest detailed time report: a date and decimal hours per entry, no start time."""
    rows = []
    for w in work:
        hours = Decimal(w.minutes) / 60
        rows.append(
            {
                "Date": w.start.strftime("%Y-%m-%d"),
                "Client": w.client,
                "Project": w.project,
                "Project Code": "",
                "Task": "Design",
                "Notes": w.notes,
                "Hours": f"{hours:.2f}",
                "Hours Rounded": f"{hours:.2f}",
                "Billable?": "Yes" if w.billable else "No",
                "Invoiced?": "No",
                "First Name": "Mei",
                "Last Name": "Chen",
                "Roles": "",
                "Employee?": "No",
                "Billable Rate": "75.0",
                "Billable Amount": f"{hours * 75:.2f}",
                "Cost Rate": "",
                "Cost Amount": "",
                "Currency": "Euro - EUR",
                "External Reference URL": "",
            }
        )
    return _rows(HARVEST, rows)


EXPORTS = {
    "toggl": toggl,
    "clockify-us": clockify,
    "clockify-eu": lambda work: clockify(work, us=False),
    "harvest": harvest,
}
