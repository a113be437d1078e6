"""client-portal hours import: exports into each client's kept entries, the page's hours, check, status and letters."""

from __future__ import annotations

import re
import shutil
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from textwrap import dedent

import pytest
from click.testing import CliRunner

from client_portal.commands.cli import main
from client_portal.hours.periods import client_hours
from client_portal.mail.digest import news, record_changes, without
from client_portal.page.render import Renderer
from client_portal.page.view import page_context
from client_portal.records.loader import load_client
from client_portal.settings import PortalSettings

from .build import SECRET
from .conftest import ROOT, TODAY
from .hours_exports import EXPORTS, MONTH_AND_DST, NOVEMBER_MINUTES, OCTOBER_MINUTES, Worked, harvest, toggl
from .pages import MATERIAL_TEMPLATES, SEEN_KEY, text_of
from .test_digest import git

RECORD = dedent(
    """\
    # Acme's retainer
    name: Acme Bakery
    timezone: Europe/Berlin
    contacts:
      - name: Anna Weber
        email: anna@acme.example
    budget:
      period: month
      unit: hours
      included: 20   # hours a month
      hours: {}
    """
)
OTHER = "name: Harbor Books\ncontacts: [{name: Sam, email: sam@harbor.example}]\n"


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def portal(empty_portal) -> Path:
    (empty_portal / "clients" / "acme.yml").write_text(RECORD, encoding="utf-8")
    (empty_portal / "clients" / "harbor.yml").write_text(OTHER, encoding="utf-8")
    return empty_portal


def export(portal: Path, text: str, name: str = "export.csv") -> str:
    (portal / name).write_text(text, encoding="utf-8")
    return name


def kept(portal: Path) -> Path:
    return portal / "clients" / "hours" / "acme.csv"


def budget_text(portal: Path) -> str:
    client = load_client(portal / "clients" / "acme.yml", today=TODAY)
    settings = PortalSettings(root=portal, clients_dir=portal / "clients", timezone="UTC")
    body = Renderer([MATERIAL_TEMPLATES]).body(page_context(client, settings, TODAY, whatsnew_key=SEEN_KEY))
    found = re.search(r'<section class="cp-section cp-budget".*?</section>', str(body), re.S)
    assert found is not None
    return text_of(found.group(0))


def hm(minutes: int) -> str:
    return f"{minutes // 60} hr {minutes % 60} min"


@pytest.mark.parametrize("tool", list(EXPORTS))
def test_each_tools_export_gives_the_hours_summed_by_hand(portal, tool):
    result = run("hours", "import", export(portal, EXPORTS[tool](MONTH_AND_DST)))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("acme: 6 new entries; 9 hr 18 min billable from 2026-10-25 to 2026-11-11;")
    assert "writes clients/hours/acme.csv" in result.output
    # October: the three real hours across the change of clocks and the entry that ends in November;
    # November: from ten past midnight on the 1st (still October in UTC); not the unbillable hour
    assert (OCTOBER_MINUTES, NOVEMBER_MINUTES) == (4 * 60 + 51, 4 * 60 + 27)
    assert budget_text(portal) == (
        f"Budget {hm(20 * 60 - NOVEMBER_MINUTES)} of 20 hr left this month {hm(NOVEMBER_MINUTES)} used · 22% "
        f"Hours in earlier months Month Hours used October 2026 {hm(OCTOBER_MINUTES)} of 20 hr"
    )


def test_the_record_is_not_touched_and_the_entries_keep_their_offsets(portal):
    run("hours", "import", export(portal, toggl(MONTH_AND_DST)))
    assert (portal / "clients" / "acme.yml").read_text(encoding="utf-8") == RECORD
    lines = kept(portal).read_text(encoding="utf-8").splitlines()
    assert lines[0] == "entry,tool,start,seconds,billable,client,project"
    assert ",toggl,2026-10-25T01:30:00+02:00,10800,yes,Acme Bakery,Website" in lines[1]
    assert ",toggl,2026-11-01T00:10:00+01:00,2880,yes,Acme Bakery,Website" in lines[3]


