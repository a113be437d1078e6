"""One version's section of CHANGELOG.md, the notes of its GitHub release.

Usage: python scripts/changelog_section.py VERSION [CHANGELOG]   (VERSION as 0.2.0 or v0.2.0)

CHANGELOG.md follows Keep a Changelog: each release is a ``## [0.2.0] - 2026-05-04``
heading. Prints what stands under that heading, up to the next release; fails, saying
what to do, when the version has no section or an empty one, so a tag pushed before its
changelog is written publishes nothing.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADING = re.compile(r"^## \[(?P<version>[^\]]+)\]")
LINK_DEFINITION = re.compile(r"^\[[^\]]+\]: \S+")  # "[0.2.0]: https://…/compare/…" at the end


class MissingSection(Exception):
    """The changelog has no notes for the version."""


def section(changelog: str, version: str) -> str:
    """The text under ``## [version]``, without the heading, the link definitions or surrounding blank lines."""
    version = version.removeprefix("v")
    lines: list[str] | None = None
    for line in changelog.splitlines():
        heading = HEADING.match(line)
        if heading and lines is not None:
            break
        if heading and heading["version"] == version:
            lines = []
        elif lines is not None and not LINK_DEFINITION.match(line):
            lines.append(line)
    if lines is None:
        raise MissingSection(
            f"CHANGELOG.md has no section '## [{version}] - DATE': "
            f"rename '## [Unreleased]' to it (with today's date) before tagging v{version}"
        )
    text = "\n".join(lines).strip()
    if not text:
        raise MissingSection(f"CHANGELOG.md's section [{version}] is empty: say what changed in it")
    return text + "\n"


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        print((__doc__ or "").split("\n\n")[1], file=sys.stderr)
        return 2
    path = Path(argv[1]) if len(argv) == 2 else ROOT / "CHANGELOG.md"
    try:
        sys.stdout.write(section(path.read_text(encoding="utf-8"), argv[0]))
    except MissingSection as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
