"""The records' committed history, read through the ``git`` command.

Only commands whose output a user's git configuration (pagers, colours, text
conversions, signatures) cannot change are used.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from client_portal.records.loader import parse_record
from client_portal.records.model import Record

DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class HistoryError(Exception):
    """git cannot give the history asked for; the message says what to do."""


@dataclass(frozen=True)
class Baseline:
    """The committed state of the records that the working tree is compared with."""

    directory: Path
    commit: str | None  # None: nothing was committed before the date asked for
    since: date | datetime  # when that state was committed, or the date asked for

    def record_text(self, name: str) -> str | None:
        """The text of record file ``name`` at this state; None when it did not exist then."""
        if self.commit is None:
            return None
        listed = _git(self.directory, "ls-tree", "--name-only", self.commit, "--", name)
        if name not in listed.splitlines():
            return None
        raw = _git_bytes(self.directory, "cat-file", "blob", f"{self.commit}:./{name}")
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise HistoryError(f"{name} at {self.commit[:12]} is not valid UTF-8") from None

    def record_names(self) -> list[str]:
        """The record files (``<id>.yml``) of the records folder at this state; none before any commit."""
        if self.commit is None:
            return []
        listed = _git(self.directory, "ls-tree", "--name-only", self.commit, "--", ".")
        return sorted(name for name in listed.splitlines() if name.endswith(".yml") and "/" not in name)

    def record(self, name: str) -> Record | None:
        """Record file ``name`` as it stood at this state; None when it did not exist (`RecordError`: unreadable)."""
        text = self.record_text(name)
        if text is None:
            return None
        # No build date: a delivery date that was in the future then is no error now.
        record, _ = parse_record(text, Path(f"{(self.commit or '')[:12]}:{name}"), today=None)
        return record


def baseline(directory: Path, since: str | date, zone: ZoneInfo) -> Baseline:
    """The state to compare with: a revision (commit, tag, branch, HEAD~3) or the last commit before a date.

    A date means the start of that day in ``zone``; a string that looks like a date is one.
    """
    toplevel = _git(directory, "rev-parse", "--show-toplevel").strip()
    if not toplevel:
        raise HistoryError(f"{directory} is not in a git repository")
    if _git_ok(directory, "rev-parse", "--verify", "--quiet", "HEAD^{commit}") is None:
        raise HistoryError("nothing is committed yet; commit the records first, then ask what changed since")
    if isinstance(since, str) and DATE.fullmatch(since.strip()):
        try:
            since = date.fromisoformat(since.strip())
        except ValueError:
            raise HistoryError(f"{since!r} is not a real date") from None
    if isinstance(since, str):
        return _at_revision(directory, since)
    start = datetime.combine(since, time(), tzinfo=zone)
    found = _git(directory, "rev-list", "-1", f"--before=@{int(start.timestamp())}", "HEAD").strip()
    return Baseline(directory, found or None, since)


def _at_revision(directory: Path, revision: str) -> Baseline:
    # A leading "-" would be read as an option; no revision name starts with one.
    commit = None
    if revision and not revision.startswith("-"):
        commit = _git_ok(directory, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    if not commit:
        raise HistoryError(
            f"no commit {revision!r} in this repository; give a commit, tag or branch, or a date such as 2026-11-16"
        )
    commit = commit.strip()
    stamp = _git(directory, "log", "-1", "--no-show-signature", "--format=%ct", commit, "--").strip()
    return Baseline(directory, commit, datetime.fromtimestamp(int(stamp), tz=ZoneInfo("UTC")))


def _run(directory: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    git = shutil.which("git")
    if git is None:
        raise HistoryError("git is not installed (or not on PATH); the digest reads the records' history from git")
    try:
        # A list of arguments, never a shell; revisions starting with "-" are refused before they get here.
        return subprocess.run([git, "-C", str(directory), *args], capture_output=True, check=False)  # noqa: S603
    except OSError as error:
        raise HistoryError(f"cannot run git: {error.strerror}") from None


def _git_bytes(directory: Path, *args: str) -> bytes:
    result = _run(directory, *args)
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().removeprefix("fatal: ")
        if "not a git repository" in message:
            raise HistoryError(
                f"{directory} is not in a git repository; the digest compares the records with their "
                "committed history (git init, then commit the records)"
            )
        raise HistoryError(f"git {args[0]} failed: {message or f'exit code {result.returncode}'}")
    return result.stdout


def _git(directory: Path, *args: str) -> str:
    return _git_bytes(directory, *args).decode("utf-8", "replace")


def _git_ok(directory: Path, *args: str) -> str | None:
    """The output of a git command that may fail on purpose (a missing revision); None when it did."""
    result = _run(directory, *args)
    return result.stdout.decode("utf-8", "replace") if result.returncode == 0 else None
