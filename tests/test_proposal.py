"""A proposal a prospect can accept, and the decisions a page remembers: model, insights, page and check."""

from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from client_portal.commands.cli import main
from client_portal.page.fingerprints import item_fingerprint
from client_portal.page.render import Renderer
from client_portal.page.view import page_context
from client_portal.records import insights
from client_portal.records.loader import RecordError, load_client, parse_record
from client_portal.records.model import Client, Record

from .conftest import ROOT, TODAY
from .pages import MATERIAL_TEMPLATES, SEEN_KEY, SETTINGS, render_sample, text_of

BERLIN = ZoneInfo("Europe/Berlin")
PROSPECT = "name: Linden & Hart Solicitors\nstage: prospect\ncontacts: [{name: Sarah Hart, email: sarah@lh.example}]\n"
FIXED = "budget: {period: project, unit: money, included: 7200, used: 0, currency: GBP}\n"


def parsed(text: str) -> Record:
    return parse_record(text, Path("clients/lh.yml"), today=TODAY)[0]


def rendered(text: str, client_id: str = "lh") -> str:
    client = Client(client_id, Path(f"clients/{client_id}.yml"), parsed(text))
    return str(Renderer([MATERIAL_TEMPLATES]).body(page_context(client, SETTINGS, TODAY, whatsnew_key=SEEN_KEY)))


def section(html: str, section_id: str) -> str:
    match = re.search(rf'<section[^>]*id="{section_id}".*?</section>', html, re.S)
    assert match, f"no section #{section_id}"
    return match.group(0)


def decided(text: str, item: str, decision: str, **more: str) -> str:
    """``text`` with a decision on ``item`` as it is now (``seen`` the item's current fingerprint)."""
    seen = more.pop("seen", None) or item_fingerprint(parsed(text), item)
    assert seen is not None
    at = more.pop("at", "2026-11-20T13:02:00+00:00")
    extra = "".join(f", {key}: {value}" for key, value in more.items())
    line = f"  - {{item: {item}, decision: {decision}, by: Sarah Hart, at: {at}, seen: {seen}{extra}}}\n"
    return text + "decisions:\n" + line if "decisions:" not in text else text + line


# --- the record format ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("proposal: {valid_until: 2026-12-31}\n", "give the price in exactly one form (given: none)"),
        (
            FIXED + "proposal: {currency: GBP, estimate: {from: 6000, to: 8000}}\n",
            "give the price in exactly one form (given: budget and estimate)",
        ),
        (
            "proposal: {currency: GBP, estimate: {from: 6000, to: 8000}, rate: {amount: 90, estimated: 80}}\n",
            "(given: estimate and rate)",
        ),
        ("proposal: {rate: {amount: 95, estimated: 80}}\n", "proposal.currency: required with proposal.rate"),
        (FIXED + "proposal: {currency: GBP}\n", "proposal.currency: the budget gives the price and its currency"),
        ("proposal: {currency: JPY, estimate: {from: 6000.5, to: 8000}}\n", "has more decimals than JPY uses (0)"),
        ("proposal: {currency: EUR, rate: {amount: 95.555, estimated: 8}}\n", "more than 2 decimals"),
        ("proposal: {currency: EUR, estimate: {from: 8000, to: 6000}}\n", "proposal.estimate.to: must be more than"),
        ("proposal: {currency: EUR, rate: {amount: 0, estimated: 8}}\n", "proposal.rate.amount: must be more than 0"),
        (
            FIXED + "proposal: {payment: {deposit: {percent: 30, amount: 100}}}\n",
            "give the deposit as 'percent' or as 'amount'",
        ),
        (FIXED + "proposal: {payment: {deposit: {amount: 7200}}}\n", "must be less than the price (7200)"),
        (
            FIXED + "proposal: {payment: {deposit: {percent: 30}, milestones: [{title: Launch, share: 60}]}}\n",
            "the shares and the deposit's 30% add up to 90%, not 100%",
        ),
        (
            FIXED + "proposal: {phases: [{title: Build, start: 2026-12-10, end: 2026-12-01}]}\n",
            "proposal.phases[0].end: 2026-12-01 is before the start 2026-12-10",
        ),
        (FIXED + "proposal: {validity: 2026-12-31}\n", "validity"),
    ],
)
def test_a_proposal_has_exactly_one_price_and_consistent_terms(text, message):
    with pytest.raises(RecordError, match=re.escape(message)):
        parsed(PROSPECT + text)


