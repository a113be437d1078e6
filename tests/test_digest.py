"""digest: the update e-mails from a record's git history, as text and as .eml drafts."""

from __future__ import annotations

import email.policy
import os
import re
import shutil
import subprocess
from datetime import date
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from textwrap import dedent, indent
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from client_portal.commands.cli import main
from client_portal.mail.digest import coming_up, record_changes
from client_portal.mail.mail import Letter, client_letters
from client_portal.page.colour import accent_shades
from client_portal.page.fingerprints import item_fingerprint
from client_portal.page.markdown_text import render_markdown
from client_portal.publishing.addresses import client_links
from client_portal.records import insights
from client_portal.records.loader import load_client, parse_record
from client_portal.records.model import Client
from client_portal.settings import Freelancer, PortalSettings
from client_portal.site_config import read_settings

from .build import SECRET
from .conftest import ROOT, TODAY

PASSWORD = "lotus-password-never-in-mail"

ACME_BEFORE = dedent(
    """\
    name: Acme Bakery
    language: en
    timezone: Europe/Berlin
    contacts:
      - name: Anna Weber
        email: anna@acme.example
      - name: Tomasz Nowak
        email: tomasz@acme.example
    deliverables:
      - id: menu
        title: Winter menu
        status: in_review
        due: 2026-11-20
      - id: shop
        title: Online ordering page
        status: in_progress
        due: 2026-11-27
        notes: Payment set-up is under way.
    suggestions:
      - title: Start a newsletter
        date: 2026-11-01
    updates:
      - date: 2026-11-10
        text: Menu drafts sent.
    """
)
ACME_AFTER = (
    ACME_BEFORE.replace(
        "    status: in_review\n    due: 2026-11-20\n",
        "    status: delivered\n    due: 2026-11-20\n    delivered: 2026-11-18\n",
    )
    .replace(
        "due: 2026-11-27\n    notes: Payment set-up is under way.",
        "due: 2026-12-04\n    notes: The payment provider needs **one more week** to verify the account.",
    )
    .replace(
        "suggestions:\n",
        dedent(
            """\
            schedule:
              - date: 2026-11-30T15:00:00+01:00
                title: Launch call
                kind: meeting
            requests:
              - title: Send the Christmas opening hours
                due: 2026-11-26
            suggestions:
              - title: Offer Christmas pre-orders <before 24 Dec>
                date: 2026-11-22
                impact: high
                body: Most regulars ask in early December. <img src=x onerror=alert(1)>
            """
        ),
    )
    + "  - date: 2026-11-22\n    text: Winter menu delivered & printed.\n"
)
LOTUS_BEFORE = dedent(
    """\
    name: 莲语茶舍
    language: zh-CN
    timezone: Asia/Shanghai
    contacts:
      - name: 林晓雯
        email: lin@lotus.example
      - name: 周建国
    access:
      mode: password
      password_env: LOTUS_PASSWORD
    deliverables:
      - id: boards
        title: 门店茶单牌
        status: in_progress
        due: 2026-11-19
    """
)
LOTUS_AFTER = (
    LOTUS_BEFORE.replace("due: 2026-11-19", "due: 2026-11-25\n    notes: 价格需要重新核对，所以晚了几天。")
    + "updates:\n  - date: 2026-11-21\n    text: 茶单牌排版已完成。\n"
)
QUIET = dedent(
    """\
    name: Quiet Studio
    contacts:
      - name: Sam Quiet
        email: sam@quiet.example
    deliverables:
      - title: Poster
        status: in_progress
        due: 2026-12-10
    """
)


def git(portal: Path, *args: str, when: str | None = None) -> str:
    env = {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when} if when else {}
    result = subprocess.run(
        ["git", "-C", str(portal), "-c", "user.name=Mei Chen", "-c", "user.email=mei@example.com", *args],
        capture_output=True,
        check=True,
        text=True,
        env={**os.environ, **env},
    )
    return result.stdout.strip()


def write(portal: Path, name: str, text: str) -> None:
    (portal / "clients" / name).write_text(text, encoding="utf-8")


