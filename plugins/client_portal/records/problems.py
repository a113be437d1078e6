"""Problems found in records, and the error that carries them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """One finding, printed compiler-style so editors and CI can annotate it."""

    path: Path
    line: int
    column: int
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.severity}: {self.message}"


class RecordError(Exception):
    """One or more records are invalid; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def not_utf8(raw: bytes, path: Path, advice: str) -> Problem:
    """Where ``raw`` stops being UTF-8, as a problem saying which byte and what to do."""
    try:
        raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        bad = raw[error.start : error.start + 1].hex()
        return Problem(path, line, column, f"not valid UTF-8 (byte 0x{bad}); {advice}")
    raise ValueError("the bytes are UTF-8")
