"""Plain words for the YAML mistakes people make in records, each saying what to do.

YAML's own messages ("mapping values are not allowed in this context") describe the
parser, not the file. These functions look at the lines around a syntax error, or at a
value YAML read differently from what was meant, and say which line to change and how.
"""

from __future__ import annotations

import re

# `key: []` or `key: {}` with an optional comment: an empty list or mapping written inline
_EMPTY_INLINE = re.compile(r"^(?P<indent>\s*)(?:- )?(?P<key>[\w-]+):\s*(?P<empty>\[\s*\]|\{\s*\})\s*(?:#.*)?$")
# `key: value` at the start of a line (or of a list item): where the key starts, and its value
_KEY_LINE = re.compile(r"^(?P<lead>\s*(?:- )?)(?P<key>[\w-]+):(?:\s+(?P<value>.*))?$")
# a colour YAML took for a comment: `accent: #1f5c4a`
_COLOUR_COMMENT = re.compile(r"^\s*(?:- )?(?P<key>[\w-]+):\s+(?P<colour>#[0-9A-Fa-f]{3,8})\b")

Hint = tuple[int, int, str]  # line, column (1-based) and the message
# A value quoted back in a hint whole, to be copied; a longer one is not repeated (nor a long key).
QUOTED_UP_TO = 200


def _key(name: str) -> str:
    return name if len(name) <= 60 else name[:60] + "…"


def _content_lines(lines: list[str], before: int) -> list[tuple[int, str]]:
    """(line number, text) of the lines before ``before`` (1-based) that hold more than a comment, nearest first."""
    found = []
    for number in range(before - 1, 0, -1):
        text = lines[number - 1]
        if text.strip() and not text.lstrip().startswith("#"):
            found.append((number, text))
    return found


def syntax_hint(text: str, problem: str, line: int, column: int) -> Hint | None:
    """What to change for a YAML syntax error at ``line``:``column``; None when no plain hint fits."""
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return None
    here = lines[line - 1]
    previous = _content_lines(lines, line)
    if here.lstrip().startswith("- ") and previous and (empty := _EMPTY_INLINE.match(previous[0][1])):
        number, above = previous[0]
        where = above.index(empty["empty"]) + 1
        return (
            number,
            where,
            f"remove the `{empty['empty'].replace(' ', '')}` at line {number}: '{_key(empty['key'])}:' is written as "
            f"empty there, so the '- ' items below it (from line {line}) cannot belong to it",
        )
    if "mapping values are not allowed" in problem:
        key = _KEY_LINE.match(here)
        if key and key["value"] and column - 1 > key.end("key"):  # a second ': ' inside the value
            value = key["value"].split(" #")[0].strip()
            quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
            advice = f"put it in quotes: {key['key']}: {quoted}"
            if len(advice) > QUOTED_UP_TO:
                advice = "put the whole value in double quotes"
            return (
                line,
                column,
                f"the value of '{_key(key['key'])}' contains ': ', which YAML reads as a new key; {advice}",
            )
        if key and previous:
            return _indentation_hint(line, key, previous[0])
    if "expected '-' indicator" in problem or "did not find expected key" in problem:
        key = _KEY_LINE.match(here)
        if key and previous:
            return _indentation_hint(line, key, previous[0])
        return (line, column, f"check the indentation of line {line}: it lines up with nothing above it")
    return None


def _indentation_hint(line: int, key: re.Match[str], above: tuple[int, str]) -> Hint:
    number, text = above
    sibling = _KEY_LINE.match(text)
    if sibling is None:
        return (line, 1, f"check the indentation of line {line}: it lines up with nothing above it")
    want = sibling.end("lead") + 1  # the column where the key above starts
    have = key.end("lead") + 1
    return (
        line,
        have,
        f"check the indentation of line {line}: '{_key(key['key'])}' starts in column {have}, "
        f"but '{_key(sibling['key'])}' on line {number} starts in column {want}; "
        "keys of the same item line up, with spaces",
    )


def comment_colour(text: str, line: int) -> Hint | None:
    """A colour that YAML read as a comment (so the value is empty), on ``line``."""
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return None
    found = _COLOUR_COMMENT.match(lines[line - 1])
    if found is None:
        return None
    key, colour = _key(found["key"]), found["colour"]
    return (
        line,
        found.start("colour") + 1,
        f'{key}: YAML reads {colour} as a comment, so {key} is empty; quote the colour: {key}: "{colour}"',
    )


def new_item_hint(text: str, line: int, key: str) -> str:
    """For a duplicate key inside a list item: the missing '- ' that would start a new item."""
    lines = text.splitlines()
    if 1 <= line <= len(lines) and lines[line - 1].lstrip().startswith(f"{key}:"):
        return (
            f"; if line {line} starts a new item, put '- ' before '{_key(key)}' "
            "(and indent the lines under it to match)"
        )
    return ""
