"""The client record: every field and rule of a ``clients/<id>.yml`` file.

Pure data: no YAML, no MkDocs, no HTML. Rules that need the build date read it
from the validation context (``{"today": date}``).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from babel.numbers import get_currency_precision, list_currencies
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

from client_portal.hours.entries import TimeEntry
from client_portal.values import LanguageTag, TimeZone, shown
from client_portal.values import invalid as _invalid

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
BudgetPeriod = Literal["month", "quarter", "project"]
BudgetUnit = Literal["hours", "days", "money"]
InvoiceStatus = Literal["open", "paid", "void"]
FeedDetail = Literal["titles", "busy"]

# Limits on what a record may hold: generous for people, small enough that no value can
# stall a build or flood a page. Markdown is rendered in linear time, so its limit is
# about sane pages, not speed.
MAX_TITLE = 300
MAX_MARKDOWN = 20_000
MAX_EMAIL = 254  # RFC 5321's limit for a whole address
MAX_URL = 2_000
MAX_CONTACTS = 200  # each contact may bring a password, and every password costs PBKDF2 work per build
MAX_AMOUNT = 10**12  # hours, days or money: far beyond any freelance budget, small enough to print
MAX_FILES = 20  # attached files per deliverable
MAX_PATH = 500
# A record's total, besides each field's limit, so that no record can stall a build: every
# Markdown block costs Python-Markdown work, every item a rendered card. A record at these
# limits builds in well under a second (`make bench`); a real one is far below them.
MAX_RECORD_MARKDOWN = 30_000  # characters of Markdown, all fields together (about 5,000 words)
MAX_RECORD_LINES = 1_000  # lines of Markdown, all fields together: each block costs Markdown work
MAX_ITEMS = {
    "preferences": 50,
    "deliverables": 200,
    "schedule": 300,
    "requests": 100,
    "suggestions": 100,
    "updates": 500,
    "invoices": 300,
    "decisions": 1000,
}

DONE_STATUSES: frozenset[str] = frozenset({"delivered", "approved"})
UNDATED_STATUSES: frozenset[str] = frozenset({"planned", "cancelled"})


# Compiled once: a record has dozens of dates, and `re`'s own lookup of a pattern costs as much as the match.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}.*")


def _iso_date(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value.strip()):
        raise _invalid("iso_date", f"expected a date like 2026-11-30, got {shown(value)}")
    try:
        return date.fromisoformat(value.strip())
    except ValueError as error:
        raise _invalid("iso_date", f"{shown(value)} is not a real date ({error})") from None


def _iso_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATETIME.fullmatch(value.strip()):
        raise _invalid("iso_datetime", f"expected a date and time like 2026-12-05T15:00+01:00, got {shown(value)}")
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError as error:
        raise _invalid("iso_datetime", f"{shown(value)} is not a real date and time ({error})") from None


def _date_or_datetime(value: Any) -> date | datetime:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value.strip()) == 10:
        return _iso_date(value)
    return _iso_datetime(value)


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _invalid("url", f"{shown(value)} is not an http(s) link")
    return value


def _logo(value: str) -> str:
    # A path is handed to the file system, which refuses NUL with an exception of its own.
    if re.search(r"[\x00-\x1f\x7f]", value):
        raise _invalid("logo", f"{shown(value)} holds a control character; write a plain path such as logos/acme.svg")
    if value.startswith("http://"):
        raise _invalid(
            "logo", f"{shown(value)}: logos are fetched over https only; or keep the file next to the records"
        )
    if value.startswith("https://"):
        return _http_url(value)
    if ":" in value or value.startswith(("/", "\\")) or ".." in value.replace("\\", "/").split("/"):
        raise _invalid(
            "logo", f"{shown(value)} must be an https link or a path next to the records, such as logos/acme.svg"
        )
    if not value.lower().endswith((".svg", ".png", ".jpg", ".jpeg", ".webp", ".gif")):
        raise _invalid("logo", f"{shown(value)} is not an image file (.svg, .png, .jpg, .webp, .gif)")
    return value


def _attached_path(value: str) -> str:
    # Only the shape is checked here; attachments.py finds missing files and symlinks leading out.
    if re.search(r"[\x00-\x1f\x7f]", value):
        raise _invalid(
            "file", f"{shown(value)} holds a control character; write a plain path such as files/acme/guide.pdf"
        )
    if "\\" in value:
        raise _invalid("file", f"{shown(value)}: separate folders with '/', such as files/acme/guide.pdf")
    if re.match(r"^(/|[A-Za-z]:)", value) or ".." in value.split("/"):
        raise _invalid(
            "file",
            f"{shown(value)} is outside the clients folder; attach files from inside it, such as files/acme/guide.pdf",
        )
    if value.endswith("/"):
        raise _invalid("file", f"{shown(value)} is a folder; list each file to attach")
    return value


def _currency(value: str) -> str:
    if value not in list_currencies():
        raise _invalid("currency", f"{shown(value)} is not an ISO 4217 currency code (examples: EUR, USD, CNY)")
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
Text = Annotated[str, Field(min_length=1, max_length=MAX_TITLE)]
Markdown = Annotated[str, Field(description="Markdown", max_length=MAX_MARKDOWN)]
# Field() comes before the validator so a value over the limit is refused before it is parsed.
HttpUrl = Annotated[
    str,
    Field(pattern=r"^https?://", max_length=MAX_URL, json_schema_extra={"format": "uri"}),
    AfterValidator(_http_url),
]
Email = Annotated[str, Field(pattern=r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$", max_length=MAX_EMAIL)]
HexColour = Annotated[str, Field(pattern=r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")]
Logo = Annotated[str, Field(max_length=MAX_URL), AfterValidator(_logo)]
# Decimal keeps amounts exact: a YAML 0.1 stays 0.1, and sums of money never drift.
Quantity = Annotated[Decimal, Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False, decimal_places=2)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["EUR", "USD", "CNY"]), AfterValidator(_currency)]
AttachedPath = Annotated[
    str,
    Field(min_length=1, max_length=MAX_PATH, examples=["files/acme/brand-guide.pdf"]),
    AfterValidator(_attached_path),
]
Version = Annotated[int, Field(strict=True, ge=1, le=1_000_000)]
# Every earlier page version keeps a "link replaced" page, so this also bounds their number.
AccessVersion = Annotated[int, Field(strict=True, ge=1, le=100)]
EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=100)]


def rule_error(violations: list[tuple[str, str]]) -> PydanticCustomError:
    """An error for rules that span fields; ``violations`` are (field, message) pairs."""
    message = "; ".join(text for _, text in violations)
    return PydanticCustomError("record_rule", "{message}", {"message": message, "violations": violations})


@lru_cache(maxsize=4096)  # a page asks an item's key several times
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

    name: Text = Field(description="The person's name, as the page and the e-mails greet them.")
    email: Email | None = Field(None, description="Their e-mail address; each contact needs their own.")
    key_version: Version = Field(1, description="Bump to revoke this person's old link and remembered logins.")
    password_env: EnvName | None = Field(
        None, description="Password mode: NAME of the environment variable holding this person's own password."
    )
    salutation: Text | None = Field(
        None,
        description="The first line of update e-mails to this person, as written: 'Dear Ms Weber,'. "
        "Default: by language ('Hi Anna,' in English; 'Guten Tag,' in German).",
    )
    expires: IsoDate | None = Field(
        None,
        description="From this date their link (or their own password) opens nothing, and their link page "
        "says so; `check` warns seven days before.",
    )

    @property
    def identity(self) -> str:
        """What this person's key is bound to: their e-mail address, else their name."""
        return (self.email or self.name).strip().lower()


