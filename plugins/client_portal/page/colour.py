"""The client's accent as shades that meet WCAG AA on the page, in light and dark schemes.

A brand colour is used as text (links, headings' rules, icons) and as the
background of buttons. Pale colours fail on white and dark ones on the dark
scheme, so each scheme gets the nearest shade of the same hue that reaches 4.5:1
against the page and the tinted cards the accent itself produces.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass
from functools import lru_cache

AA = 4.5  # WCAG 2.x AA for body text
VISIBLE = 3.0  # WCAG's minimum for large text and controls: below it a colour is replaced, not nudged
MARGIN = 0.15  # browsers round colour mixes; stay clear of the line
LIGHT_PAGE = "#ffffff"
DARK_PAGE = "#1e2029"  # Material's slate background, hsl(232 15% 14%)
# How strongly portal.css tints cards with the accent (--cp-soft) in each scheme.
LIGHT_TINT, DARK_TINT = 0.08, 0.14
DEFAULT_ACCENT = "#4051b5"


@dataclass(frozen=True)
class AccentShades:
    """The accent to use in the light scheme and in the dark (slate) scheme."""

    light: str
    dark: str


@lru_cache(maxsize=1024)  # the record check and the page both ask, and a rebuild asks again
def accent_shades(accent: str) -> AccentShades:
    """Shades of ``accent`` readable as text, and under button text, in both schemes."""
    colour = _rgb(accent)
    return AccentShades(
        light=_hex(_readable(colour, LIGHT_PAGE, LIGHT_TINT, darker=True)),
        dark=_hex(_readable(colour, DARK_PAGE, DARK_TINT, darker=False)),
    )


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two ``#rrggbb`` colours, 1 to 21."""
    return _ratio_of(_luminance(_rgb(first)), _luminance(_rgb(second)))


def same_colour(first: str, second: str) -> bool:
    """Whether two hex colours are the same colour, however written (``#ABC`` and ``#aabbcc``)."""
    return _rgb(first) == _rgb(second)


def mix(colour: str, other: str, share: float) -> str:
    """``share`` of ``colour`` over ``other``, as CSS ``color-mix(in srgb, ...)`` computes it."""
    return _hex(_mix(_rgb(colour), _rgb(other), share))


RGB = tuple[float, float, float]


def _readable(colour: RGB, page: str, tint: float, *, darker: bool) -> RGB:
    """The first shade of ``colour``'s hue, moving lightness away from ``page``, that is readable on it."""
    hue, lightness, saturation = colorsys.rgb_to_hls(*colour)
    background = _rgb(page)
    # each luminance once a step: the page's is the same on every step, the shade's is in both ratios
    page_luminance = _luminance(background)
    for step in range(101):
        shifted = max(0.0, lightness - step / 100) if darker else min(1.0, lightness + step / 100)
        shade = colorsys.hls_to_rgb(hue, shifted, saturation)
        luminance = _luminance(shade)
        # the card's contrast only for a shade readable on the page: most steps are not, and stop there
        if _ratio_of(luminance, page_luminance) < AA + MARGIN:
            continue
        if _ratio_of(luminance, _luminance(_mix(shade, background, tint))) >= AA + MARGIN:
            return shade
    return (0.0, 0.0, 0.0) if darker else (1.0, 1.0, 1.0)


def _ratio_of(first: float, second: float) -> float:
    lighter, darker = (first, second) if first >= second else (second, first)
    return (lighter + 0.05) / (darker + 0.05)


def _linear(channel: float) -> float:
    return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4


def _luminance(colour: RGB) -> float:
    red, green, blue = colour
    return 0.2126 * _linear(red) + 0.7152 * _linear(green) + 0.0722 * _linear(blue)


def _mix(colour: RGB, other: RGB, share: float) -> RGB:
    red, green, blue = (a * share + b * (1 - share) for a, b in zip(colour, other, strict=True))
    return (red, green, blue)


def _rgb(text: str) -> RGB:
    digits = text.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    red, green, blue = (int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return (red, green, blue)


def _hex(colour: RGB) -> str:
    return "#" + "".join(f"{round(channel * 255):02x}" for channel in colour)