@pytest.mark.parametrize(
    "text",
    [
        FIXED + "proposal: {valid_until: 2026-12-31}\n",
        "proposal: {currency: GBP, estimate: {from: 6000, to: 8000.50}}\n",
        "proposal: {currency: JPY, rate: {amount: 9500, unit: days, estimated: 12}}\n",
        FIXED + "proposal: {payment: {deposit: {amount: 1500}, milestones: [{title: A, share: 100}]}}\n",
        # once active, the budget tracks the work beside the price the client accepted
        "budget: {period: month, unit: hours, included: 20, used: 2}\n"
        "proposal: {currency: GBP, estimate: {from: 1, to: 2}}\n",
    ],
)
def test_valid_proposals_load(text):
    assert parsed(PROSPECT + text).proposal is not None
    assert parsed(PROSPECT.replace("prospect", "active") + text).proposal is not None


def test_an_active_record_keeps_its_proposal_with_or_without_a_price():
    assert parsed(PROSPECT.replace("prospect", "active") + "proposal: {includes: [Design]}\n").proposal


def test_the_proposal_fingerprint_covers_the_proposal_block():
    before = parsed(PROSPECT + FIXED + "proposal: {includes: [Design]}\n")
    after = parsed(PROSPECT + FIXED + "proposal: {includes: [Design and build]}\n")
    assert item_fingerprint(before, "proposal") != item_fingerprint(after, "proposal")
    activated = parsed(PROSPECT.replace("prospect", "active") + FIXED + "proposal: {includes: [Design]}\n")
    assert item_fingerprint(activated, "proposal") == item_fingerprint(before, "proposal")


# --- insights -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "state", "kinds"),
    [
        (FIXED, "open", ["proposal"]),
        (FIXED + "proposal: {valid_until: 2026-11-30}\n", "open", ["proposal"]),
        (FIXED + "proposal: {valid_until: 2026-11-23}\n", "open", ["proposal"]),  # the last day still counts
        (FIXED + "proposal: {valid_until: 2026-11-22}\n", "expired", []),
        (
            FIXED + "requests: [{title: Sign the proposal, due: 2026-11-25}]\n",
            "open",
            ["proposal", "request"],
        ),  # the answer first
        (FIXED + "requests: [{title: Sign, done: true}]\n", "open", ["proposal"]),
        # a prospect's scope is not late, and it owes no invoice on its proposal page
        (FIXED + "deliverables: [{title: Site, status: in_review, due: 2026-11-01}]\n", "open", ["proposal"]),
        (
            FIXED + "invoices: [{number: D-1, date: 2026-11-01, due: 2026-11-02, amount: 10, currency: GBP}]\n",
            "open",
            ["proposal"],
        ),
    ],
)
def test_a_prospect_is_asked_for_its_answer_while_the_offer_stands(text, state, kinds):
    record = parsed(PROSPECT + text)
    assert insights.proposal_state(record, TODAY) == state
    assert [a.kind for a in insights.attention(record, TODAY)] == kinds
    assert insights.headline(record, TODAY, BERLIN).needs_you == len(kinds)


@pytest.mark.parametrize(("decision", "state"), [("accept", "decided"), ("decline", "decided")])
def test_a_decided_proposal_asks_nothing_more(decision, state):
    record = parsed(decided(PROSPECT + FIXED, "proposal", decision))
    logs = insights.decision_logs(record, {"proposal": item_fingerprint(record, "proposal")})
    done = insights.decided_items(logs)
    assert insights.proposal_state(record, TODAY, done) == state
    assert insights.attention(record, TODAY, done) == []
    assert insights.headline(record, TODAY, BERLIN, done).needs_you == 0


ACTIVE = PROSPECT.replace("prospect", "active") + (
    "deliverables:\n  - {id: logo, title: Logo, status: in_review, due: 2026-11-30}\n"
    "  - {id: site, title: Site, status: in_progress, due: 2026-12-30}\n"
)