class Access(Strict):
    """How the page is protected."""

    mode: AccessMode = Field(
        "link",
        description="link: each contact's own link carries the key; password: a password opens the page; "
        "unlisted: plain HTML at an unguessable address, readable by anyone who has it.",
    )
    password_env: EnvName | None = Field(
        None, description="Password mode: NAME of the environment variable holding a password shared by all contacts."
    )
    version: AccessVersion = Field(1, description="Bump to move the page to a new URL; all links are revoked.")
    until: IsoDate | None = Field(
        None,
        description="From this date no link or password opens the page, and every link page says so; "
        "`check` warns seven days before.",
    )

    @model_validator(mode="after")
    def _password_env_matches_mode(self) -> Access:
        if self.mode != "password" and self.password_env:
            raise rule_error(
                [("password_env", f"'password_env' is only used in password mode, but mode is {self.mode}")]
            )
        return self


class CalendarFeed(Strict):
    """A calendar feed in the open, for calendar apps that cannot open the encrypted page."""

    subscribe: bool = Field(
        False,
        description="true publishes an .ics feed at an unguessable address (`client-portal links` shows it); "
        "it is not encrypted: anyone with the address reads what it carries.",
    )
    detail: FeedDetail = Field(
        "busy",
        description="titles: schedule and deliverable titles with their dates; busy: only when, with no titles.",
    )


class Brand(Strict):
    """The client's own look."""

    accent: HexColour | None = Field(None, description='CSS hex colour such as "#b5651d".')
    logo: Logo | None = Field(
        None, description="An image next to the records (logos/acme.svg) or an https URL; inlined at build time."
    )


