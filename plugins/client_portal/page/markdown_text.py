"""Markdown from records, rendered safely: record text is untrusted.

Safe means two things here: the HTML cannot hurt the reader (nh3 reduces it to an
allowlist), and the text cannot stall the build. Python-Markdown's link patterns look
for a link's closing ``]`` and ``)`` by walking the rest of the paragraph from every
``[``, and the HTML parser it uses for raw HTML rescans the rest of the document from
every unfinished ``<a``; both are quadratic, so 20,000 characters of ``[`` took 40 s.
`markdown_linear` gives the same results for ordinary Markdown in linear time, and
the text is prepared below so the HTML parser never rescans.
"""

from __future__ import annotations

import logging
import re
from functools import cache, lru_cache
from html.parser import HTMLParser
from urllib.parse import quote, unquote

import markdown
import nh3
from markupsafe import Markup, escape

from client_portal.page.html_text import markup_of

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li",
    "a", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td", "del",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
SAFE_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "noopener noreferrer nofollow"

# Stands in for a "<" that cannot start a tag, and becomes "&lt;" again after rendering.
# A control character, so it never comes from a record, and keeps Latin-1 text compact.
_STRAY_ANGLE = "\x1a"
# Control characters are not text; Markdown's own placeholders are made of STX and ETX.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A "<" (other than a comment) whose next "<" comes before any ">" cannot be a tag or autolink.
_UNCLOSED_ANGLE = re.compile(r"<(?!!--)(?=[^<>]*(?:<|\Z))")
# Lists and quotes opened on one line ("- - - x", ">>>> x") nest one level each, and Python-
# Markdown's work grows with the square of the depth: 10,000 "-\t" took 2.5 s. No text needs
# more than a few; the markers after MAX_NESTING are escaped and read as the text they are.
MAX_NESTING = 3
_DEEP_MARKERS = re.compile(
    r"^((?:[ \t]*(?:[-+*]|\d{1,9}[.)])[ \t]+|[ \t]*>)" + f"{{{MAX_NESTING}}}" + r"[ \t]*)([-+*>]|\d{1,9}[.)])",
    re.MULTILINE,
)
_MAILBOX_END = re.compile(r"[?#,;\s]")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_URL_IGNORED = re.compile("[\t\n\r]")
_URL_PADDING = "".join(map(chr, range(0x21)))

# Not MkDocs' logger: this layer does not know MkDocs, and a warning there would fail every
# strict build on the day a new Markdown ships, for something only an update can change.
log = logging.getLogger(__name__)

# Every block and link the linear processors replace, in the shapes that reach their private
# parts (a title holding "](", a table's alignment, a rule and a heading inside a block).
_PROBE = """\
Intro [link](https://a.example/ "a ](b") and ![img](https://a.example/i.png) [ref][r] [r] ![alt][r] ![r]
# Heading in a block
text [unclosed and [a [nested] link](https://a.example/(x))
***
> quoted
> more

Setext
------
| a | b |
|---|:-:|
| 1 | 2 |

[r]: https://a.example/r "Title"
"""


def _stock_converter() -> markdown.Markdown:
    # No "smarty": typographic quotes would triple the time spent on Markdown per page.
    return markdown.Markdown(extensions=["tables", "sane_lists"], output_format="html")


def _linear_converter() -> markdown.Markdown:
    # Imported here: on a Markdown release without the classes it subclasses, the import fails
    # and `_linear_fits` says so, where an import at the top would stop every build.
    from client_portal.page.markdown_linear import LinearExtension

    # The linear extension comes last: it replaces what "tables" registered.
    return markdown.Markdown(extensions=["tables", "sane_lists", LinearExtension()], output_format="html")


@cache
def _linear_fits() -> bool:
    """Whether the installed Markdown still has the internals the linear processors use (checked once)."""
    try:
        fits = bool(_linear_converter().convert(_PROBE) == _stock_converter().convert(_PROBE))
    except Exception:  # a changed private method or attribute, whatever its shape
        fits = False
    if not fits:
        log.warning(
            "Markdown %s changed the parts client-portal speeds up: record text is rendered with "
            "Markdown's own processors (sanitised as always, slower on very long unusual text). "
            "Update mkdocs-client-portal, or install the Markdown release before this one.",
            getattr(markdown, "__version__", "(unknown version)"),
        )
    return fits


@cache
def _converter() -> markdown.Markdown:
    return _linear_converter() if _linear_fits() else _stock_converter()