def test_importing_again_or_an_overlapping_export_counts_nothing_twice(portal):
    run("hours", "import", export(portal, toggl(MONTH_AND_DST[:4])))
    again = run("hours", "import", export(portal, toggl(MONTH_AND_DST[:4])))
    assert "acme: 0 new entries, 4 already imported;" in again.output and "nothing to write to" in again.output
    overlapping = run("hours", "import", export(portal, toggl(MONTH_AND_DST[2:]), "later.csv"))
    assert "acme: 2 new entries, 2 already imported;" in overlapping.output
    assert len(kept(portal).read_text(encoding="utf-8").splitlines()) == 1 + len(MONTH_AND_DST)
    assert f"{hm(NOVEMBER_MINUTES)} used" in budget_text(portal)


def test_an_entry_changed_in_the_tool_replaces_the_one_imported_before(portal):
    run("hours", "import", export(portal, toggl(MONTH_AND_DST)))
    changed = [*MONTH_AND_DST[:4], Worked(datetime(2026, 11, 10, 14, 0), 27, notes="Pick-up slots")]
    result = run("hours", "import", export(portal, toggl(changed)))
    # the export ends on the 10th: the unbillable hour of the 11th is not in it, and stays
    assert "acme: 1 new entry, 4 already imported, 1 imported before and since changed or deleted" in result.output
    assert f"{hm(48 + 132 + 27)} used" in budget_text(portal)


def test_dry_run_says_what_would_change_and_writes_nothing(portal):
    result = run("hours", "import", "--dry-run", export(portal, harvest(MONTH_AND_DST)))
    assert result.exit_code == 0
    assert (
        "acme: 6 new entries; 9 hr 18 min billable from 2026-10-25 to 2026-11-11; would write clients/hours/acme.csv"
        in result.output
    )
    assert result.output.endswith("dry run: nothing written\n")
    assert not kept(portal).exists()


def test_another_name_and_limited_and_ignored_projects(portal):
    record = RECORD.replace("hours: {}", "hours: {clients: [Acme Bakery GmbH], projects: [Website], ignore: [Admin]}")
    (portal / "clients" / "acme.yml").write_text(record, encoding="utf-8")
    work = [Worked(w.start, w.minutes, w.project, w.billable, "Acme Bakery GmbH", w.notes) for w in MONTH_AND_DST]
    result = run("hours", "import", export(portal, toggl(work)))
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        "export.csv:5:1: error: project 'Print' of client 'Acme Bakery GmbH' is not in budget.hours.projects of "
        "acme.yml; add it there to count it, or to budget.hours.ignore to leave it out"
    )
    record = record.replace("ignore: [Admin]", "ignore: [Admin, Print]")
    (portal / "clients" / "acme.yml").write_text(record, encoding="utf-8")
    result = run("hours", "import", export(portal, toggl(work)))
    assert "acme: 4 new entries, 1 of Print left out (budget.hours.ignore), 1 of Admin left out" in result.output
    assert f"{hm(48 + 87)} used" in budget_text(portal)


@pytest.mark.parametrize(
    ("client", "message"),
    [
        (
            "Acme Bakeries",
            "export.csv:2:1: error: no record is client 'Acme Bakeries'; add the name to budget.hours.clients of the "
            "record it belongs to, or export only your portal's clients",
        ),
        ("", "export.csv:2:1: error: an entry with no client (project 'Website'); give it a client in your time"),
        (
            "Harbor Books",
            "export.csv:2:1: error: client 'Harbor Books' is harbor.yml, whose budget does not count imported hours;",
        ),
    ],
)
def test_an_unknown_client_is_named_at_its_line_and_nothing_is_written(portal, client, message):
    work = [Worked(datetime(2026, 11, 2, 9), 30, client=client), *MONTH_AND_DST]
    result = run("hours", "import", export(portal, toggl(work)))
    assert result.exit_code == 1
    assert result.output.splitlines()[0].startswith(message)
    assert "nothing imported: fix the lines above, then import export.csv again" in result.output
    assert not kept(portal).exists()


