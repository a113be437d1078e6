"""Markdown from records, rendered safely: record text is untrusted.

Safe means two things here: the HTML cannot hurt the reader (nh3 reduces it to an
allowlist), and the text cannot stall the build. Python-Markdown's link patterns look
for a link's closing ``]`` and ``)`` by walking the rest of the paragraph from every
``[``, and the HTML parser it uses for raw HTML rescans the rest of the document from
every unfinished ``<a``; both are quadratic, so 20,000 characters of ``[`` took 40 s.
The processors below give the same results for ordinary Markdown in linear time.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, unquote

import markdown
import nh3
from markdown.blockprocessors import (
    BlockQuoteProcessor,
    HashHeaderProcessor,
    HRProcessor,
    SetextHeaderProcessor,
)
from markdown.extensions import Extension
from markdown.extensions.tables import TableProcessor
from markdown.inlinepatterns import (
    ImageInlineProcessor,
    ImageReferenceInlineProcessor,
    LinkInlineProcessor,
    ReferenceInlineProcessor,
    ShortImageReferenceInlineProcessor,
    ShortReferenceInlineProcessor,
)
from markdown.util import nearing_recursion_limit
from markupsafe import Markup, escape

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
_BRACKET = re.compile(r"[\[\]]")
# Lists and quotes opened on one line ("- - - x", ">>>> x") nest one level each, and Python-
# Markdown's work grows with the square of the depth: 10,000 "-\t" took 2.5 s. No text needs
# more than a few; the markers after MAX_NESTING are escaped and read as the text they are.
MAX_NESTING = 3
_DEEP_MARKERS = re.compile(
    r"^((?:[ \t]*(?:[-+*]|\d{1,9}[.)])[ \t]+|[ \t]*>)" + f"{{{MAX_NESTING}}}" + r"[ \t]*)([-+*>]|\d{1,9}[.)])",
    re.MULTILINE,
)
_QUOTE = re.compile("[\"']")
_MAILBOX_END = re.compile(r"[?#,;\s]")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_URL_IGNORED = re.compile("[\t\n\r]")
_URL_PADDING = "".join(map(chr, range(0x21)))


@dataclass
class _BracketMatches:
    """Where each "[" of a text closes, keyed by distance from the end of the text.

    Counting from the end keeps the table valid after Markdown swaps a found link for
    a placeholder: only the text before the link changes, and a bracket's match depends
    only on what follows it.
    """

    source: str
    closing: dict[int, int]
    text: str  # the latest text known to end like ``source``
    shared: int  # how many of its last characters match ``source``


class _Brackets:
    """Matching "]" for any "[", in constant time after one linear pass over the text."""

    SLOTS = 4  # a link's own text is parsed in between; keep the paragraph's table too

    def __init__(self) -> None:
        self._recent: list[_BracketMatches] = []

    def closing(self, data: str, opening: int) -> int:
        """The position of the "]" closing the "[" at ``opening``, or -1."""
        tail = len(data) - opening
        found = next((s for s in self._recent if s.text is data and tail <= s.shared), None)
        if found is None:
            suffix = data[opening:]
            found = next((s for s in self._recent if tail <= len(s.source) and s.source.endswith(suffix)), None)
            if found is None:
                found = self._index(data)
            found.text, found.shared = data, tail
        close = found.closing.get(tail)
        return -1 if close is None else len(data) - close

    def _index(self, data: str) -> _BracketMatches:
        closing: dict[int, int] = {}
        opened: list[int] = []
        for match in _BRACKET.finditer(data):
            if match.group() == "[":
                opened.append(match.start())
            elif opened:
                closing[len(data) - opened.pop()] = len(data) - match.start()
        matches = _BracketMatches(data, closing, data, len(data))
        self._recent = [matches, *self._recent[: self.SLOTS - 1]]
        return matches


class _RetryBudget:
    """How many more characters link parsing may read past a bound, in the text being converted.

    Ordinary text needs a few retries; text made to be slow runs out of budget and gets
    the bounded reading, so it stays linear.
    """

    CHARACTERS = 200_000  # ten times the longest Markdown field

    def __init__(self) -> None:
        self.left = self.CHARACTERS

    def spend(self, characters: int) -> bool:
        """Whether ``characters`` more may be read; if so, they are counted."""
        if characters > self.left:
            return False
        self.left -= characters
        return True


class _LinearLinks:
    """Link-pattern mixin: the same results as Python-Markdown's, without rescanning the paragraph."""

    brackets: _Brackets
    budget: _RetryBudget

    def getText(self, data: str, index: int) -> tuple[str, int, bool]:
        """The text between "[" and its "]": looked up, where Markdown walks to the end for a stray "["."""
        if not data.startswith("[", index - 1):  # not called after "[" or "!["; Markdown's own walk
            result: tuple[str, int, bool] = super().getText(data, index)  # type: ignore[misc]
            return result
        close = self.brackets.closing(data, index - 1)
        if close < 0:
            return "", len(data), False
        return data[index:close], close + 1, True

    def getLink(self, data: str, index: int) -> tuple[str, str | None, int, bool]:
        """The ``(url "title")`` part, read up to the next ``](`` first, so each stretch is read once.

        Markdown's walk stops at the ``)`` closing the link; only a quote (a title, which
        may hold a ``](``) or no closing ``)`` at all can take it past the bound. Then the
        whole rest is read, as Markdown does, while the budget lasts.
        """
        following = data.find("](", index) if data.startswith("(", index) else -1
        parse = super().getLink  # type: ignore[misc]
        if following < 0:
            whole: tuple[str, str | None, int, bool] = parse(data, index)
            return whole
        bounded: tuple[str, str | None, int, bool] = parse(data[:following], index)
        end, handled = bounded[2], bounded[3]
        if handled and index < end <= following and not _QUOTE.search(data, index, end):
            return bounded
        if self.budget.spend(len(data) - index):
            unbounded: tuple[str, str | None, int, bool] = parse(data, index)
            return unbounded
        return bounded


