"""The time entries kept for one client: ``clients/hours/<id>.csv``, beside the record, never published.

The file is written by `client-portal hours import` and read with the record. Lines
are sorted by start, so a new import shows in git as the lines it added or removed.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from client_portal.hours.entries import MAX_ENTRY_SECONDS, TOOLS, TimeEntry
from client_portal.records.problems import Problem, RecordError

HOURS_FOLDER = "hours"
COLUMNS = ("entry", "tool", "start", "seconds", "billable", "client", "project")
# A year of a busy freelancer's entries for one client is a few thousand lines.
MAX_ENTRIES = 100_000


def hours_file(record_file: Path) -> Path:
    """Where the time entries of the record at ``record_file`` are kept."""
    return record_file.parent / HOURS_FOLDER / f"{record_file.stem}.csv"


def format_entries(entries: list[TimeEntry] | tuple[TimeEntry, ...]) -> str:
    """The file's text for ``entries``, sorted by start."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for entry in sorted(entries, key=_order):
        writer.writerow(
            [
                entry.entry,
                entry.tool,
                entry.start.isoformat(),
                entry.seconds,
                "yes" if entry.billable else "no",
                entry.client,
                entry.project,
            ]
        )
    return out.getvalue()


def _order(entry: TimeEntry) -> tuple[str, str]:
    start = entry.start if isinstance(entry.start, datetime) else datetime.combine(entry.start, datetime.min.time())
    return (start.replace(tzinfo=None).isoformat(), entry.entry)


def entries_of(text: str, shown: Path) -> tuple[TimeEntry, ...]:
    """The entries of a file's text; `RecordError` naming each line that is not as the import writes it."""
    reader = csv.reader(io.StringIO(text, newline=""))
    problems: list[Problem] = []
    entries: list[TimeEntry] = []
    seen: dict[str, int] = {}
    for number, cells in enumerate(reader, start=1):
        if number == 1:
            if tuple(cells) != COLUMNS:
                message = (
                    f"the first line must be {','.join(COLUMNS)}; this file is written by client-portal hours import"
                )
                raise RecordError([Problem(shown, 1, 1, message)])
            continue
        if number > MAX_ENTRIES + 1:
            raise RecordError([Problem(shown, number, 1, f"more than {MAX_ENTRIES:,} entries; keep older years apart")])
        entry = _entry(cells, number, shown, problems)
        if entry is None:
            continue
        if entry.entry in seen:
            problems.append(Problem(shown, number, 1, f"entry {entry.entry} is also on line {seen[entry.entry]}"))
            continue
        seen[entry.entry] = number
        entries.append(entry)
    if problems:
        raise RecordError(problems)
    return tuple(entries)


def _entry(cells: list[str], number: int, shown: Path, problems: list[Problem]) -> TimeEntry | None:
    def fail(column: str, message: str) -> None:
        problems.append(Problem(shown, number, COLUMNS.index(column) + 1, f"{column}: {message}"))

    if len(cells) != len(COLUMNS):
        problems.append(Problem(shown, number, 1, f"{len(cells)} fields where {len(COLUMNS)} are expected"))
        return None
    entry, tool, start_text, seconds_text, billable, client, project = cells
    start: date | datetime | None = None
    try:
        start = datetime.fromisoformat(start_text) if "T" in start_text else date.fromisoformat(start_text)
    except ValueError:
        fail("start", f"{start_text!r} is not a date or a date and time with its offset")
    if isinstance(start, datetime) and start.tzinfo is None:
        fail("start", f"{start_text!r} has no offset (such as +01:00)")
    if tool not in TOOLS:
        fail("tool", f"{tool!r} is not one of {', '.join(TOOLS)}")
    seconds = int(seconds_text) if seconds_text.isdigit() else -1
    if not 0 <= seconds <= MAX_ENTRY_SECONDS:
        fail("seconds", f"{seconds_text!r} is not a whole number of seconds from 0 to {MAX_ENTRY_SECONDS}")
    if billable not in ("yes", "no"):
        fail("billable", f"{billable!r} is not yes or no")
    if not entry:
        fail("entry", "empty")
    if problems and problems[-1].line == number:
        return None
    assert start is not None and tool in TOOLS
    return TimeEntry(start, entry, tool, seconds, billable == "yes", client, project)


def hours_bytes(record_file: Path, shown_record: Path) -> bytes:
    """The bytes of the entries file of the record at ``record_file``; empty when it has none."""
    # read with plain strings: this runs for every record of every build, and most have no file
    folder, name = os.path.split(record_file)
    path = os.path.join(folder, HOURS_FOLDER, os.path.splitext(name)[0] + ".csv")
    if not os.path.exists(path):  # a failed open() costs several times as much
        return b""
    try:
        with open(path, "rb") as file:
            return file.read()
    except FileNotFoundError:
        return b""
    except OSError as error:
        raise RecordError(
            [Problem(hours_file(shown_record), 1, 1, f"cannot read the file: {error.strerror}")]
        ) from None


def parse_entries(raw: bytes, shown: Path) -> tuple[TimeEntry, ...]:
    """The entries of a file's bytes; `RecordError` naming each line that is not as the import writes it."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise RecordError([Problem(shown, 1, 1, "not UTF-8; import the export again")]) from None
    return entries_of(text, shown)


def write_entries(record_file: Path, entries: list[TimeEntry]) -> Path:
    """Replace the entries kept for the record at ``record_file`` at once (no half-written file)."""
    path = hours_file(record_file)
    path.parent.mkdir(exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", newline="", dir=path.parent, delete=False) as out:
        out.write(format_entries(entries))
    os.replace(out.name, path)
    return path


def stray_files(clients_dir: Path, record_ids: set[str], shown: Callable[[Path], Path]) -> list[Problem]:
    """Entries files with no record of that name: their hours count for no one."""
    folder = clients_dir / HOURS_FOLDER
    strays = sorted(p for p in folder.glob("*.csv") if p.stem not in record_ids) if folder.is_dir() else []
    return [
        Problem(
            shown(path),
            1,
            1,
            f"no record {path.stem}.yml beside it, so these hours count for no one; rename the file as the "
            "record was renamed, or delete it",
            "warning",
        )
        for path in strays
    ]
