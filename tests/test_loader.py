"""The loader: every kind of mistake is reported at its line and column, in plain words."""

from __future__ import annotations

import time
from pathlib import Path
from textwrap import dedent

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from client_portal.records.loader import load_client, load_clients, parse_record
from client_portal.records.problems import RecordError

from .conftest import TODAY

VALID = dedent(
    """\
    name: Acme Bakery
    contacts:
      - name: Jane Doe
        email: jane@acme.example
    deliverables:
      - title: Spring menu
        status: in_progress
        due: 2026-12-01
    """
)


def problems_of(text: str, *, located: bool = True) -> list[tuple[int, int, str]]:
    with pytest.raises(RecordError) as caught:
        parse_record(text, Path("clients/x.yml"), today=TODAY, located=located)
    return [(p.line, p.column, p.message) for p in caught.value.problems]


# (case, record text, expected line, expected column, words the message must contain)
CASES = [
    ("tab indentation", "name: A\ncontacts:\n\t- name: B\n", 3, 1, ["tab", "spaces"]),
    (
        "bad indentation",
        "name: A\ncontacts:\n  - name: B\n   email: b@x.example\n",
        4,
        4,
        ["check the indentation of line 4", "'email' starts in column 4", "'name' on line 3 starts in column 5"],
    ),
    # the common mistakes, in plain words that say what to do
    (
        "items under an inline empty list",
        "name: A\ncontacts: [{name: B}]\ndeliverables: []\n#  - title: x\n  - title: Brand\n    status: planned\n",
        3,
        15,
        ["remove the `[]` at line 3", "'deliverables:'", "from line 5"],
    ),
    (
        "items under an inline empty mapping, not indented",
        "name: A\nbrand: {}\n- accent: '#fff'\n",
        2,
        8,
        ["remove the `{}` at line 2"],
    ),
    (
        "a colon in a title",
        "name: A\ndeliverables:\n  - title: Phase 2: launch\n    status: planned\n",
        3,
        19,
        ["'title' contains ': '", 'put it in quotes: title: "Phase 2: launch"'],
    ),
    ("a colon in the name", 'name: Acme: "the" bakery\n', 1, 11, ['name: "Acme: \\"the\\" bakery"']),
    (
        "an over-indented key",
        "name: A\ndeliverables:\n  - title: Launch\n      status: planned\n",
        4,
        7,
        ["check the indentation of line 4", "'title' on line 3 starts in column 5"],
    ),
    (
        "an over-indented top-level key",
        "name: A\nstage: active\n  language: en\n",
        3,
        3,
        ["check the indentation of line 3", "'stage' on line 2 starts in column 1"],
    ),
    (
        "a missing '- ' before a list item",
        VALID + "    title: Summer menu\n    status: planned\n",
        9,
        5,
        ["duplicate key 'title'", "if line 9 starts a new item, put '- ' before 'title'"],
    ),
    (
        "an unquoted colour",
        "name: A\ncontacts: [{name: B}]\nbrand:\n  accent: #1f5c4a\n",
        4,
        11,
        ["reads #1f5c4a as a comment", 'quote the colour: accent: "#1f5c4a"'],
    ),
    ("unclosed quote", 'name: "Acme\ncontacts: []\n', 3, 1, ["YAML syntax", "quoted"]),
    ("unknown key with suggestion", VALID + "    notse: hi\n".replace("    ", "  ", 1), 9, 3, []),
    ("unknown top-level key", "name: A\ngreting: hi\n", 2, 1, ["unknown field 'greting'", "did you mean 'greeting'"]),
    (
        "unknown key in list item",
        VALID + "    titel: B\n",
        9,
        5,
        ["unknown field 'titel'", "deliverables[0]", "'title'"],
    ),
    ("unknown key, wrong case", "name: A\nName: B\n", 2, 1, ["unknown field 'Name'", "'name'"]),
    ("duplicate key", "name: A\nstage: active\nname: B\n", 3, 1, ["duplicate key 'name'", "line 1"]),
    ("duplicate nested key", VALID + "    due: 2026-12-02\n", 9, 5, ["duplicate key 'due'", "line 8"]),
    ("text expected, got list", "name: [a, b]\n", 1, 7, ["name", "valid string"]),
    ("text expected, got yes", "name: A\ngreeting: yes\n", 2, 11, ["true", "quotes"]),
    ("list expected", "name: A\npreferences: short\n", 2, 14, ["preferences", "expected a list"]),
    ("mapping expected", "name: A\naccess: link\n", 2, 9, ["access", "expected a mapping"]),
    ("invalid date", VALID.replace("2026-12-01", "2026-11-31"), 8, 10, ["'2026-11-31'", "not a real date", "day"]),
    ("date in wrong format", VALID.replace("2026-12-01", "01/12/2026"), 8, 10, ["expected a date like"]),
    (
        "invalid datetime",
        "name: A\nschedule:\n  - date: 2026-12-05T25:00\n    title: Call\n",
        3,
        11,
        ["not a real date"],
    ),
    ("enum value", VALID.replace("in_progress", "doing"), 7, 13, ["'doing'", "in_progress", "waiting_on_client"]),
    ("stage enum", "name: A\nstage: live\n", 2, 8, ["stage", "'prospect'", "'past'"]),
    ("progress out of range", VALID + "    progress: 120\n", 9, 15, ["progress", "100", "120"]),
    ("progress not a number", VALID + "    progress: lots\n", 9, 15, ["progress", "integer"]),
    ("missing name", "stage: active\n", 1, 1, ["missing required field 'name'"]),
    ("missing title in item", VALID + "  - status: planned\n", 9, 5, ["deliverables[1]", "'title'"]),
    ("due missing", VALID.replace("    due: 2026-12-01\n", ""), 6, 5, ["deliverables[0].due", "in_progress"]),
    (
        "delivered missing",
        VALID.replace("in_progress", "delivered"),
        6,
        5,
        ["deliverables[0].delivered", "required", "delivered"],
    ),
    (
        "delivered in the future",
        VALID.replace("in_progress", "delivered") + "    delivered: 2026-11-30\n",
        9,
        16,
        ["2026-11-30", "future"],
    ),
    (
        "duplicate deliverable id",
        VALID + "  - title: Spring  Menu!\n    status: planned\n",
        9,
        5,
        ["'spring-menu'", "already used", "#1"],
    ),
    ("password_env missing", "name: A\ncontacts: [{name: B}]\naccess:\n  mode: password\n", 4, 3, ["password_env"]),
    (
        "password_env bad name",
        "name: A\ncontacts: [{name: B}]\naccess:\n  mode: password\n  password_env: my pass\n",
        5,
        17,
        ["environment variable"],
    ),
    ("no contacts for link", "name: A\n", 1, 1, ["contacts", "at least one"]),
    ("javascript link", VALID + "    link: javascript:alert(1)\n", 9, 11, ["http(s)"]),
    ("bad colour", "name: A\ncontacts: [{name: B}]\nbrand:\n  accent: orange\n", 4, 11, ["hex colour"]),
    (
        "script logo",
        "name: A\ncontacts: [{name: B}]\nbrand:\n  logo: javascript:alert(1)\n",
        4,
        9,
        ["https link or a path"],
    ),
    (
        "logo outside",
        "name: A\ncontacts: [{name: B}]\nbrand:\n  logo: ../../etc/x.png\n",
        4,
        9,
        ["path next to the records"],
    ),
    ("logo not an image", "name: A\ncontacts: [{name: B}]\nbrand:\n  logo: logos/notes.txt\n", 4, 9, ["not an image"]),
    (
        "same contact twice",
        "name: A\ncontacts:\n  - {name: Jo, email: jo@x.example}\n  - {name: Jo B, email: JO@x.example}\n",
        4,
        5,
        ["contacts[1]", "same person as contact #1"],
    ),
    ("bad zone", "name: A\ncontacts: [{name: B}]\ntimezone: Berlin\n", 3, 11, ["'Berlin'", "IANA"]),
    ("bad language", "name: A\ncontacts: [{name: B}]\nlanguage: klingon\n", 3, 11, ["'klingon'", "language tag"]),
    ("bad email", "name: A\ncontacts:\n  - name: B\n    email: b at x\n", 4, 12, ["e-mail"]),
    ("key_version zero", "name: A\ncontacts:\n  - name: B\n    key_version: 0\n", 4, 18, ["key_version", "greater"]),
    ("empty file", "", 1, 1, ["empty"]),
    ("only a comment", "# nothing yet\n", 1, 1, ["empty"]),
    ("top level is a list", "- name: A\n", 1, 1, ["top level", "list"]),
    ("top level is a value", "just text\n", 1, 1, ["top level", "single value"]),
    ("non-text key", "name: A\n1: x\n", 2, 1, ["key '1'", "field name"]),
    ("merge key", "base: &b {name: A}\n<<: *b\n", 2, 1, ["merge keys"]),
    ("recursive alias", "name: A\npreferences: &p [*p]\n", 2, 14, ["alias", "contains it"]),
    ("unsupported tag", "name: !!binary aGVsbG8=\n", 1, 7, ["unsupported YAML tag"]),
    ("foreign tag named like text", "name: !<tag:example.com,2000:str> A\n", 1, 7, ["unsupported YAML tag"]),
    # Limits: every text has one, and going over it is a located error, not a slow build.
    ("name too long", f"name: {'n' * 301}\n", 1, 7, ["name: is 301 characters; keep it within 300"]),
    (
        "notes too long",
        VALID + f"    notes: '{'[](' * 40_000}'\n",
        9,
        12,
        ["deliverables[0].notes: is 120,000 characters; keep it within 20,000"],
    ),
    (
        "update too long",
        "name: A\ncontacts: [{name: B}]\nupdates:\n  - date: 2026-11-01\n    text: " + "u" * 20_001 + "\n",
        5,
        11,
        ["updates[0].text: is 20,001 characters"],
    ),
    (
        "preference too long",
        "name: A\ncontacts: [{name: B}]\npreferences:\n  - " + "p" * 20_001 + "\n",
        4,
        5,
        ["preferences[0]: is 20,001 characters"],
    ),
    (
        "email too long",
        f"name: A\ncontacts:\n  - name: B\n    email: {'e' * 250}@x.example\n",
        4,
        12,
        ["contacts[0].email: is 260 characters; keep it within 254"],
    ),
    (
        "link too long",
        VALID + f"    link: https://x.example/{'l' * 2000}\n",
        9,
        11,
        ["deliverables[0].link: is 2,018 characters; keep it within 2,000"],
    ),
    (
        "too many contacts",
        "name: A\ncontacts:\n" + "".join(f"  - name: P{i}\n" for i in range(201)),
        3,
        3,
        ["contacts: has 201 entries; keep it to 200 at most"],
    ),
    (
        "http logo",
        "name: A\ncontacts: [{name: B}]\nbrand:\n  logo: http://acme.example/logo.svg\n",
        4,
        9,
        ["https only", "keep the file next to the records"],
    ),
    ("huge zone", f"name: A\ncontacts: [{{name: B}}]\ntimezone: {'a' * 20_000}\n", 3, 11, ["timezone: is 20,000"]),
    ("zone too long for a file", f"name: A\ncontacts: [{{name: B}}]\ntimezone: {'a' * 64}\n", 3, 11, ["IANA"]),
    ("zone with NUL", 'name: A\ncontacts: [{name: B}]\ntimezone: "UTC\\0"\n', 3, 11, ["'UTC\\x00'", "IANA"]),
    ("zone as a path", "name: A\ncontacts: [{name: B}]\ntimezone: ../../etc/passwd\n", 3, 11, ["IANA"]),
    ("zone as a directory", "name: A\ncontacts: [{name: B}]\ntimezone: Europe\n", 3, 11, ["'Europe'", "IANA"]),
    ("zone data file", "name: A\ncontacts: [{name: B}]\ntimezone: zone1970.tab\n", 3, 11, ["IANA"]),
    ("long language", f"name: A\ncontacts: [{{name: B}}]\nlanguage: {'en-' * 30}x\n", 3, 11, ["language: is 91"]),
    ("language as a path", "name: A\ncontacts: [{name: B}]\nlanguage: ../en\n", 3, 11, ["language tag"]),
    ("language with NUL", 'name: A\ncontacts: [{name: B}]\nlanguage: "en\\0"\n', 3, 11, ["language tag"]),
    ("POSIX locale name", "name: A\ncontacts: [{name: B}]\nlanguage: en_US.UTF-8\n", 3, 11, ["language tag"]),
    ("private-use language", "name: A\ncontacts: [{name: B}]\nlanguage: x-klingon\n", 3, 11, ["language tag"]),
]