@pytest.fixture
def portal(tmp_path, monkeypatch) -> Path:
    """A portal in git: committed Nov 10, the Chinese record changed Nov 20, the English one uncommitted."""
    monkeypatch.setenv("HOME", str(tmp_path))  # no user git configuration
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("PORTAL_SECRET", SECRET)
    monkeypatch.setenv("LOTUS_PASSWORD", PASSWORD)
    portal = tmp_path / "portal"
    (portal / "clients").mkdir(parents=True)
    (portal / "content").mkdir()
    shutil.copy(ROOT / "mkdocs.yml", portal / "mkdocs.yml")
    write(portal, "acme.yml", ACME_BEFORE)
    write(portal, "lotus.yml", LOTUS_BEFORE)
    write(portal, "quiet.yml", QUIET)
    git(portal, "init", "-q")
    git(portal, "add", ".")
    git(portal, "commit", "-q", "-m", "Records", when="2026-11-10T12:00:00+01:00")
    write(portal, "lotus.yml", LOTUS_AFTER)
    git(portal, "commit", "-q", "-a", "-m", "Lotus: new date", when="2026-11-20T12:00:00+01:00")
    write(portal, "acme.yml", ACME_AFTER)
    monkeypatch.chdir(portal)
    return portal


def run(*args: str):
    return CliRunner().invoke(main, ["digest", *args], catch_exceptions=False)


def links_of(portal: Path, name: str) -> dict[str, str]:
    settings = read_settings(portal / "mkdocs.yml")
    client = load_client(portal / "clients" / name, today=TODAY)
    return {link.contact: link.url(settings.site_url) for link in client_links(settings, SECRET.encode(), client)}


def letters_in(text: str) -> dict[str, str]:
    """The printed letters by the name in their To: line."""
    found = {}
    for part in text.split("To: ")[1:]:
        found[part.split(" <")[0].split(" (")[0].strip()] = part
    return found


def test_plain_text_tells_each_contact_what_changed(portal):
    first = git(portal, "rev-list", "--max-parents=0", "HEAD")
    result = run("--since", first)
    assert result.exit_code == 0, result.output
    letters = letters_in(result.stdout)
    assert set(letters) == {"Anna Weber", "Tomasz Nowak", "林晓雯", "周建国"}  # nothing for Quiet Studio
    anna = letters["Anna Weber"]
    assert anna.startswith(
        "Anna Weber <anna@acme.example>\nSubject: Project update: Acme Bakery\n\nHi Anna,\n"
    )  # the first name, in English
    assert "Here is what has happened on your project since Nov 10, 2026." in anna
    assert "Delivered\n- Winter menu · Delivered Nov 18, 2026 · 2 days early\n" in anna
    assert (
        "New dates\n- Online ordering page · Nov 27, 2026 → Dec 4, 2026\n"
        "  The payment provider needs one more week to verify the account.\n"
    ) in anna
    assert "Needs your attention\n- Send the Christmas opening hours · by Nov 26, 2026\n" in anna
    assert "Ideas for you\n- Offer Christmas pre-orders <before 24 Dec> · High impact\n" in anna
    assert "Start a newsletter" not in anna  # an old idea is no news
    assert "Updates\n- Nov 22, 2026\n  Winter menu delivered & printed.\n" in anna
    assert "Menu drafts sent" not in anna
    assert "Coming up\n- Thu, Nov 26 · Send" not in anna  # requests are under "needs you", not dates
    assert "- Sun, Nov 29" not in anna
    assert "- Mon, Nov 30 · 15:00 · Launch call · Meeting\n- Fri, Dec 4 · Online ordering page · Due\n" in anna
    assert (
        "Your own link to the project page (please keep it to yourself):\n" + links_of(portal, "acme.yml")["Anna Weber"]
        in anna
    )
    assert anna.rstrip().endswith("Best wishes,\nMei Chen")
    tomasz = letters["Tomasz Nowak"]
    assert links_of(portal, "acme.yml")["Tomasz Nowak"] in tomasz
    assert links_of(portal, "acme.yml")["Anna Weber"] not in tomasz  # each person gets only their own link


