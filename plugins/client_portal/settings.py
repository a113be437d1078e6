"""The portal's settings as plain data, checked here for every generator, the MkDocs plugin and the command line."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from client_portal.values import LanguageTag, TimeZone

PLUGIN_NAME = "client-portal"
# Encrypted attachments between builds, relative to the folder of the configuration.
CACHE_DIR = Path(".cache") / "client-portal" / "files"
# Templates compiled by earlier builds, loaded by the next one's workers instead of compiled again.
TEMPLATES_CACHE = CACHE_DIR.parent / "templates"
# What each record's YAML was read as, by the hash of its text: a record that did not change is not parsed again.
READINGS_CACHE = CACHE_DIR.parent / "records"
URL_PREFIX = re.compile(r"^[a-z0-9][a-z0-9_-]*(?:/[a-z0-9][a-z0-9_-]*)*$")


class SettingsError(Exception):
    """A setting is missing or wrong; the message names it."""


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
    return phrase_choice(phrase, language)[0]


def phrase_choice(phrase: Phrase, language: str) -> tuple[str, str]:
    """The phrase for a page language (as `phrase_in`) and the language tag it is written under.

    The tag is "" for a phrase written once, which is taken to suit any page.
    """
    if isinstance(phrase, str):
        return phrase, ""
    # Keys are written as the freelancer likes them: "pt-BR", "pt_BR" and "pt-br" are one key.
    by_tag = {key.replace("_", "-").lower(): (text, key.replace("_", "-")) for key, text in phrase.items()}
    wanted = language.replace("_", "-").lower()
    base = wanted.split("-")[0]
    for key in (wanted, base):
        if key in by_tag:
            return by_tag[key]
    for key, chosen in by_tag.items():
        if key.split("-")[0] == base:
            return chosen
    return by_tag.get("en") or next(iter(by_tag.values()), ("", ""))


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
    headers_file: bool = False  # also write _headers (Netlify, Cloudflare Pages)
    # what the generator publishes: nothing private may be placed inside either
    docs_dir: Path | None = None
    site_dir: Path | None = None
    config_name: str = "mkdocs.yml"  # the file the settings came from, as messages name it

    def published_by(self, path: Path) -> str | None:
        """The setting (``docs_dir`` or ``site_dir``) whose folder holds ``path``, which would publish it."""
        target = path.resolve()
        for name, folder in (("docs_dir", self.docs_dir), ("site_dir", self.site_dir)):
            if folder is not None and target.is_relative_to(folder.resolve()):
                return name
        return None


class FreelancerOptions(BaseModel):
    """The ``freelancer`` block as written in the site's configuration."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field("", description="Your name, as clients see it.")
    email: str = Field("", description="Where clients write to you.")
    availability: str | dict[str, str] = Field(
        "", description="When you work, such as Mon–Fri, 09:00–17:00 (Berlin); times also show in the client's zone."
    )
    response_time: str | dict[str, str] = Field("", description="How soon you answer, such as within one business day.")
    booking_url: str = Field("", description='An http(s) link; adds "Book a call" to every page.')


