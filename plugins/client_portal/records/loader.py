"""Read ``clients/<id>.yml`` files into validated records, every error tied to ``path:line:col``."""

from __future__ import annotations

import difflib
import hashlib
import re
import types
import typing
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import yaml
from pydantic import BaseModel, ValidationError

from client_portal import collector
from client_portal.hours.store import hours_bytes, hours_file, parse_entries
from client_portal.records.model import CLIENT_ID, MAX_MARKDOWN, Client, Record
from client_portal.records.problems import Problem, RecordError, not_utf8
from client_portal.records.readings import Readings
from client_portal.records.yaml_hints import comment_colour, new_item_hint, syntax_hint
from client_portal.values import shown as _quoted

Loc = tuple[str | int, ...]

# Anchors may be reused, but expanding them must not grow the document without
# bound (the "billion laughs"): allow this many values beyond those written out.
ALIAS_EXPANSION_LIMIT = 10_000
# A record is a few levels deep. libyaml composes nodes recursively in C, where a document
# nested some ten thousand levels deep overflows the stack and kills the process.
MAX_DEPTH = 50
# What YAML counts as a line break, so a located character gets the line YAML gives it.
LINE_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")
# Keys that read well unquoted in a message; any other key is quoted, so it cannot break the line.
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}")
# No record holds a number this large, and Python cannot turn much larger ones into text.
MAX_INTEGER_BITS = 256
# Bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) reorder the text
# after them, beyond the field they are written in: a title could make the next line of a
# letter read backwards ("Trojan Source"). Record text has no need of them, so they are
# removed; the marks LRM, RLM and ALM reorder nothing beyond their own character and stay.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_scalars = yaml.constructor.SafeConstructor()
_STR, _SEQ, _MAP = (f"tag:yaml.org,2002:{kind}" for kind in ("str", "seq", "map"))


class _RecordLoader(_Loader):  # type: ignore[misc,valid-type]  # libyaml's, when there
    """The safe loader, resolving each node's tag as it does, for a sixth less time composing a record.

    The safe loader has no path resolvers, so the bookkeeping it does for them at every node
    (`descend_resolver`, `ascend_resolver`) is skipped; a plain scalar's tag comes from the
    same implicit resolvers, looked up once by first character rather than joined afresh.
    """

    _by_first: ClassVar[dict[str, tuple[tuple[str, re.Pattern[str]], ...]]] = {}

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass

    def resolve(self, kind: type[yaml.Node], value: str | None, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0]:
                assert value is not None
                for tag, pattern in self._by_first.get(value[:1], ()):
                    if pattern.match(value):
                        return tag
            return _STR
        return _SEQ if kind is yaml.SequenceNode else _MAP


_resolvers = _Loader.yaml_implicit_resolvers
_RecordLoader._by_first = {
    first: (*_resolvers[first], *_resolvers.get(None, ())) for first in _resolvers if first is not None
}

_PATTERN_HINTS = {
    "accent": 'a hex colour such as "#b5651d"',
    "email": "an e-mail address such as jane@acme.example",
    "id": "lowercase letters, digits and hyphens, such as brand-refresh",
    "password_env": "an environment variable name such as ACME_PORTAL_PASSWORD",
    "link": "an http(s) link",
    "logo": "an http(s) link",
    "currency": "an ISO 4217 currency code in capitals, such as EUR",
}


class _ReadAgain(Exception):
    """An unlocated reading found a problem: the record is read again, to say where."""


class _Refusal(Exception):
    """The document cannot be converted at all (alias bomb, recursive alias)."""

    def __init__(self, node: yaml.Node, message: str) -> None:
        self.node = node
        self.message = message


