"""Why client pages cannot be built or published: the publishing layer's two errors."""

from __future__ import annotations


class PublishError(Exception):
    """A page cannot be built safely (a password is missing in CI, say)."""


class BuildError(Exception):
    """The client pages cannot be built; the message says why and what to do."""