# Text that needs none of Markdown's block rules and only its simplest inline ones: one
# paragraph of plain words with **strong**, *emphasis* and [links](https://…). Most record
# text is like this, and writing it here directly costs a twentieth of Markdown's pipeline;
# a differential test checks that it gives what Markdown and nh3 give. Plain characters are
# those Markdown gives no inline meaning, and never "<", ">" or "&": no tag or entity can
# start in them. A line may not start what could be a block (a heading, quote, list, rule,
# indented code or setext underline) nor end in a space (a line break).
_PLAIN_CHAR = r"[^\\`*_\[\]<>&|\x00-\x1f\x7f]"
_SIMPLE_LINE = re.compile(r"(?![#>+\-=\d\s])[^\n]+(?<!\s)")
_SIMPLE = re.compile(
    rf"(?P<text>(?:{_PLAIN_CHAR[:-1]}!]+|!(?!\[)|\n)+)"
    rf"|\*\*(?P<strong>(?=\S){_PLAIN_CHAR}+(?<=\S))\*\*(?!\*)"
    rf"|\*(?P<em>(?=\S){_PLAIN_CHAR}+(?<=\S))\*(?!\*)"
    rf"|\[(?P<label>(?=\S){_PLAIN_CHAR}+(?<=\S))\]\((?P<href>https?://[^\s()<>\"'\\`*\[\]&]+)\)"
)
_SIMPLE_TAGS = {"strong": "<strong>{}</strong>", "em": "<em>{}</em>"}
# nh3's link, as it writes one: the href is an http(s) URL with nothing to escape (see _SIMPLE)
_SIMPLE_LINK = f'<a href="{{}}" rel="{LINK_REL}">{{}}</a>'


def _nh3_text(text: str) -> str:
    """Plain characters (`_PLAIN_CHAR`) as nh3 writes text: only the no-break space is escaped; quotes stay."""
    return text.replace("\xa0", "&nbsp;") if "\xa0" in text else text


def _simple_html(text: str) -> str | None:
    """The HTML Markdown and nh3 give ``text``, written directly when it is simple enough; else None.

    It is what nh3 writes, character for character, so it needs no cleaning: a property
    test holds it equal to Markdown's HTML cleaned, and to itself cleaned again.
    """
    lines = text.split("\n") if "\n" in text else (text,)
    if not all(_SIMPLE_LINE.fullmatch(line) for line in lines):
        return None
    parts, position = ["<p>"], 0
    for match in _SIMPLE.finditer(text):
        if match.start() != position:
            return None
        position = match.end()
        kind = match.lastgroup
        # plain strings in nh3's form: they are joined into one, so a Markup for each would be thrown away
        if kind == "href":
            parts.append(_SIMPLE_LINK.format(match["href"], _nh3_text(match["label"])))
        elif kind == "text":
            parts.append(_nh3_text(match["text"]))
        else:
            assert kind is not None
            parts.append(_SIMPLE_TAGS[kind].format(_nh3_text(match[kind])))
    if position != len(text):
        return None
    parts.append("</p>")
    return "".join(parts)


def _shallow(match: re.Match[str]) -> str:
    """The first marker beyond ``MAX_NESTING`` escaped, so it and the rest of its line are text."""
    marker = match[2]
    return match[1] + (marker[:-1] + "\\" + marker[-1] if marker[0].isdigit() else "\\" + marker)


def _markdown_html(text: str) -> str:
    text = _UNCLOSED_ANGLE.sub(_STRAY_ANGLE, _NOT_TEXT.sub("\ufffd", text))
    text = _DEEP_MARKERS.sub(_shallow, text)
    converter = _converter()
    converter.reset()
    try:
        html: str = converter.convert(text)
    except Exception:  # record text must never break a build
        # Deeply nested lists exceed Python's recursion limit inside Markdown; the
        # converter is left in an unknown state, so start the next text afresh.
        _converter.cache_clear()
        html = "".join(f"<p>{escape(part)}</p>" for part in text.split("\n\n"))
    return html.replace(_STRAY_ANGLE, "&lt;")


def _mailbox(value: str) -> str | None:
    """A mailto: link's first address and nothing else: no cc, bcc, subject or body."""
    address = _MAILBOX_END.split(unquote(value).strip(), maxsplit=1)[0]
    if "@" not in address or not address.isprintable():
        return None
    return "mailto:" + quote(address, safe="@")


def _safe_href(value: str | None) -> str | None:
    """The link a reader may follow: absolute http(s), or mailto with one address; else None.

    Browsers ignore tabs and line breaks anywhere in a URL and spaces or control
    characters around it, so ``java\tscript:`` is judged as ``javascript:``.
    """
    url = _URL_IGNORED.sub("", (value or "").strip(_URL_PADDING))
    scheme = _SCHEME.match(url)
    if scheme is None or scheme[1].lower() not in SAFE_SCHEMES:
        return None  # relative links too: they would point into the portal itself ("../other-token/")
    if scheme[1].lower() == "mailto":
        return _mailbox(url[scheme.end() :])
    return url


