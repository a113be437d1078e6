"""What `client-portal check` finds in a record that loaded: files it names, and warnings."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from client_portal.hours.periods import client_hours, later_entries
from client_portal.i18n import catalog_warning, page_locale, translations
from client_portal.publishing.attachments import attachment_problems
from client_portal.records.access import ending_soon
from client_portal.records.addressing import greeting, greeting_line, salutation_example
from client_portal.records.insights import CLOSED_STATUSES, overdue
from client_portal.records.loader import BIDI_CONTROLS, LINE_BREAK
from client_portal.records.model import Client
from client_portal.records.money import budget_alert, budget_summary, is_past_due, proposal_price
from client_portal.records.problems import Problem
from client_portal.settings import Phrase, PortalSettings

# What `client-portal new` writes until the freelancer names the person: never to be published.
TEMPLATE_CONTACT = "Your contact's name"


def record_problems(
    client: Client, clients_dir: Path, today: date, shown: Path, settings: PortalSettings | None = None
) -> list[Problem]:
    """Every problem of a valid record, each at its line; ``shown`` is the path as printed."""

    def warning(message: str, *keys: str | int) -> Problem:
        line, column = client.locate(*keys)
        return Problem(shown, line, column, message, "warning")

    record = client.record
    problems = (
        logo_problems(client, shown) + attachment_problems(client, clients_dir, shown) + bidi_problems(client, shown)
    )
    for index, contact in enumerate(record.contacts):
        if contact.name == TEMPLATE_CONTACT:
            line, column = client.locate("contacts", index, "name")
            message = f"contacts[{index}].name: still the template's placeholder; write the name of the person"
            problems.append(Problem(shown, line, column, message + " (and their e-mail) before publishing"))
    for item in overdue(record, today):
        what = "deliverable" if item.kind == "deliverables" else "request"
        message = f"{what} '{item.title}' was due {item.due.isoformat()} ({item.days_late} days ago)"
        problems.append(warning(message, item.kind, item.index, "due"))
    if record.stage == "past":  # closed: the page shows what was delivered, not what is still open
        for index, deliverable in enumerate(record.deliverables):
            if deliverable.status not in CLOSED_STATUSES:
                message = (
                    f"deliverable '{deliverable.title}' is still {deliverable.status} on a closed (past) project, "
                    "so the page leaves it out; set its status to delivered, approved or cancelled"
                )
                problems.append(warning(message, "deliverables", index, "status"))
    for index, invoice in enumerate(record.invoices):
        if invoice.due is not None and is_past_due(invoice, today):
            days = (today - invoice.due).days
            message = (
                f"invoice '{invoice.number}' was due {invoice.due.isoformat()} ({days} days ago) and is still open"
            )
            problems.append(warning(message, "invoices", index, "due"))
    language = record.language or (settings.language if settings is not None else "en")
    problems += [warning(message, *keys) for message, keys in greeting_warnings(client, language)]
    problems += [warning(message, *keys) for message, keys in accent_warnings(client)]
    problems += [warning(message, *keys) for message, keys in proposal_warnings(client)]
    problems += [warning(message, *keys) for message, keys in decision_warnings(client)]
    problems += [warning(message, *keys) for message, keys in ending_warnings(client, today)]
    zone = settings.timezone if settings is not None else "UTC"
    problems += [warning(message, *keys) for message, keys in hours_warnings(client, today, zone)]
    if record.language and (fallback := catalog_warning(record.language)):
        problems.append(warning(fallback, "language"))
    elif settings is not None:
        language = record.language or settings.language
        for name in ("availability", "response_time"):
            phrase = getattr(settings.freelancer, name)
            if phrase and not _has_text_in(phrase, language, settings.language):
                message = (
                    f"freelancer.{name} in {settings.config_name} has no text in {language!r}, this client's "
                    "language, so their page shows it in another language mid-sentence; give it one text per "
                    f"language, with a '{language}:' entry"
                )
                problems.append(
                    warning(message, "language") if record.language else Problem(shown, 1, 1, message, "warning")
                )
    return problems


Keys = tuple[str | int, ...]


def hours_warnings(client: Client, today: date, default_zone: str) -> list[tuple[str, Keys]]:
    """A period's hours 80% or all used; imported entries dated after the current period."""
    budget = client.record.budget
    if budget is None or budget.unit != "hours":
        return []
    hours = client_hours(client, today, default_zone)
    use = budget_alert(client.record, hours)
    found: list[tuple[str, Keys]] = []
    if use is not None:
        said = budget_summary(use)
        if use.share >= 1:
            found.append((f"budget: {said}; tell the client before you go on, or agree more hours", ("budget",)))
        else:
            found.append((f"budget: {said}; the next update letter tells the client", ("budget",)))
    zone = ZoneInfo(client.record.timezone or default_zone)
    if later := later_entries(client.hours, budget, today, zone):
        first = min(entry.day(zone) for entry in later)
        message = (
            f"budget.hours: {len(later)} imported entr{'y' if len(later) == 1 else 'ies'} from {first.isoformat()}, "
            "after the current period, which no page shows yet; is a clock or time zone in the time tracker wrong?"
        )
        found.append((message, ("budget", "hours")))
    return found


