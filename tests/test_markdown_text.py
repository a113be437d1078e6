"""render_markdown's own parts, each test with a Markdown converter it builds itself.

The module builds its converter once per process; these tests clear it first, so what
they check includes how the converter is put together (which processors, where).
"""

from __future__ import annotations

import logging
import sys

import markdown
import pytest
from markdown.blockprocessors import BlockQuoteProcessor, HashHeaderProcessor, HRProcessor, SetextHeaderProcessor
from markdown.extensions.tables import TableProcessor
from markdown.inlinepatterns import (
    ImageInlineProcessor,
    ImageReferenceInlineProcessor,
    LinkInlineProcessor,
    ReferenceInlineProcessor,
    ShortImageReferenceInlineProcessor,
    ShortReferenceInlineProcessor,
)

from client_portal.page import markdown_linear, markdown_text
from client_portal.page.markdown_text import render_markdown

REL = 'rel="noopener noreferrer nofollow"'
LINEAR = {
    TableProcessor: markdown_linear._Table,
    HashHeaderProcessor: markdown_linear._HashHeading,
    SetextHeaderProcessor: markdown_linear._SetextHeading,
    HRProcessor: markdown_linear._HorizontalRule,
    BlockQuoteProcessor: markdown_linear._BlockQuote,
    ReferenceInlineProcessor: markdown_linear._Reference,
    LinkInlineProcessor: markdown_linear._Link,
    ImageInlineProcessor: markdown_linear._Image,
    ImageReferenceInlineProcessor: markdown_linear._ImageReference,
    ShortReferenceInlineProcessor: markdown_linear._ShortReference,
    ShortImageReferenceInlineProcessor: markdown_linear._ShortImageReference,
}


@pytest.fixture(autouse=True)
def fresh_converter():
    markdown_text._converter.cache_clear()
    markdown_text._linear_fits.cache_clear()
    yield
    markdown_text._converter.cache_clear()
    markdown_text._linear_fits.cache_clear()


def test_the_linear_processors_take_the_places_of_markdowns_own():
    ours = markdown_text._converter()
    stock = markdown.Markdown(extensions=["tables", "sane_lists"], output_format="html")
    for registry in ("inlinePatterns", "parser.blockprocessors"):
        mine, theirs = ours, stock
        for part in registry.split("."):
            mine, theirs = getattr(mine, part), getattr(theirs, part)
        # the same processors in the same order, each quadratic one swapped for its linear twin
        assert [type(p) for p in mine] == [LINEAR.get(type(p), type(p)) for p in theirs]
    for name in ("reference", "link", "image_link", "image_reference", "short_reference", "short_image_ref"):
        assert ours.inlinePatterns[name].compiled_re.pattern == stock.inlinePatterns[name].compiled_re.pattern
    for name in ("table", "hashheader", "setextheader", "hr", "quote"):
        assert ours.parser.blockprocessors.get_index_for_name(name) == stock.parser.blockprocessors.get_index_for_name(
            name
        )


# One text with every block and link the linear processors handle, and what it renders to.
EVERY_KIND = """\
Intro line
# Heading in a block
after the heading

Rule above
***
below the rule

> quoted
> more

Setext
======
line one
line two
line three

| a | b |
|---|:-:|
| 1 | 2 |

[link](https://ok.example/ "Title"), ![img](https://ok.example/i.png), [ref][r], [r], ![alt][r], ![r]

[r]: https://ok.example/r
"""
EXPECTED = (
    "<p>Intro line</p>\n<h3>Heading in a block</h3>\n<p>after the heading</p>\n"
    "<p>Rule above</p>\n<hr>\n<p>below the rule</p>\n"
    "<blockquote>\n<p>quoted\nmore</p>\n</blockquote>\n"
    "<h3>Setext</h3>\n<p>line one\nline two\nline three</p>\n"
    "<table>\n<thead>\n<tr>\n<th>a</th>\n<th>b</th>\n</tr>\n</thead>\n"
    "<tbody>\n<tr>\n<td>1</td>\n<td>2</td>\n</tr>\n</tbody>\n</table>\n"
    # images are no allowed element: each is dropped whole, never shown as Markdown source
    f'<p><a href="https://ok.example/" title="Title" {REL}>link</a>, , '
    f'<a href="https://ok.example/r" {REL}>ref</a>, <a href="https://ok.example/r" {REL}>r</a>, , </p>'
)


def test_every_kind_of_block_and_link_renders_as_markdown_would():
    assert str(render_markdown(EVERY_KIND)) == EXPECTED
    assert str(render_markdown(EVERY_KIND)) == EXPECTED  # and again, with the same converter


def test_a_link_title_holding_brackets_renders_as_markdown_would_after_a_text_that_spent_the_budget():
    # each text has its own allowance for reading past a "](": a slow text does not change the next one
    render_markdown('[t](https://ok.example/ "a ](b") ' * 150)  # each link reads the rest of the text again
    assert str(render_markdown('[t](https://ok.example/ "a ](b")')) == (
        f'<p><a href="https://ok.example/" title="a ](b" {REL}>t</a></p>'
    )


