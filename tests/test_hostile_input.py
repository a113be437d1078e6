"""Record text that tries to hurt: it cannot stall the build, add mail headers, or break a page."""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser
from pathlib import Path
from textwrap import dedent
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from click.testing import CliRunner
from markupsafe import Markup, escape

from client_portal.commands.cli import main
from client_portal.page.markdown_text import MAX_NESTING, render_markdown
from client_portal.page.render import Renderer
from client_portal.page.view import mailto, page_context
from client_portal.records.loader import parse_record
from client_portal.records.model import MAX_MARKDOWN, Client

from .conftest import TODAY
from .pages import MATERIAL_TEMPLATES, SEEN_KEY, SETTINGS
from .test_loader import VALID

# A hang guard, not a speed target: each of these took from seconds to minutes before.
STALL = 5.0

# Each repeated up to the Markdown limit. The first ones were quadratic in Python-Markdown:
# "[" made every link pattern walk to the end of the paragraph (40 s at 20,000 characters),
# "[](" the link-destination scan, "<a " the HTML parser's rescans, "-\n" the block tests.
PATHOLOGICAL = [
    "[](",
    "[",
    "![",
    "[^",
    "[a](",
    "[a][",
    "![a][",
    "<![CDATA[",
    "[" * 50 + "]" * 50,
    "](",
    "[]",
    "<",
    "<a ",
    "<a\n",
    "<a/",
    "<a b='",
    "<a href=",
    "<http://",
    "<a@",
    "<!-- >",
    "<?x>",
    "*_",
    "_*",
    "**a",
    "`",
    "``a",
    "\\",
    "&#",
    "> ",
    "> > > ",
    "1. ",
    "+ ",
    "- 1. ",
    "  - ",
    "-\n",
    "=\n",
    "a\n-\n",
    "***\n",
    "# a\n",
    "|a|b|\n|-|-|\n",
    "a|b\n-|-\n",
    "[a]: b\n",
    "<b>",
    "<div>\n",
]


def at_limit(pattern: str) -> str:
    return (pattern * (MAX_MARKDOWN // len(pattern) + 1))[:MAX_MARKDOWN]


@pytest.mark.parametrize("pattern", PATHOLOGICAL)
def test_pathological_markdown_renders_without_stalling(pattern):
    script = "<script>alert(1)</script>"  # ends the text, so whatever state the pattern left, it stays inert
    text = at_limit(pattern)[: -len(script)] + script
    started = time.perf_counter()
    html = render_markdown(text)
    assert time.perf_counter() - started < STALL, f"{pattern!r} x {len(text):,} stalled"
    assert isinstance(html, Markup)
    assert "<script" not in html.lower()


def test_nesting_too_deep_for_markdown_shows_the_text_and_rendering_goes_on():
    html = render_markdown(at_limit("1. "))
    assert html.count("<ol>") == MAX_NESTING and "1. 1. 1." in html  # the rest as text, instead of a crash
    assert render_markdown("**still fine**") == Markup("<p><strong>still fine</strong></p>")


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("text [unclosed and [a link](https://x.example)", '<a href="https://x.example"'),
        ("[![badge](https://i.example/b.svg)](https://x.example)", '<a href="https://x.example"'),
        ("[nested [brackets] work](https://x.example)", ">nested [brackets] work</a>"),
        ("see [the docs][1]\n\n[1]: https://d.example", '<a href="https://d.example"'),
        ("a < b and `c < d` and <b>bold</b>", "<p>a &lt; b and <code>c &lt; d</code> and <b>bold</b></p>"),
        ("Title\n---\nmore\n***\nend", "<h3>Title</h3>\n<p>more</p>\n<hr>\n<p>end</p>"),
    ],
)
def test_ordinary_markdown_renders_as_before(markdown, expected):
    assert expected in render_markdown(markdown)


def test_control_characters_and_markdown_placeholders_are_only_text():
    html = render_markdown("a\x00b \x02wzxhzdk:0\x03 \x1a <x")
    assert html == Markup("<p>a\ufffdb \ufffdwzxhzdk:0\ufffd \ufffd &lt;x</p>")


# --- Links in record Markdown ----------------------------------------------------------------


@pytest.mark.parametrize(
    "link",
    [
        "mailto:jane@acme.example?bcc=someone@else.example",
        "mailto:jane@acme.example?cc=a@b.example&subject=Hi&body=Send%20it",
        "MAILTO:jane@acme.example?subject=x",
        "mailto:jane@acme.example%3Fbcc%3Dsomeone@else.example",
        "mailto:jane@acme.example,someone@else.example",
        "mailto:jane@acme.example%0D%0ABcc:%20someone@else.example",
    ],
)
def test_mailto_links_keep_only_the_address(link):
    html = render_markdown(f"[write]({link})")
    assert html == Markup('<p><a href="mailto:jane@acme.example" rel="noopener noreferrer nofollow">write</a></p>')