@pytest.mark.parametrize(
    ("decisions", "latest", "earlier", "changed"),
    [
        ([("approve", "2026-11-20T10:00:00+00:00", None)], "approve", [], False),
        # the latest by time, whatever the order in the file; the earlier ones newest first
        (
            [
                ("changes", "2026-11-10T10:00:00+00:00", None),
                ("approve", "2026-11-20T10:00:00+00:00", None),
                ("changes", "2026-11-15T10:00:00+00:00", None),
            ],
            "approve",
            ["2026-11-15", "2026-11-10"],
            False,
        ),
        ([("approve", "2026-11-20T10:00:00+00:00", "A" * 43)], "approve", [], True),  # seen another version
    ],
)
def test_decision_logs_latest_first_and_whether_the_item_changed(decisions, latest, earlier, changed):
    text = ACTIVE
    for decision, at, seen in decisions:
        text = decided(text, "deliverable/logo", decision, at=at, **({"seen": seen} if seen else {}))
    record = parsed(text)
    logs = insights.decision_logs(record, {"deliverable/logo": item_fingerprint(record, "deliverable/logo")})
    log = logs["deliverable/logo"]
    assert log.latest.decision == latest
    assert [d.at.date().isoformat() for d in log.earlier] == earlier
    assert log.changed is changed
    assert insights.decided_items(logs) == (frozenset() if changed else {"deliverable/logo"})
    review = [a for a in insights.attention(record, TODAY, insights.decided_items(logs)) if a.kind == "review"]
    assert len(review) == (1 if changed else 0)


# --- the proposal page ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (FIXED, ["Price £7,200.00 A fixed price for the whole project"]),
        (
            "budget: {period: month, unit: money, included: 1500, used: 0, currency: EUR}\n",
            ["Price €1,500.00 per month"],
        ),
        (
            "proposal: {currency: GBP, estimate: {from: 6000, to: 8000}}\n",
            ["Estimated price £6,000.00 to £8,000.00"],
        ),
        (
            "proposal: {currency: GBP, rate: {amount: 95, estimated: 80}}\n",
            ["Rate £95.00 per hour", "Estimated time: 80 hours, so about £7,600.00 in all"],
        ),
        (
            "proposal: {currency: JPY, rate: {amount: 60000, unit: days, estimated: 12.5}}\n",
            ["Rate ¥60,000 per day", "Estimated time: 12.5 days, so about ¥750,000 in all"],
        ),
    ],
)
def test_the_offer_shows_the_price_in_its_form(text, shown):
    offer = text_of(section(rendered(PROSPECT + text), "offer"))
    for words in shown:
        assert words in offer


FULL = (
    PROSPECT
    + FIXED
    + """proposal:
  includes: [Two **logo** directions, A style guide]
  excludes: [Photography]
  payment:
    deposit: {percent: 30}
    milestones: [{title: Logo approved, share: 40}, {title: Launch, share: 30}]
    terms: Payable within *14 days*.
  valid_until: 2026-12-31
  phases:
    - {title: Discovery, start: 2026-12-01, end: 2026-12-11, notes: A workshop at your office.}
    - {title: Build, start: 2026-12-14, end: 2027-01-29}
requests: [{title: Sign the proposal, due: 2026-11-27}]
"""
)


def test_the_offer_shows_inclusions_payment_and_phases():
    html = rendered(FULL)
    offer = section(html, "offer")
    text = text_of(offer)
    assert "Included Two logo directions A style guide Not included Photography" in text
    assert "<strong>logo</strong>" in offer
    assert "Payment Deposit on acceptance 30% Logo approved 40% Launch 30% Payable within 14 days ." in text
    assert "Phases Tue, Dec 1 – Fri, Dec 11 Discovery A workshop at your office." in text
    assert "Mon, Dec 14, 2026 – Fri, Jan 29, 2027 Build" in text


def test_an_open_offer_says_until_when_and_offers_accept_lets_talk_and_decline():
    html = section(rendered(FULL), "decision")
    text = text_of(html)
    assert "This offer stands until Thu, Dec 31." in text
    assert re.findall(r'class="md-button[^"]*"[^>]*>(?:<span[^<]*<svg.*?</span>)?([^<]+)</a>', html, re.S) == [
        "Accept",
        "Let's talk",
        "Decline",
    ]
    assert 'class="md-button md-button--primary cp-action cp-decide"' in html.split("Let's talk")[0]
    assert "subject=Let%27s%20talk%3A%20Linden%20%26%20Hart%20Solicitors" in html


def test_an_expired_offer_says_so_and_offers_no_accept():
    html = rendered(FULL.replace("2026-12-31", "2026-11-20"))
    text = text_of(section(html, "decision"))
    assert "This offer expired on Fri, Nov 20." in text
    assert "Accept" not in text and "Decline" not in text
    assert "Let's talk" in text
    assert "Your answer to this proposal" not in text_of(html)


def test_an_accepted_proposal_thanks_and_offers_no_buttons():
    html = rendered(decided(FULL, "proposal", "accept"))
    decision = section(html, "decision")
    assert text_of(decision) == "Your decision Accepted by Sarah Hart on Fri, Nov 20 — thank you!"
    assert "md-button" not in decision
    assert "Your answer to this proposal" not in html


