"""Read the CSV exports of Toggl Track, Clockify and Harvest, recognising each by its header row.

Each tool writes dates, times and numbers as the account's settings say: ISO or US
(``11/03/2026``) or European (``03.11.2026``) dates, 24-hour or 12-hour times, a decimal
point or a decimal comma. What a row says is read as written; nothing is guessed per row:
a date order that the file leaves open is asked for once.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal

from client_portal.hours.entries import MAX_ENTRY_SECONDS, TOOL_NAMES, Tool
from client_portal.records.problems import Problem, not_utf8

DateOrder = Literal["mdy", "dmy"]
# The columns each tool's detailed export has, in lower case; a header holding all of them is that tool's.
REQUIRED: dict[Tool, frozenset[str]] = {
    "clockify": frozenset({"project", "client", "description", "billable", "start date", "start time"}),
    "toggl": frozenset({"client", "project", "description", "billable", "start date", "start time", "duration"}),
    "harvest": frozenset({"date", "client", "project", "notes", "hours", "billable?"}),
}
_CLOCKIFY_DURATIONS = ("duration (h)", "duration (decimal)")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_NUMERIC_DATE = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(?:([AaPp])\.?\s*[Mm]\.?)?")
_DURATION = re.compile(r"(-?)(\d{1,4}):(\d{2})(?::(\d{2}))?")
_BILLABLE = {"yes": True, "true": True, "1": True, "billable": True, "no": False, "false": False, "0": False}
_BILLABLE |= {"": False, "non-billable": False, "not billable": False}
# Digit groups as exports write them: comma, point, space, no-break and thin spaces, apostrophe.
_GROUPING = str.maketrans("", "", " \u00a0\u202f\u2009'’")


class ExportError(Exception):
    """An export that cannot be read; ``problems`` name each line and column."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class ExportRow:
    """One time entry as the export gives it; ``start`` is as written, in no zone yet."""

    line: int
    tool: Tool
    client: str
    project: str
    start: date | datetime  # a date: the tool logs a duration per day (Harvest)
    seconds: int
    billable: bool
    entry: str  # the same for the same entry in every export that holds it


@dataclass(frozen=True)
class Export:
    """The rows of one export file, and the tool that wrote it."""

    tool: Tool
    rows: list[ExportRow]

    @property
    def first_day(self) -> date | None:
        return min((_day(row.start) for row in self.rows), default=None)

    @property
    def last_day(self) -> date | None:
        return max((_day(row.start) for row in self.rows), default=None)


def _day(start: date | datetime) -> date:
    return start.date() if isinstance(start, datetime) else start


def read_export(path: Path, shown: Path | None = None, dates: DateOrder | None = None) -> Export:
    """Every row of the export at ``path``; `ExportError` naming each line that cannot be read."""
    shown = shown or path
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ExportError([Problem(shown, 1, 1, f"cannot read the file: {error.strerror}")]) from None
    return parse_export(_decode(raw, shown), shown, dates)


def _decode(raw: bytes, shown: Path) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        advice = (
            "the file is in an older encoding such as Windows-1252; "
            "export it again as UTF-8, or save it as 'CSV UTF-8' in your spreadsheet"
        )
        raise ExportError([not_utf8(raw, shown, advice)]) from None


def parse_export(text: str, shown: Path, dates: DateOrder | None = None) -> Export:
    """The rows of an export's text; `ExportError` naming each line that cannot be read."""
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    lines = list(_numbered(reader))
    if not lines:
        raise ExportError([Problem(shown, 1, 1, "the file is empty; export the detailed report as CSV")])
    header_line, header = lines[0]
    names = [name.strip() for name in header]
    tool = _tool(names)
    if tool is None:
        raise ExportError(
            [
                Problem(
                    shown,
                    header_line,
                    1,
                    "not a time-tracker export this command reads: its first line names none of the columns of "
                    "a Toggl Track detailed report, a Clockify detailed report or a Harvest detailed time report; "
                    "export one of those as CSV",
                )
            ]
        )
    columns = {name.lower(): index for index, name in enumerate(names)}
    reading = _Reading(shown, tool, columns)
    rows = [(number, cells) for number, cells in lines[1:] if any(cell.strip() for cell in cells)]
    order = dates or _date_order(reading, rows)
    found = [row for number, cells in rows if (row := reading.row(number, cells, order)) is not None]
    if reading.problems:
        raise ExportError(reading.problems)
    return Export(tool, _identified(found))