# Chinese and Japanese put no space between words: a line break inside a paragraph
# between two of their characters joins the lines, where HTML would show a space.
_CJK = "\u3000-\u30ff\u3100-\u312f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_LINE_BREAK = re.compile(f"([{_CJK}][*_]{{0,3}})\n(?=[*_]{{0,3}}[{_CJK}])")
_HEADINGS = {f"h{level}" for level in range(1, 7)}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Tidy(HTMLParser):
    """Markdown's HTML (record raw HTML included), with links and headings set right before nh3 sees it.

    nh3 sanitises last and nothing edits its output: its escaping guarantees hold only
    for what it wrote. So this pass does what nh3 cannot: a link that may not be
    followed loses its ``<a>`` (its text stays), ``mailto:`` keeps one address, and
    headings are renumbered from ``top``. It writes every attribute back quoted and
    escaped; what it does not know is left for nh3 to keep or drop.
    """

    def __init__(self, top: int) -> None:
        super().__init__(convert_charrefs=True)
        self.top = top
        self.parts: list[str] = []
        self.headings: list[tuple[int, int | None]] = []  # (index in parts, level or None for a closing tag)
        self.dead_link = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Keep the tag, except a link nobody may follow; note headings."""
        if tag == "a":
            href = _safe_href(dict(attrs).get("href"))
            if href is None:
                self.dead_link = True  # links do not nest, so the next </a> closes this one
                return
            attrs = [(name, href if name == "href" else value) for name, value in attrs]
        if tag in _HEADINGS:
            self.headings.append((len(self.parts), int(tag[1])))
            attrs = []  # nh3 allows none on headings
        written = "".join(f' {name}="{escape(value or "")}"' for name, value in attrs)
        self.parts.append(f"<{tag}{written}>")

    def handle_endtag(self, tag: str) -> None:
        """Close the tag, unless it was dropped or has no end."""
        if tag == "a" and self.dead_link:
            self.dead_link = False
        elif tag in _HEADINGS:
            self.headings.append((len(self.parts), None))
            self.parts.append("")
        elif tag not in _VOID:
            self.parts.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        """Text, escaped again."""
        self.parts.append(str(escape(data)))

    def html(self) -> str:
        """The whole text, headings nested from ``top``, each at most one level below the one before."""
        self.close()
        levels = [level for _, level in self.headings if level is not None]
        if levels:
            offset, previous = self.top - min(levels), self.top - 1
            for index, level in self.headings:
                if level is not None:
                    previous = max(self.top, min(level + offset, previous + 1, 6))
                # headings do not nest: a closing tag closes the one opened last
                self.parts[index] = f"<h{previous}>" if level is not None else f"</h{previous}>"
        return "".join(self.parts)


def _markdown_tidied(text: str, top: int) -> str:
    """Markdown's HTML for ``text``, links and headings set right (`_Tidy`): the way for any text."""
    tidy = _Tidy(top)
    tidy.feed(_markdown_html(text))
    return tidy.html()


@cache
def _cleaner() -> nh3.Cleaner:
    # Built once: nh3.clean would convert the allowlists on every call, five times the cleaning itself.
    return nh3.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=SAFE_SCHEMES,
        url_relative="deny",  # a relative link would point into the portal itself ("../other-token/")
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render_markdown(text: str | None, *, inline: bool = False, top: int = 3) -> Markup:
    """HTML for record Markdown: raw HTML reduced to a small allowlist, only http(s)/mailto links.

    The record's headings start at level ``top`` (the level below the place it is
    shown) and never skip a level, so a record cannot outrank the page's sections.
    """
    if not text:
        return Markup("")
    return _rendered(text, inline, top)


# A page renders a text twice when a client can decide on its item: once shown, once in the
# fingerprint of what the client saw (`page.fingerprints`).
@lru_cache(maxsize=256)
def _rendered(text: str, inline: bool, top: int) -> Markup:
    if "\n" in text:  # most record text is one line: no line break to join
        text = _CJK_LINE_BREAK.sub(r"\1", text)
    simple = _simple_html(text)
    html = simple or _markdown_tidied(text, top)
    if inline and html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    if simple is not None:  # already as nh3 writes it (see `_simple_html`)
        return markup_of(html)  # plain characters and three tags, written as nh3 would
    return Markup(_cleaner().clean(html))  # noqa: S704 - nh3 is the last step: nothing edits its output
