"""Budget and invoices: validation, figures, and how page, check, status and e-mail say them (English, Chinese)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from textwrap import dedent

import pytest
from babel import Locale
from click.testing import CliRunner

from client_portal.commands.cli import main
from client_portal.mail.digest import record_changes
from client_portal.mail.mail import client_letters
from client_portal.page.render import Renderer
from client_portal.page.view import page_context
from client_portal.publishing.addresses import Link
from client_portal.records import insights, money
from client_portal.records.loader import parse_record
from client_portal.records.model import Client, Record
from client_portal.records.problems import RecordError

from .conftest import TODAY
from .pages import MATERIAL_TEMPLATES, SEEN_KEY, SETTINGS, render_sample, text_of
from .test_render import section

HEAD = "name: Test\ncontacts: [{name: A, email: a@test.example}]\n"
INVOICE = "  - {number: INV-1, date: 2026-11-01, due: 2026-11-15, amount: 1250.00, currency: EUR}\n"


def load(text: str) -> Record:
    return parse_record(HEAD + dedent(text), Path("clients/t.yml"), today=TODAY)[0]


def problems_of(text: str) -> list[tuple[int, int, str]]:
    with pytest.raises(RecordError) as caught:
        load(text)
    return [(p.line, p.column, p.message) for p in caught.value.problems]


def page(text: str, language: str = "en") -> str:
    record = parse_record(f"{HEAD}language: {language}\n{dedent(text)}", Path("t.yml"), today=TODAY)[0]
    context = page_context(Client("t", Path("t.yml"), record), SETTINGS, TODAY, whatsnew_key=SEEN_KEY)
    return str(Renderer([MATERIAL_TEMPLATES]).body(context))


# (case, record text after the head with "^" where the problem is reported, words the message must contain)
MISTAKES = [
    (
        "nothing included",
        "budget: {period: month, unit: hours, included: ^0, used: 1}",
        ["budget.included", "more than 0"],
    ),
    ("negative use", "budget: {period: month, unit: hours, included: 5, used: ^-1}", ["budget.used", "0"]),
    (
        "unknown period",
        "budget: {period: ^week, unit: hours, included: 5, used: 1}",
        ["budget.period", "'week'", "'month', 'quarter' or 'project'"],
    ),
    (
        "money without a currency",
        "budget: ^{period: project, unit: money, included: 5000, used: 10}",
        ["budget.currency", "required when unit is money"],
    ),
    (
        "currency for hours",
        "budget: {period: month, unit: hours, included: 5, used: 1, currency: ^EUR}",
        ["budget.currency", "only used when unit is money"],
    ),
    ("too precise hours", "budget: {period: month, unit: hours, included: 5, used: ^1.125}", ["1.125", "2 decimals"]),
    ("made-up currency", "invoices:\n" + INVOICE.replace("EUR", "^EUX"), ["'EUX'", "ISO 4217"]),
    ("lower-case currency", "invoices:\n" + INVOICE.replace("EUR", "^eur"), ["'eur'", "in capitals"]),
    ("not a number", "invoices:\n" + INVOICE.replace("1250.00", "^lots"), ["invoices[0].amount", "decimal"]),
    ("infinite amount", "invoices:\n" + INVOICE.replace("1250.00", "^.inf"), ["invoices[0].amount", "finite"]),
    ("negative amount", "invoices:\n" + INVOICE.replace("1250.00", "^-5"), ["invoices[0].amount", "0"]),
    ("too large amount", "invoices:\n" + INVOICE.replace("1250.00", "^1.0e+13"), ["invoices[0].amount", "less"]),
    ("cents of a yen", "invoices:\n" + INVOICE.replace("1250.00", "^1250.50").replace("EUR", "JPY"), ["JPY", "(0)"]),
    (
        "due before the date",
        "invoices:\n" + INVOICE.replace("due: 2026-11-15", "due: ^2026-10-15"),
        ["before the invoice date 2026-11-01"],
    ),
    ("unknown status", "invoices:\n" + INVOICE.replace("}", ", status: ^late}"), ["'late'", "'open', 'paid'"]),
    ("link not http", "invoices:\n" + INVOICE.replace("}", ", link: ^ftp://x.example}"), ["not an http(s)"]),
    (
        "same number twice",
        "invoices:\n" + INVOICE + INVOICE.replace("INV-1", "^INV-1"),
        ["invoices[1].number", "'INV-1' is already used by invoice #1"],
    ),
    ("unknown invoice key", "invoices:\n" + INVOICE.replace("}", ", ^paid: true}"), ["'paid'", "invoices[0]"]),
]


@pytest.mark.parametrize(("case", "text", "words"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_budget_and_invoice_mistakes_are_located(case, text, words):
    before = (HEAD + text).split("^")[0]
    line, column = before.count("\n") + 1, len(before.rsplit("\n", 1)[-1]) + 1
    found = problems_of(text.replace("^", "") + "\n")
    assert len(found) == 1, found
    assert found[0][:2] == (line, column), found
    for word in words:
        assert word in found[0][2], found


def test_a_misspelt_budget_field_is_named_with_the_right_one():
    found = problems_of("budget: {period: month, unit: hours, included: 5, usde: 1}\n")
    assert (3, 51, "unknown field 'usde' in budget; did you mean 'used'?") in found


def test_amounts_stay_exact_decimals():
    record = load("budget: {period: month, unit: money, included: 0.3, used: 0.1, currency: EUR}\n")
    assert record.budget is not None
    assert (record.budget.included, record.budget.used) == (Decimal("0.3"), Decimal("0.1"))
    use = money.budget_use(record)
    assert use is not None and use.left == Decimal("0.2")  # a float would give 0.19999999999999998


@pytest.mark.parametrize(
    ("included", "used", "left", "over", "alert"),
    [
        ("20", "12.5", "7.5", "0", False),
        ("20", "16", "4", "0", True),  # 80%: the status overview mentions it
        ("20", "15.9", "4.1", "0", False),
        ("20", "20", "0", "0", True),
        ("20", "22.5", "-2.5", "2.5", True),
    ],
)
def test_budget_use(included, used, left, over, alert):
    record = load(f"budget: {{period: month, unit: hours, included: {included}, used: {used}}}\n")
    use = money.budget_use(record)
    assert use is not None
    assert (use.left, use.over) == (Decimal(left), Decimal(over))
    assert (money.budget_alert(record) is not None) is alert


def test_no_budget_no_use():
    assert money.budget_use(load("")) is None


INVOICES = """\
invoices:
  - {number: A-1, date: 2026-10-01, due: 2026-10-15, amount: 100.10, currency: EUR, status: paid}
  - {number: A-2, date: 2026-10-20, amount: 999, currency: EUR, status: void}
  - {number: A-3, date: 2026-11-01, due: 2026-11-15, amount: 1250, currency: EUR}
  - {number: A-4, date: 2026-11-02, due: 2026-11-23, amount: 0.20, currency: EUR}
  - {number: B-1, date: 2026-11-05, due: 2026-11-10, amount: 3000, currency: USD, status: paid}
  - {number: B-2, date: 2026-09-05, due: 2026-09-20, amount: 50, currency: USD}