def test_a_declined_proposal_says_who_declined():
    text = text_of(section(rendered(decided(FULL, "proposal", "decline")), "decision"))
    assert text == "Your decision Declined by Sarah Hart on Fri, Nov 20"


def test_a_proposal_changed_after_acceptance_asks_again():
    text = decided(FULL, "proposal", "accept")
    html = section(rendered(text.replace("Photography", "Photography and video")), "decision")
    assert "Accepted by Sarah Hart on Fri, Nov 20 — thank you! Changed since you accepted it" in text_of(html)
    assert ">Accept</a>" in html


def test_the_accepted_proposal_stays_folded_on_the_active_page():
    text = decided(FULL, "proposal", "accept").replace("stage: prospect", "stage: active")
    html = section(rendered(text), "proposal")
    assert "<details" in html
    words = text_of(html)
    assert words.startswith("The proposal you accepted Accepted by Sarah Hart on Fri, Nov 20 — thank you!")
    assert "Price £7,200.00" in words and "Phases" in words
    agreed = text_of(section(rendered(FULL.replace("stage: prospect", "stage: active")), "proposal"))
    assert agreed.startswith("The proposal we agreed Price")


# --- the decision log under items -----------------------------------------------------------------


def test_a_deliverable_shows_who_approved_it_and_no_buttons_any_more():
    text = decided(ACTIVE, "deliverable/logo", "approve", at="2026-12-08T13:02:00+00:00")
    text = decided(text, "deliverable/logo", "changes", at="2026-11-20T09:00:00+00:00")
    html = rendered(text)
    card = re.search(r'<article[^>]*id="deliverable-logo".*?</article>', html, re.S).group(0)
    words = text_of(card)
    assert "Approved by Sarah Hart, Tue, Dec 8 · 14:02" in words  # the client's zone: Berlin
    assert "1 earlier decision Changes requested by Sarah Hart, Fri, Nov 20 · 10:00" in words
    assert "Approve" not in words.replace("Approved", "") and "Request changes" not in words
    assert "Logo" not in text_of(section(html, "attention"))


def test_a_deliverable_changed_since_approval_says_so_and_asks_again():
    text = decided(ACTIVE, "deliverable/logo", "approve").replace("title: Logo,", "title: Logo v2,")
    card = re.search(r'<article[^>]*id="deliverable-logo".*?</article>', rendered(text), re.S).group(0)
    words = text_of(card)
    assert "Approved by Sarah Hart, Fri, Nov 20 · 14:02 Changed since you approved it" in words
    assert "Request changes" in words


def test_an_idea_shows_who_took_it_up():
    text = ACTIVE + "suggestions: [{id: newsletter, title: A newsletter, status: accepted}]\n"
    text = decided(text, "idea/newsletter", "accept", earlier_version="true")
    words = text_of(section(rendered(text), "ideas"))
    assert "Taken up by Sarah Hart, Fri, Nov 20 · 14:02 · on an earlier version" in words


def test_a_decided_idea_offers_no_buttons_even_before_its_status_is_updated():
    text = ACTIVE + "suggestions: [{id: newsletter, title: A newsletter}]\n"
    html = section(rendered(decided(text, "idea/newsletter", "decline")), "ideas")
    assert "Declined by Sarah Hart" in text_of(html) and "md-button" not in html


# --- the header counts what the page asks for -----------------------------------------------------


def header_count(html: str) -> int:
    found = re.search(r'class="cp-state__needs">[^<\d]*(\d+)[^<]*<', html)
    return int(found.group(1)) if found else 0


def asked(html: str) -> int:
    """What the page asks of the client: the cards under "Needs your attention", folded ones too."""
    return len(re.findall(r'<li class="cp-attention__item cp-attention__item--\w+"', section(html, "attention")))


def running_late(html: str) -> int:
    found = re.search(r'class="cp-state__late">[^<\d]*(\d+)[^<]*<', html)
    return int(found.group(1)) if found else 0


@pytest.mark.parametrize(
    ("text", "count"),
    [
        (FULL, 2),  # the answer to the proposal, and the request to sign it
        (FULL.replace("2026-12-31", "2026-11-01"), 1),  # expired: only the request
        (decided(FULL, "proposal", "accept"), 1),
        (ACTIVE + "requests: [{title: Send photos}]\n", 2),
        (decided(ACTIVE, "deliverable/logo", "approve"), 0),
        (ACTIVE.replace("stage: active", "stage: paused") + "requests: [{title: Send photos}]\n", 2),
    ],
)
def test_the_header_counts_exactly_what_the_page_asks_for(text, count):
    html = rendered(text)
    assert asked(html) == header_count(html) == count


