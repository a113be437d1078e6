"""Fuzzing: whatever a record file holds, the loader and `check` answer with a record or located errors.

And every valid record builds into a site that passes the leak audit. Run more examples
with `make fuzz` (``HYPOTHESIS_PROFILE=long``); see tests/fuzz_profiles.py.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
import types
import typing
from collections.abc import Iterator
from datetime import UTC, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from client_portal.audit.audit import audit_site
from client_portal.commands.cli import main
from client_portal.records.loader import BIDI_CONTROLS, load_client, load_clients, parse_record
from client_portal.records.model import Record, slug
from client_portal.records.problems import RecordError
from client_portal.records.readings import Readings

from .build import SECRET, build_site
from .conftest import ROOT, TODAY
from .fuzz_profiles import examples

SHOWN = Path("clients/fuzz.yml")
# YAML's line breaks: a location may point at the line after the last one, never further.
LINE_BREAKS = re.compile("\r\n|[\n\r\x85\u2028\u2029]")
# Long enough for any message we write, short enough that no value floods a terminal.
MAX_MESSAGE = 1_000
PROBLEM_LINE = re.compile(r"(?P<path>[^:]+):(?P<line>\d+):(?P<column>\d+): (?:error|warning): \S.*")
SUMMARY_LINE = re.compile(r"\d+ records? checked: \d+ errors?, \d+ warnings?")


# --- the properties ------------------------------------------------------------------------------


def assert_located(error: RecordError, text: str, shown: Path = SHOWN) -> None:
    """Every problem names the file, a line and column inside it, and says something on one line."""
    lines = len(LINE_BREAKS.split(text)) + 1
    assert error.problems
    for problem in error.problems:
        assert problem.path == shown
        assert 1 <= problem.line <= lines, problem
        assert problem.column >= 1, problem
        assert problem.message.strip(), problem
        assert len(LINE_BREAKS.split(problem.message)) == 1, problem
        assert len(problem.message) <= MAX_MESSAGE, problem


def parsed(text: str) -> Record | RecordError:
    """The record in ``text``, or the located problems; any other exception fails the test."""
    try:
        record, locations = parse_record(text, SHOWN, today=TODAY)
    except RecordError as error:
        assert_located(error, text)
        return error
    assert all(line >= 1 and column >= 1 for line, column in locations.values())
    return record


# --- hostile YAML --------------------------------------------------------------------------------


def _models(model: type[BaseModel]) -> Iterator[type[BaseModel]]:
    yield model
    for field in model.model_fields.values():
        yield from _inner_models(field.annotation)


def _inner_models(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield from _models(annotation)
    elif isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for argument in typing.get_args(annotation):
            yield from _inner_models(argument)


# Every field name at every level, so generated mappings reach the rules behind the keys.
FIELD_NAMES = sorted({name for model in _models(Record) for name in model.model_fields})

VALID_LOOKING: list[Any] = [
    "Acme Bakery",
    "Jane Doe",
    "jane@acme.example",
    "active",
    "prospect",
    "paused",
    "in_progress",
    "delivered",
    "approved",
    "planned",
    "cancelled",
    "waiting_on_client",
    "meeting",
    "high",
    "accepted",
    "link",
    "password",
    "unlisted",
    "ACME_PORTAL_PASSWORD",
    "en",
    "zh-CN",
    "Europe/Berlin",
    "#b5651d",
    "https://files.example/brand.zip",
    "logos/acme.svg",
    "brand-refresh",
    "2026-12-01",
    "2026-11-20",
    "2026-12-05T15:00+01:00",
    "2026-02-30",
    "**Markdown** with [a link](https://example.com)",
    1,
    60,
    100,
    True,
    False,
]

HOSTILE_TEXT: list[str] = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x07\x1b[31m",
    "\x85",
    "\u2028\u2029",
    "\ufeff",
    "\u202eevil",
    "../../etc/passwd",
    "logos/a\x00.svg",
    "C:\\logo.png",
    "javascript:alert(1)",
    "http://",
    "https://",
    "https://[::1",
    "mailto:x@y.example?bcc=z@w.example",
    "<script>alert(1)</script>",
    "{{ config }}",
    "0x_",
    "._",
    "~",
    "null",
    "yes",
    "9999-99-99",
    "2026-11-23T25:61",
    "en.UTF-8",
    "Etc/../../x",
    "-" * 300,
    "🎉" * 100,
]

# Values at and just past the limits; `timezone: <20,000 characters>` once crashed `check`.
HUGE_TEXT = st.builds(
    lambda character, size: character * size,
    st.sampled_from(["a", "é", "字", "[", "\x00", " ", "\n", "a b "]),
    st.sampled_from([65, 301, 2_001, 20_000, 20_001, 30_000]),
)

SCALARS = st.one_of(
    st.sampled_from(VALID_LOOKING),
    st.sampled_from(HOSTILE_TEXT),
    st.text(max_size=40),
    HUGE_TEXT,
    st.dates(),
    st.datetimes(timezones=st.none() | st.just(UTC) | st.just(timezone(timedelta(hours=-9, minutes=-30)))),
    st.booleans(),
    st.none(),
    st.integers(),
    st.sampled_from([-1, 0, 101, 2**31, 2**63, -(2**63) - 1, 10**100]),
    st.floats(),
    st.binary(max_size=16),
    st.builds(lambda size: list(range(size)), st.sampled_from([100, 5_000])),
)
KEYS = st.one_of(
    # mostly real field names, so values reach the rules behind them
    st.sampled_from(FIELD_NAMES),
    st.sampled_from(FIELD_NAMES),
    st.sampled_from(FIELD_NAMES),
    st.text(max_size=20),
    st.sampled_from(["<<", "Name", "titel", "a" * 200, "", " name"]),
    st.integers(),
    st.booleans(),
    st.none(),
    st.dates(),
)
JUNK = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=5),
    max_leaves=12,
)

# Pieces that YAML reads as syntax, and characters that are no YAML at all.
YAML_NOISE = [
    *":-[]{}#&*!|>'\"%@`,? \t\n\r",
    "\x00",
    "\x85",
    "\u2028",
    "\ufeff",
    "\x7f",
    "é",
    "字",
    "&a ",
    "*a",
    "<<: *a\n",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "%TAG ! tag:x,2000:\n",
    "!!binary ",
    "!!python/object:os.system ",
    "!x ",
    "? ",
    "- ",
    ": ",
    "0x_",
    "._",
    "\\x",
    '"\\u',
    "[" * 100,
    "- " * 100,
    "0x" + "f" * 4_000,
    "1" + ":59" * 3_000,
    "&b [*a, *a, *a, *a]\n",
]


# Values as written in a file, which no dumped document holds: numbers YAML cannot convert,
# tags, anchors, nesting deep enough to exhaust a recursive parser, broken quoting.
RAW_VALUES = [
    "0x_",
    "-0b_",
    "0x" + "f" * 4_000,
    "1" + ":59" * 3_000,
    "1" * 5_000,
    "._",
    ".nan",
    "-.inf",
    "~",
    "yes",
    "2026-02-30",
    "2026-11-23 25:00:00",
    "!!binary aGVsbG8=",
    "!!int x",
    "!!timestamp 2026-11-23",
    "!!python/object/apply:os.system [ls]",
    "!custom x",
    "&anchor x",
    "*nowhere",
    "[" * 60 + "]" * 60,
    "[" * 30_000 + "]" * 30_000,
    "{a: " * 60 + "x" + "}" * 60,
    "- " * 60 + "x",
    "|\n  block\n    more",
    ">-\n folded",
    "'unterminated",
    '"\\x00 \\u0085 \\u2028"',
    '"\\ud800"',
    '"\\U0010ffff"',
    "[a, [b, {c: d}]]",
    "{<<: *a}",
    "? [a]\n: b",
]
KEY_VALUE = re.compile(r"^(\s*(?:- )?[^\s:#][^:#]*:)[ \t]+\S.*$", re.MULTILINE)


def alias_chain(levels: int) -> str:
    """Anchors that each hold the one before: shallow text, deep values."""
    lines = ["name: Acme", "a0: &a0 [x]"]
    lines += [f"a{n}: &a{n} [*a{n - 1}]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


@st.composite
def mutated(draw: st.DrawFn, texts: st.SearchStrategy[str]) -> str:
    """A YAML text with characters inserted, deleted and replaced, lines duplicated and indentation broken."""
    text = draw(texts)
    for _ in range(draw(st.integers(1, 4))):
        lines = text.split("\n")
        row = draw(st.integers(0, len(lines) - 1))
        operations = ["insert", "delete", "replace", "duplicate", "indent", "dedent", "tab", "value", "value"]
        operation = draw(st.sampled_from(operations))
        if operation == "value":
            fields = list(KEY_VALUE.finditer(text))
            if fields:
                field = draw(st.sampled_from(fields))
                text = text[: field.start()] + f"{field[1]} {draw(st.sampled_from(RAW_VALUES))}" + text[field.end() :]
            continue
        if operation in ("insert", "delete", "replace"):
            at = draw(st.integers(0, len(text)))
            noise = draw(st.sampled_from(YAML_NOISE) | st.text(min_size=1, max_size=3))
            span = draw(st.integers(1, 8)) if operation != "insert" else 0
            text = text[:at] + ("" if operation == "delete" else noise) + text[at + span :]
            continue
        if operation == "duplicate":
            lines.insert(row, lines[row])
        elif operation == "indent":
            lines[row] = " " * draw(st.integers(1, 5)) + lines[row]
        elif operation == "dedent":
            lines[row] = lines[row][draw(st.integers(1, 4)) :]
        else:
            lines[row] = "\t" + lines[row].lstrip(" ")
        text = "\n".join(lines)
    return text


# --- valid records -------------------------------------------------------------------------------

# A nonsense word in every free text: the audit looks for a record's texts in every page, and
# a title that happens to be "Get in touch" would be found, rightly, on the landing page.
DISTINCT = st.from_regex(r"Zx[a-z]{5,8}", fullmatch=True)

PLAIN_PIECES = [
    "Café & Bäckerei",
    'O\'Brien "quoted"',
    "<b>bold</b> <i>text</i>",
    "</script><script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "{{ config.extra }} {% raw %}",
    "🍰🎉 👩‍👩‍👧",
    "مخبز الحي",
    "שלום עולם",
    "春节礼盒包装",
    "こんにちは世界",
    "\u202eevil\u202c",
    "zero\u200bwidth soft\u00adhyphen",
    "&amp; &lt;tag&gt; &#x41;",
    "50% off — “quotes” ‘single’",
    "tab\tseparated",
    "a\\b\\\\c",
]
MARKDOWN_PIECES = [
    *PLAIN_PIECES,
    "**bold** _italic_ `code` ~~strike~~",
    "[a link](https://files.example/a?b=1&c=2#frag)",
    "[mail me](mailto:jane@client.example?bcc=spy@evil.example&subject=Hi)",
    "<mailto:jane@client.example?cc=spy@evil.example>",
    '<a href="javascript:alert(1)">click</a>',
    "[js](javascript:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=)",
    "![tracker](https://evil.example/pixel.gif)",
    "<https://auto.example/link>",
    "<iframe src=https://evil.example></iframe>",
    "<!-- a comment -->",
    "> a quote\n> continued",
    "- one\n- two\n  - nested",
    "1. first\n2. second",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "```\ncode <b>block</b>\n```",
    "    indented code",
    "# Heading\n\n## Sub",
    "[ref]\n\n[ref]: https://ref.example",
    "line  \nbreak",
    "***",
    "\\*not italic\\*",
]
SAFE_CHARACTERS = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))


@st.composite
def plain_text(draw: st.DrawFn, max_pieces: int = 3) -> str:
    """A one-line title or name: a distinct word among odd but legal pieces."""
    pieces = [draw(DISTINCT)]
    for _ in range(draw(st.integers(0, max_pieces))):
        pieces.append(draw(st.sampled_from(PLAIN_PIECES) | st.text(SAFE_CHARACTERS, min_size=1, max_size=12)))
    draw(st.randoms(use_true_random=False)).shuffle(pieces)
    return " ".join(" ".join(pieces).split())


@st.composite
def markdown_text(draw: st.DrawFn) -> str:
    """Markdown paragraphs of odd but legal pieces, each with a distinct word."""
    paragraphs = []
    for _ in range(draw(st.integers(1, 3))):
        piece = draw(st.sampled_from(MARKDOWN_PIECES) | st.text(SAFE_CHARACTERS, min_size=1, max_size=30))
        paragraphs.append(f"{draw(DISTINCT)} {piece}")
    return "\n\n".join(paragraphs)


def days(low: int, high: int) -> st.SearchStrategy[str]:
    """An ISO date between ``low`` and ``high`` days from the build date."""
    return st.integers(low, high).map(lambda n: (TODAY + timedelta(days=n)).isoformat())


@st.composite
def moment(draw: st.DrawFn) -> str:
    """A schedule date: a day, or a time with or without an offset."""
    day = draw(days(-60, 120))
    if draw(st.booleans()):
        return day
    time = f"{draw(st.integers(0, 23)):02d}:{draw(st.sampled_from([0, 15, 30, 45])):02d}"
    offset = draw(st.sampled_from(["", "Z", "+01:00", "-09:30", "+05:45"]))
    return f"{day}T{time}{offset}"


@st.composite
def deliverable(draw: st.DrawFn) -> dict[str, Any]:
    """A deliverable whose dates agree with its status and the build date."""
    status = draw(
        st.sampled_from(
            ["planned", "in_progress", "in_review", "waiting_on_client", "delivered", "approved", "cancelled"]
        )
    )
    item: dict[str, Any] = {"title": draw(plain_text()), "status": status}
    if draw(st.booleans()):
        item["id"] = f"{draw(DISTINCT).lower()}-{draw(st.integers(1, 99))}"
    if status not in ("planned", "cancelled") or draw(st.booleans()):
        item["due"] = draw(days(-90, 180))
    if status in ("delivered", "approved"):
        item["delivered"] = draw(days(-120, 0))
    if draw(st.booleans()):
        item["progress"] = draw(st.integers(0, 100))
    if draw(st.booleans()):
        item["link"] = f"https://files.example/{draw(DISTINCT).lower()}.zip?v=1&x=<y>"
    if draw(st.booleans()):
        item["notes"] = draw(markdown_text())
    return item


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


LOGO = "logos/client.svg"
LOGO_SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 2 2"><circle cx="1" cy="1" r="1"/></svg>'


def add_logo(clients: Path) -> None:
    (clients / "logos").mkdir()
    (clients / LOGO).write_text(LOGO_SVG, encoding="utf-8")


PASSWORD_ENV = "FUZZ_PORTAL_PASSWORD"
PASSWORDS = {
    PASSWORD_ENV: "a shared password, long enough",
    **{f"FUZZ_PERSON_{n}": f"personal password {n}" for n in range(3)},
}


@st.composite
def valid_record(draw: st.DrawFn) -> dict[str, Any]:
    """A record the loader must accept, with every part filled in some of the time."""
    mode = draw(st.sampled_from(["link", "password", "unlisted"]))
    contacts = []
    for number in range(draw(st.integers(0 if mode == "unlisted" else 1, 3))):
        contact: dict[str, Any] = {"name": draw(plain_text(1))}
        if draw(st.booleans()):
            contact["email"] = f"{draw(DISTINCT).lower()}.{number}@client.example"
        else:
            contact["name"] += f" {number}"  # without an e-mail the name tells people apart
        if draw(st.booleans()):
            contact["key_version"] = draw(st.integers(1, 5))
        contacts.append(contact)
    access: dict[str, Any] = {"mode": mode, "version": draw(st.integers(1, 3))}
    if mode == "password":
        personal = draw(st.booleans())
        for number, contact in enumerate(contacts):
            if personal or draw(st.booleans()):
                contact["password_env"] = f"FUZZ_PERSON_{number}"
        if not personal or draw(st.booleans()):
            access["password_env"] = PASSWORD_ENV
    fields = {
        "name": draw(plain_text(2)),
        "stage": draw(optional(st.sampled_from(["prospect", "active", "paused", "past"]))),
        "public_name": draw(optional(st.booleans())),
        "language": draw(optional(st.sampled_from(["en", "zh-CN", "de", "fr", "es", "ja", "pt-BR"]))),
        "timezone": draw(optional(st.sampled_from(["UTC", "Europe/Berlin", "Asia/Kathmandu", "Pacific/Chatham"]))),
        "contacts": contacts,
        "access": access,
        "brand": draw(
            optional(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "accent": st.from_regex(r"#[0-9a-fA-F]{6}", fullmatch=True),
                        "logo": st.just(LOGO),
                    },
                )
            )
        ),
        "greeting": draw(optional(markdown_text())),
        "preferences": draw(st.lists(markdown_text(), max_size=2)),
        "deliverables": draw(
            st.lists(deliverable(), max_size=4, unique_by=lambda item: item.get("id") or slug(item["title"]))
        ),
        "schedule": draw(
            st.lists(
                st.fixed_dictionaries(
                    {"date": moment(), "title": plain_text()},
                    optional={
                        "kind": st.sampled_from(["milestone", "meeting", "deadline", "time_off"]),
                        "notes": markdown_text(),
                    },
                ),
                max_size=3,
            )
        ),
        "requests": draw(
            st.lists(
                st.fixed_dictionaries({"title": plain_text()}, optional={"due": days(-30, 60), "done": st.booleans()}),
                max_size=3,
            )
        ),
        "suggestions": draw(
            st.lists(
                st.fixed_dictionaries(
                    {"title": plain_text()},
                    optional={
                        "date": days(-60, 0),
                        "impact": st.sampled_from(["low", "medium", "high"]),
                        "status": st.sampled_from(["proposed", "accepted", "declined", "done"]),
                        "body": markdown_text(),
                    },
                ),
                max_size=3,
                unique_by=lambda item: slug(item["title"]),  # an idea's id is a slug of its title
            )
        ),
        "updates": draw(st.lists(st.fixed_dictionaries({"date": days(-90, 0), "text": markdown_text()}), max_size=3)),
    }
    return {key: value for key, value in fields.items() if value is not None}


def dumped(document: Any) -> str:
    """A record as a freelancer would write it."""
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


# Characters that file systems, terminals, YAML and HTML each treat specially.
ODD_CHARACTERS = [*"\x00\x01\x1b\x7f\x85\u2028\ufeff\u202e\n\r\t/\\:#%?@&<>\"' ", "..", "../", "\x00\x00"]


@st.composite
def garbled(draw: st.DrawFn, value: Any) -> Any:
    """A text with an odd character or hostile piece put in, or another hostile value in its place."""
    if isinstance(value, str) and draw(st.integers(0, 3)):
        at = draw(st.integers(0, len(value)))
        piece = draw(st.sampled_from(ODD_CHARACTERS) | st.sampled_from(HOSTILE_TEXT) | st.sampled_from(YAML_NOISE))
        return value[:at] + piece + value[at:]
    return draw(SCALARS)


@st.composite
def corrupted(draw: st.DrawFn) -> Any:
    """A valid record with a few values garbled, replaced by junk, removed, or joined by unknown keys."""
    record = draw(valid_record())
    places: list[tuple[Any, Any]] = []  # (container, key) of every value
    texts: list[tuple[Any, Any]] = []  # the same for every text, where most rules are

    def collect(value: Any) -> None:
        children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
        for key, child in children:
            places.append((value, key))
            if isinstance(child, str):
                texts.append((value, key))
            collect(child)

    collect(record)
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["garble", "garble", "garble", "replace", "remove", "add", "wrap"]))
        parent, key = draw(st.sampled_from(texts if action == "garble" else places))
        if isinstance(parent, dict) and key not in parent:
            continue  # removed by an earlier change
        if action == "garble":
            parent[key] = draw(garbled(parent[key]))
        elif action == "replace":
            parent[key] = draw(JUNK)
        elif action == "remove" and isinstance(parent, dict):
            del parent[key]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(KEYS)] = draw(JUNK)
        elif action == "wrap":
            parent[key] = [parent[key]]
    return record


DOCUMENTS = st.one_of(corrupted(), corrupted(), st.dictionaries(KEYS, JUNK, max_size=8), JUNK)


@st.composite
def yaml_texts(draw: st.DrawFn) -> str:
    """A generated document as YAML, in block or flow style."""
    document = draw(DOCUMENTS)
    return yaml.safe_dump(
        document,
        allow_unicode=draw(st.booleans()),
        default_flow_style=draw(st.sampled_from([False, None, True])),
        sort_keys=False,
    )


RECORD_TEXTS = st.one_of(
    yaml_texts(),
    mutated(yaml_texts()),
    mutated(valid_record().map(dumped)),
    st.integers(2, 200).map(alias_chain),
)


# --- the loader ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def records(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("records")


@given(raw=st.binary(max_size=2_000) | mutated(valid_record().map(dumped)).map(lambda text: text.encode()))
def test_any_bytes_load_as_a_record_or_located_errors(records, raw):
    path = records / "fuzz.yml"
    path.write_bytes(raw)
    try:
        load_client(path, today=TODAY, shown_as=SHOWN)
    except RecordError as error:
        assert_located(error, raw.decode("utf-8", errors="replace"))


# What the fuzzer found, kept so that each stays fixed: a traceback, a crash of the whole
# process, or a message that is not one located line.
FOUND = {
    "control character": "name: Acme\ncontacts: \x00\n",
    "number YAML cannot convert": "name: 0x_\n",
    "number with a tag but no digits": "name: !!int x\n",
    "number too large for text": "name: 0x" + "f" * 4_000 + "\n",
    "nesting that overflows the C stack": "name: " + "[" * 30_000 + "]" * 30_000 + "\n",
    "nesting through aliases": alias_chain(400),
    "list in a message": "stage:\n- " + "a" * 2_000 + "\n",
    "line break in a key": 'name: x\n"a\\nb": 1\n"a\\nb": 2\n',
}


@pytest.mark.parametrize("text", FOUND.values(), ids=FOUND.keys())
def test_what_the_fuzzer_found_stays_fixed(text):
    assert isinstance(parsed(text), RecordError)


@given(text=RECORD_TEXTS)
def test_any_yaml_loads_as_a_record_or_located_errors(text):
    parsed(text)


def read_by_a_build(text: str) -> tuple[Record | None, list[tuple[int, int, str]]]:
    """What a build reads (no positions kept), or what check reads: the record, or its problems."""
    try:
        return parse_record(text, SHOWN, today=TODAY, located=False)[0], []
    except RecordError as error:
        return None, [(p.line, p.column, p.message) for p in error.problems]


def read_by_check(text: str) -> tuple[Record | None, list[tuple[int, int, str]]]:
    try:
        return parse_record(text, SHOWN, today=TODAY)[0], []
    except RecordError as error:
        return None, [(p.line, p.column, p.message) for p in error.problems]


@pytest.mark.parametrize("text", FOUND.values(), ids=FOUND.keys())
def test_a_build_reads_what_the_fuzzer_found_as_check_does(text):
    assert read_by_a_build(text) == read_by_check(text)


# A build reads a record without keeping positions, by its own code: the same values, and
# for anything else the same located problems, whatever the text.
@given(text=RECORD_TEXTS | valid_record().map(dumped) | st.integers(2, 60).map(alias_chain))
def test_a_build_reads_any_yaml_as_check_does(text):
    assert read_by_a_build(text) == read_by_check(text)


# A build keeps what each valid record's YAML was read as, and reads it from there while the
# text is the same: the same record, or for a text the kept reading no longer suits the same
# located problems, whatever the text.
@given(text=RECORD_TEXTS | valid_record().map(dumped) | st.integers(2, 60).map(alias_chain))
def test_a_build_reads_any_yaml_as_check_does_from_its_kept_reading_too(text):
    with tempfile.TemporaryDirectory() as folder:
        readings = Readings(Path(folder))

        def read_again() -> tuple[Record | None, list[tuple[int, int, str]]]:
            try:
                return parse_record(text, SHOWN, today=TODAY, located=False, readings=readings)[0], []
            except RecordError as error:
                return None, [(p.line, p.column, p.message) for p in error.problems]

        first = read_again()
        kept = readings.values(SHOWN.stem, text)
        assert kept is None or first[0] is not None  # only a valid record's reading is kept
        assert read_again() == first == read_by_check(text)


@settings(max_examples=examples(0.5))
@given(record=valid_record())
def test_valid_records_load_as_written(record):
    loaded = parsed(dumped(record))
    assert isinstance(loaded, Record), str(loaded)

    def read(text: str) -> str:  # bidi controls are all the loader leaves out
        return BIDI_CONTROLS.sub("", text)

    assert loaded.name == read(record["name"])
    assert [d.title for d in loaded.deliverables] == [read(d["title"]) for d in record["deliverables"]]
    assert [u.text for u in loaded.updates] == [read(u["text"]).strip() for u in record["updates"]]


# --- client-portal check -------------------------------------------------------------------------

CONFIG = """\
site_name: Fuzz portal
docs_dir: content
plugins:
  - client-portal:
      today: 2026-11-23
