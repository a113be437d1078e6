"""One time entry as the portal keeps it, whatever tool it came from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

Tool = Literal["toggl", "clockify", "harvest"]
TOOLS: tuple[Tool, ...] = ("toggl", "clockify", "harvest")
TOOL_NAMES: dict[Tool, str] = {"toggl": "Toggl Track", "clockify": "Clockify", "harvest": "Harvest"}
# No one works a day and a night without a break: longer entries are a timer left running.
MAX_ENTRY_SECONDS = 24 * 3600


@dataclass(frozen=True, order=True)
class TimeEntry:
    """Time worked for a client: when it started, how long, whether it is billable.

    ``start`` is a zone-aware datetime, or a date for tools that log durations per day
    (Harvest). ``entry`` names it the same way in every export that holds it.
    """

    start: date | datetime
    entry: str
    tool: Tool
    seconds: int
    billable: bool
    client: str
    project: str

    def day(self, zone: ZoneInfo) -> date:
        """The day the entry started, in ``zone``."""
        if isinstance(self.start, datetime):
            return self.start.astimezone(zone).date()
        return self.start


def rounded(seconds: int, minutes: int | None) -> int:
    """``seconds`` rounded up to whole multiples of ``minutes``, as time trackers round billed time."""
    if not minutes:
        return seconds
    step = minutes * 60
    return -(-seconds // step) * step