class Deliverable(Strict):
    """A piece of work with a status and dates."""

    id: Annotated[str, Field(pattern=CLIENT_ID.pattern, max_length=80)] | None = Field(
        None, description="Unique within the record; defaults to a slug of the title."
    )
    title: Text = Field(description="What the client sees as the deliverable's name.")
    status: DeliverableStatus = Field(
        "planned", description="in_review adds Approve and Request changes buttons; waiting_on_client adds Reply."
    )
    due: IsoDate | None = Field(None, description="Required unless planned or cancelled.")
    delivered: IsoDate | None = Field(None, description="Required once delivered or approved; never in the future.")
    progress: Annotated[int, Field(strict=True, ge=0, le=100)] | None = Field(None, description="Percent done.")
    link: HttpUrl | None = Field(None, description="A preview, a folder or the delivered work.")
    files: Annotated[list[AttachedPath], Field(max_length=MAX_FILES)] = Field(
        [],
        description="Delivered files, relative to the clients folder; published encrypted "
        "(link and password pages only).",
    )
    notes: Markdown | None = Field(None, description="Shown under the deliverable.")

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
        listed: dict[str, int] = {}
        for index, path in enumerate(self.files):
            if path in listed:
                violations.append((f"files.{index}", f"{path!r} is already listed as file #{listed[path] + 1}"))
            listed.setdefault(path, index)
        if violations:
            raise rule_error(violations)
        return self

    @property
    def key(self) -> str:
        """The id, filled in from the title when the record gives none."""
        return self.id or slug(self.title)


class ScheduleItem(Strict):
    """A milestone, meeting, deadline or time off."""

    date: DateOrDateTime = Field(description="A date, or a date and time with its offset (shown in the client's zone).")
    title: Text = Field(description="What happens.")
    kind: ScheduleKind = Field("milestone", description="Shown as a label beside the item.")
    notes: Markdown | None = Field(None, description="Shown under the item.")


class Request(Strict):
    """Something the freelancer needs from the client."""

    title: Text = Field(description="What you need from the client.")
    due: IsoDate | None = Field(None, description="When you need it.")
    done: bool = Field(False, description="true once the client has done it; it then leaves the open list.")


class Suggestion(Strict):
    """A proactive idea for the client's business."""

    id: Annotated[str, Field(pattern=CLIENT_ID.pattern, max_length=80)] | None = Field(
        None, description="Unique within the record; defaults to a slug of the title. A decision names the idea by it."
    )
    title: Text = Field(description="The idea in a few words.")
    date: IsoDate | None = Field(None, description="When you offered it.")
    impact: Impact = Field("medium", description="What you expect it to do for the client's business.")
    status: SuggestionStatus = Field("proposed", description="proposed ideas ask the client for an answer.")
    body: Markdown | None = Field(None, description="The idea in full.")

    @property
    def key(self) -> str:
        """The id, filled in from the title when the record gives none."""
        return self.id or slug(self.title)


# What a client can decide, by the kind of item: a proposal is accepted or declined, a
# deliverable in review approved or sent back for changes, an idea taken up or declined.
DECISIONS = {"proposal": ("accept", "decline"), "deliverable": ("approve", "changes"), "idea": ("accept", "decline")}
DecisionKind = Literal["accept", "decline", "approve", "changes"]
# proposal, deliverable/<id> or idea/<id>
ITEM_REFERENCE = re.compile(r"^(?:proposal|(?:deliverable|idea)/[a-z0-9]+(?:-[a-z0-9]+)*)$")
SEEN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # a SHA-256 in base64url


class Decision(Strict):
    """A client's decision on the page, as it came back by e-mail (written by `client-portal inbox`)."""

    item: Annotated[str, Field(pattern=ITEM_REFERENCE.pattern, max_length=100)] = Field(
        description="What was decided on: proposal, deliverable/<id> or idea/<id>."
    )
    decision: DecisionKind = Field(
        description="proposal and idea: accept or decline; deliverable: approve or changes (changes requested)."
    )
    by: Text = Field(description="Who decided, as the record names the contact.")
    at: IsoDateTime = Field(description="When: the reply's date, with its offset.")
    seen: Annotated[str, Field(pattern=SEEN.pattern)] = Field(
        description="SHA-256 (base64url) of the item as the client saw it when deciding."
    )
    message_id: Annotated[str, Field(min_length=1, max_length=300)] | None = Field(
        None, description="The reply's Message-ID: the same reply is recorded once."
    )
    earlier_version: bool = Field(
        False, description="true when the item had changed between what the client saw and the recording."
    )

    @model_validator(mode="after")
    def _decision_fits_item(self) -> Decision:
        kind = self.item.split("/", 1)[0]
        if self.decision not in DECISIONS[kind]:
            allowed = " or ".join(DECISIONS[kind])
            raise rule_error([("decision", f"a {kind} is decided with {allowed}, not {self.decision}")])
        return self


