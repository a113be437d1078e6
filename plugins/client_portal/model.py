"""The client record: every field and rule of a ``clients/<id>.yml`` file.

Pure data: no YAML, no MkDocs, no HTML. Rules that need the build date read it
from the validation context (``{"today": date}``).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from babel import Locale, UnknownLocaleError
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

CLIENT_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

Stage = Literal["prospect", "active", "paused", "past"]
AccessMode = Literal["link", "password", "unlisted"]
DeliverableStatus = Literal[
    "planned",
    "in_progress",
    "in_review",
    "waiting_on_client",
    "delivered",
    "approved",
    "cancelled",
]
ScheduleKind = Literal["milestone", "meeting", "deadline", "time_off"]
Impact = Literal["low", "medium", "high"]
SuggestionStatus = Literal["proposed", "accepted", "declined", "done"]

DONE_STATUSES: frozenset[str] = frozenset({"delivered", "approved"})
UNDATED_STATUSES: frozenset[str] = frozenset({"planned", "cancelled"})


def _invalid(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, "{message}", {"message": message})


def _iso_date(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise _invalid("iso_date", f"expected a date like 2026-11-30, got {value!r}")
    try:
        return date.fromisoformat(value.strip())
    except ValueError as error:
        raise _invalid("iso_date", f"{value!r} is not a real date ({error})") from None


def _iso_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}.*", value.strip()):
        raise _invalid("iso_datetime", f"expected a date and time like 2026-12-05T15:00+01:00, got {value!r}")
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError as error:
        raise _invalid("iso_datetime", f"{value!r} is not a real date and time ({error})") from None


def _date_or_datetime(value: Any) -> date | datetime:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value.strip()) == 10:
        return _iso_date(value)
    return _iso_datetime(value)


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _invalid("url", f"{value!r} is not an http(s) link")
    return value


def _logo(value: str) -> str:
    if value.startswith(("http://", "https://")):
        return _http_url(value)
    if ":" in value or value.startswith(("/", "\\")) or ".." in value.replace("\\", "/").split("/"):
        raise _invalid(
            "logo", f"{value!r} must be an http(s) link or a path next to the records, such as logos/acme.svg"
        )
    if not value.lower().endswith((".svg", ".png", ".jpg", ".jpeg", ".webp", ".gif")):
        raise _invalid("logo", f"{value!r} is not an image file (.svg, .png, .jpg, .webp, .gif)")
    return value


def _language(value: str) -> str:
    try:
        Locale.parse(value, sep="-")
    except (UnknownLocaleError, ValueError, TypeError):
        raise _invalid("language", f"{value!r} is not a known language tag (examples: en, en-GB, zh-CN)") from None
    return value


def _timezone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise _invalid(
            "timezone", f"{value!r} is not an IANA time zone (examples: Europe/Berlin, Asia/Shanghai, UTC)"
        ) from None
    return value


IsoDate = Annotated[date, PlainValidator(_iso_date), WithJsonSchema({"type": "string", "format": "date"})]
IsoDateTime = Annotated[
    datetime, PlainValidator(_iso_datetime), WithJsonSchema({"type": "string", "format": "date-time"})
]
DateOrDateTime = Annotated[
    date | datetime,
    PlainValidator(_date_or_datetime),
    WithJsonSchema({"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]}),
]
Text = Annotated[str, Field(min_length=1)]
Markdown = Annotated[str, Field(description="Markdown")]
HttpUrl = Annotated[str, AfterValidator(_http_url), Field(pattern=r"^https?://", json_schema_extra={"format": "uri"})]
Email = Annotated[str, Field(pattern=r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")]
HexColour = Annotated[str, Field(pattern=r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")]
LanguageTag = Annotated[str, AfterValidator(_language), Field(examples=["en", "zh-CN"])]
TimeZone = Annotated[str, AfterValidator(_timezone), Field(examples=["Europe/Berlin", "Asia/Shanghai"])]
Version = Annotated[int, Field(strict=True, ge=1, le=1_000_000)]


def rule_error(violations: list[tuple[str, str]]) -> PydanticCustomError:
    """An error for rules that span fields; ``violations`` are (field, message) pairs."""
    message = "; ".join(text for _, text in violations)
    return PydanticCustomError("record_rule", "{message}", {"message": message, "violations": violations})


def slug(text: str) -> str:
    """A URL-safe id from a title; titles without Latin letters get a stable short hash."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", ascii_text)
    if words:
        return "-".join(words)[:60].strip("-")
    return "item-" + hashlib.sha256(text.encode()).hexdigest()[:8]


class Strict(BaseModel):
    """Base for record parts: unknown keys are errors, numbers may stand for text."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, str_strip_whitespace=True)


class Contact(Strict):
    """A person at the client who gets their own link."""

    name: Text
    email: Email | None = None
    key_version: Version = Field(1, description="Bump to revoke this person's old link.")

    @property
    def identity(self) -> str:
        """What this person's key is bound to: their e-mail address, else their name."""
        return (self.email or self.name).strip().lower()