class _Link(_LinearLinks, LinkInlineProcessor):  # type: ignore[misc]
    """``[text](url)``."""


class _Image(_LinearLinks, ImageInlineProcessor):  # type: ignore[misc]
    """``![alt](url)``."""


class _Reference(_LinearLinks, ReferenceInlineProcessor):  # type: ignore[misc]
    """``[text][id]``."""


class _ImageReference(_LinearLinks, ImageReferenceInlineProcessor):  # type: ignore[misc]
    """``![alt][id]``."""


class _ShortReference(_LinearLinks, ShortReferenceInlineProcessor):  # type: ignore[misc]
    """``[id]``."""


class _ShortImageReference(_LinearLinks, ShortImageReferenceInlineProcessor):  # type: ignore[misc]
    """``![id]``."""


class _Table(TableProcessor):  # type: ignore[misc]
    """Tables, tested on their first two rows before the whole block.

    Markdown tests every remaining block again after each heading or line it takes
    off the front; splitting the whole block each time made 20,000 characters of
    ``-`` lines take seconds.
    """

    def test(self, parent: etree.Element, block: str) -> bool:
        """Whether ``block`` starts a table; the full test runs only when the head looks like one."""
        head = "\n".join(block.split("\n", 2)[:2])
        if not super().test(parent, head):
            return False
        return head == block or bool(super().test(parent, block))


class _SetextHeading(SetextHeaderProcessor):  # type: ignore[misc]
    """Underlined headings that split off only their own two lines, not every line of the block."""

    def run(self, parent: etree.Element, blocks: list[str]) -> None:
        """Add the heading; the rest of the block goes back to be parsed."""
        title, underline, *rest = blocks.pop(0).split("\n", 2)
        heading = etree.SubElement(parent, "h1" if underline.startswith("=") else "h2")
        heading.text = title.strip()
        blocks[:0] = rest


class _FirstMatch:
    """Where a block pattern first matches, remembered for the shorter blocks Markdown cuts from that block.

    Markdown takes a heading or a line off the front of a block and tests what is left
    again; a pattern searched for anywhere in the block then rescans the rest each time.
    What is left is the block's last lines, so the first match moves by the cut, or there
    still is none.
    """

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self._block = ""
        self._first = -1

    def search(self, block: str) -> re.Match[str] | None:
        """The pattern's first match in ``block``."""
        cut = len(self._block) - len(block)
        if (
            cut >= 0
            and (cut == 0 or self._block[cut - 1] == "\n")
            and (self._first < 0 or self._first >= cut)
            and self._block.endswith(block)
        ):
            return None if self._first < 0 else self.pattern.search(block, self._first - cut)
        match = self.pattern.search(block)
        self._block, self._first = block, (match.start() if match else -1)
        return match


class _HashHeading(HashHeaderProcessor):  # type: ignore[misc]
    """``#`` headings, found in a block without rescanning it after every line taken off."""

    def __init__(self, parser: Any) -> None:
        super().__init__(parser)
        self._heading = _FirstMatch(self.RE)

    def test(self, parent: etree.Element, block: str) -> bool:
        """Whether a line of ``block`` is a heading."""
        return self._heading.search(block) is not None


class _HorizontalRule(HRProcessor):  # type: ignore[misc]
    """Horizontal rules, found in a block without rescanning it after every line taken off."""

    def __init__(self, parser: Any) -> None:
        super().__init__(parser)
        self._rule = _FirstMatch(self.SEARCH_RE)

    def test(self, parent: etree.Element, block: str) -> bool:
        """Whether a line of ``block`` is a rule; ``run`` splits the block there."""
        match = self._rule.search(block)
        if match:
            self.match = match
        return match is not None