class Update(Strict):
    """One dated entry of the update log."""

    date: IsoDate = Field(description="When it happened; the newest is shown first.")
    text: Markdown = Field(description="What happened.")


def _cents_violation(field: str, amount: Decimal, currency: str) -> tuple[str, str] | None:
    """An amount with more decimals than its currency has (12.345 EUR, 10.5 JPY)."""
    digits = get_currency_precision(currency)
    if -amount.as_tuple().exponent > digits:  # type: ignore[operator] # finite: the field refuses NaN and infinity
        return field, f"{amount} has more decimals than {currency} uses ({digits})"
    return None


ProjectName = Annotated[str, Field(min_length=1, max_length=MAX_TITLE)]
MAX_NAMES = 50  # other names or projects of one client in time-tracker exports


class TrackedHours(Strict):
    """Hours from time-tracker exports (`client-portal hours import`): whose they are and how they count."""

    clients: Annotated[list[ProjectName], Field(max_length=MAX_NAMES)] = Field(
        [],
        description="Other names this client has in your time tracker; entries under the record's 'name' are "
        "always theirs.",
    )
    projects: Annotated[list[ProjectName], Field(max_length=MAX_NAMES)] = Field(
        [],
        description="Only these projects count; default: every project of the client. An entry in another "
        "project is an error at import, unless 'ignore' lists it.",
    )
    ignore: Annotated[list[ProjectName], Field(max_length=MAX_NAMES)] = Field(
        [], description="Projects of this client whose entries are left out, such as a fixed-price job."
    )
    rounding: Literal[1, 6, 15] | None = Field(
        None, description="Round each entry up to 1, 6 or 15 minutes, as you bill; default: the exact time."
    )
    rollover: bool = Field(
        False,
        description="Hours left at the end of a month or quarter roll over to the next one (only unused hours; "
        "going over takes nothing from the next).",
    )

    @model_validator(mode="after")
    def _names(self) -> TrackedHours:
        violations = []
        for name in ("clients", "projects", "ignore"):
            values = [value.casefold() for value in getattr(self, name)]
            for index, value in enumerate(values):
                if value in values[:index]:
                    violations.append((f"{name}.{index}", f"{getattr(self, name)[index]!r} is listed twice"))
        both = {p.casefold() for p in self.projects} & {p.casefold() for p in self.ignore}
        for index, project in enumerate(self.ignore):
            if project.casefold() in both:
                violations.append((f"ignore.{index}", f"{project!r} is in 'projects' too; it cannot count and not"))
        if violations:
            raise rule_error(violations)
        return self


class Budget(Strict):
    """A retainer or a fixed budget: what is included and what is used."""

    period: BudgetPeriod = Field(description="What the budget covers: each month, each quarter, or the project.")
    unit: BudgetUnit = Field(description="Hours, days, or money (then 'currency' is required).")
    included: Quantity = Field(description="What the period includes; more than 0.")
    used: Quantity = Field(
        Decimal(0),
        description="What is used so far in this period, typed by hand; may go over 'included'. "
        "Imported hours of the period are added to it.",
    )
    currency: Currency | None = Field(None, description="ISO 4217 code such as EUR; only and always with unit money.")
    hours: TrackedHours | None = Field(
        None, description="Unit hours: count the hours imported from Toggl Track, Clockify or Harvest."
    )

    @model_validator(mode="after")
    def _unit_rules(self) -> Budget:
        violations = []
        if self.included <= 0:
            violations.append(("included", f"must be more than 0, got {self.included}"))
        if self.unit == "money" and self.currency is None:
            violations.append(("currency", "required when unit is money, such as EUR"))
        elif self.unit != "money" and self.currency is not None:
            violations.append(("currency", f"only used when unit is money, but unit is {self.unit}"))
        if self.hours is not None and self.unit != "hours":
            violations.append(("hours", f"imported hours need unit hours, but unit is {self.unit}"))
        if self.hours is not None and self.hours.rollover and self.period == "project":
            violations.append(("hours.rollover", "a project budget has no next period to roll hours over to"))
        if self.currency is not None:
            for name in ("included", "used"):
                if found := _cents_violation(name, getattr(self, name), self.currency):
                    violations.append(found)
        if violations:
            raise rule_error(violations)
        return self