@pytest.mark.parametrize(
    ("markdown_source", "rendered"),
    [
        ("- - - - x", "<ul>\n<li>\n<ul>\n<li>\n<ul>\n<li>- x</li>\n</ul>\n</li>\n</ul>\n</li>\n</ul>"),
        ("1. 2. 3. 45. x", "<ol>\n<li>\n<ol>\n<li>\n<ol>\n<li>45. x</li>\n</ol>\n</li>\n</ol>\n</li>\n</ol>"),
        ("1. 2. 3. 4. x", "<ol>\n<li>\n<ol>\n<li>\n<ol>\n<li>4. x</li>\n</ol>\n</li>\n</ol>\n</li>\n</ol>"),
        (
            "> > > > x",
            "<blockquote>\n<blockquote>\n<blockquote>\n<p>&gt; x</p>\n</blockquote>\n</blockquote>\n</blockquote>",
        ),
    ],
)
def test_markers_nested_deeper_than_three_are_shown_as_the_text_they_are(markdown_source, rendered):
    assert str(render_markdown(markdown_source)) == rendered


@pytest.mark.parametrize(
    ("html", "rendered"),
    [
        # browsers drop tabs and line breaks inside a URL, and control characters around it
        ('<a href="https://ok.example/a&#9;b">t</a>', f'<p><a href="https://ok.example/ab" {REL}>t</a></p>'),
        ('<a href="&#1;https://ok.example/">t</a>', f'<p><a href="https://ok.example/" {REL}>t</a></p>'),
        ('<a href="https://ok.example/" title>t</a>', f'<p><a href="https://ok.example/" title="" {REL}>t</a></p>'),
        ("[**a**](javascript:x) and b", "<p><strong>a</strong> and b</p>"),
        ("[a](javascript:x) and [b](https://ok.example/)", f'<p>a and <a href="https://ok.example/" {REL}>b</a></p>'),
    ],
)
def test_links_are_set_right_before_the_sanitiser_sees_them(html, rendered):
    assert str(render_markdown(html)) == rendered


@pytest.mark.parametrize(
    ("markdown_source", "rendered"),
    [
        ("Hello *world*", "Hello <em>world</em>"),  # one paragraph: its text, to sit inside a line
        ("Hello [you](https://ok.example/)", f'Hello <a href="https://ok.example/" {REL}>you</a>'),
        ("One\n\nTwo", "<p>One</p>\n<p>Two</p>"),  # more than one: the paragraphs stay
        ("# Title", "<h3>Title</h3>"),
        ("- a", "<ul>\n<li>a</li>\n</ul>"),
    ],
)
def test_inline_text_loses_the_paragraph_around_it_and_nothing_else(markdown_source, rendered):
    assert str(render_markdown(markdown_source, inline=True)) == rendered


def test_a_line_break_between_chinese_characters_joins_the_lines():
    assert str(render_markdown("很多老客人\n每个月都会来")) == "<p>很多老客人每个月都会来</p>"
    assert str(render_markdown("很多**老客人**\n每个月")) == "<p>很多<strong>老客人</strong>每个月</p>"
    assert str(render_markdown("Tea\nhouse")) == "<p>Tea\nhouse</p>"  # other scripts keep it


def test_html_comments_in_a_record_never_reach_the_page():
    assert str(render_markdown("<!-- note to self -->Visible")) == "\n<p>Visible</p>"
    assert "note to self" not in str(render_markdown("Text\n\n<!-- note to self -->"))


def _missing_module(monkeypatch):
    # what a Markdown release without one of the classes markdown_linear subclasses does
    monkeypatch.setitem(sys.modules, "client_portal.page.markdown_linear", None)


def _private_method_gone(monkeypatch):
    def gone(self, data, index):
        raise AttributeError("'LinkInlineProcessor' object has no attribute 'getText'")

    monkeypatch.setattr(markdown_linear._LinearLinks, "getText", gone)


def _different_html(monkeypatch):
    # a private part that changed meaning: the processor runs, but no longer gives stock's HTML
    monkeypatch.setattr(markdown_linear._SetextHeading, "run", lambda self, parent, blocks: blocks.pop(0))


HOSTILE = '<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror="alert(2)"> **kept**'


@pytest.mark.parametrize("incompatible", [_missing_module, _private_method_gone, _different_html])
def test_a_markdown_whose_internals_changed_renders_with_its_own_processors_still_sanitised(
    incompatible, monkeypatch, caplog
):
    incompatible(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="client_portal.page.markdown_text"):
        assert str(render_markdown(EVERY_KIND)) == EXPECTED  # the page is the same, only slower on odd text
        markdown_text._converter.cache_clear()  # what a text that broke the converter does
        hostile = str(render_markdown(HOSTILE))
    assert "<script" not in hostile and "javascript" not in hostile and "onerror" not in hostile
    assert "<strong>kept</strong>" in hostile
    ours = markdown_text._converter()
    assert not any(type(p).__module__.endswith("markdown_linear") for p in ours.inlinePatterns)
    assert not any(type(p).__module__.endswith("markdown_linear") for p in ours.parser.blockprocessors)
    [warning] = caplog.records  # once per process, however often the converter is rebuilt
    assert f"Markdown {markdown.__version__} changed the parts client-portal speeds up" in warning.getMessage()
    assert "Update mkdocs-client-portal" in warning.getMessage()


def test_the_installed_markdown_fits_the_linear_processors_without_a_warning(caplog):
    with caplog.at_level(logging.WARNING):
        assert markdown_text._linear_fits()
    assert not caplog.records
