"""Time-tracker exports read as each tool writes them, and hours per budget period (pure layers)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from client_portal.hours.entries import TimeEntry, rounded
from client_portal.hours.exports import ExportError, parse_export, read_export
from client_portal.hours.periods import hours_use
from client_portal.hours.store import entries_of, format_entries
from client_portal.records.model import Budget
from client_portal.records.problems import RecordError

from .hours_exports import CLOCKIFY, EXPORTS, HARVEST, MONTH_AND_DST, TOGGL, Worked, clockify, harvest, toggl

SHOWN = Path("export.csv")
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize("tool", list(EXPORTS))
def test_each_tools_export_is_recognised_by_its_header_and_read_as_written(tool):
    export = parse_export(EXPORTS[tool](MONTH_AND_DST), SHOWN)
    assert export.tool == tool.split("-")[0]
    assert [row.seconds for row in export.rows] == [w.minutes * 60 for w in MONTH_AND_DST]
    assert [row.billable for row in export.rows] == [w.billable for w in MONTH_AND_DST]
    assert {(row.client, row.project) for row in export.rows} == {("Acme Bakery", w.project) for w in MONTH_AND_DST}
    starts = [row.start for row in export.rows]
    if tool == "harvest":  # a date per entry, no time of day
        assert starts == [w.start.date() for w in MONTH_AND_DST]
    else:  # 12-hour US times and 24-hour ones read alike: 11:15:00 PM is 23:15
        assert starts == [w.start for w in MONTH_AND_DST]
    assert (export.first_day, export.last_day) == (date(2026, 10, 25), date(2026, 11, 11))
    # the same entries in a later export of the same tool are known as the same
    assert [row.entry for row in parse_export(EXPORTS[tool](MONTH_AND_DST), SHOWN).rows] == [
        row.entry for row in export.rows
    ]


def test_twelve_hour_times_around_midnight_and_noon():
    work = [Worked(datetime(2026, 11, 2, 0, 30), 30), Worked(datetime(2026, 11, 2, 12, 5), 30)]
    text = clockify(work)
    assert "12:30:00 AM" in text and "12:05:00 PM" in text
    assert [row.start for row in parse_export(text, SHOWN, dates="mdy").rows] == [w.start for w in work]


def test_two_equal_harvest_lines_on_one_day_are_two_entries():
    work = [Worked(datetime(2026, 11, 2), 30)] * 2
    rows = parse_export(harvest(work), SHOWN).rows
    assert len({row.entry for row in rows}) == 2


def test_a_byte_order_mark_and_quoted_commas_and_line_breaks_are_read():
    work = [
        Worked(datetime(2026, 11, 2, 9), 30, notes="Menu, prices\nand photos"),
        Worked(datetime(2026, 11, 3, 9), 45),
    ]
    export = parse_export("\ufeff" + toggl(work), SHOWN)
    assert [row.line for row in export.rows] == [2, 4]  # the first entry's notes take two lines


def _lines(text: str) -> list[str]:
    return text.split("\r\n")


def _problems(text: str, **options) -> list[str]:
    with pytest.raises(ExportError) as caught:
        parse_export(text, SHOWN, **options)
    return [str(problem) for problem in caught.value.problems]


def _with_cell(text: str, line: int, column: str, value: str, header: list[str] = TOGGL) -> str:
    lines = _lines(text)
    cells = lines[line - 1].split(",")
    cells[header.index(column)] = value
    lines[line - 1] = ",".join(cells)
    return "\r\n".join(lines)


ONE = [Worked(datetime(2026, 11, 2, 9), 90), Worked(datetime(2026, 11, 3, 9), 30)]


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("Duration", "-01:30:00", "export.csv:3:12: error: Duration '-01:30:00' is negative; fix the entry in Toggl"),
        ("Duration", "26:00:00", "export.csv:3:12: error: Duration '26:00:00' is longer than a day (a timer left"),
        ("Duration", "1h 30m", "export.csv:3:12: error: Duration '1h 30m' is not a duration such as 1:30:00 or 1.5"),
        ("Start date", "2026-02-30", "export.csv:3:8: error: Start Date '2026-02-30' is not a real date"),
        ("Start date", "next week", "export.csv:3:8: error: Start Date 'next week' is not a date such as 2026-11-03"),
        ("Start time", "25:00:00", "export.csv:3:9: error: Start Time '25:00:00' is not a time such as 09:30:00"),
        ("Billable", "Maybe", "export.csv:3:7: error: Billable is 'Maybe'; expected Yes or No"),
    ],
)
def test_a_wrong_value_is_named_at_its_line_and_column(column, value, message):
    found = _problems(_with_cell(toggl(ONE), 3, column, value))
    assert len(found) == 1 and found[0].startswith(message)


def test_a_harvest_negative_or_absurd_decimal_is_refused():
    text = harvest(ONE)
    for value, said in (("-1.5", "is negative"), ("25.5", "is longer than a day")):
        found = _problems(_with_cell(text, 2, "Hours", value, HARVEST))
        assert found[0].startswith(f"export.csv:2:7: error: Hours '{value}' {said}")


def test_every_wrong_line_is_named_not_only_the_first():
    text = _with_cell(_with_cell(toggl(ONE), 2, "Duration", "-0:10:00"), 3, "Billable", "?")
    assert [p.split(": error")[0] for p in _problems(text)] == ["export.csv:2:12", "export.csv:3:7"]


def test_a_file_in_another_format_is_refused_at_its_header():
    found = _problems("Date,Amount,Payee\r\n2026-11-02,12.50,Bakery\r\n")
    assert found == [
        "export.csv:1:1: error: not a time-tracker export this command reads: its first line names none of the "
        "columns of a Toggl Track detailed report, a Clockify detailed report or a Harvest detailed time report; "
        "export one of those as CSV"
    ]
    assert _problems("") == ["export.csv:1:1: error: the file is empty; export the detailed report as CSV"]


def test_a_legacy_encoding_is_refused_at_its_byte(tmp_path):
    path = tmp_path / "toggl.csv"
    path.write_bytes(toggl([Worked(datetime(2026, 11, 2, 9), 30, notes="Caf\u00e9 menu")]).encode("cp1252"))
    with pytest.raises(ExportError) as caught:
        read_export(path, SHOWN)
    assert [str(p) for p in caught.value.problems] == [
        "export.csv:2:50: error: not valid UTF-8 (byte 0xe9); the file is in an older encoding such as Windows-1252; "
        "export it again as UTF-8, or save it as 'CSV UTF-8' in your spreadsheet"
    ]


def test_a_row_with_fields_missing_is_refused():
    lines = _lines(toggl(ONE))
    lines[1] = lines[1].rsplit(",", 2)[0]
    assert _problems("\r\n".join(lines))[0].startswith("export.csv:2:1: error: 12 fields where the header has 14")


def test_dates_that_read_both_ways_are_asked_about_once_and_then_read_as_told():
    work = [Worked(datetime(2026, 11, 3, 9), 30), Worked(datetime(2026, 10, 4, 9), 30)]
    text = clockify(work)  # 11/03/2026 and 10/04/2026: no day above 12
    found = _problems(text)
    assert len(found) == 1 and "--dates mdy or --dates dmy" in found[0] and found[0].startswith("export.csv:2:10:")
    assert [row.start.date() for row in parse_export(text, SHOWN, dates="mdy").rows] == [
        date(2026, 11, 3),
        date(2026, 10, 4),
    ]  # type: ignore[union-attr]
    assert [row.start.date() for row in parse_export(text, SHOWN, dates="dmy").rows] == [
        date(2026, 3, 11),
        date(2026, 4, 10),
    ]  # type: ignore[union-attr]
    # one date past the 12th tells the order of all of them
    told = clockify([*work, Worked(datetime(2026, 11, 20, 9), 30)])
    assert parse_export(told, SHOWN).rows[0].start == datetime(2026, 11, 3, 9)


@pytest.mark.parametrize(
    ("written", "seconds"),
    [("1.5", 5400), ("1,5", 5400), ("0.75", 2700), ("0,25", 900), (".5", 1800), ("1.5h", None)],
)
def test_decimal_hours_with_a_point_or_a_comma(written, seconds):
    text = _with_cell(harvest(ONE[:1]), 2, "Hours", f'"{written}"', HARVEST)
    if seconds is None:
        assert _problems(text)
    else:
        assert parse_export(text, SHOWN).rows[0].seconds == seconds


def test_clockify_without_the_clock_duration_reads_the_decimal_one():
    header = [name for name in CLOCKIFY if name != "Duration (h)"]
    lines = _lines(clockify(ONE, us=False))
    index = CLOCKIFY.index("Duration (h)")
    text = "\r\n".join(";".join(c for i, c in enumerate(line.split(";")) if i != index) for line in lines if line)
    assert lines[0].split(";") == CLOCKIFY and len(header) == len(CLOCKIFY) - 1
    assert [row.seconds for row in parse_export(text, SHOWN).rows] == [5400, 1800]


@pytest.mark.parametrize(
    ("minutes", "seconds", "expected"),
    [(None, 61, 61), (1, 61, 120), (6, 420, 720), (15, 1, 900), (15, 900, 900), (6, 0, 0)],
)
def test_rounding_is_up_to_whole_steps(minutes, seconds, expected):
    assert rounded(seconds, minutes) == expected


def _entry(day: str, minutes: int, billable: bool = True) -> TimeEntry:
    start = datetime.fromisoformat(day).replace(tzinfo=BERLIN)
    return TimeEntry(start, f"{day}-{minutes}", "toggl", minutes * 60, billable, "Acme Bakery", "Website")


def _budget(**hours) -> Budget:
    return Budget.model_validate({"period": "month", "unit": "hours", "included": 10, "hours": hours})


def test_periods_count_billable_time_by_the_local_day_it_started():
    entries = [
        _entry("2026-09-30T23:30", 60),  # September in Berlin, though it ends in October
        _entry("2026-10-01T00:30", 30),  # 22:30 UTC on 30 September: October in Berlin
        _entry("2026-10-15T09:00", 600, billable=False),
        _entry("2026-11-02T09:00", 45),
    ]
    use = hours_use(_budget(), entries, date(2026, 11, 23), BERLIN)
    assert use is not None
    assert [(p.start, p.tracked) for p in use.past] == [(date(2026, 9, 1), 3600), (date(2026, 10, 1), 1800)]
    assert (use.current.start, use.current.tracked, use.current.left) == (date(2026, 11, 1), 2700, 36000 - 2700)


def test_rollover_carries_unused_hours_and_going_over_takes_nothing():
    entries = [_entry("2026-08-03T09:00", 8 * 60), _entry("2026-09-03T09:00", 13 * 60), _entry("2026-10-03T09:00", 60)]
    use = hours_use(_budget(rollover=True), entries, date(2026, 11, 2), BERLIN)
    assert use is not None
    # August: 2 h left roll over; September: 13 of 12 h, over by 1, nothing rolls; October: 9 h left roll over
    assert [(p.included // 3600, p.rolled_in // 3600, p.used // 3600) for p in use.past] == [
        (10, 0, 8),
        (12, 2, 13),
        (10, 0, 1),
    ]
    assert (use.current.included, use.current.rolled_in) == (19 * 3600, 9 * 3600)
    without = hours_use(_budget(), entries, date(2026, 11, 2), BERLIN)
    assert without is not None and without.current.included == 10 * 3600


def test_rounding_applies_per_entry_before_the_sum():
    entries = [_entry("2026-11-02T09:00", 7), _entry("2026-11-02T10:00", 1), _entry("2026-11-02T11:00", 12)]
    for minutes, expected in ((None, 20), (1, 20), (6, 12 + 6 + 12), (15, 45)):
        use = hours_use(_budget(rounding=minutes), entries, date(2026, 11, 23), BERLIN)
        assert use is not None and use.current.tracked == expected * 60


def test_hand_typed_use_adds_to_this_period_only_and_quarters_and_projects_have_their_own_periods():
    entries = [_entry("2026-08-03T09:00", 60), _entry("2026-10-03T09:00", 90)]
    month = Budget.model_validate({"period": "month", "unit": "hours", "included": 10, "used": 2.5, "hours": {}})
    use = hours_use(month, entries, date(2026, 10, 23), BERLIN)
    assert use is not None and (use.current.typed, use.current.used) == (9000, 9000 + 5400)
    assert all(p.typed == 0 for p in use.past)
    quarter = Budget.model_validate({"period": "quarter", "unit": "hours", "included": 30, "hours": {}})
    use = hours_use(quarter, entries, date(2026, 11, 23), BERLIN)
    assert use is not None and [(p.start, p.tracked) for p in use.past] == [(date(2026, 7, 1), 3600)]
    assert (use.current.start, use.current.end, use.current.tracked) == (date(2026, 10, 1), date(2027, 1, 1), 5400)
    project = Budget.model_validate({"period": "project", "unit": "hours", "included": 30, "hours": {}})
    use = hours_use(project, entries, date(2026, 11, 23), BERLIN)
    assert use is not None and use.past == () and use.current.tracked == 9000


def test_the_kept_entries_file_reads_back_as_written_and_names_a_wrong_line():
    entries = (_entry("2026-10-25T01:30", 180), TimeEntry(date(2026, 11, 2), "h1", "harvest", 900, False, "A, B", "X"))
    text = format_entries(list(entries))
    assert "2026-10-25T01:30:00+02:00" in text  # before the clocks went back
    assert entries_of(text, SHOWN) == tuple(sorted(entries, key=lambda e: str(e.start)[:10]))
    broken = text.replace(",900,", ",-900,")
    with pytest.raises(RecordError) as caught:
        entries_of(broken, SHOWN)
    assert [str(p) for p in caught.value.problems] == [
        "export.csv:3:4: error: seconds: '-900' is not a whole number of seconds from 0 to 86400"
    ]


@pytest.mark.parametrize(
    ("budget", "words"),
    [
        ({"period": "month", "unit": "days", "included": 5, "hours": {}}, "imported hours need unit hours"),
        ({"period": "project", "unit": "hours", "included": 5, "hours": {"rollover": True}}, "no next period"),
        ({"period": "month", "unit": "hours", "included": 5, "hours": {"rounding": 5}}, "rounding"),
        ({"period": "month", "unit": "hours", "included": 5, "hours": {"clients": ["A", "a"]}}, "listed twice"),
        (
            {"period": "month", "unit": "hours", "included": 5, "hours": {"projects": ["Web"], "ignore": ["web"]}},
            "cannot count and not",
        ),
        ({"period": "month", "unit": "hours", "included": 5, "hours": {"roundng": 6}}, "roundng"),
    ],
)
def test_hours_settings_are_strict(budget, words):
    with pytest.raises(ValueError, match=words):
        Budget.model_validate(budget)


def test_a_budget_without_imports_keeps_its_hand_typed_figures():
    assert (
        hours_use(
            Budget.model_validate({"period": "month", "unit": "hours", "included": 5}), [], date(2026, 11, 2), BERLIN
        )
        is None
    )
    assert Budget.model_validate({"period": "month", "unit": "hours", "included": 5}).used == Decimal(0)