class Invoice(Strict):
    """An invoice sent to the client."""

    number: Annotated[str, Field(min_length=1, max_length=80)] = Field(description="Unique within the record.")
    date: IsoDate = Field(description="The invoice date.")
    due: IsoDate | None = Field(None, description="When payment is due; not before the invoice date.")
    amount: Quantity = Field(description="Exact decimals, no more than the currency has.")
    currency: Currency = Field(description="ISO 4217 code such as EUR.")
    status: InvoiceStatus = Field(
        "open", description="An open invoice past its due date joins Needs your attention; void ones count nowhere."
    )
    link: HttpUrl | None = Field(None, description="A payment page or the PDF.")

    @model_validator(mode="after")
    def _dates_and_cents(self) -> Invoice:
        violations = []
        if self.due is not None and self.due < self.date:
            violations.append(("due", f"{self.due.isoformat()} is before the invoice date {self.date.isoformat()}"))
        if found := _cents_violation("amount", self.amount, self.currency):
            violations.append(found)
        if violations:
            raise rule_error(violations)
        return self


RateUnit = Literal["hours", "days"]


class Estimate(Strict):
    """A price range: the work will cost between two amounts."""

    low: Quantity = Field(alias="from", description="The least the work will cost; more than 0.")
    high: Quantity = Field(alias="to", description="The most the work will cost; more than 'from'.")


class Rate(Strict):
    """A rate times the time the work is estimated to take."""

    amount: Quantity = Field(description="The price of one hour (or day); more than 0.")
    unit: RateUnit = Field("hours", description="What the rate is for: hours or days.")
    estimated: Quantity = Field(description="How many hours (or days) you estimate the work takes; more than 0.")


class Deposit(Strict):
    """What the client pays on accepting: a percentage of the price, or an amount."""

    percent: Annotated[int, Field(strict=True, ge=1, le=100)] | None = Field(
        None, description="A share of the price, such as 30; give this or 'amount'."
    )
    amount: Quantity | None = Field(None, description="An amount in the proposal's currency; give this or 'percent'.")

    @model_validator(mode="after")
    def _one_form(self) -> Deposit:
        if (self.percent is None) == (self.amount is None):
            raise rule_error([("percent", "give the deposit as 'percent' or as 'amount', one of the two")])
        return self


class PaymentMilestone(Strict):
    """A part of the price due at a point of the project."""

    title: Text = Field(description="When this part is due, such as 'Visual identity approved'.")
    share: Annotated[int, Field(strict=True, ge=1, le=100)] = Field(description="The percentage of the price due.")


class Payment(Strict):
    """How and when the client pays."""

    deposit: Deposit | None = Field(None, description="What is paid on accepting the proposal.")
    milestones: Annotated[list[PaymentMilestone], Field(max_length=20)] = Field(
        [],
        description="The price in parts; their shares, with a deposit given as a percentage, add up to 100 "
        "(with a deposit given as an amount, they split the rest).",
    )
    terms: Markdown | None = Field(None, description="Anything else: payment within 14 days, late fees, and so on.")


class Phase(Strict):
    """A stretch of the project with its dates."""

    title: Text = Field(description="What happens in this phase.")
    start: IsoDate = Field(description="The first day of the phase.")
    end: IsoDate = Field(description="The last day of the phase; not before 'start'.")
    notes: Markdown | None = Field(None, description="Shown under the phase.")

    @model_validator(mode="after")
    def _in_order(self) -> Phase:
        if self.end < self.start:
            raise rule_error([("end", f"{self.end.isoformat()} is before the start {self.start.isoformat()}")])
        return self


