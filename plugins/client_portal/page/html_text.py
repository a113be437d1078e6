"""Plain text escaped for HTML as a plain string: for what is only joined into a page, with no Markup made."""

from __future__ import annotations

from collections.abc import Callable

import markupsafe


def _markupsafe_escaping() -> Callable[[str], str]:
    # MarkupSafe's own escaping, without the Markup `escape` wraps every result in (a Python-level
    # object, made a few hundred times a page); any MarkupSafe without it gives the same text as Markup.
    inner = getattr(markupsafe, "_escape_inner", None)
    return inner if callable(inner) else markupsafe.escape


escaped_text: Callable[[str], str] = _markupsafe_escaping()