def test_chinese_client_gets_a_chinese_letter_without_the_password(portal):
    result = run("--since", "2026-11-15")
    assert result.exit_code == 0, result.output
    letters = letters_in(result.stdout)
    lin = letters["林晓雯"]
    page = links_of(portal, "lotus.yml")["林晓雯"]
    assert "#" not in page and page in lin  # password mode: the page, no key
    # From the existing catalog:
    assert "2026年11月19日 → 2026年11月25日" in lin
    assert "价格需要重新核对，所以晚了几天。" in lin
    assert "最新动态\n- 2026年11月21日\n  茶单牌排版已完成。" in lin
    assert "Acme" not in lin
    assert PASSWORD not in result.output and "LOTUS_PASSWORD" not in result.output
    assert "Your password has not changed." in lin or "您的密码没有变化" in lin
    assert "周建国 (no e-mail address in the record)" in result.stdout


# NEEDS THE NEW TRANSLATIONS: the digest's own msgids are not in the Chinese catalog yet. Strict, so
# the test fails as "XPASS" once they are added: then remove the marker.
def test_chinese_letter_in_the_new_translations(portal, tmp_path):
    out = tmp_path / "drafts"
    result = run("lotus", "--since", "2026-11-15", "--out", str(out))
    assert parse(out / "lotus-1.eml")["Subject"] == "项目进展：莲语茶舍"
    lin = letters_in(run("lotus", "--since", "2026-11-15").stdout)["林晓雯"]
    for words in (
        "林晓雯，您好！",
        "以下是自 2026年11月15日 以来项目的最新进展。",
        "日期调整\n- 门店茶单牌 · 2026年11月19日 → 2026年11月25日",
        "接下来的安排\n- 11月25日周三 · 门店茶单牌 · 交付日",
        "您的项目页面：",
        "您的密码没有变化，请继续使用原来的密码登录。",
        "如有任何问题，直接回复这封邮件就好。",
        "祝好！\nMei Chen",
    ):
        assert words in lin
    assert "Your" not in lin and "Hi " not in lin and result.exit_code == 0