class Proposal(Strict):
    """What a prospect decides on: the price, what it covers, the terms and the plan."""

    currency: Currency | None = Field(
        None, description="ISO 4217 code such as EUR; required with 'estimate' or 'rate' (a budget has its own)."
    )
    estimate: Estimate | None = Field(
        None, description="The price as a range; or give 'rate', or a budget with unit money as a fixed price."
    )
    rate: Rate | None = Field(
        None, description="The price as a rate times estimated hours or days; or give 'estimate', or a budget."
    )
    includes: Annotated[list[Markdown], Field(max_length=50)] = Field([], description="What the price includes.")
    excludes: Annotated[list[Markdown], Field(max_length=50)] = Field(
        [], description="What it does not include, so nobody is surprised."
    )
    payment: Payment | None = Field(None, description="Deposit, milestones and payment terms.")
    valid_until: IsoDate | None = Field(
        None, description="The last day the offer stands; after it the page offers no Accept."
    )
    phases: Annotated[list[Phase], Field(max_length=30)] = Field([], description="The plan, phase by phase.")

    def price_forms(self, budget: Budget | None) -> list[str]:
        """The price forms given: ``budget`` (with unit money), ``estimate``, ``rate``."""
        forms = ["budget"] if budget is not None and budget.unit == "money" else []
        return forms + [name for name in ("estimate", "rate") if getattr(self, name) is not None]

    def violations(self, budget: Budget | None, prospect: bool) -> list[tuple[str, str]]:
        """What is wrong with the price, its currency and the payment terms, as (field, message) pairs.

        A prospect's proposal has exactly one price. Once the project is active, the budget
        tracks the work and may differ from the price the client accepted.
        """
        if not prospect and (self.estimate is not None or self.rate is not None):
            budget = None
        forms = self.price_forms(budget)
        if not forms and not prospect:
            return [("proposal.currency", "only used with proposal.estimate or proposal.rate")] if self.currency else []
        if len(forms) != 1:
            given = " and ".join(forms) or "none"
            return [
                (
                    "proposal",
                    f"give the price in exactly one form (given: {given}): a budget with unit money and period "
                    "project (a fixed price), proposal.estimate (from/to) or proposal.rate (amount × estimated)",
                )
            ]
        found: list[tuple[str, str]] = []
        if forms == ["budget"]:
            if self.currency is not None:
                found.append(("proposal.currency", "the budget gives the price and its currency; remove this one"))
            assert budget is not None and budget.currency is not None
            currency = budget.currency
        elif self.currency is None:
            return [("proposal.currency", f"required with proposal.{forms[0]}, such as EUR")]
        else:
            currency = self.currency
        amounts: list[tuple[str, Decimal]] = []
        if self.estimate is not None:
            amounts += [("proposal.estimate.from", self.estimate.low), ("proposal.estimate.to", self.estimate.high)]
            if self.estimate.low <= 0:
                found.append(("proposal.estimate.from", f"must be more than 0, got {self.estimate.low}"))
            if self.estimate.high <= self.estimate.low:
                found.append(("proposal.estimate.to", f"must be more than 'from' ({self.estimate.low})"))
        if self.rate is not None:
            amounts.append(("proposal.rate.amount", self.rate.amount))
            for name in ("amount", "estimated"):
                if getattr(self.rate, name) <= 0:
                    found.append((f"proposal.rate.{name}", f"must be more than 0, got {getattr(self.rate, name)}"))
        deposit = self.payment.deposit if self.payment else None
        if deposit is not None and deposit.amount is not None:
            amounts.append(("proposal.payment.deposit.amount", deposit.amount))
            lowest = self.lowest_price(budget)
            if lowest is not None and deposit.amount >= lowest:
                found.append(("proposal.payment.deposit.amount", f"must be less than the price ({lowest})"))
        found += [v for field, amount in amounts if (v := _cents_violation(field, amount, currency))]
        if self.payment and self.payment.milestones:
            shares = sum(m.share for m in self.payment.milestones)
            percent = deposit.percent if deposit is not None and deposit.percent is not None else 0
            if shares + percent != 100:
                with_deposit = f" and the deposit's {percent}%" if percent else ""
                found.append(
                    (
                        "proposal.payment.milestones",
                        f"the shares{with_deposit} add up to {shares + percent}%, not 100%",
                    )
                )
        return found

    def lowest_price(self, budget: Budget | None) -> Decimal | None:
        """The least the work costs: the fixed price, the range's 'from', or rate × estimate."""
        if self.estimate is not None:
            return self.estimate.low
        if self.rate is not None:
            return self.rate.amount * self.rate.estimated
        return budget.included if budget is not None and budget.unit == "money" else None


def _repeated(values: list[str], where: str, what: str, item: str) -> list[tuple[str, str]]:
    """A violation for each value an earlier item already has, at ``where`` (with the item's index)."""
    first: dict[str, int] = {}
    found = []
    for index, value in enumerate(values):
        if value in first:
            message = f"{what} '{value}' is already used by {item} #{first[value] + 1}"
            if what.endswith(" id"):  # ids default to a slug of the title: say how to tell them apart
                message += f"; give each {item} its own 'id'"
            found.append((where.format(index), message))
        first.setdefault(value, index)
    return found


