"""Write a record back: the one module that changes a ``clients/<id>.yml`` file.

A record is the freelancer's own text, so an edit touches only the nodes it changes:
ruamel.yaml composes the file (every node with its exact position), each edit splices
new text at those positions, and new values are written by ruamel.yaml's emitter, so
they are quoted as YAML needs. Comments, blank lines, key order, indentation and the
quoting of every other value stay byte for byte, which a full re-dump cannot promise
(it re-indents, re-spaces ``key:   value`` and rewrites timestamps).

A record is written only when the result loads with `records.loader.parse_record`,
and atomically: a temporary file beside it, flushed to disk, then renamed over it.
"""

from __future__ import annotations

import difflib
import io
import os
import re
import tempfile
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from client_portal.records.loader import parse_record
from client_portal.records.model import Decision, Record
from client_portal.records.problems import RecordError

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_LINE_END = re.compile(r"[\r\n]")
_SAFE_WORD = re.compile(r"^[a-z_]+$")  # the status and stage values written in place


class RecordWriteError(Exception):
    """A record that cannot be changed as asked; the message says which file and why."""


class RecordText:
    """One record's text, changed in memory edit by edit, then written at once."""

    def __init__(self, path: Path, text: str, *, today: date | None, shown: Path | None = None) -> None:
        self.path = path
        self.shown = shown or path
        self.today = today
        self.original = text
        self.text = text
        self.record = self._parse(text, "as it is")

    @classmethod
    def read(cls, path: Path, *, today: date | None, shown: Path | None = None) -> RecordText:
        """The record at ``path``; `RecordWriteError` when it cannot be read or does not load."""
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise RecordWriteError(f"{shown or path}: cannot read the file: {error.strerror}") from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise RecordWriteError(f"{shown or path}: not UTF-8 text; run client-portal check") from None
        return cls(path, text, today=today, shown=shown)

    @property
    def changed(self) -> bool:
        return self.text != self.original

    def diff(self) -> str:
        """The change so far as a unified diff, paths as the user sees them."""
        name = str(self.shown)
        return "".join(
            difflib.unified_diff(
                self.original.splitlines(keepends=True),
                self.text.splitlines(keepends=True),
                fromfile=f"a/{name}",
                tofile=f"b/{name}",
            )
        )

    # -- edits -------------------------------------------------------------------------

    def append_decision(self, decision: Decision) -> None:
        """Add ``decision`` at the end of ``decisions:``, creating the key at the end of the file if absent."""
        fields = _decision_fields(decision)
        root = self._root()
        found = _entry(root, "decisions")
        if found is None:
            dash, key = _list_style(self.text, root)
            text = self.text if not self.text or self.text.endswith(("\n", "\r")) else self.text + self._newline
            block = _block_item(fields, dash, key, self._newline)
            self.text = text + "decisions:" + self._newline + block + self._newline
            return
        key_node, value = found
        if isinstance(value, SequenceNode) and value.flow_style:
            close = value.end_mark.index - 1
            separator = ", " if value.value else ""
            self._splice(close, close, separator + _flow_item(fields))
            return
        if isinstance(value, SequenceNode) and value.value:
            first = value.value[0]
            dash = _dash_column(self.text, first.start_mark.index)
            key = first.start_mark.column if isinstance(first, MappingNode) and not first.flow_style else dash + 2
            at = _content_end(self.text, value.value[-1])
            self._insert_lines(at, _block_item(fields, dash, key, self._newline))
            return
        if isinstance(value, ScalarNode) and value.value in _NULLS:
            start = key_node.end_mark.index
            text = self.text
            if value.value:  # `decisions: null` becomes `decisions:`, then the list follows
                text = text[:start] + ":" + text[value.end_mark.index :]
            dash, key = _list_style(text, root)
            at = _line_end(text, start)
            block = _block_item(fields, dash, key, self._newline)
            self.text = text[:at] + self._newline + block + text[at:]
            return
        raise RecordWriteError(f"{self.shown}: 'decisions' is not a list; fix it, then run this again")

    def set_deliverable_status(self, key: str, status: str) -> None:
        """Set the status of the deliverable whose id (or slug of its title) is ``key``."""
        index = next((i for i, d in enumerate(self.record.deliverables) if d.key == key), None)
        self._set_in_item("deliverables", index, key, "status", status, after=("title",))

    def set_delivered_if_missing(self, key: str, day: date) -> None:
        """Give the deliverable ``key`` a ``delivered`` date when it has none."""
        index = next((i for i, d in enumerate(self.record.deliverables) if d.key == key), None)
        if index is not None and self.record.deliverables[index].delivered is not None:
            return
        self._set_in_item("deliverables", index, key, "delivered", day.isoformat(), after=("due", "status", "title"))

    def set_suggestion_status(self, key: str, status: str) -> None:
        """Set the status of the suggestion (idea) whose id (or slug of its title) is ``key``."""
        index = next((i for i, s in enumerate(self.record.suggestions) if s.key == key), None)
        self._set_in_item("suggestions", index, key, "status", status, after=("impact", "date", "title"))

    def set_stage(self, stage: str) -> None:
        """Set the record's ``stage``."""
        self._set(self._root(), "stage", stage, after=("name",), where="stage")

    # -- writing -----------------------------------------------------------------------

    def validate(self) -> Record:
        """The record as the edits so far leave it; `RecordWriteError` when it would not load."""
        self.record = self._parse(self.text, "after the change")
        return self.record

    def write(self) -> None:
        """Write the changed text over the file, atomically; refuse when the file changed since it was read."""
        if not self.changed:
            return
        self.validate()
        try:
            now = self.path.read_bytes().decode("utf-8", errors="replace")
        except OSError as error:
            raise RecordWriteError(f"{self.shown}: cannot read the file: {error.strerror}") from None
        if now != self.original:
            raise RecordWriteError(f"{self.shown} changed while it was being edited; nothing written: run this again")
        write_atomically(self.path, self.text.encode("utf-8"))
        self.original = self.text

    # -- helpers -----------------------------------------------------------------------

    @property
    def _newline(self) -> str:
        return "\r\n" if "\r\n" in self.text else "\n"

    def _parse(self, text: str, when: str) -> Record:
        try:
            return parse_record(text, self.shown, today=self.today)[0]
        except RecordError as error:
            first = error.problems[0] if error.problems else None
            more = f" (and {len(error.problems) - 1} more)" if len(error.problems) > 1 else ""
            raise RecordWriteError(
                f"{self.shown} does not load {when}: {first}{more}; nothing written (run client-portal check)"
            ) from None

    def _root(self) -> MappingNode:
        node = YAML(typ="rt", pure=True).compose(self.text)
        if not isinstance(node, MappingNode):  # parse_record accepted it, so this cannot happen
            raise RecordWriteError(f"{self.shown}: the top level is not a mapping")
        return node

    def _splice(self, start: int, end: int, new: str) -> None:
        self.text = self.text[:start] + new + self.text[end:]

    def _insert_lines(self, at: int, block: str) -> None:
        """Insert whole lines at ``at``: the end of a line, or the start of one."""
        if at > 0 and self.text[at - 1] in "\r\n":
            self._splice(at, at, block + self._newline)
        else:
            self._splice(at, at, self._newline + block)

    def _set_in_item(
        self, section: str, index: int | None, key: str, name: str, value: str, after: tuple[str, ...]
    ) -> None:
        where = f"{section} '{key}'"
        if index is None:
            raise RecordWriteError(f"{self.shown}: no item '{key}' under {section}")
        found = _entry(self._root(), section)
        items = found[1] if found else None
        if not isinstance(items, SequenceNode) or index >= len(items.value):
            raise RecordWriteError(f"{self.shown}: no item '{key}' under {section}")
        item = items.value[index]
        if not isinstance(item, MappingNode):
            raise RecordWriteError(f"{self.shown}: {where} is not a mapping")
        self._set(item, name, value, after=after, where=f"{where}: {name}")

    def _set(self, mapping: MappingNode, name: str, value: str, *, after: tuple[str, ...], where: str) -> None:
        if not _SAFE_WORD.match(value) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError(f"not a value written in place: {value!r}")
        found = _entry(mapping, name)
        if found is not None:
            node = found[1]
            if not isinstance(node, ScalarNode):
                raise RecordWriteError(f"{self.shown}: {where} is not a single value; fix it, then run this again")
            quote = node.style if node.style in ("'", '"') else ""
            self._splice(node.start_mark.index, node.end_mark.index, f"{quote}{value}{quote}")
            return
        if mapping.flow_style:
            last = mapping.value[-1][1]
            self._splice(last.end_mark.index, last.end_mark.index, f", {name}: {value}")
            return
        # the new key goes on its own line after a one-line value, the first of ``after`` found
        anchors = [pair for pair in mapping.value if _single_line(pair[1])]
        preferred = [pair for key in after for pair in anchors if pair[0].value == key]
        if not anchors:
            raise RecordWriteError(f"{self.shown}: cannot place {where}; add it by hand")
        key_node, value_node = preferred[0] if preferred else anchors[-1]
        at = _line_end(self.text, value_node.end_mark.index)
        self._splice(at, at, f"{self._newline}{' ' * key_node.start_mark.column}{name}: {value}")


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: a temporary file in the same folder and mode, fsynced, then renamed."""
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fchmod(stream.fileno(), mode)
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    try:  # the rename itself reaches the disk with the folder's entry
        folder = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(folder)
    except OSError:
        pass
    finally:
        os.close(folder)


def _entry(mapping: MappingNode, name: str) -> tuple[Node, Node] | None:
    return next(((k, v) for k, v in mapping.value if isinstance(k, ScalarNode) and k.value == name), None)


def _single_line(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.style not in ("|", ">") and node.start_mark.line == node.end_mark.line


def _line_end(text: str, index: int) -> int:
    found = _LINE_END.search(text, index)
    return found.start() if found else len(text)


def _content_end(text: str, node: Node) -> int:
    """Where a list item's own text ends: after its last value and that line's comment, before blank lines."""
    # a block collection ends where the next token starts, past any comment below it: its last value does not
    while isinstance(node, (MappingNode, SequenceNode)) and not node.flow_style and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(node, MappingNode) else last
    end: int = node.end_mark.index
    if isinstance(node, ScalarNode) and node.style in ("|", ">"):
        header = text[node.start_mark.index : _line_end(text, node.start_mark.index)]
        if "+" in header.split("#", 1)[0]:  # kept trailing blank lines belong to the value
            return end
    while end > node.start_mark.index and text[end - 1] in " \t\r\n":
        end -= 1
    return _line_end(text, end)


def _dash_column(text: str, item_start: int) -> int:
    """The column of the ``-`` that opens the list item starting at ``item_start``."""
    line_start = max(text.rfind("\n", 0, item_start), text.rfind("\r", 0, item_start)) + 1
    dash = text.rfind("-", line_start, item_start)
    return dash - line_start if dash >= 0 else 0


def _list_style(text: str, root: MappingNode) -> tuple[int, int]:
    """The columns of ``-`` and of an item's keys in the record's own lists (default 2 and 4)."""
    for _, value in root.value:
        if isinstance(value, SequenceNode) and not value.flow_style and value.value:
            first = value.value[0]
            if isinstance(first, MappingNode) and not first.flow_style:
                return _dash_column(text, first.start_mark.index), first.start_mark.column
    return 2, 4


def _decision_fields(decision: Decision) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "item": decision.item,
        "decision": decision.decision,
        "by": decision.by,
        "at": _Timestamp(decision.at),
        "seen": decision.seen,
    }
    if decision.message_id is not None:
        fields["message_id"] = decision.message_id
    if decision.earlier_version:
        fields["earlier_version"] = True
    return fields


class _Timestamp(str):
    """A date and time written plain (``2026-12-08T14:02:00+01:00``), as the freelancer writes one."""

    def __new__(cls, value: datetime) -> _Timestamp:
        return super().__new__(cls, value.isoformat())


def _emitter(flow: bool) -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.width = 1_000_000  # never fold a long value onto a second line
    yaml.allow_unicode = True
    yaml.default_flow_style = flow
    yaml.representer.add_representer(
        _Timestamp, lambda representer, value: representer.represent_scalar("tag:yaml.org,2002:timestamp", str(value))
    )
    return yaml


def _dumped(fields: Mapping[str, Any], *, flow: bool) -> str:
    stream = io.StringIO()
    _emitter(flow).dump(dict(fields), stream)
    return stream.getvalue().rstrip("\n")


def _block_item(fields: Mapping[str, Any], dash: int, key: int, newline: str) -> str:
    """One list item as block lines: ``-`` at column ``dash``, its keys at column ``key``."""
    lines = _dumped(fields, flow=False).split("\n")
    head = " " * dash + "-" + " " * max(key - dash - 1, 1) + lines[0]
    return newline.join([head, *(" " * key + line for line in lines[1:])])


def _flow_item(fields: Mapping[str, Any]) -> str:
    return _dumped(fields, flow=True)