def test_drafts_are_rfc5322_messages_one_per_contact(portal, tmp_path):
    out = tmp_path / "drafts"
    first = git(portal, "rev-list", "--max-parents=0", "HEAD")
    result = run("--since", first, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["acme-1.eml", "acme-2.eml", "lotus-1.eml"]
    assert "no draft for lotus: 周建国 has no e-mail address in the record" in result.stderr
    assert "To: 周建国 (no e-mail address in the record)" in result.stdout  # printed instead
    acme = links_of(portal, "acme.yml")
    for name, person, address in (
        ("acme-1.eml", "Anna Weber", "anna@acme.example"),
        ("acme-2.eml", "Tomasz Nowak", "tomasz@acme.example"),
    ):
        message = parse(out / name)
        assert message["To"].addresses[0].display_name == person
        assert message["To"].addresses[0].addr_spec == address
        assert str(message["From"]) == "Mei Chen <mei@example.com>"
        assert message["Subject"] == "Project update: Acme Bakery"
        assert message["X-Unsent"] == "1"
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert acme[person] in text
        assert f'href="{acme[person]}"' in html
        others = [url for contact, url in acme.items() if contact != person]
        assert not any(url in text or url in html for url in others)
        assert "<strong>one more week</strong>" in html  # Markdown rendered
        assert "onerror" not in html and "<img" not in html  # record Markdown sanitised
        assert "Offer Christmas pre-orders &lt;before 24 Dec&gt; · High impact" in html  # record text escaped
        assert "Winter menu delivered &amp; printed." in html  # record text escaped
        assert re.search(r"<h2 [^>]*>Delivered</h2>", html)
    lotus = parse(out / "lotus-1.eml")
    assert lotus["To"].addresses[0].addr_spec == "lin@lotus.example"
    assert lotus["Content-Language"] == "zh-CN"
    assert links_of(portal, "lotus.yml")["林晓雯"] in lotus.get_body(("plain",)).get_content()
    assert '<html lang="zh-CN">' in lotus.get_body(("html",)).get_content()
    for path in out.iterdir():
        assert PASSWORD.encode() not in path.read_bytes()
        assert b"\r\n" in path.read_bytes()


def parse(path: Path) -> EmailMessage:
    with path.open("rb") as stream:
        message = BytesParser(policy=email.policy.default).parse(stream)
    assert isinstance(message, EmailMessage)
    return message


def test_a_date_picks_the_last_commit_before_it(portal):
    result = run("--since", "2026-11-21")  # after the Chinese change was committed
    assert result.exit_code == 0, result.output
    assert set(letters_in(result.stdout)) == {"Anna Weber", "Tomasz Nowak"}
    assert "since Nov 21, 2026" in result.stdout


def test_only_the_clients_asked_for(portal):
    result = run("lotus", "--since", "2026-11-15")
    assert result.exit_code == 0, result.output
    assert set(letters_in(result.stdout)) == {"林晓雯", "周建国"}


def test_no_changes_means_no_letters(portal):
    write(portal, "acme.yml", ACME_BEFORE)
    result = run("--since", "HEAD")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "No client's record has news" in result.stderr


def test_a_new_record_tells_where_the_project_stands(portal):
    write(portal, "new-client.yml", QUIET.replace("Quiet Studio", "New Client").replace("quiet", "new"))
    result = run("new-client", "--since", "HEAD")
    assert result.exit_code == 0, result.output
    assert "Here is where your project stands." in result.stdout
    assert "Coming up\n- Thu, Dec 10 · Poster · Due\n" in result.stdout


def test_the_default_is_the_last_seven_days(portal):
    first = git(portal, "rev-list", "--max-parents=0", "HEAD")
    default = run()  # the portal's today is 2026-11-23: compared with the state of Nov 16, the first commit
    assert default.exit_code == 0, default.output
    assert "since Nov 16, 2026." in default.stdout
    same = default.stdout.replace("Nov 16", "Nov 10").replace("11月16日", "11月10日")
    assert same == run("--since", first).stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "no-such-branch"], "no commit 'no-such-branch' in this repository"),
        (["--since", "--help"], "no commit '--help'"),
        (["--since", "2026-02-30"], "is not a real date"),
        (["nobody"], "no client nobody in clients"),
    ],
)
def test_usage_errors_are_clean(portal, args, message):
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_a_folder_outside_git_is_a_clean_error(portal):
    shutil.rmtree(portal / ".git")
    result = run()
    assert result.exit_code == 2
    assert "is not in a git repository" in result.stderr
    assert "Traceback" not in result.output


def test_missing_git_is_a_clean_error(portal, monkeypatch):
    monkeypatch.setenv("PATH", str(portal / "nowhere"))
    result = run()
    assert result.exit_code == 2
    assert "git is not installed" in result.stderr


def test_record_changes_table():
    before, _ = parse_record(ACME_BEFORE, Path("acme.yml"), today=TODAY)
    after, _ = parse_record(ACME_AFTER, Path("acme.yml"), today=TODAY)
    changes = record_changes(before, after, TODAY)
    assert [d.title for d in changes.delivered] == ["Winter menu"]
    assert [(m.title, m.old_due, m.new_due, m.notes) for m in changes.moved] == [
        (
            "Online ordering page",
            date(2026, 11, 27),
            date(2026, 12, 4),
            "The payment provider needs **one more week** to verify the account.",
        )
    ]
    assert [s.title for s in changes.new_ideas] == ["Offer Christmas pre-orders <before 24 Dec>"]
    assert [u.text for u in changes.new_updates] == ["Winter menu delivered & printed."]
    assert [a.title for a in changes.new_needs] == ["Send the Christmas opening hours"]
    assert [(u.title, u.kind) for u in changes.next] == [("Launch call", "meeting"), ("Online ordering page", "due")]
    assert changes.needs_you == insights.attention(after, TODAY) and changes.new_needs
    assert not changes.new_record
    assert changes.is_news
    assert not record_changes(after, after, TODAY).is_news
    fresh = record_changes(None, after, TODAY)
    assert [d.title for d in fresh.delivered] == ["Winter menu"] and fresh.is_news


