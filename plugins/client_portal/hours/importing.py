"""Which client each row of an export belongs to, and what importing it changes in their kept entries.

An import replaces what an earlier import from the same tool holds for a client between
the export's first and last day: importing the same export again, or one that overlaps,
counts nothing twice, and an entry edited or deleted in the tool is corrected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from client_portal.hours.entries import TimeEntry
from client_portal.hours.exports import Export, ExportError, ExportRow
from client_portal.hours.periods import billable_seconds
from client_portal.hours.store import write_entries
from client_portal.records.model import Client, TrackedHours
from client_portal.records.problems import Problem


@dataclass(frozen=True)
class ClientImport:
    """What an export changes for one client."""

    client: Client
    entries: list[TimeEntry]  # everything kept for the client after the import
    added: int
    removed: int
    unchanged: int
    ignored: dict[str, int]  # entries left out, by project, as `budget.hours.ignore` says
    billable: int  # seconds of billable time the export holds for the client, rounded as the record says
    first_day: date
    last_day: date

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def client_names(clients: list[Client]) -> tuple[dict[str, Client], list[str]]:
    """Each name an export may give a client, and names that two records claim."""
    names: dict[str, Client] = {}
    clashes = []
    for client in clients:
        budget = client.record.budget
        others = budget.hours.clients if budget is not None and budget.hours is not None else []
        for name in [client.record.name, *others]:
            owner = names.setdefault(_key(name), client)
            if owner is not client:
                clashes.append(f"{name!r} is the name of {owner.source.name} and of {client.source.name}")
    return names, clashes


def plan_import(export: Export, clients: list[Client], default_zone: str, shown: Path) -> list[ClientImport]:
    """What importing ``export`` changes, per client; `ExportError` naming each row that belongs to none."""
    names, clashes = client_names(clients)
    problems = [Problem(shown, 1, 1, f"{clash}; an export's client must name one record") for clash in clashes]
    rows: dict[str, list[ExportRow]] = {}
    ignored: dict[str, dict[str, int]] = {}
    by_id = {client.id: client for client in clients}
    for row in export.rows:
        client = names.get(_key(row.client))
        if client is None:
            problems.append(Problem(shown, row.line, 1, _unknown_client(row)))
            continue
        settings = _settings(client)
        if settings is None:
            problems.append(
                Problem(
                    shown,
                    row.line,
                    1,
                    f"client {row.client!r} is {client.source.name}, whose budget does not count imported hours; "
                    "give it a budget with unit hours and an 'hours:' block",
                )
            )
            continue
        project = _key(row.project)
        if project in {_key(name) for name in settings.ignore}:
            counts = ignored.setdefault(client.id, {})
            counts[row.project] = counts.get(row.project, 0) + 1
            continue
        if settings.projects and project not in {_key(name) for name in settings.projects}:
            problems.append(
                Problem(
                    shown,
                    row.line,
                    1,
                    f"project {row.project!r} of client {row.client!r} is not in budget.hours.projects of "
                    f"{client.source.name}; add it there to count it, or to budget.hours.ignore to leave it out",
                )
            )
            continue
        rows.setdefault(client.id, []).append(row)
    if problems:
        raise ExportError(problems)
    first, last = export.first_day, export.last_day
    plans = []
    for client_id in sorted(rows.keys() | ignored.keys()):
        client = by_id[client_id]
        zone = ZoneInfo(client.record.timezone or default_zone)
        new = [_entry(row, zone) for row in rows.get(client_id, [])]
        assert first is not None and last is not None
        kept = [e for e in client.hours if e.tool != export.tool or not first <= e.day(zone) <= last]
        replaced = {e.entry for e in client.hours} - {e.entry for e in kept}
        fresh = {e.entry for e in new}
        settings = _settings(client)
        assert settings is not None
        plans.append(
            ClientImport(
                client,
                [*kept, *new],
                added=len(fresh - replaced),
                removed=len(replaced - fresh),
                unchanged=len(fresh & replaced),
                ignored=ignored.get(client_id, {}),
                billable=billable_seconds(new, settings.rounding),
                first_day=first,
                last_day=last,
            )
        )
    return plans


def _settings(client: Client) -> TrackedHours | None:
    budget = client.record.budget
    return budget.hours if budget is not None and budget.unit == "hours" else None


def _unknown_client(row: ExportRow) -> str:
    if not row.client:
        return (
            f"an entry with no client (project {row.project!r}); give it a client in your time tracker, or "
            "export only your portal's clients"
        )
    return (
        f"no record is client {row.client!r}; add the name to budget.hours.clients of the record it belongs to, "
        "or export only your portal's clients"
    )


def _entry(row: ExportRow, zone: ZoneInfo) -> TimeEntry:
    start = row.start.replace(tzinfo=zone) if isinstance(row.start, datetime) else row.start
    return TimeEntry(start, row.entry, row.tool, row.seconds, row.billable, row.client, row.project)


def apply_import(plans: list[ClientImport]) -> list[Path]:
    """Write the kept entries of every client the import changed; the files written."""
    return [write_entries(plan.client.source, plan.entries) for plan in plans if plan.changed]
