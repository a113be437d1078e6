"""The plugin's settings as plain data, shared by the plugin and the command line."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

# A phrase the freelancer writes once, or once per language: {"en": ..., "zh-CN": ...}.
Phrase = str | Mapping[str, str]


@dataclass(frozen=True)
class Freelancer:
    """Who the client talks to, and how to reach them."""

    name: str = ""
    email: str = ""
    availability: Phrase = ""
    response_time: Phrase = ""
    booking_url: str = ""  # http(s), checked when the settings are read


def phrase_in(phrase: Phrase, language: str) -> str:
    """The phrase for a page language: pt-PT, then pt, then another pt (pt-BR), then en, then any."""
    if isinstance(phrase, str):
        return phrase
    # Keys are written as the freelancer likes them: "pt-BR", "pt_BR" and "pt-br" are one key.
    by_tag = {key.replace("_", "-").lower(): text for key, text in phrase.items()}
    wanted = language.replace("_", "-").lower()
    base = wanted.split("-")[0]
    for key in (wanted, base):
        if key in by_tag:
            return by_tag[key]
    for key, text in by_tag.items():
        if key.split("-")[0] == base:
            return text
    return by_tag.get("en", next(iter(phrase.values()), ""))


@dataclass(frozen=True)
class PortalSettings:
    """Everything the portal needs from ``mkdocs.yml``, with paths already resolved."""

    root: Path
    clients_dir: Path
    url_prefix: str = "p"
    secret_env: str = "PORTAL_SECRET"
    language: str = "en"
    timezone: str = "UTC"
    today: date | None = None
    freelancer: Freelancer = field(default_factory=Freelancer)
    site_url: str = ""  # where the site is published, for full links
    # what the generator publishes: nothing private may be placed inside either
    docs_dir: Path | None = None
    site_dir: Path | None = None

    def published_by(self, path: Path) -> str | None:
        """The setting (``docs_dir`` or ``site_dir``) whose folder holds ``path``, which would publish it."""
        target = path.resolve()
        for name, folder in (("docs_dir", self.docs_dir), ("site_dir", self.site_dir)):
            if folder is not None and target.is_relative_to(folder.resolve()):
                return name
        return None


def build_date(fixed: date | None, environ: Mapping[str, str] = os.environ) -> date:
    """The date the build speaks for: the fixed setting, else SOURCE_DATE_EPOCH, else today."""
    if fixed is not None:
        return fixed
    epoch = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), tz=UTC).date()
        except (ValueError, OverflowError, OSError):
            raise ValueError(f"SOURCE_DATE_EPOCH must be whole seconds since 1970, not {epoch!r}") from None
    return date.today()