class Record(Strict):
    """Everything the freelancer keeps about one client."""

    model_config = ConfigDict(
        title="Client record",
        json_schema_extra={"description": "One client of mkdocs-client-portal: clients/<id>.yml"},
    )

    name: Text = Field(description="The client's name, as their page shows it.")
    stage: Stage = Field(
        "active",
        description="prospect: a proposal; paused and past: nothing is late, overdue or due; "
        "past shows what was delivered.",
    )
    public_name: bool = Field(
        False, description="The client agreed to be named in public; the audit then allows the name outside its page."
    )
    language: LanguageTag | None = Field(None, description="BCP 47 tag; default: the plugin's language.")
    timezone: TimeZone | None = Field(None, description="IANA zone; default: the plugin's timezone.")
    contacts: Annotated[list[Contact], Field(max_length=MAX_CONTACTS)] = Field(
        [], description="The people at the client; each gets their own link (or password)."
    )
    access: Access = Field(Access(), description="How the page is protected.")
    calendar: CalendarFeed | None = Field(
        None, description="An opt-in calendar feed of the schedule, in the open, for calendar apps."
    )
    brand: Brand | None = Field(None, description="The client's accent colour and logo.")
    greeting: Markdown | None = Field(None, description="A few words at the top of the page.")
    preferences: Annotated[list[Markdown], Field(max_length=MAX_ITEMS["preferences"])] = Field(
        [], description="What you learned about how they like to work."
    )
    deliverables: Annotated[list[Deliverable], Field(max_length=MAX_ITEMS["deliverables"])] = Field(
        [], description="The work, with its status and dates."
    )
    schedule: Annotated[list[ScheduleItem], Field(max_length=MAX_ITEMS["schedule"])] = Field(
        [], description="Milestones, meetings, deadlines and time off."
    )
    requests: Annotated[list[Request], Field(max_length=MAX_ITEMS["requests"])] = Field(
        [], description="What you need from the client."
    )
    suggestions: Annotated[list[Suggestion], Field(max_length=MAX_ITEMS["suggestions"])] = Field(
        [], description="Your ideas for their business."
    )
    updates: Annotated[list[Update], Field(max_length=MAX_ITEMS["updates"])] = Field(
        [], description="The update log; the newest is shown first."
    )
    budget: Budget | None = Field(None, description="A retainer or a fixed budget.")
    invoices: Annotated[list[Invoice], Field(max_length=MAX_ITEMS["invoices"])] = Field(
        [], description="Invoices sent; the newest is shown first."
    )
    proposal: Proposal | None = Field(
        None,
        description="A prospect's proposal: price, inclusions, payment terms, validity and phases. "
        "It stays in the record once the project is active.",
    )
    decisions: Annotated[list[Decision], Field(max_length=MAX_ITEMS["decisions"])] = Field(
        [], description="The client's decisions, as `client-portal inbox` recorded them; the page shows them."
    )

    @model_validator(mode="before")
    @classmethod
    def _empty_lists(cls, data: Any) -> Any:
        # `deliverables:` with nothing (or only comments) under it is an empty list, so the
        # template's commented examples can be uncommented in place
        if isinstance(data, dict):
            return {key: [] if value is None and key in LIST_FIELDS else value for key, value in data.items()}
        return data

    @model_validator(mode="after")
    def _record_rules(self) -> Record:
        violations: list[tuple[str, str]] = self._budget_violations()
        if self.proposal is not None:
            violations += self.proposal.violations(self.budget, self.stage == "prospect")
        if self.access.mode in ("link", "password") and not self.contacts:
            violations.append(("contacts", f"{self.access.mode} access needs at least one person under 'contacts'"))
        violations += self._password_violations()
        violations += self._expiry_violations()
        people: dict[str, int] = {}
        for index, contact in enumerate(self.contacts):
            if contact.identity in people:
                first = people[contact.identity] + 1
                message = f"the same person as contact #{first}; each contact needs their own e-mail"
                violations.append((f"contacts.{index}", message))
            people.setdefault(contact.identity, index)
        keys = [d.key for d in self.deliverables]
        violations += _repeated(keys, "deliverables.{}.id", "deliverable id", "deliverable")
        violations += _repeated([i.key for i in self.suggestions], "suggestions.{}.id", "idea id", "suggestion")
        violations += _repeated([i.number for i in self.invoices], "invoices.{}.number", "invoice number", "invoice")
        if violations:
            raise rule_error(violations)
        return self

    def markdown_fields(self) -> Iterator[tuple[str, str]]:
        """(dotted location, text) of every Markdown field, in the order of the record."""
        fields: list[tuple[str, str | None]] = [("greeting", self.greeting)]
        fields += [(f"preferences.{i}", text) for i, text in enumerate(self.preferences)]
        fields += [(f"deliverables.{i}.notes", d.notes) for i, d in enumerate(self.deliverables)]
        fields += [(f"schedule.{i}.notes", item.notes) for i, item in enumerate(self.schedule)]
        fields += [(f"suggestions.{i}.body", s.body) for i, s in enumerate(self.suggestions)]
        fields += [(f"updates.{i}.text", u.text) for i, u in enumerate(self.updates)]
        if (proposal := self.proposal) is not None:
            fields += [(f"proposal.includes.{i}", text) for i, text in enumerate(proposal.includes)]
            fields += [(f"proposal.excludes.{i}", text) for i, text in enumerate(proposal.excludes)]
            fields.append(("proposal.payment.terms", proposal.payment.terms if proposal.payment else None))
            fields += [(f"proposal.phases.{i}.notes", phase.notes) for i, phase in enumerate(proposal.phases)]
        return ((where, text) for where, text in fields if text)

    def _budget_violations(self) -> list[tuple[str, str]]:
        """The record's Markdown over its total budget: reported at the field that crosses it."""
        characters = lines = 0
        for where, text in self.markdown_fields():
            characters += len(text)
            lines += text.count("\n") + 1
            if characters > MAX_RECORD_MARKDOWN or lines > MAX_RECORD_LINES:
                total, limit, unit = (
                    (characters, MAX_RECORD_MARKDOWN, "characters")
                    if characters > MAX_RECORD_MARKDOWN
                    else (lines, MAX_RECORD_LINES, "lines")
                )
                return [
                    (
                        where,
                        f"the record's Markdown reaches {total:,} {unit} here, over the {limit:,} one record may "
                        "hold; move old updates to an archive, or link to a document for long text",
                    )
                ]
        return []

    def _expiry_violations(self) -> list[tuple[str, str]]:
        if self.access.mode == "unlisted":  # readable by anyone with its address: nothing to take back
            dated = [f"contacts.{i}.expires" for i, c in enumerate(self.contacts) if c.expires is not None]
            dated += ["access.until"] if self.access.until is not None else []
            message = "an unlisted page is readable by anyone who has its address, so it cannot end; use link mode"
            return [(where, message) for where in dated]
        # Whoever knows the shared password keeps opening the page: one person's end date would be a false promise.
        if self.access.mode != "password" or not self.access.password_env:
            return []
        return [
            (
                f"contacts.{index}.expires",
                f"{contact.name} knows the shared password (access.password_env), so an end date cannot end their "
                "access: give every contact their own password_env instead of a shared one, or change the shared "
                "password on that date and remove 'expires'",
            )
            for index, contact in enumerate(self.contacts)
            if contact.expires is not None
        ]

    def _password_violations(self) -> list[tuple[str, str]]:
        personal = [i for i, c in enumerate(self.contacts) if c.password_env]
        if self.access.mode != "password":
            return [
                (
                    f"contacts.{i}.password_env",
                    f"a personal password is only used in password mode, not {self.access.mode}",
                )
                for i in personal
            ]
        if self.access.password_env or (self.contacts and len(personal) == len(self.contacts)):
            return []
        if personal:  # some have their own password: name the others, at their own line
            return [
                (
                    f"contacts.{i}",
                    f"{contact.name} has no password_env and there is no shared access.password_env, so nothing "
                    "would open the page for them: give them a password_env, or, to revoke their access, "
                    "remove them from contacts",
                )
                for i, contact in enumerate(self.contacts)
                if not contact.password_env
            ]
        return [
            (
                "access.password_env",
                "password mode needs 'access.password_env' (a shared password) or a 'password_env' for every contact",
            )
        ]