class _BlockQuote(BlockQuoteProcessor):  # type: ignore[misc]
    """Quotes, found in a block without rescanning it after every line taken off."""

    def __init__(self, parser: Any) -> None:
        super().__init__(parser)
        self._quote = _FirstMatch(self.RE)

    def test(self, parent: etree.Element, block: str) -> bool:
        """Whether a line of ``block`` is quoted (and nesting is still allowed)."""
        return self._quote.search(block) is not None and not nearing_recursion_limit()


class _LinearExtension(Extension):  # type: ignore[misc]
    """Swaps Python-Markdown's quadratic processors for linear ones with the same names and priorities."""

    LINKS = (
        ("reference", _Reference, 170),
        ("link", _Link, 160),
        ("image_link", _Image, 150),
        ("image_reference", _ImageReference, 140),
        ("short_reference", _ShortReference, 130),
        ("short_image_ref", _ShortImageReference, 125),
    )

    def __init__(self) -> None:
        super().__init__()
        self.budget = _RetryBudget()

    def reset(self) -> None:
        """A new text: a new budget (``Markdown.reset`` calls this)."""
        self.budget.left = _RetryBudget.CHARACTERS

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        """Register the linear processors over the defaults."""
        md.registerExtension(self)
        brackets = _Brackets()
        for name, processor, priority in self.LINKS:
            replacement = processor(md.inlinePatterns[name].pattern, md)
            replacement.brackets = brackets
            replacement.budget = self.budget
            md.inlinePatterns.register(replacement, name, priority)
        blocks = md.parser.blockprocessors
        blocks.register(_Table(md.parser, blocks["table"].config), "table", 75)
        blocks.register(_HashHeading(md.parser), "hashheader", 70)
        blocks.register(_SetextHeading(md.parser), "setextheader", 60)
        blocks.register(_HorizontalRule(md.parser), "hr", 50)
        blocks.register(_BlockQuote(md.parser), "quote", 20)


@cache
def _converter() -> markdown.Markdown:
    # No "smarty": typographic quotes would triple the time spent on Markdown per page.
    # The linear extension comes last: it replaces what "tables" registered.
    return markdown.Markdown(extensions=["tables", "sane_lists", _LinearExtension()], output_format="html")


# Text that needs none of Markdown's block rules and only its simplest inline ones: one
# paragraph of plain words with **strong**, *emphasis* and [links](https://…). Most record
# text is like this, and writing it here directly costs a twentieth of Markdown's pipeline;
# a differential test checks that it gives what Markdown gives. Plain characters are those
# Markdown gives no inline meaning; a line may not start what could be a block (a heading,
# quote, list, rule, indented code or setext underline) nor end in a space (a line break).
_PLAIN_CHAR = r"[^\\`*_\[\]<>&|\x00-\x1f\x7f]"
_SIMPLE_LINE = re.compile(r"(?![#>+\-=\d\s])[^\n]+(?<!\s)")
_SIMPLE = re.compile(
    rf"(?P<text>(?:{_PLAIN_CHAR[:-1]}!]+|!(?!\[)|\n)+)"
    rf"|\*\*(?P<strong>(?=\S){_PLAIN_CHAR}+(?<=\S))\*\*(?!\*)"
    rf"|\*(?P<em>(?=\S){_PLAIN_CHAR}+(?<=\S))\*(?!\*)"
    rf"|\[(?P<label>(?=\S){_PLAIN_CHAR}+(?<=\S))\]\((?P<href>https?://[^\s()<>\"'\\`*\[\]&]+)\)"
)
_SIMPLE_TAGS = {"strong": "<strong>{}</strong>", "em": "<em>{}</em>"}


def _simple_html(text: str) -> str | None:
    """The HTML Markdown gives ``text``, when it is simple enough to write directly; else None."""
    if not all(_SIMPLE_LINE.fullmatch(line) for line in text.split("\n")):
        return None
    parts, position = ["<p>"], 0
    for match in _SIMPLE.finditer(text):
        if match.start() != position:
            return None
        position = match.end()
        kind = match.lastgroup
        if kind == "href":
            parts.append(f'<a href="{escape(match["href"])}">{escape(match["label"])}</a>')
        elif kind == "text":
            parts.append(str(escape(match["text"])))
        else:
            assert kind is not None
            parts.append(_SIMPLE_TAGS[kind].format(escape(match[kind])))
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
    text = _CJK_LINE_BREAK.sub(r"\1", text)
    html = _simple_html(text) or _markdown_tidied(text, top)
    if inline and html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return Markup(_cleaner().clean(html))  # noqa: S704 - nh3 is the last step: nothing edits its output
