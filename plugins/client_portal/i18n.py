"""Message catalogs and locale choice: one gettext catalog per shipped language."""

from __future__ import annotations

import hashlib
import io
import unicodedata
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).parent / "locales"
FALLBACK = "en"


@cache
def shipped() -> dict[tuple[str, str | None], str]:
    """Catalogs shipped with the package, keyed by (language, script); English needs none."""
    found: dict[tuple[str, str | None], str] = {("en", None): FALLBACK}
    for po in sorted(LOCALES_DIR.glob("*/LC_MESSAGES/messages.po")):
        name = po.parent.parent.name
        locale = Locale.parse(name)
        found[(locale.language, locale.script)] = name
    return found


@cache  # every page of one language asks; a Locale is not changed by its users
def page_locale(tag: str) -> Locale:
    """The locale a page is shown in: the tag's own when a catalog ships for it, else English."""
    try:
        wanted = Locale.parse(tag, sep="-")
    except (UnknownLocaleError, ValueError):
        return Locale.parse(FALLBACK)
    # zh-CN parses to zh_Hans_CN, plain "zh" means Hans too (CLDR's likely subtags), so
    # matching on language and script keeps zh-TW from getting Simplified Chinese.
    likely = Locale.parse(get_global("likely_subtags").get(wanted.language, wanted.language))
    script = wanted.script or likely.script
    catalogs = shipped()
    if (wanted.language, script) in catalogs:
        if wanted.script or script is None:
            return wanted
        return Locale(wanted.language, territory=wanted.territory or likely.territory, script=script)
    if (wanted.language, None) in catalogs:
        return wanted
    return Locale.parse(FALLBACK)


@cache
def translations(locale_name: str) -> NullTranslations:
    """gettext translations for a locale (English: the messages as written)."""
    locale = Locale.parse(locale_name)
    name = shipped().get((locale.language, locale.script))
    if name is None or name == FALLBACK:
        return NullTranslations()
    folder = LOCALES_DIR / name / "LC_MESSAGES"
    text = (folder / "messages.po").read_bytes()
    # The wheel has each catalog compiled when it was built (hatch_build.py); a source checkout compiles it here.
    built = folder / compiled_name(text)
    return Translations(fp=io.BytesIO(built.read_bytes() if built.is_file() else compiled_catalog(text, name)))


def compiled_name(po: bytes) -> str:
    """The name of a catalog compiled from the ``.po`` file ``po``: one for another ``.po`` is never read."""
    return f"messages-{hashlib.sha256(po).hexdigest()[:16]}.mo"


def compiled_catalog(po: bytes, locale_name: str) -> bytes:
    """The ``.mo`` form of the ``.po`` file ``po``, as gettext reads it."""
    compiled = io.BytesIO()
    write_mo(compiled, read_po(io.BytesIO(po), locale=locale_name))
    return compiled.getvalue()


def html_lang(locale: Locale) -> str:
    """The page's ``lang`` attribute: ``zh-CN`` for Simplified Chinese, else the BCP 47 form."""
    return "zh-CN" if locale.language == "zh" else str(locale).replace("_", "-")


def text_direction(locale: Locale | str) -> str:
    """The page's ``dir`` attribute: ``rtl`` for a language written right to left (Arabic), else ``ltr``."""
    found = locale if isinstance(locale, Locale) else Locale.parse(locale)
    return "rtl" if found.text_direction == "rtl" else "ltr"


def right_to_left(text: str) -> bool:
    """Whether text holds a letter written right to left (Arabic, Hebrew, …)."""
    if text.isascii():  # most names and titles: no letter to look up
        return False
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)


def shipped_languages() -> list[str]:
    """The shipped languages as a record writes them: de, en, …, pt-BR, zh-CN."""
    return sorted(html_lang(Locale.parse(name)) for name in shipped().values())


def catalog_warning(tag: str) -> str | None:
    """Why a record's language shows in English (no catalog ships for it); None when one does."""
    try:
        language = Locale.parse(tag, sep="-").language
    except (UnknownLocaleError, ValueError):
        return None  # an invalid tag is the loader's error, not a missing catalog
    if page_locale(tag).language == language:
        return None
    return (
        f"language: {tag!r} has no catalog, so the page and e-mails fall back to English; "
        f"shipped: {', '.join(shipped_languages())}"
    )
