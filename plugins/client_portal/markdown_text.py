"""Markdown from records, rendered safely: record text is untrusted."""

from __future__ import annotations

from functools import cache

import markdown
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li",
    "a", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td", "del",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
SAFE_SCHEMES = {"http", "https", "mailto"}


@cache
def _converter() -> markdown.Markdown:
    # No "smarty": typographic quotes would triple the time spent on Markdown per page.
    return markdown.Markdown(extensions=["tables", "sane_lists"], output_format="html")


def render_markdown(text: str | None, *, inline: bool = False) -> Markup:
    """HTML for record Markdown: raw HTML reduced to a small allowlist, only http(s)/mailto links.

    Headings shift down to h3 and below so a record cannot outrank the page's own sections.
    """
    if not text:
        return Markup("")
    converter = _converter()
    converter.reset()
    html = converter.convert(text)
    for level in (2, 1):
        html = html.replace(f"<h{level}", f"<h{level + 2}").replace(f"</h{level}>", f"</h{level + 2}>")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=SAFE_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    if inline and clean.startswith("<p>") and clean.endswith("</p>") and clean.count("<p>") == 1:
        clean = clean[3:-4]
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above