@pytest.mark.parametrize("link", ["mailto:?to=someone@else.example", "mailto:", "mailto:nobody"])
def test_mailto_links_without_an_address_become_text(link):
    assert render_markdown(f"[write]({link})") == Markup("<p>write</p>")


@pytest.mark.parametrize(
    "markdown",
    [
        "[x](javascript:alert(1))",
        "[x](data:text/html,hi)",
        '<a href="javascript:alert(1)" title="t">x</a>',
        '<a name="anchor">x</a>',
        "<a>x</a>",
        "[x](../other-client/)",
        "[x](//elsewhere.example/)",
    ],
)
def test_links_that_lose_their_href_become_plain_text(markdown):
    html = render_markdown(markdown)
    assert "<a" not in html and "rel=" not in html
    assert "x" in html


@pytest.mark.parametrize("link", ["tel:+4930123456", "sms:+4930123456", "ssh://host.example", "ftp://f.example/x"])
def test_only_web_and_mail_links_survive(link):
    # nh3 lets these schemes through by default: the allowlist is what drops them.
    assert render_markdown(f"[x]({link})") == Markup("<p>x</p>")
    assert render_markdown(f'<a href="{link}">x</a>') == Markup("<p>x</p>")


@pytest.mark.parametrize("link", ["java\tscript:alert(1)", "java&#x09;script:alert(1)", " javascript:alert(1)"])
def test_links_hidden_from_a_scheme_check_are_still_judged_as_the_browser_reads_them(link):
    assert render_markdown(f'<a href="{link}">x</a>') == Markup("<p>x</p>")


# nh3 before 0.3.7 left ">" and "<" unescaped inside attribute values; anything editing its
# output with a regex then read the title's "><a " as a tag, and wrote a live onmouseover.
ATTRIBUTE_BREAKOUT = '<a href="https://ok" title="x><a ">t</a> " onmouseover="alert(1)" x="'


def test_an_attribute_value_that_looks_like_markup_stays_inside_its_attribute():
    assert render_markdown(ATTRIBUTE_BREAKOUT) == Markup(
        '<p><a href="https://ok" title="x&gt;&lt;a " rel="noopener noreferrer nofollow">t</a>'
        ' " onmouseover="alert(1)" x="</p>'
    )


def test_only_the_dead_link_is_unwrapped():
    html = render_markdown("[bad](javascript:x) and [good](https://ok.example) and [bad too](vbscript:y)")
    assert html == Markup(
        '<p>bad and <a href="https://ok.example" rel="noopener noreferrer nofollow">good</a> and bad too</p>'
    )


# --- Reply links -----------------------------------------------------------------------------


def subject_of(href: str) -> str:
    [subject] = parse_qs(urlsplit(href).query)["subject"]
    return subject


@pytest.mark.parametrize("subject", ["About: Q&A", Markup("About: Q&amp;A"), escape("About: Q&A")])
def test_reply_subjects_are_plain_text(subject):
    href = mailto("mei@example.com", subject)
    assert subject_of(href) == "About: Q&A"
    assert urlsplit(href).path == "mei@example.com"


def test_the_address_cannot_carry_headers():
    href = mailto("mei@example.com?bcc=evil@example.net&x=\r\nBcc: evil@example.net", "Hi\r\nBcc: evil@example.net")
    parts = urlsplit(href)
    assert list(parse_qs(parts.query)) == ["subject"]
    assert subject_of(href) == "Hi Bcc: evil@example.net"  # one header line, as text
    assert not any(c in unquote(parts.path) for c in "?&\r\n ")


def test_a_body_keeps_its_lines_as_crlf():
    assert parse_qs(urlsplit(mailto("a@b.example", "s", "one\ntwo")).query)["body"] == ["one\r\ntwo"]