@pytest.mark.parametrize(("case", "text", "line", "column", "words"), CASES, ids=[c[0] for c in CASES])
def test_each_mistake_is_located_and_explained(case, text, line, column, words):
    found = problems_of(text)
    located = [message for (at_line, at_column, message) in found if (at_line, at_column) == (line, column)]
    assert located, f"no problem at {line}:{column}; got {found}"
    message = " | ".join(located)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


@pytest.mark.parametrize(("case", "text", "line", "column", "words"), CASES, ids=[c[0] for c in CASES])
def test_a_build_reading_without_positions_reports_the_same_located_problems(case, text, line, column, words):
    with pytest.raises(RecordError) as caught:
        parse_record(text, Path("clients/x.yml"), today=TODAY, located=False)
    assert [(p.line, p.column, p.message) for p in caught.value.problems] == problems_of(text)


def test_a_build_reading_without_positions_gives_the_same_record_and_no_positions():
    text = VALID + "    notes: |\n      Two lines\n      of notes\nbrand: {accent: '#1f5c4a'}\n"
    record, positions = parse_record(text, Path("x.yml"), today=TODAY)
    unlocated, none = parse_record(text, Path("x.yml"), today=TODAY, located=False)
    assert unlocated == record and positions[("deliverables", 0, "notes")] == (9, 12) and none == {}