def test_an_earlier_record_that_no_longer_passes_is_skipped_with_exit_1(portal):
    write(portal, "acme.yml", ACME_BEFORE + "colour: red\n")
    git(portal, "commit", "-q", "-a", "-m", "Typo", when="2026-11-21T12:00:00+01:00")
    write(portal, "acme.yml", ACME_AFTER)
    result = run("--since", "HEAD")
    assert result.exit_code == 1
    assert "error: acme: skipped: the record at " in result.stderr
    assert "unknown field 'colour'" in result.stderr
    assert "Traceback" not in result.output


def _changed(before_text: str, after_text: str):
    before, _ = parse_record(before_text, Path("acme.yml"), today=TODAY)
    after, _ = parse_record(after_text, Path("acme.yml"), today=TODAY)
    return record_changes(before, after, TODAY), after


def _letter_text(after_text: str, before_text: str, language: str = "en") -> str:
    return _letter(after_text, before_text).text


def _letter(after_text: str, before_text: str) -> Letter:
    changes, after = _changed(before_text, after_text)
    client = Client(id="acme", source=Path("clients/acme.yml"), record=after)
    settings = PortalSettings(
        root=Path("."), clients_dir=Path("clients"), freelancer=Freelancer("Mei Chen", "mei@x.example")
    )
    links = client_links(settings, SECRET.encode(), client)
    [letter, *_] = client_letters(client, changes, links, "https://mei.example/", settings, TODAY, date(2026, 11, 16))
    return letter


@pytest.mark.parametrize(
    ("before_stage", "after_stage", "said"),
    [
        ("active", "paused", "This project is on hold. No deadlines run while it is paused."),
        ("paused", "active", "The project is running again."),
        ("active", "past", "This project is complete. Thank you for working together!"),
    ],
)
def test_a_pause_a_resumption_and_a_close_are_news(before_stage, after_stage, said):
    before = ACME_BEFORE.replace("language: en\n", f"language: en\nstage: {before_stage}\n")
    after = ACME_BEFORE.replace("language: en\n", f"language: en\nstage: {after_stage}\n")
    changes, _ = _changed(before, after)
    assert changes.is_news and changes.stage == (before_stage, after_stage)
    text = _letter_text(after, before)
    assert said in text
    # paused or closed, nothing in the letter is late or due
    if after_stage != "active":
        assert "late" not in text.lower() and "Due" not in text and "Coming up" not in text


def test_a_late_item_on_a_closed_project_is_not_late_in_the_letter():
    before = ACME_BEFORE.replace("language: en\n", "language: en\nstage: active\n")
    after = before.replace("stage: active", "stage: past").replace(
        "updates:\n", "updates:\n  - date: 2026-11-22\n    text: Thank you!\n"
    )
    text = _letter_text(after, before)
    assert "Running late" not in text and "Winter menu" not in text.split("Needs your attention")[-1]


def test_status_changes_are_news():
    before = ACME_BEFORE + "invoices:\n  - {number: INV-1, date: 2026-11-01, amount: 100, currency: EUR}\n"
    after = before.replace("currency: EUR}", "currency: EUR, status: paid}").replace(
        "    status: in_progress\n    due: 2026-11-27\n", "    status: cancelled\n    due: 2026-11-27\n"
    )
    changes, _ = _changed(before, after)
    assert [d.title for d in changes.cancelled] == ["Online ordering page"]
    assert [i.number for i in changes.paid] == ["INV-1"] and changes.is_news
    text = _letter_text(after, before)
    assert "Status changes\n- Online ordering page · Cancelled" in text
    assert "- Invoice INV-1 · €100.00 · Paid" in text
    # an item newly in review is news too: it now needs the client
    review = ACME_BEFORE.replace("status: in_progress", "status: in_review")
    changes, _ = _changed(ACME_BEFORE, review)
    assert [(a.kind, a.title) for a in changes.new_needs] == [("review", "Online ordering page")]
    assert "Online ordering page · In review · by" in _letter_text(review, ACME_BEFORE)