class PortalOptions(BaseModel):
    """The ``client-portal`` options as written in ``mkdocs.yml`` or ``zensical.toml`` (SPEC §3)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    clients_dir: str = Field(
        "clients", description="The records' folder, relative to the configuration; never inside docs_dir or site_dir."
    )
    url_prefix: str = Field("p", description="Client pages live at <site>/<url_prefix>/<token>/.")
    secret_env: str = Field("PORTAL_SECRET", description="The environment variable holding the site secret.")
    language: str = Field("en", description="The page language of records that name none.")
    timezone: str = Field("UTC", description="Your own time zone, and the zone of records that name none.")
    today: date | str | None = Field(None, description="A fixed build date; without it, SOURCE_DATE_EPOCH, else today.")
    freelancer: FreelancerOptions = Field(default_factory=FreelancerOptions, description="You, on every page.")
    headers_file: bool = Field(
        False, description="Also write _headers (Netlify, Cloudflare Pages): noindex, no-referrer, no-cache."
    )


def settings_from_options(
    options: Mapping[str, Any],
    root: Path,
    site_url: str | None,
    *,
    docs_dir: Path | None = None,
    site_dir: Path | None = None,
    config_name: str = "mkdocs.yml",
) -> PortalSettings:
    """Check the option values and resolve paths against ``root``, the folder of the site's configuration.

    ``docs_dir`` and ``site_dir`` are what the generator publishes: ``clients_dir`` and the
    cache folder inside either are refused before anything is written.
    """
    try:
        given = PortalOptions.model_validate(dict(options))
    except ValidationError as error:
        raise SettingsError("; ".join(_option_error(e) for e in error.errors())) from None
    prefix = given.url_prefix.strip("/")
    if not URL_PREFIX.match(prefix):
        raise SettingsError(f"url_prefix {given.url_prefix!r} must be lowercase letters, digits, '-' or '_'")
    for option, kind in (("language", LanguageTag), ("timezone", TimeZone)):
        try:
            TypeAdapter(kind).validate_python(getattr(given, option))
        except ValidationError as error:
            raise SettingsError(f"{option}: {error.errors()[0]['msg']}") from None
    today = given.today
    if isinstance(today, str):
        try:
            today = date.fromisoformat(today)
        except ValueError:
            raise SettingsError(f"today: {given.today!r} is not a date like 2026-11-23") from None
    published = {name: folder for name, folder in (("docs_dir", docs_dir), ("site_dir", site_dir)) if folder}
    _refuse_published(config_name, root, root / given.clients_dir, f"{PLUGIN_NAME}.clients_dir", published)
    _refuse_published(config_name, root, root / CACHE_DIR.parent, "the cache folder", published)
    f = given.freelancer
    if f.booking_url and not re.match(r"^https?://[^\s/]+", f.booking_url):
        raise SettingsError(f"freelancer.booking_url {f.booking_url!r} must be an http(s) link")
    return PortalSettings(
        root=root,
        clients_dir=root / given.clients_dir,
        url_prefix=prefix,
        secret_env=given.secret_env,
        language=given.language,
        timezone=given.timezone,
        today=today,
        site_url=site_url or "",
        freelancer=Freelancer(f.name, f.email, f.availability, f.response_time, f.booking_url),
        headers_file=given.headers_file,
        docs_dir=published.get("docs_dir"),
        site_dir=published.get("site_dir"),
        config_name=config_name,
    )


def _refuse_published(config_name: str, root: Path, folder: Path, what: str, published: dict[str, Path]) -> None:
    """A clear error, before anything is written, when a private folder sits where the generator publishes."""
    target = folder.resolve()
    for name, public in published.items():
        if target.is_relative_to(public.resolve()):
            shown = target.relative_to(root).as_posix() if target.is_relative_to(root) else target.as_posix()
            where = public.resolve().relative_to(root).as_posix() if public.resolve().is_relative_to(root) else public
            raise SettingsError(
                f"{config_name}: {what} '{shown}' is inside {name} '{where}', so the "
                f"site would publish it as plain text; keep it outside docs_dir and site_dir"
            )


def _option_error(error: Any) -> str:
    where = ".".join(str(part) for part in error["loc"] if not str(part).startswith(("str", "dict", "date")))
    if error["type"] == "extra_forbidden":
        model = FreelancerOptions if len(error["loc"]) > 1 else PortalOptions
        close = difflib.get_close_matches(str(error["loc"][-1]), list(model.model_fields), n=1)
        return f"{PLUGIN_NAME}.{where}: unknown option" + (f"; did you mean '{close[0]}'?" if close else "")
    return f"{PLUGIN_NAME}.{where}: {error['msg']}"


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