def nested(levels: int, flow: bool) -> str:
    """A record whose ``deep`` field holds lists ``levels`` deep, in brackets or in indented lines."""
    if flow:
        return "name: A\ncontacts: [{name: B}]\ndeep: " + "[" * levels + "x" + "]" * levels + "\n"
    return (
        "name: A\ncontacts: [{name: B}]\ndeep:\n"
        + "".join("  " * n + "-\n" for n in range(levels - 1))
        + "  " * (levels - 1)
        + "- x\n"
    )


@pytest.mark.parametrize("flow", [True, False], ids=["brackets", "lines"])
@pytest.mark.parametrize("pure_python", [False, True], ids=["libyaml", "pure Python"])
@pytest.mark.parametrize("located", [True, False], ids=["located", "unlocated"])
def test_nesting_too_deep_is_refused_where_it_starts_with_either_parser(monkeypatch, flow, pure_python, located):
    import yaml

    from client_portal.records import loader

    if pure_python:  # no libyaml, or one without its own depth limit: the events are looked at first
        monkeypatch.setattr(loader, "_Loader", yaml.SafeLoader)
        monkeypatch.setattr(loader, "_NESTING_BOUNDED", loader._bounded_nesting())
        assert not loader._NESTING_BOUNDED
    # the record's mapping holds `deep`: its 49 lists make 50 levels, which is only an unknown field
    with pytest.raises(RecordError) as caught:
        parse_record(nested(49, flow), Path("x.yml"), today=TODAY, located=located)
    assert [p.message for p in caught.value.problems] == [loader._unknown_key_message(("deep",))]
    with pytest.raises(RecordError) as caught:
        parse_record(nested(50, flow), Path("x.yml"), today=TODAY, located=located)
    [problem] = caught.value.problems
    where = (3, 7 + 49) if flow else (3 + 50, 2 * 49 + 1)  # the 50th list, at its bracket or its dash
    assert ((problem.line, problem.column), problem.message) == (where, loader._TOO_DEEP)