class _Converter:
    """Turns a YAML node tree into plain Python values, remembering each value's position."""

    def __init__(self, text: str = "") -> None:
        self.text = text  # for hints that quote the file's own lines
        self.empty: list[Loc] = []  # keys written with no value (`accent: #1f5c4a` reads as one)
        self.values: dict[Loc, tuple[int, int]] = {}
        self.keys: dict[Loc, tuple[int, int]] = {}
        self.problems: list[tuple[tuple[int, int], str]] = []
        self.seen: set[int] = set()
        self.expanded = 0
        self.open: set[int] = set()

    def convert(self, node: yaml.Node, loc: Loc) -> Any:
        # the list or mapping one level too deep, where it starts (aliases can nest deeper than the text does)
        if len(loc) >= MAX_DEPTH and (len(loc) > MAX_DEPTH or not isinstance(node, yaml.ScalarNode)):
            raise _Refusal(node, _TOO_DEEP)
        if id(node) in self.seen:  # reached again through an alias
            self.expanded += 1
            if self.expanded > ALIAS_EXPANSION_LIMIT:
                raise _Refusal(
                    node, "anchors and aliases expand to far more values than the file holds; write them out"
                )
        else:
            self.seen.add(id(node))
        self.values[loc] = _position(node)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, loc)
        if id(node) in self.open:
            raise _Refusal(node, "an alias refers to the list or mapping that contains it")
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.convert(item, (*loc, index)) for index, item in enumerate(node.value)]
            assert isinstance(node, yaml.MappingNode)
            return self._mapping(node, loc)
        finally:
            self.open.discard(id(node))

    def _mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            where = _position(key_node)
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == "<<":
                self.problems.append((where, "YAML merge keys ('<<') are not supported; write the fields out"))
                continue
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != "tag:yaml.org,2002:str":
                text = key_node.value if isinstance(key_node, yaml.ScalarNode) else "a list or mapping"
                self.problems.append((where, f"{_dotted(loc) or 'record'}: key {_quoted(text)} must be a field name"))
                continue
            key = key_node.value
            if key in first_seen:
                message = (
                    f"duplicate key {_quoted(key)} (first at line {first_seen[key]}); the first value would be lost"
                )
                if loc and isinstance(loc[-1], int):  # inside a list item: likely a missing '- '
                    message += new_item_hint(self.text, where[0], key)
                self.problems.append((where, message))
                continue
            first_seen[key] = where[0]
            self.keys[(*loc, key)] = where
            result[key] = self.convert(value_node, (*loc, key))
        return result

    def _scalar(self, node: yaml.ScalarNode, loc: Loc) -> Any:
        try:
            value = _scalar_value(node)
        except _Unusable as unusable:
            if unusable.number:
                message = f"{_dotted(loc)}: YAML reads {_quoted(node.value)} as a number it cannot use"
                self.problems.append((_position(node), message + "; put it in quotes if it is text"))
            else:
                self.problems.append((_position(node), f"{_dotted(loc)}: unsupported YAML tag {_quoted(node.tag)}"))
            return node.value
        if value is None and node.value == "":
            self.empty.append(loc)
        return value


_TOO_DEEP = f"lists and mappings nested more than {MAX_DEPTH} levels deep; a record needs only a few"
_TIMESTAMP, _NULL, _BOOL, _INT, _FLOAT = (
    f"tag:yaml.org,2002:{kind}" for kind in ("timestamp", "null", "bool", "int", "float")
)


class _Unusable(Exception):
    """A scalar that holds nothing a record can: a number it cannot use (``number``), or another tag."""

    def __init__(self, *, number: bool) -> None:
        self.number = number


def _scalar_value(node: yaml.ScalarNode) -> Any:
    """A scalar's value: text (a date stays text, the model parses it strictly), None, a boolean or a number."""
    tag = node.tag
    if tag in (_STR, _TIMESTAMP):
        return BIDI_CONTROLS.sub("", node.value)
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return _scalars.construct_yaml_bool(node)
    if tag not in (_INT, _FLOAT):
        raise _Unusable(number=False)
    # Some texts match YAML's number patterns but convert to none ("0x_"), and
    # Python turns no integer of more than 4,300 digits into text (``name: 0xfff…``).
    try:
        if tag == _FLOAT:
            return _scalars.construct_yaml_float(node)
        number = _scalars.construct_yaml_int(node)
        if number.bit_length() <= MAX_INTEGER_BITS:
            return number
    except ValueError:
        pass
    raise _Unusable(number=True)


