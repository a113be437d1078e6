"""Record Markdown as plain text, for the text part of letters: what the page shows, without markup.

The text comes from the page's own renderer (`markdown_text`), so it says what the
page says, links checked the same way; the sanitised HTML is then read back as text:
paragraphs and headings become lines, list items "- " lines, links "text (address)".
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from client_portal.page.markdown_text import render_markdown

_SPACES = re.compile("[ \t]+")  # not no-break spaces: "10\u00a0km" stays together
_BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "table", "hr", "blockquote", "ul", "ol"}


class _PlainText(HTMLParser):
    """Sanitised HTML from `render_markdown` written out as lines of text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.words: list[str] = []  # the text of the block being read
        self.lists: list[int | None] = []  # per open list: the next number, or None for bullets
        self.marker = ""  # what the block's first line starts with ("- ", "2. ")
        self.quotes = 0
        self.links: list[tuple[str, int]] = []  # (address, where its text starts in `words`)
        self.cells = 0
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Start a line, a list item, a link or a table cell."""
        if tag in _BLOCKS or tag in ("li", "tr"):
            self._end_block()
            if tag in _BLOCKS and not self.lists and self.lines and self.lines[-1].strip("> "):
                self.lines.append(self._quoted("").rstrip())  # a blank line between blocks, not between list items
        if tag == "ul":
            self.lists.append(None)
        elif tag == "ol":
            self.lists.append(1)
        elif tag == "li" and self.lists:
            number = self.lists[-1]
            self.marker = "- " if number is None else f"{number}. "
            if number is not None:
                self.lists[-1] = number + 1
        elif tag == "blockquote":
            self.quotes += 1
        elif tag == "pre":
            self.pre += 1
        elif tag == "hr":
            self.lines.append(self._quoted("----"))
        elif tag == "br":
            self.words.append("\n")
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.words)))
        elif tag in ("td", "th"):
            if self.cells:
                self.words.append(" | ")
            self.cells += 1

    def handle_endtag(self, tag: str) -> None:
        """End a line, a list, a quote, or a link (its address after its text)."""
        if tag == "a" and self.links:
            href, start = self.links.pop()
            label = "".join(self.words[start:]).strip()
            address = href.removeprefix("mailto:")
            if address and label not in (address, href):
                self.words.append(f" ({address})")
            return
        if tag in _BLOCKS or tag in ("li", "tr"):
            self._end_block()
        if tag in ("ul", "ol") and self.lists:
            self.lists.pop()
        elif tag == "blockquote" and self.quotes:
            self.quotes -= 1
        elif tag == "pre" and self.pre:
            self.pre -= 1
        elif tag == "tr":
            self.cells = 0

    def handle_data(self, data: str) -> None:
        """Text as written; the line breaks between tags are not text."""
        if self.pre or data.strip():
            self.words.append(data)
        elif self.words and not self.cells:  # between cells the bar stands for the space
            self.words.append(" ")

    def _end_block(self) -> None:
        text = "".join(self.words)
        self.words = []
        if not text.strip():
            return
        if self.pre:
            lines = text.strip("\n").splitlines()
        else:  # as a browser shows it: runs of spaces are one
            lines = [_SPACES.sub(" ", line).strip(" ") for line in text.strip("\n ").split("\n")]
        depth = max(len(self.lists) - 1, 0)
        indent = "  " * depth
        first = indent + self.marker
        for number, line in enumerate(lines):
            self.lines.append(self._quoted((first if number == 0 else " " * len(first)) + line).rstrip())
        self.marker = ""

    def _quoted(self, line: str) -> str:
        return ("> " * self.quotes + line) if self.quotes else line

    def text(self) -> str:
        """Everything read, as lines."""
        self.close()
        self._end_block()
        while self.lines and not self.lines[-1].strip("> "):
            self.lines.pop()
        return "\n".join(self.lines)


def markdown_plain(text: str | None) -> str:
    """Record Markdown as readable plain text: no markup, links as "text (address)", lists as "- " lines."""
    if not text:
        return ""
    reader = _PlainText()
    reader.feed(str(render_markdown(text)))
    return reader.text()