def test_a_wrong_line_anywhere_writes_nothing_for_anyone(portal):
    text = toggl(MONTH_AND_DST).replace("01:51:00", "-01:51:00")
    result = run("hours", "import", export(portal, text))
    assert result.exit_code == 1 and "export.csv:3:12: error: Duration '-01:51:00' is negative" in result.output
    assert "Traceback" not in result.output and not kept(portal).exists()
    legacy = portal / "legacy.csv"
    legacy.write_bytes(toggl([Worked(datetime(2026, 11, 2, 9), 30, notes="Caf\u00e9")]).encode("cp1252"))
    result = run("hours", "import", "legacy.csv")
    assert result.exit_code == 1 and "legacy.csv:2:50: error: not valid UTF-8 (byte 0xe9)" in result.output


def test_a_missing_export_or_a_broken_record_is_a_clean_error(portal):
    result = run("hours", "import", "nowhere.csv")
    assert result.exit_code == 1 and "nowhere.csv:1:1: error: cannot read the file" in result.output
    (portal / "clients" / "acme.yml").write_text(RECORD.replace("hours: {}", "hours: {roundng: 6}"), encoding="utf-8")
    result = run("hours", "import", export(portal, toggl(MONTH_AND_DST)))
    assert result.exit_code == 1 and "did you mean 'rounding'?" in result.output and not kept(portal).exists()


def test_a_broken_kept_entries_file_is_an_error_at_its_line_in_check(portal):
    run("hours", "import", export(portal, toggl(MONTH_AND_DST)))
    text = kept(portal).read_text(encoding="utf-8").replace(",yes,", ",maybe,", 1)
    kept(portal).write_text(text, encoding="utf-8")
    result = run("check")
    assert result.exit_code == 1
    assert "clients/hours/acme.csv:2:5: error: billable: 'maybe' is not yes or no" in result.output


def test_check_and_status_warn_at_80_and_100_percent(portal):
    work = [Worked(datetime(2026, 11, day, 9), 8 * 60) for day in (2, 3)]  # 16 of 20 hours
    run("hours", "import", export(portal, toggl(work)))
    check = run("check")
    assert (
        "clients/acme.yml:8:3: warning: budget: 80% used: 16 hr of 20 hr this month; the next update letter tells"
        in (check.output)
    )
    assert "budget             Acme Bakery: 80% used: 16 hr of 20 hr this month [budget]" in run("status").output
    run("hours", "import", export(portal, toggl([*work, Worked(datetime(2026, 11, 4, 9), 5 * 60)])))
    check = run("check")
    assert "warning: budget: over budget: 105% used: 21 hr of 20 hr this month; tell the client before" in check.output
    assert "over budget: 105% used" in run("status").output


def test_entries_after_the_current_month_are_a_warning(portal):
    run("hours", "import", export(portal, toggl([Worked(datetime(2026, 12, 2, 9), 60)])))
    assert "warning: budget.hours: 1 imported entry from 2026-12-02, after the current period" in run("check").output


def test_the_letter_tells_the_client_once_when_this_months_hours_reach_80_percent(portal):
    run("hours", "import", export(portal, toggl([Worked(datetime(2026, 11, 2, 9), 15 * 60)])))
    before = load_client(portal / "clients" / "acme.yml", today=TODAY)
    run(
        "hours",
        "import",
        export(portal, toggl([Worked(datetime(2026, 11, 2, 9), 15 * 60), Worked(datetime(2026, 11, 20, 9), 60)])),
    )
    after = load_client(portal / "clients" / "acme.yml", today=TODAY)
    earlier, now = client_hours(before, TODAY, "UTC"), client_hours(after, TODAY, "UTC")
    changes = record_changes(before.record, after.record, TODAY, hours=(earlier, now))
    assert changes.is_news and [r.use.share for r in changes.hours_reached] == [Decimal("0.8")]
    told = set(news(changes))
    assert not without(changes, told).is_news  # a sent log that holds it tells nothing again
    # the next letter, from a record already past 80 %, says nothing more about it
    assert not record_changes(after.record, after.record, TODAY, hours=(now, now)).hours_reached
    # a new month starts afresh: November's 80 % is not December's
    december = client_hours(after, TODAY.replace(month=12, day=28), "UTC")
    assert december is not None and december.current.used == 0


