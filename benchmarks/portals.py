"""The portals `make bench` builds: synthetic clients, and the same content as plain MkDocs pages.

A synthetic client has the shape the performance figures are quoted for: 12
deliverables, 10 schedule items, 4 ideas, 3 updates and 2 requests, link mode.
Its text varies with its number, so no two pages are the same.
"""

from __future__ import annotations

import hashlib
import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 23)  # the example portal's pinned build date, kept by the copies

STATUSES = ["approved", "delivered", "delivered", "in_progress", "in_progress", "in_review", "waiting_on_client"]
STATUSES += ["planned", "in_progress", "delivered", "in_progress", "cancelled"]
KINDS = ["milestone", "meeting", "deadline", "time_off"]
WORDS = [
    *("bakery", "studio", "cycles", "books", "tea", "garden", "harbor", "print", "label", "menu", "flyer"),
    *("brand", "guide", "article", "photo", "shop", "winter", "summer", "order", "page", "newsletter"),
    *("workshop", "logo", "poster", "catalogue", "launch", "review", "call", "price", "stock", "market", "gift"),
]


def _words(n: int, count: int) -> str:
    return " ".join(WORDS[(n * 7 + i * 3) % len(WORDS)] for i in range(count))


def synthetic_record(n: int) -> dict[str, Any]:
    """One client in the benchmark's shape; ``n`` varies every title and text."""
    name = f"{_words(n, 2).title()} {n}"

    def day(offset: int) -> date:
        return TODAY + timedelta(days=offset)

    deliverables = []
    for i, status in enumerate(STATUSES):
        item: dict[str, Any] = {"id": f"item-{i}", "title": f"{_words(n + i, 3).capitalize()} {i}", "status": status}
        due = day(-40 + i * 8 + n % 5)
        if status != "planned":
            item["due"] = due
        if status in ("delivered", "approved"):
            item["delivered"] = min(due + timedelta(days=(n + i) % 5 - 2), TODAY)
        if status == "in_progress":
            item["progress"] = (n * 13 + i * 17) % 100
        if i % 3 == 0:
            item["link"] = f"https://files.example/{n}/{i}.pdf"
        item["notes"] = f"The {_words(n + i, 4)} is **ready** for {_words(n - i, 3)}; see the notes from our call."
        deliverables.append(item)
    schedule: list[dict[str, Any]] = []
    for i in range(10):
        when: Any = day(-30 + i * 7 + n % 3)
        if i % 3 == 1:
            when = f"{when.isoformat()}T{9 + i % 8:02d}:30:00+01:00"
        entry: dict[str, Any] = {"date": when, "title": f"{_words(n * 3 + i, 3).capitalize()}", "kind": KINDS[i % 4]}
        if i % 2 == 0:
            entry["notes"] = f"Bring the {_words(n + 2 * i, 3)}. [Agenda](https://meet.example/{n}/{i})"
        schedule.append(entry)
    return {
        "name": name,
        "stage": "active",
        "language": "en",
        "timezone": "Europe/Berlin",
        "contacts": [
            {"name": f"Anna {n}", "email": f"anna{n}@client.example"},
            {"name": f"Tomasz {n}", "email": f"tomasz{n}@client.example"},
        ],
        "access": {"mode": "link"},
        "brand": {"accent": f"#{(n * 2654435761) % 0xFFFFFF:06x}"},
        "greeting": f"Hi Anna! This week is all about the **{_words(n, 3)}**, so you can start in December.",
        "preferences": [f"Warm, plain language about the {_words(n, 2)}.", f"Feedback by {_words(n + 1, 2)} is fine."],
        "deliverables": deliverables,
        "schedule": schedule,
        "requests": [
            {"title": f"Send the {_words(n + i, 3)}", "due": day(-3 + 6 * i), "done": False} for i in range(2)
        ],
        "suggestions": [
            {
                "title": f"A monthly {_words(n + i, 2)}",
                "date": day(-20 + i),
                "impact": ["high", "medium", "low", "medium"][i],
                "status": ["proposed", "accepted", "done", "declined"][i],
                "body": f"Your regulars ask about the {_words(n + i, 5)}. This answers them in *two hours* a month.",
            }
            for i in range(4)
        ],
        "updates": [
            {"date": day(-10 + 4 * i), "text": f"The {_words(n + 5 * i, 4)} went out, ready to publish."}
            for i in range(3)
        ],
    }


