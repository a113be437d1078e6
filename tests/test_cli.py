"""The command line: compiler-style problems, exit codes, no tracebacks."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from click.testing import CliRunner

from client_portal.commands.cli import main
from client_portal.records.loader import parse_record

from .conftest import CONFIG
from .test_loader import VALID


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_check_passes_on_valid_records(empty_portal):
    (empty_portal / "clients" / "acme.yml").write_text(VALID, encoding="utf-8")
    result = run("check")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "1 record checked: 0 errors, 0 warnings"


def test_check_prints_compiler_style_lines_and_exits_1(empty_portal):
    (empty_portal / "clients" / "acme.yml").write_text(VALID.replace("in_progress", "doing"), encoding="utf-8")
    result = run("check")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("clients/acme.yml:7:13: error: deliverables[0].status: 'doing' is not allowed")
    assert lines[-1] == "1 record checked: 1 error, 0 warnings"
    assert "Traceback" not in result.output


def test_check_warns_about_overdue_items_without_failing(empty_portal):
    (empty_portal / "clients" / "acme.yml").write_text(VALID.replace("2026-12-01", "2026-11-20"), encoding="utf-8")
    result = run("check")
    assert result.exit_code == 0
    assert "clients/acme.yml:8:10: warning: deliverable 'Spring menu' was due 2026-11-20 (3 days ago)" in result.output


def test_check_reports_a_missing_logo_file(empty_portal):
    text = VALID + "brand:\n  logo: logos/acme.svg\n"
    (empty_portal / "clients" / "acme.yml").write_text(text, encoding="utf-8")
    result = run("check")
    assert result.exit_code == 1
    assert "clients/acme.yml:10:9: error: brand.logo: logos/acme.svg not found" in result.output
    (empty_portal / "clients" / "logos").mkdir()
    (empty_portal / "clients" / "logos" / "acme.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    assert run("check").exit_code == 0


def test_check_reports_every_file(empty_portal):
    (empty_portal / "clients" / "a.yml").write_text("name: A\nstage: x\n", encoding="utf-8")
    (empty_portal / "clients" / "b.yml").write_bytes(b"name: \xff\n")
    result = run("check")
    assert result.exit_code == 1
    assert "clients/a.yml:2:8: error:" in result.output
    assert "clients/b.yml:1:7: error: not valid UTF-8" in result.output
    assert result.output.splitlines()[-1] == "2 records checked: 2 errors, 0 warnings"


def test_check_with_explicit_config_from_elsewhere(empty_portal, tmp_path_factory, monkeypatch):
    (empty_portal / "clients" / "acme.yml").write_text("name: A\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    result = run("check", "--config", str(empty_portal / "mkdocs.yml"))
    assert result.exit_code == 1
    assert "acme.yml:1:1: error: contacts: link access needs at least one person" in result.output


def test_missing_config_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("check")
    assert result.exit_code == 2
    assert "mkdocs.yml: no such file" in result.output


def test_config_without_the_plugin_is_a_usage_error(empty_portal):
    (empty_portal / "mkdocs.yml").write_text("site_name: x\nplugins: [search]\n", encoding="utf-8")
    result = run("check")
    assert result.exit_code == 2
    assert "'client-portal' plugin is not enabled" in result.output


def test_unknown_plugin_option_is_a_usage_error(empty_portal):
    (empty_portal / "mkdocs.yml").write_text(CONFIG + "      clients_dri: x\n", encoding="utf-8")
    result = run("check")
    assert result.exit_code == 2
    assert "clients_dri" in result.output


def test_bad_plugin_timezone_is_reported(empty_portal):
    (empty_portal / "mkdocs.yml").write_text(CONFIG + "      timezone: Moon/Base\n", encoding="utf-8")
    result = run("check")
    assert result.exit_code == 2
    assert "timezone" in result.output and "IANA" in result.output


def test_new_writes_a_record_that_passes_check(empty_portal):
    result = run("new", "acme-bakery", "--contact", "Anna Weber", "--email", "anna@acme.example")
    assert result.exit_code == 0, result.output
    text = (empty_portal / "clients" / "acme-bakery.yml").read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=")
    assert "name: Acme Bakery" in text and "name: Anna Weber" in text and "email: anna@acme.example" in text
    assert "- date: 2026-11-23" in text
    check = run("check")
    assert check.exit_code == 0, check.output
    assert check.output.strip() == "1 record checked: 0 errors, 0 warnings"


def test_new_without_a_contact_is_not_publishable_until_named(empty_portal):
    result = run("new", "acme-bakery")
    assert result.exit_code == 0 and "contact's name and e-mail" in result.output
    check = run("check")
    assert check.exit_code == 1
    assert "contacts[0].name: still the template's placeholder" in check.output


def test_new_refuses_to_overwrite(empty_portal):
    (empty_portal / "clients" / "acme.yml").write_text("keep me", encoding="utf-8")
    result = run("new", "acme")
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert (empty_portal / "clients" / "acme.yml").read_text(encoding="utf-8") == "keep me"


@pytest.mark.parametrize("bad_id", ["Acme", "acme_bakery", "-acme", "acme--x", "../x"])
def test_new_rejects_bad_ids(empty_portal, bad_id):
    result = run("new", "--", bad_id)
    assert result.exit_code == 2
    assert "lowercase letters, digits and hyphens" in result.output
    assert not list((empty_portal / "clients").iterdir())


def test_schema_prints_the_record_schema(empty_portal):
    result = run("schema")
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["title"] == "Client record"
    assert schema["required"] == ["name"]
    assert schema["additionalProperties"] is False


def test_unknown_command_is_a_usage_error():
    result = run("frobnicate")
    assert result.exit_code == 2


def test_malformed_source_date_epoch_is_a_clear_error(empty_portal, monkeypatch):
    (empty_portal / "mkdocs.yml").write_text(CONFIG.replace("      today: 2026-11-23\n", ""), encoding="utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    result = run("check")
    assert result.exit_code == 2
    assert "SOURCE_DATE_EPOCH must be whole seconds since 1970" in result.output


def test_source_date_epoch_sets_the_build_date(empty_portal, monkeypatch):
    (empty_portal / "mkdocs.yml").write_text(CONFIG.replace("      today: 2026-11-23\n", ""), encoding="utf-8")
    (empty_portal / "clients" / "acme.yml").write_text(VALID.replace("2026-12-01", "2026-11-20"), encoding="utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795392000")  # 2026-11-23 00:00 UTC
    assert "(3 days ago)" in run("check").output


def test_a_booking_url_that_is_not_http_is_a_usage_error(empty_portal):
    config = CONFIG + "      freelancer:\n        booking_url: javascript:alert(1)\n"
    (empty_portal / "mkdocs.yml").write_text(config, encoding="utf-8")
    result = run("check")
    assert result.exit_code == 2
    assert "freelancer.booking_url 'javascript:alert(1)' must be an http(s) link" in result.output


def test_the_templates_commented_examples_can_be_uncommented_in_place(empty_portal):
    run("new", "acme", "--contact", "Anna Weber", "--email", "anna@acme.example")
    path = empty_portal / "clients" / "acme.yml"
    lines = path.read_text(encoding="utf-8").splitlines()
    # remove the '#' of every example line, as a freelancer does in an editor
    uncommented = [line[1:] if line.startswith("#  ") else line for line in lines]
    uncommented = [line[2:] if re.match(r"# [a-z_]+:", line) else line for line in uncommented]
    text = "\n".join(uncommented) + "\n"
    assert text.count("- title:") >= 3 and "\nbudget:" in text and "\nbrand:" in text
    record, _ = parse_record(text, path, today=date(2026, 11, 23))
    assert [d.title for d in record.deliverables] == ["Brand refresh"]
    assert record.brand is not None and record.brand.accent == "#b5651d" and len(record.invoices) == 1
    assert record.proposal is not None and record.proposal.payment is not None
    # and as written, the empty sections are empty lists
    plain, _ = parse_record("\n".join(lines), path, today=date(2026, 11, 23))
    assert plain.deliverables == [] and plain.schedule == [] and plain.invoices == []


def test_check_on_a_closed_project_warns_about_open_work_not_lateness(empty_portal):
    (empty_portal / "clients" / "done.yml").write_text(
        "name: Done Co\nstage: past\ncontacts: [{name: A}]\n"
        "deliverables:\n  - {title: Shop, status: in_progress, due: 2026-11-01}\n",
        encoding="utf-8",
    )
    result = run("check")
    assert result.exit_code == 0
    assert "was due" not in result.output
    assert "clients/done.yml:5:27: warning: deliverable 'Shop' is still in_progress on a closed (past) project" in (
        result.output
    )


@pytest.mark.parametrize(
    ("phrase", "language", "warned"),
    [
        ("within one business day", "de", True),  # a plain phrase is in the portal's language (en)
        ("within one business day", "en-GB", False),
        ("{en: within a day, de: innerhalb eines Tages}", "de-AT", False),
        ("{en: within a day, de: innerhalb eines Tages}", "ja", True),
    ],
)
def test_check_warns_when_a_freelancer_phrase_has_no_text_in_the_clients_language(
    empty_portal, phrase, language, warned
):
    config = CONFIG + f"      freelancer:\n        response_time: {phrase}\n"
    (empty_portal / "mkdocs.yml").write_text(config, encoding="utf-8")
    (empty_portal / "clients" / "kunde.yml").write_text(
        f"name: Kunde\nlanguage: {language}\ncontacts: [{{name: A}}]\n", encoding="utf-8"
    )
    result = run("check")
    assert result.exit_code == 0
    expected = f"clients/kunde.yml:2:11: warning: freelancer.response_time in mkdocs.yml has no text in '{language}'"
    assert (expected in result.output) is warned, result.output


def test_the_template_offers_a_salutation_that_loads(empty_portal):
    run("new", "acme", "--contact", "Anna Weber", "--email", "anna@acme.example")
    path = empty_portal / "clients" / "acme.yml"
    text = path.read_text(encoding="utf-8").replace(
        '    # salutation: "Dear Ms Doe,"', '    salutation: "Dear Ms Doe,"'
    )
    record, _ = parse_record(text, path, today=date(2026, 11, 23))
    assert record.contacts[0].salutation == "Dear Ms Doe,"


@pytest.mark.parametrize(
    ("language", "name", "warning"),
    [
        (
            "en",
            "J. Doe",
            "clients/acme.yml:3:11: warning: contacts[0].name: 'J. Doe' gives no first name to greet them by, "
            "so the letters greet them 'Hello,'; set contacts[0].salutation to the line they should read, "
            "such as salutation: 'Dear Ms Weber,'",
        ),
        (
            "de",
            "王先生",
            "clients/acme.yml:3:11: warning: contacts[0].name: '王先生' ends in the honorific '先生', which a letter "
            "in this language cannot use, so the letters greet them 'Guten Tag,'; set contacts[0].salutation to "
            "the line they should read, such as salutation: 'Guten Tag Frau Weber,'",
        ),
        ("en", "Dr. Jane Doe", None),  # "Hi Jane,"
        ("de", "Frau Dr. Jane Doe", None),  # "Guten Tag Frau Dr. Doe,"
    ],
)
def test_check_says_which_salutation_to_set_when_a_name_cannot_be_greeted_surely(empty_portal, language, name, warning):
    text = VALID.replace("name: Jane Doe", f"name: {name}") + f"language: {language}\n"
    (empty_portal / "clients" / "acme.yml").write_text(text, encoding="utf-8")
    result = run("check")
    assert result.exit_code == 0, result.output
    if warning is None:
        assert "0 warnings" in result.output, result.output
    else:
        assert warning in result.output.splitlines(), result.output
        salutation = "    salutation: Dear Jane,\n"
        (empty_portal / "clients" / "acme.yml").write_text(
            text.replace("    email: jane@acme.example\n", "    email: jane@acme.example\n" + salutation),
            encoding="utf-8",
        )
        assert "0 warnings" in run("check").output  # the contact's own salutation settles it


@pytest.mark.parametrize(
    ("accent", "warning"),
    [
        (
            "#f4d35e",  # pale: darkened on white
            "clients/acme.yml:10:11: warning: brand.accent #f4d35e has 1.5:1 contrast on the white page; the page "
            "and the letters use #826809 instead (5.3:1), the nearest shade of its hue that text can be read in",
        ),
        (
            "#1f5c4a",  # dark: lightened on the dark scheme
            "clients/acme.yml:10:11: warning: brand.accent #1f5c4a has 2.1:1 contrast on the dark page (dark "
            "scheme); the page's dark scheme uses #3bb08e instead (6.0:1), the nearest shade of its hue that "
            "text can be read in",
        ),
        ("#b5651d", None),  # readable in both schemes; the page only nudges it to AA
    ],
)
def test_check_names_the_shade_the_page_uses_for_a_brand_accent_it_changes(empty_portal, accent, warning):
    text = VALID + f'brand:\n  accent: "{accent}"\n'
    (empty_portal / "clients" / "acme.yml").write_text(text, encoding="utf-8")
    result = run("check")
    assert result.exit_code == 0, result.output
    if warning is None:
        assert "0 warnings" in result.output, result.output
    else:
        assert [line for line in result.output.splitlines() if "warning:" in line] == [warning]
