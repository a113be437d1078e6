"""What each record's YAML was read as, kept between builds under the hash of its text.

A build reads and checks every record again, and most records did not change since the
build before. Parsing a record's YAML is most of reading it; checking what it says is
not, and depends on the day. So the plain values a valid record's YAML gave (text,
numbers, booleans, lists and mappings, which the model then checks: dates stay text) are
kept as JSON, one file per record, beside the hash of the text they were read from and of
the reader that read them. A record whose text and reader are the same is checked from
them, as Sphinx reads a source that did not change from its pickled doctree; any other is
parsed. Nothing but those values is kept, so a kept reading cannot say more than its
record does, and a missing or damaged one is only read again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import uuid
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import yaml

SUFFIX = ".json"


class Readings:
    """The readings kept in ``folder``, by record (its client id)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def values(self, name: str, text: str) -> Any | None:
        """The values ``text`` was read as, when the record ``name`` was last read from the same text; else None."""
        try:
            kept = (self.folder / (name + SUFFIX)).read_text(encoding="utf-8")
        except (OSError, ValueError):
            return None
        key, _, values = kept.partition("\n")
        if key != _key(text):  # another text's, or nothing is kept (None)
            return None
        try:
            return json.loads(values)
        except ValueError:  # damaged: read the record again
            return None

    def keep(self, name: str, text: str, values: Any) -> None:
        """Keep what the record ``name`` was read as from ``text``. A reading that cannot be kept is not."""
        key = _key(text)
        if key is None:
            return
        try:
            kept = key + "\n" + json.dumps(values, ensure_ascii=False, separators=(",", ":"))
            self.folder.mkdir(parents=True, exist_ok=True)
            # whole or not at all, for a build reading it at the same time
            partial = self.folder / f".{name}.{os.getpid()}-{uuid.uuid4().hex}"
            partial.write_text(kept, encoding="utf-8")
            partial.replace(self.folder / (name + SUFFIX))
        except (OSError, ValueError):  # a full disk, a text that is no UTF-8 (a lone surrogate)
            return

    def prune(self, names: Iterable[str]) -> None:
        """Remove the readings of records other than ``names`` (removed or renamed since)."""
        wanted = {name + SUFFIX for name in names}
        try:
            found = os.listdir(self.folder)
        except OSError:
            return
        for entry in found:
            if entry not in wanted:
                with contextlib.suppress(OSError):  # another build's, removed first
                    (self.folder / entry).unlink()


def _key(text: str) -> str | None:
    reader = _reader()
    return None if reader is None else hashlib.sha256(reader + text.encode("utf-8", "surrogatepass")).hexdigest()


@cache
def _reader() -> bytes | None:
    """What the values read from a text depend on besides the text: the code that reads it, and the YAML parser.

    None when that code cannot be read: then nothing is kept, or read from what was.
    """
    from client_portal.records import loader

    parser = f"{yaml.__version__} {getattr(yaml, '__with_libyaml__', False)}\0".encode()
    try:
        return hashlib.sha256(parser + Path(loader.__file__).read_bytes()).digest()
    except (OSError, TypeError):  # no file (a frozen package)
        return None