def test_only_a_change_is_news_of_a_cancellation_or_a_payment():
    paid = "invoices:\n  - {number: INV-1, date: 2026-11-01, amount: 100, currency: EUR, status: paid}\n"
    dropped = "deliverables:\n  - id: poster\n    title: Poster\n    status: cancelled\n"
    before = ACME_BEFORE.replace("deliverables:\n", dropped) + paid
    # INV-2 is recorded already paid, the flyer already cancelled; INV-1 and the poster stay as they were
    after = (
        before.replace("deliverables:\n", "deliverables:\n  - id: flyer\n    title: Flyer\n    status: cancelled\n")
        + "  - {number: INV-2, date: 2026-11-20, amount: 50, currency: EUR, status: paid}\n"
    )
    changes, _ = _changed(before, after)
    assert (changes.cancelled, changes.paid) == ([], [])
    record, _ = parse_record(after, Path("acme.yml"), today=TODAY)
    new = record_changes(None, record, TODAY)  # a new record: nothing was paid or cancelled since
    assert (new.cancelled, new.paid, new.stage) == ([], [], None)
    unpaid = before.replace(", status: paid}", "}")
    changes, _ = _changed(unpaid, unpaid.replace("status: in_review", "status: cancelled"))
    assert [d.title for d in changes.cancelled] == ["Winter menu"] and changes.paid == []


def test_nothing_comes_next_on_a_closed_project():
    planned = ACME_BEFORE + "schedule:\n  - date: 2026-12-01\n    title: Launch call\n"
    active, _ = parse_record(planned, Path("acme.yml"), today=TODAY)
    assert "Launch call" in [u.title for u in coming_up(active, TODAY, ZoneInfo("UTC"))]
    closed = active.model_copy(update={"stage": "past"})
    assert coming_up(closed, TODAY, ZoneInfo("UTC")) == []


@pytest.mark.parametrize(
    ("language", "salutation", "greeting"),
    [
        ("en", None, "Hi Anna,"),
        ("es", None, "Hola, Anna:"),
        ("pt-BR", None, "Olá, Anna,"),
        ("de", None, "Guten Tag,"),  # formal Sie: no first name, and Herr/Frau cannot be guessed
        ("fr", None, "Bonjour,"),
        ("zh-CN", None, "Anna Weber，您好！"),
        ("ja", None, "Anna Weber様"),
        ("de", "Guten Tag Frau Weber,", "Guten Tag Frau Weber,"),
        ("en", "{name: Dr. Anna Weber}", "Hi Anna,"),  # the first name, not the title
        ("de", "{name: Dr. Anna Weber}", "Guten Tag Dr. Weber,"),
        ("ja", "{name: 岡本 健}", "岡本様"),
        ("en", "Dear Ms Weber,", "Dear Ms Weber,"),
    ],
)
def test_each_letter_greets_naturally_or_by_the_contacts_own_salutation(language, salutation, greeting):
    after = ACME_AFTER.replace("language: en", f"language: {language}")
    if salutation and salutation.startswith("{name: "):  # the name as the record writes it, no salutation
        after = after.replace("  - name: Anna Weber\n", f"  - name: {salutation[7:-1]}\n")
    elif salutation:
        after = after.replace(
            "    email: anna@acme.example\n", f"    email: anna@acme.example\n    salutation: {salutation}\n"
        )
    text = _letter_text(after, ACME_BEFORE.replace("language: en", f"language: {language}"))
    assert text.splitlines()[0] == greeting
    assert "Anna Weber" not in text.splitlines()[0] or language in ("zh-CN", "ja")


