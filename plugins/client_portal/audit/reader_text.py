"""Text as a reader sees it, folded for comparison: what the leak audit compares.

``reader_text`` takes any file text (HTML, JSON, JavaScript, XML, plain text) or a
record's Markdown and returns its words, lower-case, one space apart. Two texts a
reader would read as the same words give the same result, however they are encoded:
``Smith &amp; Sons``, ``SMITH <em>&amp;</em>&nbsp;Sons`` and ``Smith \\u0026 Sons``
all become ``smith sons``.
"""

from __future__ import annotations

import html
import re
import unicodedata
from urllib.parse import unquote

# Elements a browser runs into the surrounding text; every other tag separates words.
INLINE_TAGS = frozenset({
    "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "del", "dfn", "em", "font", "i", "ins", "kbd", "mark",
    "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "time", "tt", "u", "var", "wbr",
})  # fmt: skip
# Scripts written without spaces between words: each character counts as a word.
UNSPACED = "\u3040-\u30ff\u3100-\u312f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"

_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|(.))", re.DOTALL)
_CONTROL_ESCAPES = {"n": "\n", "r": "\n", "t": " ", "b": " ", "f": " ", "v": " "}
_TAG = re.compile(r"<(/?)([A-Za-z][\w:-]*)([^>]*)>")
_URL_ESCAPES = re.compile(r"(?:%[0-9a-fA-F]{2})+")
# Default-ignorable code points (soft hyphen, zero-width space and joiners, word joiner,
# bidi marks, variation selectors, BOM): a reader sees nothing, so they must not split words.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e0fff]"
)
_SEPARATORS = re.compile(r"[\W_]+")
_UNSPACED_CHARACTER = re.compile(f"[{UNSPACED}]")
_WORD = re.compile(f"([{UNSPACED}])|[^\\s{UNSPACED}]+")
_MARKDOWN_LINK_TARGET = re.compile(
    r"(?<=\])(?:\([^)\s]*(?:\s+\"[^\"]*\")?\)|\[[^\]]*\])|^ {0,3}\[[^\]]+\]:.*$", re.MULTILINE
)
_MARKDOWN_LIST_NUMBER = re.compile(r"^\s*\d+[.)]\s", re.MULTILINE)
# Emphasis, code and link marks vanish when rendered, so "是**春节**" reads as one run of
# characters; an underscore inside a word is no emphasis and stays.
_MARKDOWN_MARKS = re.compile(r"\*+|`+|~~|(?<!\w)_+|_+(?!\w)|!?\[|\]")


def reader_text(text: str) -> str:
    """``text`` as a reader sees it: unescaped, tags out, NFKC, case-folded, words one space apart.

    Tag attributes (``alt``, ``title``, ``href``) are readable too: they follow the text
    instead of being dropped, so nothing in the input escapes the comparison.
    """
    if "\\" in text:
        text = _decode_escapes(text)
    if "<" in text:
        text = _without_tags(text)
    if "&" in text:
        text = html.unescape(text)
    if "%" in text:
        text = _URL_ESCAPES.sub(lambda match: unquote(match[0], errors="replace"), text)
    if text.isascii():  # nothing to normalise or drop: most of a site
        text = text.lower()
    else:
        text = _INVISIBLE.sub("", text)
        text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return _SEPARATORS.sub(" ", text).strip()


def markdown_reader_text(markdown: str) -> str:
    """A record's Markdown as a reader sees it once rendered: link targets and list numbers out."""
    markdown = _MARKDOWN_LIST_NUMBER.sub(" ", _MARKDOWN_LINK_TARGET.sub("", markdown))
    return reader_text(_MARKDOWN_MARKS.sub("", markdown))


def words(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, unspaced) of each word of a ``reader_text``; a Chinese or Japanese character is one word."""
    return [(*match.span(), match.lastindex == 1) for match in _WORD.finditer(text)]


def is_unspaced(character: str) -> bool:
    """Whether ``character`` belongs to a script written without spaces between words."""
    return _UNSPACED_CHARACTER.fullmatch(character) is not None


def _decode_escapes(text: str) -> str:
    """JSON and JavaScript string escapes decoded (``\\u83b2``, ``\\n``, ``\\"``), surrogate pairs joined."""
    surrogates = False

    def decode(match: re.Match[str]) -> str:
        nonlocal surrogates
        code, byte, other = match.groups()
        if code is not None:
            value = int(code, 16)
            surrogates = surrogates or 0xD800 <= value <= 0xDFFF
            return chr(value)
        if byte is not None:
            return chr(int(byte, 16))
        return _CONTROL_ESCAPES.get(other, other)

    text = _ESCAPE.sub(decode, text)
    if surrogates:
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


def _without_tags(text: str) -> str:
    """Tags out of the text: inline ones join their neighbours, others separate; attributes go last."""
    attributes: list[str] = []

    def replace(match: re.Match[str]) -> str:
        if match[3]:
            attributes.append(match[3])
        return "" if match[2].lower() in INLINE_TAGS else " "

    visible = _TAG.sub(replace, text)
    return visible + " " + " ".join(attributes) if attributes else visible