def greeting_warnings(client: Client, language: str) -> list[tuple[str, Keys]]:
    """Each contact whose name the letters cannot be sure how to greet, with the line they would write."""
    locale = str(page_locale(language))
    found: list[tuple[str, Keys]] = []
    for index, contact in enumerate(client.record.contacts):
        doubt = None if contact.salutation else greeting(contact.name, locale).doubt
        if doubt is None:
            continue
        line = greeting_line(contact.name, locale, translations(locale).gettext)
        message = (
            f"contacts[{index}].name: {contact.name!r} {doubt}, so the letters greet them {line!r}; "
            f"set contacts[{index}].salutation to the line they should read, "
            f"such as salutation: {salutation_example(locale)!r}"
        )
        found.append((message, ("contacts", index, "name")))
    return found


def accent_warnings(client: Client) -> list[tuple[str, Keys]]:
    """The brand accent where the page shows a visibly different shade of it for contrast, scheme by scheme."""
    from client_portal.page.colour import DARK_PAGE, LIGHT_PAGE, VISIBLE, accent_shades, contrast, same_colour

    accent = client.record.brand.accent if client.record.brand else None
    if not accent:
        return []
    shades = accent_shades(accent)
    found: list[tuple[str, Keys]] = []
    schemes = [
        ("on the white page", LIGHT_PAGE, shades.light, "the page and the letters use"),
        ("on the dark page (dark scheme)", DARK_PAGE, shades.dark, "the page's dark scheme uses"),
    ]
    for where, page, shade, used in schemes:
        given = contrast(accent, page)
        # Above WCAG's 3:1 the shade is a small step from the accent: what a brand looks like is kept.
        if same_colour(accent, shade) or given >= VISIBLE:
            continue
        message = (
            f"brand.accent {accent} has {given:.1f}:1 contrast {where}; {used} {shade} instead "
            f"({contrast(shade, page):.1f}:1), the nearest shade of its hue that text can be read in"
        )
        found.append((message, ("brand", "accent")))
    return found


def proposal_warnings(client: Client) -> list[tuple[str, Keys]]:
    """What a prospect's record holds that its proposal page leaves out, each with where it is."""
    record = client.record
    if record.stage != "prospect":
        return []
    found: list[tuple[str, Keys]] = []
    once_active = "; it shows once the project is active (stage: active)"
    if proposal_price(record) is None:
        message = (
            "the proposal shows no price: add a budget with unit money and period project (a fixed price), "
            "or proposal.estimate or proposal.rate with proposal.currency"
        )
        found.append((message, ("stage",)))
    if record.budget is not None and record.budget.unit != "money":
        message = f"the proposal page does not show a budget in {record.budget.unit}" + once_active
        found.append((message, ("budget", "unit")))
    for index, deliverable in enumerate(record.deliverables):
        if deliverable.status != "planned" or deliverable.progress is not None:
            message = (
                f"deliverable '{deliverable.title}' is {deliverable.status}"
                + (f" at {deliverable.progress}%" if deliverable.progress is not None else "")
                + ", but the proposal page shows it as proposed scope without status or progress; "
                "set it to planned, or make the stage active"
            )
            found.append((message, ("deliverables", index, "status")))
    if record.updates:
        found.append(("the proposal page does not show the update log" + once_active, ("updates",)))
    for index, invoice in enumerate(record.invoices):
        message = f"the proposal page does not show invoice '{invoice.number}'" + once_active
        found.append((message, ("invoices", index, "number")))
    return found