@pytest.mark.parametrize("status", ["delivered", "approved", "cancelled"])
def test_a_closed_deliverable_never_moves(status):
    before, _ = parse_record(ACME_BEFORE, Path("acme.yml"), today=TODAY)
    closed = [
        d.model_copy(update={"status": status, "delivered": d.due if status != "cancelled" else None})
        for d in before.deliverables
    ]
    later = [d.model_copy(update={"due": date(2026, 12, 24)}) for d in closed]
    moved = record_changes(
        before.model_copy(update={"deliverables": closed}), before.model_copy(update={"deliverables": later}), TODAY
    ).moved
    assert moved == []
    reopened = [d.model_copy(update={"status": "in_progress", "delivered": None}) for d in later]
    still_open = record_changes(before, before.model_copy(update={"deliverables": reopened}), TODAY).moved
    assert [m.new_due for m in still_open] == [date(2026, 12, 24)] * len(before.deliverables)  # the same dates move


def test_the_letter_lists_news_in_order_and_a_paused_project_has_no_due_dates():
    after, _ = parse_record(ACME_AFTER, Path("acme.yml"), today=TODAY)
    first, second, *rest = after.deliverables
    done = [
        first.model_copy(update={"status": "delivered", "delivered": date(2026, 11, 20)}),
        second.model_copy(update={"status": "approved", "delivered": date(2026, 11, 10)}),
    ]
    updates = [*after.updates, after.updates[0].model_copy(update={"date": date(2026, 11, 1), "text": "Older news."})]
    later = after.model_copy(update={"deliverables": [*done, *rest], "updates": updates})
    changes = record_changes(None, later, TODAY)
    assert [d.delivered for d in changes.delivered] == sorted(d.delivered for d in changes.delivered)
    assert [u.date for u in changes.new_updates] == sorted((u.date for u in changes.new_updates), reverse=True)
    assert changes.new_record
    paused = coming_up(after.model_copy(update={"stage": "paused"}), TODAY, ZoneInfo("UTC"))
    assert [u.kind for u in paused] and "due" not in [u.kind for u in paused]


def test_what_comes_next_is_in_date_order_from_today_and_open_work_only():
    after, _ = parse_record(ACME_AFTER, Path("acme.yml"), today=TODAY)
    first, second, *rest = after.deliverables
    work = [
        first.model_copy(update={"title": "Zz due today", "status": "in_progress", "due": TODAY}),
        second.model_copy(update={"title": "Aa overdue", "status": "in_progress", "due": date(2026, 11, 1)}),
        *rest,
    ]
    found = coming_up(after.model_copy(update={"deliverables": work}), TODAY, ZoneInfo("UTC"))
    titles = [u.title for u in found]
    assert "Zz due today" in titles and "Aa overdue" not in titles
    assert [insights.local_date(u.when, ZoneInfo("UTC")) for u in found] == sorted(
        insights.local_date(u.when, ZoneInfo("UTC")) for u in found
    )
    assert titles[0] == "Zz due today"  # today comes first, whatever its name


NEAR_MIDNIGHT = dedent(
    """\
    name: Kiwi Coffee
    timezone: Pacific/Auckland
    contacts:
      - name: Aroha
        email: aroha@kiwi.example
    deliverables:
      - title: Beta menu boards
        status: in_progress
        due: 2026-11-25
    schedule:
      - date: 2026-11-22T20:00:00Z
        title: Call before opening
        kind: meeting
      - date: 2026-11-24T19:30:00Z
        title: Zulu tasting
        kind: meeting
    """
)


def test_what_comes_next_counts_days_in_the_clients_time_zone():
    # 20:00 UTC on the 22nd is 09:00 on the 23rd in Auckland: today there, yesterday in UTC
    # (and in the zone of a build machine set to UTC or anywhere west of it)
    record, _ = parse_record(NEAR_MIDNIGHT, Path("kiwi.yml"), today=TODAY)
    auckland = ZoneInfo("Pacific/Auckland")
    found = [(insights.local_date(u.when, auckland), u.title) for u in coming_up(record, TODAY, auckland)]
    assert found == [
        (date(2026, 11, 23), "Call before opening"),
        (date(2026, 11, 25), "Beta menu boards"),  # same day in Auckland as the tasting: by title
        (date(2026, 11, 25), "Zulu tasting"),
    ]
    in_utc = [u.title for u in coming_up(record, TODAY, ZoneInfo("UTC"))]
    assert in_utc == ["Zulu tasting", "Beta menu boards"]  # there the call was yesterday, the tasting the 24th
    changes = record_changes(record, record, TODAY, zone=auckland)
    assert [u.title for u in changes.next] == [title for _, title in found]