@pytest.mark.parametrize("levels", [1_001, 30_000])
def test_nesting_beyond_the_parsers_own_limit_gets_the_same_message(levels):
    from client_portal.records.loader import _TOO_DEEP

    [(_, _, message)] = problems_of(nested(levels, flow=True))
    assert message == _TOO_DEEP


def test_huge_values_are_shortened_in_messages():
    [(_, _, message)] = problems_of(f"name: A\ncontacts: [{{name: B}}]\nstage: {'s' * 5000}\n")
    assert len(message) < 300 and "(5,000 characters)" in message


def test_unknown_nested_key_suggests_nearest():
    [(line, column, message)] = problems_of(VALID + "    notse: hi\n")
    assert (line, column) == (9, 5)
    assert message == "unknown field 'notse' in deliverables[0]; did you mean 'notes'?"


def test_every_problem_in_a_file_is_reported():
    text = dedent(
        """\
        name: Acme
        stage: live
        titel: x
        contacts:
          - name: Jane
            key_version: 0
        deliverables:
          - title: A
            status: delivered
            due: 2026-11-31
          - title: B
            progress: 101
        name: again
        """
    )
    lines = sorted(line for line, _, _ in problems_of(text))
    assert lines == [2, 3, 6, 10, 12, 13]


def test_valid_record_loads_with_defaults_and_positions(tmp_path):
    path = tmp_path / "acme-bakery.yml"
    path.write_text(VALID, encoding="utf-8")
    client = load_client(path, today=TODAY)
    assert client.id == "acme-bakery"
    record = client.record
    assert (record.stage, record.access.mode, record.access.version) == ("active", "link", 1)
    assert record.deliverables[0].id == "spring-menu"
    assert str(record.deliverables[0].due) == "2026-12-01"
    assert client.locate("deliverables", 0, "due") == (8, 10)
    assert client.locate("deliverables", 0, "notes") == (6, 5)