"""


@pytest.fixture(scope="module")
def portal(tmp_path_factory) -> Path:
    """A portal with one record, which each example overwrites."""
    portal = tmp_path_factory.mktemp("portal")
    (portal / "mkdocs.yml").write_text(CONFIG, encoding="utf-8")
    (portal / "content").mkdir()
    (portal / "clients").mkdir()
    add_logo(portal / "clients")
    return portal


# Found by the fuzzer: the file system refuses a NUL in a logo's path with a ValueError.
LOGO_WITH_NUL = b'name: Acme\naccess: {mode: unlisted}\nbrand: {logo: "logos/client\\0.svg"}\n'


@settings(max_examples=examples(0.5), deadline=timedelta(seconds=5))
@example(files=[LOGO_WITH_NUL])
@given(files=st.lists(RECORD_TEXTS.map(lambda text: text.encode()) | st.binary(max_size=500), min_size=1, max_size=4))
def test_check_answers_any_record_with_problem_lines_and_exit_0_or_1(portal, files):
    clients = portal / "clients"
    for old in clients.glob("*.yml"):
        old.unlink()
    for number, raw in enumerate(files):  # several per run: reading the settings costs more than a record
        (clients / f"fuzz-{number}.yml").write_bytes(raw)
    with contextlib.chdir(portal):
        result = CliRunner().invoke(main, ["check"], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    *problems, summary = result.stdout.rstrip("\n").split("\n")  # notes (the secrets a build needs) on stderr
    assert SUMMARY_LINE.fullmatch(summary), summary
    assert summary.startswith(f"{len(files)} record")
    for line in problems:
        shape = PROBLEM_LINE.fullmatch(line)
        assert shape, line
        assert shape["path"] in {f"clients/fuzz-{number}.yml" for number in range(len(files))}, line
        assert int(shape["line"]) >= 1 and int(shape["column"]) >= 1, line
    assert (result.exit_code == 1) == any(": error: " in line for line in problems)


# --- valid records build, and the build passes the audit -----------------------------------------


@pytest.fixture(scope="module")
def environment() -> Iterator[None]:
    """The site secret and the records' passwords; not CI, where a build without them must fail."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PORTAL_SECRET", SECRET)
        for name, password in PASSWORDS.items():
            env.setenv(name, password)
        env.delenv("CI", raising=False)
        yield


@settings(max_examples=examples(0.08), deadline=timedelta(seconds=60))
@given(
    records=st.lists(
        st.tuples(DISTINCT.map(lambda word: f"client-{word.lower()}"), valid_record()),
        min_size=1,
        max_size=2,
        unique_by=lambda pair: pair[0],
    )
)
def test_valid_records_build_and_pass_the_audit(environment, records):
    with tempfile.TemporaryDirectory() as folder:
        portal = Path(folder)
        shutil.copy(ROOT / "mkdocs.yml", portal)
        shutil.copytree(ROOT / "content", portal / "content")
        (portal / "clients").mkdir()
        add_logo(portal / "clients")
        for client_id, record in records:
            (portal / "clients" / f"{client_id}.yml").write_text(dumped(record), encoding="utf-8")
        build_site(portal / "mkdocs.yml", portal / "site")
        clients = load_clients(portal / "clients", today=TODAY)
        findings = audit_site(portal / "site", clients, SECRET.encode(), "p", PASSWORDS)
        assert [str(finding) for finding in findings] == []