def _unlocated(node: yaml.Node, depth: int, seen: set[int] | None) -> Any:
    """The values of a record as `_Converter` gives them, for a record with nothing to point at.

    No position is kept: a valid record needs none. Anything `_Converter` would report or
    refuse (and an alias, which it counts) has the record read again by it, located, so
    both give the same values and the same messages. ``seen`` is None when the text has
    no anchor (``&``), and so no alias; otherwise it holds the nodes already reached.
    """
    if seen is not None:
        if id(node) in seen:
            raise _ReadAgain
        seen.add(id(node))
    if isinstance(node, yaml.ScalarNode):  # never deeper than MAX_DEPTH: its list or mapping was not
        try:
            value = _scalar_value(node)
        except _Unusable:
            raise _ReadAgain from None
        if value is None and node.value == "":  # an empty value, which may be a misplaced comment
            raise _ReadAgain
        return value
    if depth >= MAX_DEPTH:
        raise _ReadAgain
    depth += 1
    if type(node) is yaml.SequenceNode:
        return [_unlocated(item, depth, seen) for item in node.value]
    result: dict[str, Any] = {}
    for key_node, value_node in node.value:
        if type(key_node) is not yaml.ScalarNode or key_node.tag != _STR:
            raise _ReadAgain
        key = key_node.value
        if key in result or key == "<<":
            raise _ReadAgain
        result[key] = _unlocated(value_node, depth, seen)
    return result


def _bounded_nesting() -> bool:
    """Whether the YAML parser refuses nesting deep enough to overflow the stack while composing.

    libyaml since 0.2.5 stops at a thousand levels, which its recursive composer bears;
    an older libyaml, or the pure-Python parser, does not, and has `_too_deep` look first.
    """
    if _Loader is yaml.SafeLoader:
        return False
    try:
        yaml.compose("[" * 1_001 + "]" * 1_001, Loader=_Loader)
    except yaml.YAMLError:
        return True
    return False


_NESTING_BOUNDED = _bounded_nesting()


def _position(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _dotted(loc: Loc) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(part):
            text += f".{part}" if text else part
        else:
            text += f"[{_quoted(part)}]"
    return text


def _model_at(loc: Loc) -> type[BaseModel] | None:
    model: type[BaseModel] | None = Record
    for part in loc:
        if isinstance(part, int):
            continue
        if model is None or part not in model.model_fields:
            return None
        model = _inner_model(model.model_fields[part].annotation)
    return model


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) in (typing.Union, list):
        for arg in typing.get_args(annotation):
            if found := _inner_model(arg):
                return found
    return None


def _unknown_key_message(loc: Loc) -> str:
    key = str(loc[-1])
    parent = _dotted(loc[:-1]) or "the record"
    model = _model_at(loc[:-1])
    valid = list(model.model_fields) if model else []
    by_case = [name for name in valid if name.lower() == key.lower()]
    close = by_case or (difflib.get_close_matches(key, valid, n=1, cutoff=0.6) if len(key) <= 100 else [])
    hint = f"; did you mean '{close[0]}'?" if close else (f"; valid fields: {', '.join(valid)}" if valid else "")
    return f"unknown field {_quoted(key)} in {parent}{hint}"


