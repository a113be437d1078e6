"""Our Markdown converter against stock Python-Markdown with the same extensions, on ordinary text.

markdown_text.py swaps some of Python-Markdown's processors for linear-time ones and
subclasses private methods to do it. This test pins the promise that makes that safe:
on the Markdown people write (paragraphs, emphasis, links with titles, lists, headings,
tables, quotes), the HTML is exactly what stock Python-Markdown gives. A new Markdown
release that changes those internals fails here first (users then get stock Markdown's
processors, see `_linear_fits`).
"""

from __future__ import annotations

import markdown
from hypothesis import example, given, settings
from hypothesis import strategies as st

from client_portal.page.markdown_text import _converter, _linear_fits

from .fuzz_profiles import examples

WORDS = ["we", "deliver", "the", "photos", "launch", "call", "tea", "café", "Jane's", "2026", "分享", "茶单", "v2.1"]
LINKS = [
    "[the guide](https://ok.example/guide.pdf)",
    "[two words](https://ok.example/a?b=1&c=2)",
    '[t](https://ok "a title")',
    '[t](https://ok "a ](b")',  # a "](" inside the title
    "[t](https://ok 'single')",
    "[t](https://ok/(nested)/path)",
    "[t](<https://ok.example/with space>)",
    "[see the docs][docs]",
    "[docs]",
    "![logo](https://ok.example/logo.png)",
    "[write](mailto:jane@acme.example)",
    "<https://auto.example/x>",
    "[not a link]",
    "[a [nested] text](https://ok)",
]
MARKS = ["*{}*", "**{}**", "_{}_", "__{}__", "`{}`", "({})", '"{}"', "{}!", "{},", "{}:"]

word = st.sampled_from(WORDS)
marked = st.builds(lambda mark, text: mark.format(text), st.sampled_from(MARKS), word)
inline = st.one_of(word, word, word, marked, st.sampled_from(LINKS))
line = st.lists(inline, min_size=1, max_size=8).map(" ".join)
lines = st.lists(line, min_size=1, max_size=3).map("\n".join)


def _prefixed(prefix: str) -> st.SearchStrategy[str]:
    return st.lists(line, min_size=1, max_size=4).map(lambda items: "\n".join(prefix + item for item in items))


def _table(rows: list[list[str]]) -> str:
    width = len(rows[0])
    cells = [row[:width] + ["x"] * (width - len(row)) for row in rows]
    head, *body = ["| " + " | ".join(cell.replace("|", "") for cell in row) + " |" for row in cells]
    return "\n".join([head, "|" + "---|" * width, *body])


cell = st.lists(st.one_of(word, marked), min_size=1, max_size=3).map(" ".join)
table = st.lists(st.lists(cell, min_size=2, max_size=3), min_size=2, max_size=4).map(_table)
block = st.one_of(
    lines,
    lines,
    st.builds(lambda level, text: "#" * level + " " + text, st.integers(1, 6), line),
    st.builds(lambda text, under: f"{text}\n{under * 3}", line, st.sampled_from("=-")),
    _prefixed("- "),
    _prefixed("* "),
    _prefixed("1. "),
    _prefixed("> "),
    st.builds(lambda outer, inner: f"- {outer}\n    - {inner}", line, line),
    st.just("---"),
    st.just("***"),
    _prefixed("    "),
    table,
)
document = st.builds(
    lambda blocks, references: "\n\n".join(blocks) + references,
    st.lists(block, min_size=1, max_size=6),
    st.sampled_from(["", "\n\n[docs]: https://docs.example/start", '\n\n[docs]: https://docs.example "Docs"']),
)

STOCK = markdown.Markdown(extensions=["tables", "sane_lists"], output_format="html")


def ours(text: str) -> str:
    converter = _converter()
    converter.reset()
    html: str = converter.convert(text)
    return html


def stock(text: str) -> str:
    STOCK.reset()
    html: str = STOCK.convert(text)
    return html


def test_the_installed_markdown_takes_the_linear_processors():
    # otherwise the comparisons below would compare stock Markdown with itself
    assert _linear_fits()


@settings(max_examples=examples(3), deadline=None)
@given(document)
@example('[t](https://ok "a ](b")')
@example('[one](https://a "x ](y") and [two](https://b "p ](q")')
@example("text [unclosed and [a link](https://x.example)")
@example("# Title\n\nText\n---\n\n> quote\n> more\n\n| a | b |\n|---|---|\n| c | d |")
def test_ordinary_markdown_renders_as_stock_python_markdown_does(text):
    assert ours(text) == stock(text)


# Short runs of the characters link parsing turns on: where a bounded reading could go wrong.
LINK_SYNTAX = ["a", "b", " ", "(", ")", "[", "]", '"', "'", "<", ">", "!", "*", "\n", "](", "https://ok", "[t](", ' "']


@settings(max_examples=examples(20), deadline=None)
@given(st.lists(st.sampled_from(LINK_SYNTAX), max_size=30).map("".join))
@example('[t]("(](')  # Markdown gives up on the title and backtracks to before the text began
def test_fragments_of_link_syntax_render_as_stock_python_markdown_does(text):
    assert ours(text) == stock(text)