def _numbered(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """Each CSV record with the line it starts on (a quoted field may span lines)."""
    line = 1
    for cells in reader:
        yield line, cells
        line = reader.line_num + 1  # type: ignore[attr-defined] # csv readers count the lines they read


def _tool(names: list[str]) -> Tool | None:
    lower = {name.lower() for name in names}
    if REQUIRED["clockify"] <= lower and any(name in lower for name in _CLOCKIFY_DURATIONS):
        return "clockify"
    for tool in ("toggl", "harvest"):
        if REQUIRED[tool] <= lower:
            return tool
    return None


def _date_order(reading: _Reading, rows: list[tuple[int, list[str]]]) -> DateOrder | None:
    """Month or day first, as the file's slashed dates show; None when no date says."""
    votes: Counter[DateOrder] = Counter()
    for _, cells in rows:
        for name in ("start date", "date"):
            if name in reading.columns and (match := _NUMERIC_DATE.fullmatch(reading.cell(cells, name))):
                first, second = int(match[1]), int(match[3])
                if match[2] == ".":  # dotted dates are day first everywhere
                    continue
                if first > 12 >= second:
                    votes["dmy"] += 1
                elif second > 12 >= first:
                    votes["mdy"] += 1
    if len(votes) == 1:
        return next(iter(votes))
    return None


class _Reading:
    """The problems found while reading one export's rows."""

    def __init__(self, shown: Path, tool: Tool, columns: dict[str, int]) -> None:
        self.shown = shown
        self.tool = tool
        self.columns = columns
        self.problems: list[Problem] = []
        self.asked_order = False

    def cell(self, cells: list[str], name: str) -> str:
        index = self.columns.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    def fail(self, line: int, name: str, message: str) -> None:
        column = self.columns.get(name, 0) + 1
        self.problems.append(Problem(self.shown, line, column, message))

    def row(self, line: int, cells: list[str], order: DateOrder | None) -> ExportRow | None:
        before = len(self.problems)
        if len(cells) != len(self.columns):
            message = (
                f"{len(cells)} fields where the header has {len(self.columns)}; was the file edited by hand? "
                "export it again"
            )
            self.problems.append(Problem(self.shown, line, 1, message))
            return None
        date_column = "date" if self.tool == "harvest" else "start date"
        start: date | datetime | None = self._date(line, cells, date_column, order)
        if self.tool != "harvest" and start is not None:
            moment = self._time(line, cells, "start time")
            start = datetime.combine(start, moment) if moment is not None else None
        seconds = self._seconds(line, cells)
        billable_column = "billable?" if self.tool == "harvest" else "billable"
        billable = _BILLABLE.get(self.cell(cells, billable_column).lower())
        if billable is None:
            value = self.cell(cells, billable_column)
            self.fail(line, billable_column, f"{_title(billable_column)} is {value!r}; expected Yes or No")
        client, project = self.cell(cells, "client"), self.cell(cells, "project")
        if len(self.problems) > before or start is None or seconds is None or billable is None:
            return None
        return ExportRow(line, self.tool, client, project, start, seconds, billable, self._identity(cells))

    def _date(self, line: int, cells: list[str], name: str, order: DateOrder | None) -> date | None:
        value = self.cell(cells, name)
        day = month = year = 0
        if match := _ISO_DATE.fullmatch(value):
            year, month, day = int(match[1]), int(match[2]), int(match[3])
        elif match := _NUMERIC_DATE.fullmatch(value):
            first, second, year = int(match[1]), int(match[3]), int(match[4])
            if match[2] == "." or order == "dmy":
                day, month = first, second
            elif order == "mdy":
                month, day = first, second
            elif first == second:
                day = month = first
            else:
                if not self.asked_order:
                    self.fail(
                        line,
                        name,
                        f"{_title(name)} {value!r} reads both as month first (US) and as day first, and no date in "
                        "the file tells which; run the import again with --dates mdy or --dates dmy",
                    )
                self.asked_order = True
                return None
        else:
            self.fail(line, name, f"{_title(name)} {value!r} is not a date such as 2026-11-03 or 11/03/2026")
            return None
        try:
            return date(year, month, day)
        except ValueError:
            self.fail(line, name, f"{_title(name)} {value!r} is not a real date")
            return None

    def _time(self, line: int, cells: list[str], name: str) -> time | None:
        value = self.cell(cells, name)
        match = _TIME.fullmatch(value)
        if match is not None:
            hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
            if match[4]:  # 12-hour clock: 12:30 AM is half past midnight
                hour = hour % 12 + (12 if match[4].lower() == "p" else 0) if 1 <= hour <= 12 else 99
            if hour < 24 and minute < 60 and second < 60:
                return time(hour, minute, second)
        self.fail(line, name, f"{_title(name)} {value!r} is not a time such as 09:30:00 or 09:30:00 AM")
        return None

    def _seconds(self, line: int, cells: list[str]) -> int | None:
        if self.tool == "harvest":
            name, value = "hours", self.cell(cells, "hours")
            seconds = _decimal_hours(value)
        elif "duration (h)" in self.columns or self.tool == "toggl":
            name = "duration (h)" if self.tool == "clockify" else "duration"
            value = self.cell(cells, name)
            seconds = _clock_duration(value)
        else:
            name, value = "duration (decimal)", self.cell(cells, "duration (decimal)")
            seconds = _decimal_hours(value)
        if seconds is None:
            self.fail(line, name, f"{_title(name)} {value!r} is not a duration such as 1:30:00 or 1.5")
        elif seconds < 0:
            self.fail(line, name, f"{_title(name)} {value!r} is negative; fix the entry in {TOOL_NAMES[self.tool]}")
            return None
        elif seconds > MAX_ENTRY_SECONDS:
            self.fail(
                line,
                name,
                f"{_title(name)} {value!r} is longer than a day (a timer left running?); fix the entry in "
                f"{TOOL_NAMES[self.tool]} and export again",
            )
            return None
        return seconds

    def _identity(self, cells: list[str]) -> str:
        # Every column but money: an amount changes with a rate, not with the work done.
        kept = [cells[i].strip() for name, i in sorted(self.columns.items()) if not _is_money(name)]
        return hashlib.sha256("\x1f".join([self.tool, *kept]).encode("utf-8")).hexdigest()[:16]


def _is_money(name: str) -> bool:
    return "amount" in name or "rate" in name or name in ("invoiced?", "hours rounded")


def _title(name: str) -> str:
    """A column's name as the export's header writes it."""
    return " ".join(word[:1].upper() + word[1:] for word in name.split(" "))


def _identified(rows: list[ExportRow]) -> list[ExportRow]:
    """The rows, two identical ones told apart by their order (two equal Harvest lines on one day)."""
    seen: Counter[str] = Counter()
    found = []
    for row in rows:
        seen[row.entry] += 1
        if seen[row.entry] > 1:
            row = replace(row, entry=hashlib.sha256(f"{row.entry}#{seen[row.entry]}".encode()).hexdigest()[:16])
        found.append(row)
    return found


def _clock_duration(value: str) -> int | None:
    """Seconds of an ``H:MM:SS`` or ``H:MM`` duration; negative when written with a minus."""
    match = _DURATION.fullmatch(value)
    if match is None or int(match[3]) > 59 or int(match[4] or 0) > 59:
        return None
    seconds = int(match[2]) * 3600 + int(match[3]) * 60 + int(match[4] or 0)
    return -seconds if match[1] else seconds


def _decimal_hours(value: str) -> int | None:
    """Seconds of decimal hours written with a point or a comma, with or without digit groups."""
    text = value.translate(_GROUPING)
    if "," in text and "." in text:  # the later one is the decimal separator
        text = text.replace(".", "").replace(",", ".") if text.rfind(",") > text.rfind(".") else text.replace(",", "")
    else:
        text = text.replace(",", ".")  # no entry is a thousand hours long, so a lone comma is decimal
    if not re.fullmatch(r"-?\d+(?:\.\d+)?|-?\.\d+", text):
        return None
    try:
        hours = Decimal(text)
    except InvalidOperation:
        return None
    return int((hours * 3600).to_integral_value())