def _messages(error: ValidationError) -> Iterator[tuple[Loc, bool, str]]:
    """(loc, points_at_key, message) for each pydantic error, in the user's words."""
    for item in error.errors(include_url=False):
        loc: Loc = tuple(item["loc"])
        kind, ctx, value = item["type"], item.get("ctx") or {}, item.get("input")
        where = _dotted(loc)
        if kind == "record_rule":
            for field, message in ctx["violations"]:
                sub = tuple(int(p) if p.isdigit() else p for p in field.split("."))
                yield (*loc, *sub), False, f"{_dotted((*loc, *sub))}: {message}"
        elif kind == "extra_forbidden":
            yield loc, True, _unknown_key_message(loc)
        elif kind == "missing":
            yield loc[:-1], False, f"{_dotted(loc[:-1]) or 'record'}: missing required field '{loc[-1]}'"
        elif kind == "string_too_long":
            limit = ctx["max_length"]
            hint = "; link to a document for longer text" if limit >= MAX_MARKDOWN else ""
            yield loc, False, f"{where}: is {len(value):,} characters; keep it within {limit:,}{hint}"
        elif kind == "too_long":
            count, limit = ctx.get("actual_length"), ctx["max_length"]
            size = f"has {count:,} entries" if count is not None else "has too many entries"
            yield loc, False, f"{where}: {size}; keep it to {limit:,} at most"
        elif kind == "literal_error":
            yield loc, False, f"{where}: {_quoted(value)} is not allowed; use one of {ctx['expected']}"
        elif kind == "string_type" and isinstance(value, bool):
            yield loc, False, f"{where}: YAML read this as {str(value).lower()}, not text; put the value in quotes"
        elif kind == "decimal_max_places":
            yield loc, False, f"{where}: {value} has more than {ctx['decimal_places']} decimals; round it"
        elif kind == "string_pattern_mismatch":
            hint = _PATTERN_HINTS.get(str(loc[-1]), f"text matching {ctx['pattern']}")
            yield loc, False, f"{where}: {_quoted(value)} is not {hint}"
        elif kind in ("model_type", "model_attributes_type", "dict_type"):
            yield (
                loc,
                False,
                f"{where or 'record'}: expected a mapping of fields ('key: value' lines), got {_kind(value)}",
            )
        elif kind == "list_type":
            yield loc, False, f"{where}: expected a list ('- ...' lines), got {_kind(value)}"
        else:
            message = item["msg"].replace("Input should be", "should be").replace("String should", "text should")
            message = message.replace("Value error, ", "")
            shown = (
                ""
                if value is None or isinstance(value, (dict, list)) or kind.startswith("iso_")
                else f" (got {_quoted(value)})"
            )
            if kind in ("iso_date", "iso_datetime", "url", "language", "timezone", "logo", "file", "currency"):
                shown = ""
            yield loc, False, f"{where}: {message}{shown}"


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return _quoted(value)


def _decode(raw: bytes, path: Path) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RecordError([not_utf8(raw, path, "save the file as UTF-8")]) from None


def _yaml_problem(error: yaml.YAMLError, path: Path, text: str) -> Problem:
    if isinstance(error, yaml.reader.ReaderError):
        return _reader_problem(error, path, text)
    mark = getattr(error, "problem_mark", None)
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = getattr(error, "problem", None) or str(error)
    if problem == "exceeded maximum nesting depth":  # libyaml's own limit, far beyond ours
        return Problem(path, line, column, _TOO_DEEP)
    lines = text.splitlines()
    if mark and line <= len(lines) and "\t" in lines[line - 1][: max(column, 1)]:
        return Problem(path, line, column, "tab character in indentation; YAML needs spaces")
    if mark and (hint := syntax_hint(text, problem, line, column)):
        return Problem(path, *hint)
    context = getattr(error, "context", None)
    message = f"YAML syntax: {problem}" + (f" ({context})" if context else "")
    return Problem(path, line, column, message)