"""


def test_invoice_totals_per_currency_leave_void_out():
    totals = money.invoice_totals(load(INVOICES))
    assert totals == [
        money.Totals("EUR", open=Decimal("1250.20"), paid=Decimal("100.10")),
        money.Totals("USD", open=Decimal("50"), paid=Decimal("3000")),
    ]


def test_past_due_is_open_and_after_the_due_date_longest_first():
    record = load(INVOICES)
    assert [i.number for i in money.past_due(record, TODAY)] == ["B-2", "A-3"]  # A-4 is due today: not yet
    assert [i.number for i in money.sorted_invoices(record)][:2] == ["B-1", "A-4"]  # newest first


def test_an_unpaid_invoice_stays_listed_on_a_paused_project():
    # money owed is not the freelancer's lateness: pausing the work does not hide it
    record = load("stage: paused\ninvoices:\n" + INVOICE)
    assert [(a.kind, a.title, a.days_left) for a in insights.attention(record, TODAY)] == [("invoice", "INV-1", -8)]
    assert [(s.urgency, s.title) for s in insights.status_items(record, TODAY)] == [
        ("invoice_past_due", "invoice INV-1, €1,250.00")
    ]


def test_past_projects_list_only_money_in_status():
    record = load("stage: past\nbudget: {period: project, unit: days, included: 10, used: 9}\ninvoices:\n" + INVOICE)
    assert [(s.urgency, s.title) for s in insights.status_items(record, TODAY)] == [
        ("invoice_past_due", "invoice INV-1, €1,250.00"),
        ("budget", "90% used: 9 of 10 days for the project"),
    ]


@pytest.mark.parametrize(
    ("locale", "value", "unit", "currency", "expected"),
    [
        ("en", "1", "hours", None, "1 hour"),
        ("en", "1.0", "hours", None, "1 hour"),  # YAML's 1.0 is still one hour
        ("en", "7.5", "hours", None, "7.5 hours"),
        ("en", "1", "days", None, "1 day"),
        ("en", "2.5", "days", None, "2.5 days"),
        ("en", "1250", "money", "EUR", "€1,250.00"),
        ("en", "1250", "money", "CNY", "CN¥1,250.00"),
        ("de", "1250.5", "money", "EUR", "1.250,50\xa0€"),
        ("de", "7.5", "hours", None, "7,5 Stunden"),
        ("zh_Hans_CN", "7.5", "hours", None, "7.5小时"),
        ("zh_Hans_CN", "3", "days", None, "3天"),
        ("zh_Hans_CN", "18500", "money", "CNY", "¥18,500.00"),
    ],
)
def test_quantities_in_the_clients_locale(locale, value, unit, currency, expected):
    assert money.MoneyFormat(Locale.parse(locale)).quantity(Decimal(value), unit, currency) == expected


def test_percent_rounds_as_people_do():
    english = money.MoneyFormat(Locale("en"))
    assert [english.percent(Decimal(s)) for s in ("0.625", "0.8", "1.125")] == ["63%", "80%", "113%"]


@pytest.fixture(scope="module")
def acme_html() -> str:
    return render_sample("acme-bakery")


@pytest.fixture(scope="module")
def lotus_html() -> str:
    return render_sample("lotus-tea")


def test_hand_typed_budget_on_a_sample_page():
    html = section(render_sample("jasmine-roastery"), "budget")
    assert text_of(html) == "الميزانية متبقٍّ 8.5 من 24 ساعة هذا الشهر المستخدَم: 15.5 ساعة · 65%"
    assert '<meter min="0" max="24" value="15.5" aria-labelledby="budget-left budget-used">' in html


def test_imported_hours_on_the_sample_page(acme_html):
    # clients/exports/toggl-acme-bakery-*.csv, imported: Sep 18 h, Oct 21 h 30, Nov 13 h 15 (each
    # entry up to a quarter hour); 2 h of September roll over into October, 30 min into November
    html = section(acme_html, "budget")
    assert text_of(html) == (
        "Budget 7 hr 15 min of 20 hr 30 min left this month 13 hr 15 min used · 65% "
        "Includes 30 min rolled over from October 2026 "
        "Hours in earlier months Month Hours used "
        "October 2026 21 hr 30 min of 22 hr · including 2 hr rolled over "
        "September 2026 18 hr of 20 hr"
    )
    assert '<meter min="0" max="73800" value="47700" aria-labelledby="budget-left budget-used">' in html


def test_budget_on_the_sample_page_in_chinese(lotus_html):
    text = text_of(section(lotus_html, "budget"))
    assert text == "预算 本季度剩余 ¥11,500.00（共 ¥30,000.00） 已用 ¥18,500.00 · 62%"


@pytest.mark.parametrize(
    ("budget", "language", "expected"),
    [
        ("{period: month, unit: hours, included: 20, used: 22.5}", "en", "2.5 hours over the 20 included this month"),
        ("{period: quarter, unit: days, included: 1, used: 0.5}", "en", "0.5 of 1 day left this quarter"),
        (
            "{period: project, unit: money, included: 2000, used: 2250, currency: EUR}",
            "en",
            "€250.00 over the €2,000.00 included for the project",
        ),
        ("{period: month, unit: hours, included: 20, used: 22.5}", "zh-CN", "本月已超出 2.5小时（预算为 20）"),
        ("{period: project, unit: days, included: 12, used: 4}", "zh-CN", "本项目剩余 8（共 12天）"),
    ],
)
def test_budget_wording(budget, language, expected):
    html = section(page(f"budget: {budget}\n", language), "budget")
    assert expected in text_of(html)
    assert ("cp-budget--over" in html) is ("over" in expected or "超出" in expected)


def test_over_budget_bar_stays_within_its_range():
    html = page("budget: {period: month, unit: hours, included: 20, used: 22.5}\n")
    assert '<meter min="0" max="20" value="20"' in html  # the words say by how much
    assert "22.5 hours used · 113%" in text_of(section(html, "budget"))


def test_invoices_on_the_sample_page_in_english(acme_html):
    html = section(acme_html, "invoices")
    rows = [text_of(row) for row in re.findall(r"<tr class=.*?</tr>", html, re.S)]
    assert rows == [
        "INV-2026-014 Sun, Nov 1 · was due Sun, Nov 15 Open €1,250.00",
        "INV-2026-012 Tue, Oct 20 Void €180.00",
        "INV-2026-009 Thu, Oct 1 Paid €2,400.00",
    ]
    assert "<s>€180.00</s>" in html  # void: struck through, and counted nowhere
    assert text_of(html).endswith("Open: €1,250.00 · Paid: €2,400.00")
    assert 'href="https://pay.example/inv-2026-014" rel="noopener noreferrer nofollow"' in html


def test_invoices_on_the_sample_page_in_chinese(lotus_html):
    text = text_of(section(lotus_html, "invoices"))
    assert "LY-2026-11 11月20日周五 · 12月4日周五 截止 待付款 ¥6,500.00" in text
    assert "LY-2026-07 10月8日周四 已付款 ¥12,000.00" in text
    assert text.endswith("待付款：¥6,500.00 · 已付款：¥12,000.00")
    assert not any(word in text for word in ("Open", "Paid", "Invoice", "Amount"))


def test_invoice_totals_in_several_currencies():
    text = text_of(section(page(INVOICES), "invoices"))
    assert "Open: €1,250.20 · Paid: €100.10" in text
    assert "Open: $50.00 · Paid: $3,000.00" in text


def test_past_due_invoice_needs_attention_calmly(acme_html):
    html = section(acme_html, "attention")
    item = html.split('cp-attention__item--invoice">')[1].split("</li>")[0]
    assert text_of(item) == (
        "Invoice INV-2026-014 · €1,250.00 Was due Sun, Nov 15 "
        "If it has already been paid, thank you, and please ignore this. View invoice Reply"
    )
    assert "days ago" not in text_of(item)  # no countdown: a reminder, never a threat
    assert "subject=About%3A%20Invoice%20INV-2026-014" in item


def test_past_due_invoice_needs_attention_in_chinese():
    html = section(page("invoices:\n" + INVOICE.replace("EUR", "CNY"), "zh-CN"), "attention")
    assert (
        text_of(html)
        == "需要您处理 发票 INV-1 · ¥1,250.00 原定 11月15日周日 截止 如果您已经付款，谢谢您，请忽略此提醒。 回复"
    )


def test_paused_page_lists_an_unpaid_invoice_without_lateness():
    html = page("stage: paused\ninvoices:\n" + INVOICE)
    text = text_of(section(html, "attention"))
    assert "Invoice INV-1 · €1,250.00 Was due Sun, Nov 15" in text and "ago" not in text


def invoice_marks(html: str) -> dict[str, tuple[str, str]]:
    """Invoice number -> (data-cp-item, data-cp-state) of its row."""
    marks = {}
    for row in re.findall(r"<tr class=.*?</tr>", section(html, "invoices"), re.S):
        item, state = re.search(r'data-cp-item="(\w+)" data-cp-state="(\w+)"', row).groups()
        marks[text_of(row).split()[0]] = (item, state)
    return marks


def test_invoice_rows_carry_whats_new_fingerprints():
    before = invoice_marks(page("invoices:\n" + INVOICE))
    after = invoice_marks(
        page("invoices:\n" + INVOICE.replace("}", ", status: paid}") + INVOICE.replace("INV-1", "INV-2"))
    )
    assert before["INV-1"][0] == after["INV-1"][0]  # the same invoice: marked Updated, not New
    assert before["INV-1"][1] != after["INV-1"][1]  # it was paid
    assert after["INV-2"][0] not in {item for item, _ in before.values()}  # a new invoice: marked New


def test_no_budget_and_no_invoices_no_sections():
    html = page("")
    assert 'id="budget"' not in html and 'id="invoices"' not in html


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            "Needs your attention\n- Invoice INV-1 · €1,250.00 · Was due Nov 15, 2026\n"
            "  If it has already been paid, thank you, and please ignore this.\n"
            "  View invoice: https://pay.example/inv-1\n",
        ),
        (
            "zh-CN",
            "- 发票 INV-1 · €1,250.00 · 原定 2026年11月15日 截止\n  如果您已经付款，谢谢您，请忽略此提醒。\n  查看发票: https://pay.example/inv-1\n",
        ),
    ],
)
def test_update_email_mentions_an_invoice_that_fell_past_due(language, expected):
    before = f"language: {language}\ninvoices:\n" + INVOICE.replace("}", ", link: https://pay.example/inv-1}")
    client = Client("t", Path("t.yml"), load(before))
    changes = record_changes(load(before.replace("2026-11-15", "2026-12-15")), client.record, TODAY)
    assert changes.is_news  # a reminder, once: the day it is new in the list
    letter = client_letters(client, changes, [Link("A", "p/x/")], "https://mei.example", SETTINGS, TODAY, None)[0]
    assert expected in letter.text


def test_check_warns_about_an_unpaid_invoice_past_due(empty_portal):
    (empty_portal / "clients" / "t.yml").write_text(HEAD + "invoices:\n" + INVOICE, encoding="utf-8")
    result = CliRunner().invoke(main, ["check"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "clients/t.yml:4:44: warning: invoice 'INV-1' was due 2026-11-15 (8 days ago) and is still open",
        "1 record checked: 0 errors, 1 warning",
    ]