@pytest.mark.parametrize("client_id", sorted(path.stem for path in (ROOT / "clients").glob("*.yml")))
def test_every_sample_header_counts_what_its_page_asks_for(client_id):
    html = render_sample(client_id)
    assert asked(html) == header_count(html)
    # the freelancer's own late work is counted apart, on its cards, and never as a task with a Reply button
    late_cards = len(re.findall(r"<time [^>]*data-late>", section(html, "deliverables"))) if "cp-group" in html else 0
    assert running_late(html) == late_cards
    assert "cp-attention__item--overdue" not in html and "Running late, due" not in html


def test_the_sample_counts_are_what_a_reader_sees():
    counts = {c: (header_count(h := render_sample(c)), running_late(h)) for c in ("acme-bakery", "northwind-studio")}
    assert counts == {"acme-bakery": (5, 1), "northwind-studio": (2, 0)}


def test_the_sample_prospect_shows_its_whole_proposal():
    html = render_sample("northwind-studio")
    text = text_of(html)
    assert header_count(html) == 2
    assert "Price €13,800.00 A fixed price for the whole project" in text
    assert "This offer stands until Mon, Nov 30." in text
    assert "Send a few photos of the projects you are proudest of" in text_of(section(html, "attention"))
    assert "1 past date Wed, Nov 18 · 14:00 Introduction call" in text


# --- check ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", 2, "the proposal shows no price"),
        (FIXED.replace("money", "hours").replace(", currency: GBP", ""), 4, "does not show a budget in hours"),
        ("updates: [{date: 2026-11-20, text: Prepared}]\n" + FIXED, 4, "does not show the update log"),
        (
            FIXED + "invoices: [{number: D-1, date: 2026-11-01, amount: 10, currency: GBP}]\n",
            5,
            "does not show invoice 'D-1'",
        ),
        (
            FIXED + "deliverables: [{title: Site, status: in_progress, due: 2026-12-01, progress: 20}]\n",
            5,
            "deliverable 'Site' is in_progress at 20%, but the proposal page shows it as proposed scope",
        ),
    ],
)
def test_check_warns_about_what_a_proposal_page_leaves_out(empty_portal, text, line, message):
    (empty_portal / "clients" / "lh.yml").write_text(PROSPECT + text, encoding="utf-8")
    result = CliRunner().invoke(main, ["check"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    found = [row for row in result.output.splitlines() if message in row]
    assert found and found[0].startswith(f"clients/lh.yml:{line}:"), result.output


def test_check_is_quiet_about_a_full_proposal(empty_portal):
    (empty_portal / "clients" / "lh.yml").write_text(FULL, encoding="utf-8")
    result = CliRunner().invoke(main, ["check"], catch_exceptions=False)
    assert result.output.strip().splitlines()[0] == "1 record checked: 0 errors, 0 warnings", result.output


def test_check_warns_about_a_decision_on_an_item_the_record_no_longer_has(empty_portal):
    text = decided(ACTIVE, "deliverable/logo", "approve").replace("id: logo", "id: wordmark")
    (empty_portal / "clients" / "lh.yml").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["check"], catch_exceptions=False)
    assert result.exit_code == 0
    line = text.splitlines().index(next(row for row in text.splitlines() if "deliverable/logo" in row)) + 1
    assert f"clients/lh.yml:{line}:" in result.output
    assert "decision on deliverable/logo: the record has no deliverable with the id 'logo'" in result.output


def test_the_sample_records_pass_check_without_proposal_warnings():
    from client_portal.records.checks import decision_warnings, proposal_warnings

    for path in sorted((ROOT / "clients").glob("*.yml")):
        client = load_client(path, today=TODAY)
        assert proposal_warnings(client) == decision_warnings(client) == [], path.name


def test_an_update_letter_names_the_answer_a_proposal_waits_for():
    from .test_digest import _letter_text

    before = PROSPECT.replace("Sarah Hart, email: sarah@lh.example", "Sarah Hart, email: sarah@acme.example")
    # a letter goes out for news (here an update); what the proposal waits for is said in it
    news = "updates: [{date: 2026-11-20, text: The proposal is ready.}]\n"
    after = before + FIXED + "proposal: {valid_until: 2026-11-30}\n" + news
    text = _letter_text(after, before)
    assert "Your answer to this proposal · The offer stands until Nov 30, 2026" in text
    assert "Linden & Hart Solicitors · by" not in text