def test_quoted_numbers_and_dates_as_text_are_accepted():
    record, _ = parse_record('name: 1984\ncontacts: [{name: "2026-01-01"}]\n', Path("x.yml"), today=TODAY)
    assert record.name == "1984"
    assert record.contacts[0].name == "2026-01-01"


def test_schedule_dates_and_datetimes_keep_their_kind():
    text = (
        "name: A\ncontacts: [{name: B}]\nschedule:\n"
        "  - {date: 2026-12-05, title: X}\n  - {date: '2026-12-05T15:00+01:00', title: Y}\n"
    )
    record, _ = parse_record(text, Path("x.yml"), today=TODAY)
    assert type(record.schedule[0].date).__name__ == "date"
    assert record.schedule[1].date.utcoffset().total_seconds() == 3600


def test_non_utf8_bytes_point_at_the_byte(tmp_path):
    path = tmp_path / "acme.yml"
    path.write_bytes(b"name: Acme\ngreeting: caf\xe9\n")
    with pytest.raises(RecordError) as caught:
        load_client(path, today=TODAY)
    [problem] = caught.value.problems
    assert (problem.line, problem.column) == (2, 14)
    assert "UTF-8" in problem.message and "0xe9" in problem.message


def test_utf8_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "acme.yml"
    path.write_bytes(b"\xef\xbb\xbf" + VALID.encode())
    assert load_client(path, today=TODAY).record.name == "Acme Bakery"


@pytest.mark.parametrize("located", [True, False], ids=["check", "build"])
def test_alias_bomb_fails_fast(located):
    levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n in range(1, 10):
        prev, cur = chr(ord("a") + n - 1), chr(ord("a") + n)
        levels.append(f"{cur}: &{cur} [{', '.join(['*' + prev] * 9)}]")
    text = "name: A\nbomb:\n" + "\n".join("  " + level for level in levels) + "\n"
    started = time.process_time()
    found = problems_of(text, located=located)
    assert time.process_time() - started < 5, "the alias bomb was expanded"
    assert any("aliases expand" in message for _, _, message in found)


@pytest.mark.parametrize("located", [True, False], ids=["check", "build"])
def test_modest_alias_reuse_is_fine(located):
    text = (
        "name: A\ncontacts:\n  - &jane {name: Jane}\n"
        "updates:\n  - {date: 2026-11-20, text: &t Hello}\n  - {date: 2026-11-21, text: *t}\n"
    )
    record, _ = parse_record(text, Path("x.yml"), today=TODAY, located=located)
    assert [u.text for u in record.updates] == ["Hello", "Hello"]


def test_file_name_must_be_a_client_id(tmp_path):
    path = tmp_path / "Acme Bakery.yml"
    path.write_text(VALID, encoding="utf-8")
    with pytest.raises(RecordError) as caught:
        load_client(path, today=TODAY)
    assert "file name 'Acme Bakery'" in caught.value.problems[0].message


