"""Python-Markdown's quadratic processors, replaced by linear ones that give the same HTML.

Python-Markdown's link patterns look for a link's closing ``]`` and ``)`` by walking
the rest of the paragraph from every ``[``, and some block processors rescan a block
after every line taken off its front; both are quadratic, so 20,000 characters of ``[``
took 40 s. The processors below subclass Python-Markdown's own and use their private
methods and attributes: `markdown_text` checks on first use that they still give stock
Markdown's HTML, and renders with Markdown's own processors when they do not.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from typing import Any

import markdown
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

_BRACKET = re.compile(r"[\[\]]")
_QUOTE = re.compile("[\"']")


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


class LinearExtension(Extension):  # type: ignore[misc]
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