# The encrypting peer as a MkDocs user sets it up for private pages: a password per page
# (in its front matter), share links that carry it, and the plugin's cache of derived keys.
PEER = {"encryptcontent": {"sharelinks": True, "cache_file": "encryptcontent.cache"}}


def _site_config(*, with_portal: bool, peer: bool = False) -> dict[str, Any]:
    """The example portal's mkdocs.yml; the baselines' have the client pages out of nav instead of the plugin."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    if not with_portal:
        config["plugins"] = [p for p in config["plugins"] if not (isinstance(p, dict) and "client-portal" in p)]
        config["not_in_nav"] = "/clients/\n"
        if peer:
            config["plugins"].append(PEER)
    return config


def portal(folder: Path, count: int) -> Path:
    """A portal of ``count`` synthetic link-mode clients."""
    folder.mkdir(parents=True)
    (folder / "mkdocs.yml").write_text(yaml.safe_dump(_site_config(with_portal=True)), encoding="utf-8")
    shutil.copytree(ROOT / "content", folder / "content")
    (folder / "clients").mkdir()
    for n in range(count):
        text = yaml.safe_dump(synthetic_record(n), allow_unicode=True, sort_keys=False)
        (folder / "clients" / f"client-{n}.yml").write_text(text, encoding="utf-8")
    return folder


def samples_portal(folder: Path, count: int, *, with_passwords: bool = True) -> Path:
    """A portal of ``count`` copies of the sample records under new ids (1 in 5 is a password page)."""
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "mkdocs.yml", folder / "mkdocs.yml")
    shutil.copytree(ROOT / "content", folder / "content")
    # the samples' logos and attached files too: a record whose file is missing does not build
    shutil.copytree(ROOT / "clients" / "logos", folder / "clients" / "logos")
    shutil.copytree(ROOT / "clients" / "files", folder / "clients" / "files")
    samples = [
        path
        for path in sorted((ROOT / "clients").glob("*.yml"))
        if with_passwords or "mode: password" not in path.read_text(encoding="utf-8")
    ]
    for n in range(count):
        source = samples[n % len(samples)]
        (folder / "clients" / f"{source.stem}-{n}.yml").write_bytes(source.read_bytes())
    return folder


def markdown_page(record: dict[str, Any], password: str | None = None) -> str:
    """A client's content as one Markdown page, kept out of search as a user would (with the peer's password)."""
    front = ["search:", "  exclude: true"] + ([f"password: {password}", "sharelink: true"] if password else [])
    lines = ["---", *front, "---", "", f"# {record['name']}", "", record.get("greeting", "")]
    lines += ["## Deliverables", ""]
    for d in record.get("deliverables", []):
        lines += [f"### {d['title']}", "", f"**{d['status']}** · due {d.get('due', '')}", "", d.get("notes", ""), ""]
        if "link" in d:
            lines += [f"[Open the files]({d['link']})", ""]
    lines += ["## Schedule", ""]
    for s in record.get("schedule", []):
        lines += [f"- **{s['date']}** {s['title']} ({s.get('kind', 'milestone')})"]
        if s.get("notes"):
            lines += ["", f"    {s['notes']}", ""]
    lines += ["", "## Needs your attention", ""]
    lines += [f"- {r['title']} (by {r['due']})" for r in record.get("requests", [])]
    lines += ["", "## Ideas", ""]
    for s in record.get("suggestions", []):
        lines += [f"### {s['title']}", "", f"*{s['impact']} impact, {s['status']}*", "", s.get("body", ""), ""]
    lines += ["## Updates", ""] + [f"- {u['date']}: {u['text']}" for u in record.get("updates", [])]
    lines += ["", "## How you like to work", ""] + [f"- {p}" for p in record.get("preferences", [])]
    return "\n".join(map(str, lines)) + "\n"


def baseline(folder: Path, count: int, *, peer: bool = False) -> Path:
    """Plain MkDocs + Material with the same content: one Markdown page per client, out of nav and search.

    ``peer``: each page encrypted by mkdocs-encryptcontent-plugin under a password of its own.
    """
    folder.mkdir(parents=True)
    (folder / "mkdocs.yml").write_text(yaml.safe_dump(_site_config(with_portal=False, peer=peer)), encoding="utf-8")
    shutil.copytree(ROOT / "content", folder / "content")
    pages = folder / "content" / "clients"
    pages.mkdir()
    for n in range(count):
        password = f"client-{n}-{hashlib.sha256(str(n).encode()).hexdigest()[:20]}" if peer else None
        (pages / f"client-{n}.md").write_text(markdown_page(synthetic_record(n), password), encoding="utf-8")
    return folder


def _fill(pattern: str, characters: int, lines: int) -> list[str]:
    """Markdown texts of ``pattern`` repeated: ``characters`` and ``lines`` in all, 20,000 characters each at most."""
    from client_portal.records.model import MAX_MARKDOWN

    per_line = max(1, characters // lines - 1)  # and a line break
    line = (pattern * (per_line // len(pattern) + 1))[:per_line]
    lines_per_text = max(1, MAX_MARKDOWN // (per_line + 1))
    texts, left = [], lines
    while left > 0:
        count = min(lines_per_text, left)
        texts.append("\n".join([line] * count))
        left -= count
    return texts


# Markdown that costs Python-Markdown the most per character or per line (measured).
WORST_MARKDOWN = {
    "list items": "- x ",
    "brackets": "[",
    "links": "[a](",
    "ampersands": "&",
    "emphasis": "*a _b ",
    "nested markers": "-\t",
    "quotes": ">",
    "plain text": "plain words ",
}


def worst_record(pattern: str) -> dict[str, Any]:
    """A record at every limit at once: each list at its longest, all Markdown budget spent on ``pattern``."""
    from client_portal.records.model import MAX_ITEMS, MAX_RECORD_LINES, MAX_RECORD_MARKDOWN, MAX_TITLE

    title = ("Word " * MAX_TITLE)[: MAX_TITLE - 4].strip()
    updates = MAX_ITEMS["updates"]
    # every update needs a text: one line each, and the rest of the budget in the other fields
    update = pattern.strip() or "x"
    texts = _fill(pattern, MAX_RECORD_MARKDOWN - updates * len(update), MAX_RECORD_LINES - updates)
    record = synthetic_record(0)
    record["contacts"] = [{"name": f"Person {i}", "email": f"p{i}@client.example"} for i in range(200)]
    record["greeting"] = texts.pop() if texts else None
    record["preferences"] = [texts.pop() for _ in range(min(len(texts), MAX_ITEMS["preferences"]))]
    record["deliverables"] = [
        {"id": f"d-{i}", "title": f"{title} {i}", "status": "in_progress", "due": "2026-12-01", "progress": 50}
        for i in range(MAX_ITEMS["deliverables"])
    ]
    for deliverable in record["deliverables"]:
        if texts:
            deliverable["notes"] = texts.pop()
    record["schedule"] = [
        {"date": "2026-12-01", "title": f"{title} {i}", "kind": "meeting"} for i in range(MAX_ITEMS["schedule"])
    ]
    record["requests"] = [
        {"title": f"{title} {i}", "due": "2026-12-01", "done": False} for i in range(MAX_ITEMS["requests"])
    ]
    record["suggestions"] = [
        {"id": f"s-{i}", "title": f"{title} {i}", "date": "2026-11-01", "impact": "high", "status": "proposed"}
        for i in range(MAX_ITEMS["suggestions"])
    ]
    record["updates"] = [{"date": "2026-11-01", "text": update} for _ in range(updates)]
    record["budget"] = {"period": "month", "unit": "money", "currency": "EUR", "included": 1000, "used": 10}
    record["invoices"] = [
        {
            "number": f"INV-{i}",
            "date": "2026-11-01",
            "due": "2026-11-15",
            "amount": 100,
            "currency": "EUR",
            "status": "open",
        }
        for i in range(MAX_ITEMS["invoices"])
    ]
    record["decisions"] = [
        {
            "item": f"deliverable/d-{i % MAX_ITEMS['deliverables']}",
            "decision": "changes",
            "by": "Person 0",
            "at": "2026-11-20T10:00:00+00:00",
            "seen": "A" * 43,
        }
        for i in range(MAX_ITEMS["decisions"])
    ]
    return record


def worst_portal(folder: Path, pattern: str | None) -> Path:
    """A portal of one `worst_record`, or of no client at all (``pattern`` None), to tell the record's time apart."""
    folder.mkdir(parents=True)
    (folder / "mkdocs.yml").write_text(yaml.safe_dump(_site_config(with_portal=True)), encoding="utf-8")
    shutil.copytree(ROOT / "content", folder / "content")
    (folder / "clients").mkdir()
    if pattern is not None:
        text = yaml.safe_dump(worst_record(pattern), allow_unicode=True, sort_keys=False)
        (folder / "clients" / "worst.yml").write_text(text, encoding="utf-8")
    return folder
