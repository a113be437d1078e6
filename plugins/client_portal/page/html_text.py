"""Plain text escaped for HTML as a plain string, and HTML as Markup: both without MarkupSafe's Python around them."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import markupsafe


def _markupsafe_escaping() -> Callable[[str], str]:
    # MarkupSafe's own escaping, without the Markup `escape` wraps every result in (a Python-level
    # object, made a few hundred times a page); any MarkupSafe without it gives the same text as Markup.
    inner = getattr(markupsafe, "_escape_inner", None)
    return inner if callable(inner) else markupsafe.escape


escaped_text: Callable[[str], str] = _markupsafe_escaping()

# ``Markup(html)`` for a plain string ``html``, the same object: Markup's own constructor is Python, asking every
# value for ``__html__`` first, which no plain string has. A page makes a few hundred (messages, macros, cards).
markup_of: Callable[[str], markupsafe.Markup] = partial(str.__new__, markupsafe.Markup)