def _reader_problem(error: yaml.reader.ReaderError, path: Path, text: str) -> Problem:
    """A character YAML does not allow anywhere in a file (a control character), at its line and column."""
    offset = error.position
    if _Loader is not yaml.SafeLoader:  # libyaml counts bytes of the UTF-8 text, not characters
        offset = len(text.encode("utf-8", "surrogatepass")[:offset].decode("utf-8", "ignore"))
    breaks = list(LINE_BREAK.finditer(text, 0, offset))
    line = len(breaks) + 1
    column = offset - (breaks[-1].end() if breaks else 0) + 1
    code = ord(error.character) if isinstance(error.character, str) else error.character
    return Problem(
        path,
        line,
        column,
        f'character U+{code:04X} is not allowed in YAML; remove it, or write it as "\\u{code:04X}" in double quotes',
    )


def _too_deep(text: str) -> yaml.Event | None:
    """The first list or mapping nested more than `MAX_DEPTH` levels deep, found before composing."""
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return event
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None


def parse_record(
    text: str,
    path: Path,
    *,
    today: date | None,
    located: bool = True,
    readings: Readings | None = None,
) -> tuple[Record, dict[Loc, tuple[int, int]]]:
    """Validate one record's YAML text; raise `RecordError` with every problem found.

    ``located=False`` keeps no positions (the mapping returned is empty): a valid record
    is read a third faster, and an invalid one is read again for its located problems.
    With ``readings`` too, a text read before is not parsed again (see `readings`), and
    a valid record's reading is kept, under the name of ``path``.
    """
    # a large record makes many small objects at once: collected as they came, reading one took twice as long
    with collector.paused():
        if not located:
            try:
                if readings is not None and (values := readings.values(path.stem, text)) is not None:
                    return _validated(values, today), {}
                return _parse_record(text, path, today=today, located=False, readings=readings)
            except _ReadAgain:
                pass
        return _parse_record(text, path, today=today)


def _validated(values: Any, today: date | None) -> Record:
    """The record an unlocated reading's values make; `_ReadAgain` when they make none."""
    try:
        return Record.model_validate(values, context={"today": today})
    except ValidationError:
        raise _ReadAgain from None


def _parse_record(
    text: str, path: Path, *, today: date | None, located: bool = True, readings: Readings | None = None
) -> tuple[Record, dict[Loc, tuple[int, int]]]:
    try:
        deep = None if _NESTING_BOUNDED else _too_deep(text)
        root = None if deep else yaml.compose(text, Loader=_RecordLoader)
    except yaml.YAMLError as error:
        raise RecordError([_yaml_problem(error, path, text)]) from None
    if deep:
        mark = deep.start_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise RecordError([Problem(path, line, column, _TOO_DEEP)])
    if root is None:
        raise RecordError([Problem(path, 1, 1, "the file is empty; a record needs at least 'name: …'")])
    if not isinstance(root, yaml.MappingNode):
        line, column = _position(root)
        what = "a list" if isinstance(root, yaml.SequenceNode) else "a single value"
        raise RecordError(
            [Problem(path, line, column, f"the top level must be fields such as 'name: Acme', not {what}")]
        )
    if not located:
        values = _unlocated(root, 0, set() if "&" in text else None)
        record = _validated(values, today)
        if readings is not None:
            readings.keep(path.stem, text, values)
        return record, {}
    converter = _Converter(text)
    try:
        data = converter.convert(root, ())
    except _Refusal as refusal:
        line, column = _position(refusal.node)
        raise RecordError([Problem(path, line, column, refusal.message)]) from None
    problems = [Problem(path, line, column, message) for (line, column), message in converter.problems]
    for loc in converter.empty:
        if loc in converter.keys and (hint := comment_colour(text, converter.keys[loc][0])):
            problems.append(Problem(path, *hint))
    try:
        record = Record.model_validate(data, context={"today": today})
    except ValidationError as error:
        for loc, at_key, message in _messages(error):
            table = converter.keys if at_key else converter.values
            line, column = next((table[loc[:end]] for end in range(len(loc), -1, -1) if loc[:end] in table), (1, 1))
            problems.append(Problem(path, line, column, message))
        raise RecordError(problems) from None
    if problems:
        raise RecordError(problems)
    return record, converter.values


