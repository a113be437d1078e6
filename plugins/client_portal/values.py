"""Values the settings and the records both check: language tags and time zones, and how a wrong value is shown."""

from __future__ import annotations

import re
import zoneinfo
from typing import Annotated, Any

from babel import Locale, UnknownLocaleError
from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

MAX_TAG = 64  # language tags and zone names


def invalid(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, "{message}", {"message": message})


def shown(value: Any, limit: int = 60) -> str:
    """``repr(value)``, shortened so a huge or garbled value cannot flood an error message."""
    if isinstance(value, str) and len(value) > limit:
        return repr(value[:limit]) + f"… ({len(value):,} characters)"
    text = repr(value)
    return text if len(text) <= 2 * limit else text[: 2 * limit] + "…"


def _language(value: str) -> str:
    # The shape check keeps odd strings (paths, NUL bytes, "en.UTF-8") away from Babel,
    # which accepts some of them and raises assorted errors on others.
    known = re.fullmatch(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*", value) is not None
    if known:
        try:
            Locale.parse(value, sep="-")
        except (UnknownLocaleError, ValueError, TypeError, LookupError, OSError):
            known = False
    if not known:
        raise invalid("language", f"{shown(value)} is not a known language tag (examples: en, en-GB, zh-CN)")
    return value


def _timezone(value: str) -> str:
    # zoneinfo reads a file named by the key: odd keys raise ValueError (NUL, "..", not a
    # zone file) or OSError (a directory, a name too long for the file system).
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise invalid(
            "timezone", f"{shown(value)} is not an IANA time zone (examples: Europe/Berlin, Asia/Shanghai, UTC)"
        ) from None
    return value


LanguageTag = Annotated[str, Field(max_length=MAX_TAG, examples=["en", "zh-CN"]), AfterValidator(_language)]
TimeZone = Annotated[
    str, Field(max_length=MAX_TAG, examples=["Europe/Berlin", "Asia/Shanghai"]), AfterValidator(_timezone)
]