class Access(Strict):
    """How the page is protected."""

    mode: AccessMode = "link"
    password_env: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] | None = Field(
        None, description="Name of the environment variable holding the password (mode password)."
    )
    version: Version = Field(1, description="Bump to move the page to a new URL; all links are revoked.")

    @model_validator(mode="after")
    def _password_env_matches_mode(self) -> Access:
        if self.mode == "password" and not self.password_env:
            raise rule_error(
                [("password_env", "password mode needs 'password_env', the NAME of the variable holding the password")]
            )
        if self.mode != "password" and self.password_env:
            raise rule_error(
                [("password_env", f"'password_env' is only used in password mode, but mode is {self.mode}")]
            )
        return self


class Brand(Strict):
    """The client's own look."""

    accent: HexColour | None = Field(None, description='CSS hex colour such as "#b5651d".')
    logo: Annotated[str, AfterValidator(_logo)] | None = Field(
        None, description="An image next to the records (logos/acme.svg) or an http(s) URL; inlined at build time."
    )


class Deliverable(Strict):
    """A piece of work with a status and dates."""

    id: Annotated[str, Field(pattern=CLIENT_ID.pattern, max_length=80)] | None = Field(
        None, description="Unique within the record; defaults to a slug of the title."
    )
    title: Text
    status: DeliverableStatus = "planned"
    due: IsoDate | None = None
    delivered: IsoDate | None = None
    progress: Annotated[int, Field(strict=True, ge=0, le=100)] | None = None
    link: HttpUrl | None = None
    notes: Markdown | None = None

    @model_validator(mode="after")
    def _dates_match_status(self, info: ValidationInfo) -> Deliverable:
        if self.id is None:
            self.id = slug(self.title)
        violations = []
        if self.due is None and self.status not in UNDATED_STATUSES:
            violations.append(("due", f"required when status is {self.status}"))
        if self.delivered is None and self.status in DONE_STATUSES:
            violations.append(("delivered", f"the date it was delivered is required when status is {self.status}"))
        today = (info.context or {}).get("today")
        if self.delivered is not None and today is not None and self.delivered > today:
            violations.append(
                ("delivered", f"{self.delivered.isoformat()} is in the future; use the date it was actually delivered")
            )
        if violations:
            raise rule_error(violations)
        return self

    @property
    def key(self) -> str:
        """The id, filled in from the title when the record gives none."""
        return self.id or slug(self.title)


class ScheduleItem(Strict):
    """A milestone, meeting, deadline or time off."""

    date: DateOrDateTime
    title: Text
    kind: ScheduleKind = "milestone"
    notes: Markdown | None = None


class Request(Strict):
    """Something the freelancer needs from the client."""

    title: Text
    due: IsoDate | None = None
    done: bool = False


class Suggestion(Strict):
    """A proactive idea for the client's business."""

    title: Text
    date: IsoDate | None = None
    impact: Impact = "medium"
    status: SuggestionStatus = "proposed"
    body: Markdown | None = None


class Update(Strict):
    """One dated entry of the update log."""

    date: IsoDate
    text: Markdown


class Record(Strict):
    """Everything the freelancer keeps about one client."""

    model_config = ConfigDict(
        title="Client record",
        json_schema_extra={"description": "One client of mkdocs-client-portal: clients/<id>.yml"},
    )

    name: Text
    stage: Stage = "active"
    language: LanguageTag | None = Field(None, description="BCP 47 tag; default: the plugin's language.")
    timezone: TimeZone | None = Field(None, description="IANA zone; default: the plugin's timezone.")
    contacts: list[Contact] = []
    access: Access = Access()
    brand: Brand | None = None
    greeting: Markdown | None = None
    preferences: list[Markdown] = []
    deliverables: list[Deliverable] = []
    schedule: list[ScheduleItem] = []
    requests: list[Request] = []
    suggestions: list[Suggestion] = []
    updates: list[Update] = []

    @model_validator(mode="after")
    def _record_rules(self) -> Record:
        violations: list[tuple[str, str]] = []
        if self.access.mode in ("link", "password") and not self.contacts:
            violations.append(("contacts", f"{self.access.mode} access needs at least one person under 'contacts'"))
        people: dict[str, int] = {}
        for index, contact in enumerate(self.contacts):
            if contact.identity in people:
                first = people[contact.identity] + 1
                message = f"the same person as contact #{first}; each contact needs their own e-mail"
                violations.append((f"contacts.{index}", message))
            people.setdefault(contact.identity, index)
        seen: dict[str, int] = {}
        for index, deliverable in enumerate(self.deliverables):
            if deliverable.key in seen:
                violations.append(
                    (
                        f"deliverables.{index}.id",
                        f"deliverable id '{deliverable.key}' is already used by deliverable "
                        f"#{seen[deliverable.key] + 1}; give each deliverable its own 'id'",
                    )
                )
            seen.setdefault(deliverable.key, index)
        if violations:
            raise rule_error(violations)
        return self


@dataclass(frozen=True)
class Client:
    """A validated record with its id and where each value came from."""

    id: str
    source: Path
    record: Record
    locations: dict[tuple[str | int, ...], tuple[int, int]] = field(default_factory=dict, compare=False, repr=False)

    def locate(self, *loc: str | int) -> tuple[int, int]:
        """The (line, column) of the value at ``loc``, or of its nearest located parent."""
        for end in range(len(loc), -1, -1):
            if loc[:end] in self.locations:
                return self.locations[loc[:end]]
        return (1, 1)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a record, for editors and validators."""
    schema = Record.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