def load_client(
    path: Path,
    *,
    today: date | None,
    shown_as: Path | None = None,
    located: bool = True,
    readings: Readings | None = None,
) -> Client:
    """Read and validate ``clients/<id>.yml``; problems name ``shown_as`` (default: ``path``).

    ``located=False`` drops where each value came from once the record is valid: a
    build needs no line numbers, and 10,000 records' worth take hundreds of MiB. With
    ``readings`` too, its YAML is not parsed again when it was read before (`parse_record`).
    """
    shown = shown_as or path
    if not CLIENT_ID.match(path.stem):
        raise RecordError(
            [
                Problem(
                    shown,
                    1,
                    1,
                    f"file name '{path.stem}' must be lowercase letters, digits and hyphens; it becomes the client id",
                )
            ]
        )
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise RecordError([Problem(shown, 1, 1, f"cannot read the file: {error.strerror}")]) from None
    hours_raw = hours_bytes(path, shown)
    digest = record_digest(raw, hours_raw)
    record, locations = parse_record(_decode(raw, shown), shown, today=today, located=located, readings=readings)
    hours = parse_entries(hours_raw, hours_file(shown)) if hours_raw else ()
    client = Client(
        id=path.stem,
        source=path,
        record=record,
        locations=locations,
        digest=digest,
        hours=hours,
    )
    return client


def record_digest(raw: bytes, hours_raw: bytes = b"") -> str:
    """What a client's page is made from, as one hash: the record file's bytes and its imported hours."""
    return hashlib.sha256(raw + b"\0hours\0" + hours_raw if hours_raw else raw).hexdigest()


def record_files(directory: Path) -> list[Path]:
    """The record files of a clients directory, sorted by client id."""
    return sorted(p for p in directory.iterdir() if p.suffix in (".yml", ".yaml") and not p.name.startswith("."))


def read_records(
    paths: list[Path],
    *,
    today: date | None,
    relative_to: Path | None = None,
    located: bool = True,
    readings: Readings | None = None,
) -> tuple[list[Client], list[Problem]]:
    """The valid records among ``paths``, and the problems of the others (see `load_client`)."""
    clients, problems = [], []
    for path in paths:
        shown = shown_path(path, relative_to)
        if path.suffix == ".yaml":
            problems.append(Problem(shown, 1, 1, f"records end in .yml; rename it to {path.stem}.yml"))
            continue
        try:
            clients.append(load_client(path, today=today, shown_as=shown, located=located, readings=readings))
        except RecordError as error:
            problems.extend(error.problems)
    return clients, problems


def read_clients(
    directory: Path,
    *,
    today: date | None,
    relative_to: Path | None = None,
    located: bool = True,
) -> tuple[list[Client], list[Problem]]:
    """The valid records in ``directory``, and the problems of the others."""
    if not directory.is_dir():
        shown = shown_path(directory, relative_to)
        return [], [Problem(shown, 1, 1, "clients directory not found; create it or set 'clients_dir'")]
    return read_records(record_files(directory), today=today, relative_to=relative_to, located=located)


def load_clients(
    directory: Path,
    *,
    today: date | None,
    relative_to: Path | None = None,
    located: bool = True,
) -> list[Client]:
    """Load every record in ``directory``; raise `RecordError` with the problems of all files."""
    clients, problems = read_clients(directory, today=today, relative_to=relative_to, located=located)
    if problems:
        raise RecordError(problems)
    return clients


def shown_path(path: Path, base: Path | None) -> Path:
    """``path`` relative to ``base`` when it lies below it, as a user would type it."""
    if base is None:
        return path
    if path.is_absolute() == base.is_absolute() and path.is_relative_to(base) and ".." not in path.parts:
        return path.relative_to(base)  # as written: resolving costs a file system call per folder
    try:
        return path.resolve().relative_to(base.resolve())
    except ValueError:
        return path