class _Buttons(HTMLParser):
    """(text, href) of every link."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._href, self._text = dict(attrs).get("href") or "", []

    def handle_data(self, data):
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            self.links.append((" ".join("".join(self._text).split()), self._href))
            self._href = None


TITLE = 'Q&A <b>"quoted"</b>'
TRICKY = dedent(
    """\
    name: Tricky & Co
    contacts: [{name: Jane}]
    deliverables:
      - title: 'Q&A <b>"quoted"</b>'
        status: waiting_on_client
        due: 2026-11-30
    suggestions:
      - title: 'Q&A <b>"quoted"</b>'
        status: proposed
    """
)


def test_reply_buttons_on_a_rendered_page_have_plain_text_subjects():
    record, _ = parse_record(TRICKY, Path("tricky.yml"), today=TODAY)
    client = Client("tricky", Path("tricky.yml"), record)
    parser = _Buttons()
    parser.feed(str(Renderer([MATERIAL_TEMPLATES]).body(page_context(client, SETTINGS, TODAY, whatsnew_key=SEEN_KEY))))
    subjects = {text: subject_of(href) for text, href in parser.links if href.startswith("mailto:")}
    assert subjects["Reply"] == f"About: {TITLE}"
    assert subjects["Let's talk"] == f"Let's talk: {TITLE}"
    assert subjects["Yes, let's do it"] == f"Yes, let's do it: {TITLE}"
    assert all(urlsplit(href).path == "mei@example.com" for _, href in parser.links if href.startswith("mailto:"))


# --- The command line ------------------------------------------------------------------------


def check() -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check"], catch_exceptions=False)
    return result.exit_code, result.output


def test_check_rejects_a_120_kb_pathological_field_quickly(empty_portal):
    (empty_portal / "clients" / "acme.yml").write_text(VALID + f"    notes: '{'[](' * 40_000}'\n", encoding="utf-8")
    started = time.perf_counter()
    code, output = check()
    assert time.perf_counter() - started < STALL
    assert code == 1
    assert "clients/acme.yml:9:12: error: deliverables[0].notes: is 120,000 characters; keep it within 20,000" in output


@pytest.mark.parametrize(
    ("line", "words"),
    [
        (f"timezone: {'a' * 20_000}", "timezone: is 20,000 characters"),
        (f"timezone: {'a' * 300}", "timezone: is 300 characters"),
        ('timezone: "\\0"', "is not an IANA time zone"),
        ("timezone: ../../etc/passwd", "is not an IANA time zone"),
        ("timezone: Europe", "is not an IANA time zone"),
        ("timezone: tzdata.zi", "is not an IANA time zone"),
        (f"language: {'en-' * 2000}x", "language: is 6,001 characters"),
        ('language: "en\\0"', "is not a known language tag"),
        ("language: en-US-x-" + "a" * 40, "is not a known language tag"),
    ],
)
def test_check_reports_nasty_values_without_a_traceback(empty_portal, line, words):
    (empty_portal / "clients" / "acme.yml").write_text(VALID + line + "\n", encoding="utf-8")
    code, output = check()
    assert "Traceback" not in output
    assert code == 1
    assert output.startswith("clients/acme.yml:9:11: error: ") and words in output
    assert len(output.splitlines()[0]) < 300  # the value itself is not echoed in full


@pytest.mark.parametrize(
    ("markdown", "top", "levels"),
    [
        ("## B\n\n#### D", 3, [3, 4]),  # a skipped level closes up
        ("# A\n\n## B\n\n### C", 3, [3, 4, 5]),
        ("### C\n\n# A", 3, [3, 3]),  # never above the place it is shown
        ("# A\n\n## B", 5, [5, 6]),
        ("# A\n\n## B\n\n### C\n\n#### D", 5, [5, 6, 6, 6]),  # h6 is the floor
        ('<h2 class="x">raw</h2>', 2, [2]),
    ],
)
def test_record_headings_start_below_their_place_and_never_skip_a_level(markdown, top, levels):
    html = str(render_markdown(markdown, top=top))
    assert [int(level) for level in re.findall(r"<h(\d)>", html)] == levels
    assert re.findall(r"</h(\d)>", html) == [str(level) for level in levels]


# --- Bidi controls ---------------------------------------------------------------------------

# An override written into a title reverses what follows it ("Trojan Source"); isolates and
# embeddings leak past the field as well. The marks LRM and RLM change no order and stay.
REVERSED = dedent(
    """\
    name: Acme Bakery
    contacts:
      - name: Jane Doe
        email: jane@acme.example
    deliverables:
      - title: "Invoice \\u202Eat 0.5% fee\\u202C ok"
        status: waiting_on_client
        due: 2026-12-01
        notes: "Pay \\u2067here\\u2069 \\u202Bnow\\u202C \\u202Ahere\\u202C \\
          \\u202Dtoo\\u202C \\u2066x\\u2069\\u2068y\\u2069 \\u200Fmark"
    """
)


def test_bidi_controls_in_record_text_never_reach_the_page_or_a_reply():
    record, _ = parse_record(REVERSED, Path("acme.yml"), today=TODAY)
    assert record.deliverables[0].title == "Invoice at 0.5% fee ok"
    assert record.deliverables[0].notes == "Pay here now here too xy \u200fmark"
    client = Client("acme", Path("acme.yml"), record)
    body = str(Renderer([MATERIAL_TEMPLATES]).body(page_context(client, SETTINGS, TODAY, whatsnew_key=SEEN_KEY)))
    assert "Invoice at 0.5% fee ok" in body
    assert not re.search("[\u202a-\u202e\u2066-\u2069]", unquote(body))


def test_check_says_where_a_bidi_control_is(empty_portal):
    (empty_portal / "clients" / "acme.yml").write_text(
        VALID.replace("title: Spring menu", "title: Spring \u202emenu"), encoding="utf-8"
    )
    code, output = check()
    assert code == 0  # removed by the build, so a warning
    assert (
        "clients/acme.yml:6:19: warning: U+202E, a bidi control character, reorders the text after it and can "
        "disguise what a client reads; the page and the letters leave it out, so delete it here" in output
    )
    assert "1 record checked: 0 errors, 1 warning" in output
