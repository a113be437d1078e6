"""What a page shows of an attached file: its facts, where to fetch it, and the key that opens it.

Protocols, so the page knows what it shows and nothing of how a file is sealed.
"""

from __future__ import annotations

from typing import Protocol


class FileFacts(Protocol):
    """An attached file as delivered: whose deliverable, its listed path, real name, size and SHA-256."""

    @property
    def deliverable(self) -> str: ...
    @property
    def listed(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def sha256(self) -> str: ...


class ShownFile(Protocol):
    """An attached file a page offers: its facts, its opaque address beside the page, its key and published size."""

    @property
    def attachment(self) -> FileFacts: ...
    @property
    def url(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def sealed_size(self) -> int: ...