def decision_warnings(client: Client) -> list[tuple[str, Keys]]:
    """Each recorded decision on an item the record no longer has (a renamed id, a removed idea)."""
    record = client.record
    items = {f"deliverable/{d.key}" for d in record.deliverables} | {f"idea/{s.key}" for s in record.suggestions}
    if record.stage == "prospect" or record.proposal is not None:
        items.add("proposal")
    found: list[tuple[str, Keys]] = []
    for index, decision in enumerate(record.decisions):
        if decision.item not in items:
            kind, _, key = decision.item.partition("/")
            what = f"no {'idea' if kind == 'idea' else kind} with the id '{key}'" if key else "no proposal"
            message = (
                f"decision on {decision.item}: the record has {what}, so the page cannot show this decision; "
                "if the item was renamed, give it back its id (or correct the decision's item)"
            )
            found.append((message, ("decisions", index, "item")))
    return found


def _has_text_in(phrase: Phrase, language: str, default: str) -> bool:
    """Whether a freelancer's phrase has a text in ``language`` (a plain phrase is in the default language)."""
    base = language.replace("_", "-").split("-")[0].lower()
    keys = [default] if isinstance(phrase, str) else list(phrase)
    return any(key.replace("_", "-").split("-")[0].lower() == base for key in keys)


def bidi_problems(client: Client, shown: Path) -> list[Problem]:
    """Each line of the record file holding a bidi control character, which the build removes."""
    try:
        text = client.source.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):  # the loader read it a moment ago; nothing to add
        return []
    problems = []
    for number, line in enumerate(LINE_BREAK.split(text), start=1):
        if found := BIDI_CONTROLS.search(line):
            code = f"U+{ord(found.group()):04X}"
            message = (
                f"{code}, a bidi control character, reorders the text after it and can disguise what a client "
                "reads; the page and the letters leave it out, so delete it here"
            )
            problems.append(Problem(shown, number, found.start() + 1, message, "warning"))
    return problems


def logo_problems(client: Client, shown: Path) -> list[Problem]:
    """A logo file the build could not read (URLs are fetched only when building)."""
    from client_portal.page.logo import LogoError, logo_data_uri

    logo = client.record.brand.logo if client.record.brand else None
    if not logo or logo.startswith(("http://", "https://")):
        return []
    try:
        logo_data_uri(logo, client.source.parent)
    except LogoError as error:
        line, column = client.locate("brand", "logo")
        return [Problem(shown, line, column, f"brand.logo: {error}")]
    return []


def shared_origin(site_url: str) -> str | None:
    """Why a site published at ``site_url`` shares its origin with sites of others, or None.

    Every GitHub Pages site of an account (``<user>.github.io/<repo>/``) is one origin:
    a script on any of them can use the keys a client's browser remembers for this one.
    """
    host = (urlsplit(site_url).hostname or "").lower()
    if not host.endswith(".github.io"):
        return None
    return (
        f"site_url {site_url} is on GitHub Pages, where every site of the account shares the origin "
        f"https://{host}: a script on any of them can use a key a client's browser remembers for this portal; "
        "publish the portal on a domain of its own (a custom domain or subdomain)"
    )


def site_url_problems(config_file: Path, site_url: str, shown: Path) -> list[Problem]:
    """`shared_origin` as a warning at the ``site_url`` line of ``mkdocs.yml`` or ``zensical.toml``."""
    message = shared_origin(site_url)
    if message is None:
        return []
    text = config_file.read_text(encoding="utf-8", errors="replace")
    found = re.search(r"^\s*site_url\s*[:=]", text, re.MULTILINE)
    line = text.count("\n", 0, found.start()) + 1 if found else 1
    return [Problem(shown, line, 1, message, "warning")]


def ending_warnings(client: Client, today: date) -> list[tuple[str, tuple[str | int, ...]]]:
    """Access that ends within a week: the person loses their way in, so the freelancer should know first."""
    found = []
    for soon in ending_soon(client.record, today):
        days = (soon.ends - today).days
        when = f"on {soon.ends.isoformat()} (in {days} day{'s' if days != 1 else ''})"
        if soon.who:
            message = (
                f"{soon.who}'s link stops opening the page {when}; to keep their access, move 'expires' later "
                "or remove it"
            )
        else:
            message = f"no link or password opens the page {when}; to keep it open, move 'access.until' later"
        found.append((message, soon.where))
    return found
