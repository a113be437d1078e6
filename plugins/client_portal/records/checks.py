"""Warnings about a record that loaded, from the record alone (`commands/record_checks` adds the page's and files')."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from client_portal.hours.periods import client_hours, later_entries
from client_portal.i18n import page_locale, translations
from client_portal.records.access import ending_soon
from client_portal.records.addressing import greeting, greeting_line, salutation_example
from client_portal.records.loader import BIDI_CONTROLS, LINE_BREAK
from client_portal.records.model import Client
from client_portal.records.money import budget_alert, budget_summary, proposal_price
from client_portal.records.problems import Problem

# What `client-portal new` writes until the freelancer names the person: never to be published.
TEMPLATE_CONTACT = "Your contact's name"


Keys = tuple[str | int, ...]


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


def ending_warnings(client: Client, today: date) -> list[tuple[str, Keys]]:
    """Access that ends within a week: the person loses their way in, so the freelancer should know first."""
    found: list[tuple[str, Keys]] = []
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