def test_the_update_letter_reads_the_committed_hours_and_says_it_once(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("PORTAL_SECRET", SECRET)
    portal = tmp_path / "portal"
    (portal / "clients").mkdir(parents=True)
    (portal / "content").mkdir()
    shutil.copy(ROOT / "mkdocs.yml", portal / "mkdocs.yml")
    (portal / "clients" / "acme.yml").write_text(RECORD, encoding="utf-8")
    monkeypatch.chdir(portal)
    first = [Worked(datetime(2026, 11, 2, 9), 15 * 60)]
    run("hours", "import", export(portal, toggl(first)))
    git(portal, "init", "-q")
    git(portal, "add", "clients")
    git(portal, "commit", "-q", "-m", "Records and 15 hours", when="2026-11-10T12:00:00+01:00")
    run("hours", "import", export(portal, toggl([*first, Worked(datetime(2026, 11, 20, 9), 90)])))
    letter = run("digest", "--since", "HEAD").output
    assert "I have used 16 hr 30 min of the 20 hr included this month (83%)." in letter
    git(portal, "commit", "-q", "-a", "-m", "16.5 hours", when="2026-11-21T12:00:00+01:00")
    run("hours", "import", export(portal, toggl([*first, Worked(datetime(2026, 11, 20, 9), 120)])))
    assert "I have used" not in run("digest", "--since", "HEAD").output


ENGLISH_LABELS = ("Hours in earlier months", "Hours used", "Month", "rolled over", " of ", " hr", "October")


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "zh-CN",
            ["此前各月的工时", "2026年10月", "已用 4小时51分钟（共 20小时）", "含从2026年10月结转的 15小时9分钟"],
        ),
        ("ar", ["الساعات في الأشهر السابقة", "أكتوبر 2026", "4 س 51 د من 20 س", "تشمل 15 س 9 د مُرحَّلة من أكتوبر 2026"]),
        ("de", ["Stunden in den Vormonaten", "Oktober 2026", "4 Std., 51 Min. von 20 Std.", "Übertrag aus Oktober"]),
        ("ja", ["過去の月の作業時間", "2026年10月", "20 時間 中 4 時間51 分"]),
        ("es", ["Horas en meses anteriores", "octubre de 2026", "4 h 51 min de 20 h"]),
        ("fr", ["Heures des mois précédents", "octobre 2026", "4 h 51 min sur 20 h"]),
        ("pt-BR", ["Horas nos meses anteriores", "outubro de 2026", "4 h 51 min de 20 h"]),
    ],
)
def test_the_hours_section_speaks_the_clients_language(portal, language, words):
    record = RECORD.replace("hours: {}", "hours: {rollover: true}") + f"language: {language}\n"
    (portal / "clients" / "acme.yml").write_text(record, encoding="utf-8")
    run("hours", "import", export(portal, toggl(MONTH_AND_DST)))
    text = budget_text(portal)
    for word in words:  # as read: a duration is a span of its own, and text_of puts spaces around tags
        assert "".join(word.split()) in "".join(text.split())
    for label in ENGLISH_LABELS:
        assert label not in text


def test_an_entries_file_without_its_record_is_a_warning(portal):
    run("hours", "import", export(portal, toggl(MONTH_AND_DST)))
    kept(portal).rename(kept(portal).with_name("acme-old.csv"))
    assert "clients/hours/acme-old.csv:1:1: warning: no record acme-old.yml beside it" in run("check").output
