"""Accent shades: whatever colour a client brings, text and buttons meet WCAG AA in both schemes."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from client_portal.page.colour import (
    DARK_PAGE,
    DARK_TINT,
    DEFAULT_ACCENT,
    LIGHT_PAGE,
    LIGHT_TINT,
    accent_shades,
    contrast,
    mix,
)

CSS = Path(__file__).resolve().parent.parent / "plugins" / "client_portal" / "page" / "assets" / "shell.css"
EVERY_SHORT_COLOUR = ["#" + "".join(c) for c in itertools.product("0123456789abcdef", repeat=3)]


def test_every_accent_gets_readable_shades_in_both_schemes():
    for accent in EVERY_SHORT_COLOUR:
        shades = accent_shades(accent)
        # as text on the page and on cards it tints; white (light) or dark (slate) button text on it
        assert (
            min(contrast(shades.light, LIGHT_PAGE), contrast(shades.light, mix(shades.light, LIGHT_PAGE, LIGHT_TINT)))
            >= 4.5
        ), accent
        assert (
            min(contrast(shades.dark, DARK_PAGE), contrast(shades.dark, mix(shades.dark, DARK_PAGE, DARK_TINT))) >= 4.5
        ), accent


@pytest.mark.parametrize(
    ("accent", "light", "dark"),
    [
        ("#123456", "#123456", None),  # dark enough for white already: unchanged
        ("#ffe14d", None, "#ffe14d"),  # pale: fine on the dark page as it is
        ("#b5651d", "#9f5919", "#df8636"),
    ],
)
def test_a_readable_accent_is_kept_and_others_move_as_little_as_needed(accent, light, dark):
    shades = accent_shades(accent)
    if light:
        assert shades.light == light
    if dark:
        assert shades.dark == dark
    if shades.light != accent:  # moved just past the line, not to black
        assert contrast(shades.light, LIGHT_PAGE) < 5.5


def test_the_stylesheet_defaults_are_the_default_accents_shades():
    css = CSS.read_text(encoding="utf-8")
    shades = accent_shades(DEFAULT_ACCENT)
    assert re.search(rf"--cp-accent: {shades.light};", css)
    assert re.search(rf"--cp-accent-dark: {shades.dark};", css)


def test_contrast_matches_the_wcag_examples():
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
