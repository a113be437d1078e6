"""No record can stall a build: besides each field's limit, a record has a total budget, reported at its line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from client_portal.page.markdown_text import MAX_NESTING, render_markdown
from client_portal.records.loader import parse_record
from client_portal.records.model import MAX_ITEMS, MAX_RECORD_LINES, MAX_RECORD_MARKDOWN
from client_portal.records.problems import RecordError

from .conftest import TODAY

HEAD = "name: Acme Bakery\ncontacts:\n  - name: Jane Doe\n    email: jane@acme.example\nupdates:\n"


def problems_of(text: str) -> list[tuple[int, int, str]]:
    with pytest.raises(RecordError) as caught:
        parse_record(text, Path("clients/acme.yml"), today=TODAY)
    return [(p.line, p.column, p.message) for p in caught.value.problems]


def updates(texts: list[str]) -> str:
    return HEAD + "".join(f"  - date: 2026-11-01\n    text: {yaml.safe_dump(t, width=10**9).strip()}\n" for t in texts)


def test_markdown_over_the_record_budget_is_an_error_at_the_update_that_crosses_it():
    texts = ["word " * 3_000] * (MAX_RECORD_MARKDOWN // 15_000 + 1)  # each within the field's limit
    crossing = next(i for i in range(len(texts)) if sum(map(len, texts[: i + 1])) > MAX_RECORD_MARKDOWN)
    [(line, column, message)] = problems_of(updates(texts))
    assert (line, column) == (HEAD.count("\n") + 2 * crossing + 2, 11)  # the text of that update
    assert message.startswith(f"updates[{crossing}].text: the record's Markdown reaches ")
    assert f"over the {MAX_RECORD_MARKDOWN:,} one record may hold" in message


def test_markdown_lines_over_the_record_budget_are_an_error():
    text = "\n".join(["- item"] * 500)
    count = MAX_RECORD_LINES // 500 + 1
    [(_, _, message)] = problems_of(updates([text] * count))
    assert f"updates[{count - 1}].text" in message and f"over the {MAX_RECORD_LINES:,} one record may hold" in message


def test_a_record_within_the_budget_loads():
    texts = ["word " * 1_000] * (MAX_RECORD_MARKDOWN // 5_000)
    record, _ = parse_record(updates(texts), Path("clients/acme.yml"), today=TODAY)
    assert len(record.updates) == len(texts)


@pytest.mark.parametrize("field", sorted(MAX_ITEMS))
def test_each_list_has_a_length_limit(field):
    item = {
        "preferences": "x",
        "deliverables": {"title": "t", "status": "planned"},
        "schedule": {"date": "2026-12-01", "title": "t"},
        "requests": {"title": "t"},
        "suggestions": {"title": "t", "date": "2026-11-01"},
        "updates": {"date": "2026-11-01", "text": "x"},
        "invoices": {"number": "n", "date": "2026-11-01", "amount": 1, "currency": "EUR", "status": "paid"},
        "decisions": {"item": "proposal", "decision": "accept", "by": "J", "at": "2026-11-20T10:00Z", "seen": "A" * 43},
    }[field]
    record = {"name": "Acme", "contacts": [{"name": "J", "email": "j@acme.example"}]}
    items = [item] * (MAX_ITEMS[field] + 1)
    if field in ("deliverables", "suggestions", "invoices"):  # ids and numbers must differ
        key = "number" if field == "invoices" else "title"
        items = [{**item, key: f"{item[key]}{i}"} for i in range(len(items))]
    problems = problems_of(yaml.safe_dump({**record, field: items}))
    assert any(
        f"{field}: has {len(items):,} entries; keep it to {MAX_ITEMS[field]:,} at most" in p[2] for p in problems
    )


def test_markers_opened_on_one_line_nest_only_so_deep():
    html = str(render_markdown("-\t" * 10_000 + "x"))
    assert html.count("<ul>") == MAX_NESTING
    assert str(render_markdown("> > > > > > quoted")).count("<blockquote>") == MAX_NESTING
    assert str(render_markdown("1. 2. 3. 4. 5. x")).count("<ol") == MAX_NESTING
    assert str(render_markdown("- a\n    - b\n        - c")).count("<ul>") == 3  # nesting over lines is untouched


@pytest.mark.parametrize("kind", ["list items", "brackets", "nested markers", "plain text"])
def test_the_benchmarks_worst_record_is_within_every_limit(kind):
    from benchmarks.portals import WORST_MARKDOWN, worst_record

    parse_record(yaml.safe_dump(worst_record(WORST_MARKDOWN[kind])), Path("clients/worst.yml"), today=TODAY)