def test_load_clients_collects_problems_of_every_file(tmp_path):
    (tmp_path / "good.yml").write_text(VALID, encoding="utf-8")
    (tmp_path / "bad.yml").write_text("name: A\nstage: x\n", encoding="utf-8")
    (tmp_path / "worse.yml").write_text("", encoding="utf-8")
    (tmp_path / "other.yaml").write_text(VALID, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a record", encoding="utf-8")
    with pytest.raises(RecordError) as caught:
        load_clients(tmp_path, today=TODAY, relative_to=tmp_path)
    assert sorted({str(p.path) for p in caught.value.problems}) == ["bad.yml", "other.yaml", "worse.yml"]


@pytest.mark.parametrize(
    "text",
    [
        "name: Acme\nnotes: " + "see: this " * 500 + "\n",  # ': ' inside a long value
        "name: Acme\n" + "k" * 3000 + ": a: b\n",  # ... after a long key
        "name: Acme\nbrand:\n  " + "k" * 3000 + ": x\n y: z\n",  # a long key out of line
    ],
)
def test_a_hint_never_quotes_a_long_value_or_key_whole(text):
    with pytest.raises(RecordError) as error:
        parse_record(text, Path("clients/x.yml"), today=None)
    for problem in error.value.problems:
        assert len(problem.message) <= 1_000, problem.message[:200]


def test_items_named_alike_are_told_apart_by_their_ids():
    text = VALID + "  - title: Spring menu\n    status: planned\n"
    text += "suggestions:\n  - title: A newsletter\n  - title: A newsletter!\n"
    text += "invoices:\n" + "  - {number: INV-1, date: 2026-11-01, amount: 1, currency: EUR}\n" * 2
    with pytest.raises(RecordError) as error:
        parse_record(text, Path("acme.yml"), today=None)
    messages = [problem.message for problem in error.value.problems]
    assert messages == [
        "deliverables[1].id: deliverable id 'spring-menu' is already used by deliverable #1; "
        "give each deliverable its own 'id'",
        "suggestions[1].id: idea id 'a-newsletter' is already used by suggestion #1; give each suggestion its own 'id'",
        "invoices[1].number: invoice number 'INV-1' is already used by invoice #1",
    ]


# Plain scalars each implicit resolver looks at, and words around them.
_PLAIN = st.sampled_from(
    [
        "yes",
        "No",
        "on",
        "OFF",
        "true",
        "False",
        "~",
        "null",
        "Null",
        "",
        "0x1f",
        "0o17",
        "017",
        "1_000",
        "-12",
        "+3",
        ".inf",
        "-.Inf",
        ".nan",
        "1.5e3",
        "3.",
        "2026-01-01",
        "2026-1-1 10:00:00",
        "2026-01-01T10:00:00Z",
        "<<",
        "=",
        "12:30:00",
        "1:20",
        "!",
        "&",
        "*",
        "Acme",
        "y",
        "n",
    ]
)
_SCALAR = st.one_of(_PLAIN, st.text(min_size=1, max_size=12), st.integers().map(str), st.floats().map(str))


def _tags(node):
    import yaml

    if isinstance(node, yaml.ScalarNode):
        return [(node.tag, node.value)]
    if isinstance(node, yaml.SequenceNode):
        return [node.tag, *(tag for item in node.value for tag in _tags(item))]
    return [node.tag, *(tag for key, value in node.value for tag in (*_tags(key), *_tags(value)))]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(_SCALAR, _SCALAR, st.booleans()), min_size=1, max_size=6))
def test_a_record_is_composed_with_the_tags_the_safe_loader_gives(lines):
    from client_portal.records import loader

    text = "".join(
        f"k{n}{key}: [{value}, {key}]\n" if flow else f"{key}: {value}\n" for n, (key, value, flow) in enumerate(lines)
    )
    assert _composed(text, loader._RecordLoader) == _composed(text, loader._Loader)


def _composed(text, loader_class):
    """Every node's tag and value, or the error, as ``loader_class`` composes ``text``."""
    import yaml

    try:
        return _tags(yaml.compose(text, Loader=loader_class))
    except yaml.YAMLError as error:
        return str(error)
