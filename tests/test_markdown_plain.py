"""markdown_plain: record Markdown read as plain text, for the text part of letters."""

from __future__ import annotations

import pytest

from client_portal.page.markdown_plain import markdown_plain


@pytest.mark.parametrize(
    ("markdown", "text"),
    [
        ("Needs **one more week** and _a form_ and *care*.", "Needs one more week and a form and care."),
        ("See [the guide](https://ex.example/g).", "See the guide (https://ex.example/g)."),
        (
            "At <https://ex.example/a> or [https://ex.example/b](https://ex.example/b)",
            "At https://ex.example/a or https://ex.example/b",
        ),
        ("[Write to me](mailto:mei@ex.example?cc=x@evil.example)", "Write to me (mei@ex.example)"),
        ("[bad](javascript:alert(1)) link", "bad link"),  # as on the page: a link nobody may follow is text
        ("# Next steps\n\nFirst line\nsecond line", "Next steps\n\nFirst line\nsecond line"),
        ("- one\n- **two**\n    - two and a half", "- one\n- two\n  - two and a half"),
        ("1. first\n2. second", "1. first\n2. second"),
        ("Before:\n\n- a\n\nAfter.", "Before:\n\n- a\n\nAfter."),
        ("> quoted **text**\n> more", "> quoted text\n> more"),
        ("Code:\n\n    keep  **as**  is", "Code:\n\nkeep  **as**  is"),
        ("| a | b |\n|---|---|\n| 1 | 2 |", "a | b\n1 | 2"),
        ("Tom &amp; Jerry & <b>bold</b> <script>x</script>", "Tom & Jerry & bold"),
        ("10\u00a0km", "10\u00a0km"),
        ("", ""),
    ],
)
def test_markdown_reads_as_plain_text(markdown, text):
    assert markdown_plain(markdown) == text