def test_bidi_controls_in_a_record_never_reach_a_letter(portal):
    text = (portal / "clients" / "acme.yml").read_text(encoding="utf-8")
    write(portal, "acme.yml", text.replace("Winter menu delivered & printed.", "Winter menu \u202edelivered\u202c."))
    result = run("--since", "2026-11-15", "acme")
    assert result.exit_code == 0, result.output
    assert "Winter menu delivered." in result.stdout
    assert not any(0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069 for c in result.stdout)


NOTES = (
    "The provider needs **one more week** and _a signed form_.\n\n"
    "Read [the set-up guide](https://pay.example/guide) first:\n\n"
    "- send the **form**\n"
    "- wait for *their* call\n"
)


def test_the_text_part_reads_record_markdown_as_plain_text_and_the_html_part_renders_it():
    after = ACME_AFTER.replace(
        "notes: The payment provider needs **one more week** to verify the account.",
        "notes: |\n" + indent(NOTES, "      "),
    )
    letter = _letter(after, ACME_BEFORE)
    assert (
        "- Online ordering page · Nov 27, 2026 → Dec 4, 2026\n"
        "  The provider needs one more week and a signed form.\n"
        "\n"
        "  Read the set-up guide (https://pay.example/guide) first:\n"
        "\n"
        "  - send the form\n"
        "  - wait for their call\n"
    ) in letter.text
    moved = letter.text.split("New dates\n")[1].split("Needs your attention\n")[0]
    assert not re.search(r"[*_<>\[\]]|\]\(", moved), moved
    assert str(render_markdown(NOTES, top=3)) in letter.html  # the HTML part as before: the page's rendering
    assert "<strong>one more week</strong>" in letter.html


@pytest.mark.parametrize("accent", ["#f4d35e", "#1f5c4a", "#b5651d"])
def test_the_letter_uses_the_accent_shade_the_page_uses_on_white(accent):
    after = ACME_AFTER + f'brand:\n  accent: "{accent}"\n'
    html = _letter(after, ACME_BEFORE).html
    shade = accent_shades(accent).light  # what the page's light scheme sets as --cp-accent
    assert f"border-top:4px solid {shade}" in html and f"background:{shade}" in html
    if shade != accent:
        assert accent not in html


def test_the_letter_asks_only_what_the_client_has_to_do_and_says_late_work_apart(portal):
    """The letter's "Needs your attention" is the page's list: no late work of the freelancer's, nothing decided."""
    text = ACME_AFTER.replace(
        "schedule:\n",
        "  - {id: logo, title: Logo, status: in_review, due: 2026-11-30}\n"
        "  - {id: flyer, title: Flyer, status: in_progress, due: 2026-11-20}\n"
        "schedule:\n",
        1,
    )
    record, _ = parse_record(text, Path("acme.yml"), today=TODAY)
    seen = item_fingerprint(record, "deliverable/logo")
    text += (
        "decisions:\n"
        "  - {item: deliverable/logo, decision: approve, by: Anna Weber, at: 2026-11-22T10:00:00+00:00,"
        f" seen: {seen}}}\n"
    )
    write(portal, "acme.yml", text)
    result = run("acme", "--since", "HEAD")
    assert result.exit_code == 0, result.output
    anna = letters_in(result.stdout)["Anna Weber"]
    needs = anna.split("Needs your attention\n")[1].split("\n\n")[0].splitlines()
    assert needs == ["- Send the Christmas opening hours · by Nov 26, 2026"]  # Logo is approved, Flyer is mine
    assert "Running late\n- Flyer · Was due Nov 20, 2026 · 3 days late\n" in anna
    record, _ = parse_record(text, Path("acme.yml"), today=TODAY)
    decided = insights.decided_items(insights.decision_logs(record, {"deliverable/logo": seen}))
    assert len(needs) == len(insights.attention(record, TODAY, decided)) == 1