@dataclass(frozen=True)
class Client:
    """A validated record with its id and where each value came from."""

    id: str
    source: Path
    record: Record
    locations: dict[tuple[str | int, ...], tuple[int, int]] = field(default_factory=dict, compare=False, repr=False)
    digest: str = field(default="", compare=False, repr=False)  # SHA-256 of the record file as read
    hours: tuple[TimeEntry, ...] = field(default=(), compare=False, repr=False)  # imported time entries

    def locate(self, *loc: str | int) -> tuple[int, int]:
        """The (line, column) of the value at ``loc``, or of its nearest located parent."""
        for end in range(len(loc), -1, -1):
            if loc[:end] in self.locations:
                return self.locations[loc[:end]]
        return (1, 1)


LIST_FIELDS = (
    "contacts",
    "preferences",
    "deliverables",
    "schedule",
    "requests",
    "suggestions",
    "updates",
    "invoices",
    "decisions",
)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a record, for editors and validators."""
    schema = Record.model_json_schema()
    for name in LIST_FIELDS:  # an empty `deliverables:` is an empty list, as the loader reads it
        field = schema["properties"][name]
        schema["properties"][name] = {
            "anyOf": [
                {key: value for key, value in field.items() if key not in ("default", "title", "description")},
                {"type": "null"},
            ],
            **{key: value for key, value in field.items() if key in ("default", "title", "description")},
        }
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
